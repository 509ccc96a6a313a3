using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Gpo.Data;

/// <summary>
/// How questions are recognised across files: a normalised form of the text and options, and a stable
/// id hashed from it for sources without their own question key.
/// </summary>
public static class QuestionIdentity
{
    /// <summary>
    /// Normalised text for matching: Unicode NFKC, curly quotes made straight, possessive <c>'s</c> and
    /// all apostrophes removed (one source strips them: "Saddam Hussein rule" vs "Saddam Hussein's rule"),
    /// whitespace collapsed, lower case.
    /// </summary>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Normalize(NormalizationForm.FormKC).Replace('\u2019', '\'').Replace('\u2018', '\'');
        var sb = new StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c == '\'')
            {
                // drop "'s" at the end of a word, then any other apostrophe
                if (i + 1 < s.Length && (s[i + 1] == 's' || s[i + 1] == 'S') && (i + 2 == s.Length || !char.IsLetterOrDigit(s[i + 2]))) i++;
                continue;
            }
            if (char.IsWhiteSpace(c))
            {
                if (sb.Length > 0 && sb[^1] != ' ') sb.Append(' ');
                continue;
            }
            sb.Append(char.ToLowerInvariant(c));
        }
        if (sb.Length > 0 && sb[^1] == ' ') sb.Length--;
        return sb.ToString();
    }

    /// <summary>The matching key of a question: normalised text and normalised options.</summary>
    public static string MatchKey(string text, IReadOnlyList<string> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Normalize(text) + "\u001f" + string.Join("\u001e", options.Select(Normalize));
    }

    /// <summary>Stable id "q" + 16 hex digits of SHA-256 of <see cref="MatchKey"/>.</summary>
    public static string Hash(string text, IReadOnlyList<string> options)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(MatchKey(text, options)));
        return "q" + Convert.ToHexStringLower(digest.AsSpan(0, 8));
    }

    /// <summary>Option text of a value from a Python list: strings as is, numbers as Python prints them (1.0 → "1.0").</summary>
    public static string OptionText(object? value) => value switch
    {
        string s => s,
        double d => PythonLiteral.FormatFloat(d),
        long l => l.ToString(CultureInfo.InvariantCulture),
        bool b => b ? "True" : "False",
        null => "None",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}
