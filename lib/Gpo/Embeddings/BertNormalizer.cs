using System.Globalization;
using System.Text;

namespace Gpo.Embeddings;

/// <summary>
/// The text clean-up BERT applies before splitting words (the <c>BertNormalizer</c> of a Hugging Face
/// <c>tokenizer.json</c>), in its order: clean text (drop NUL, U+FFFD and control/format/unassigned/
/// private-use characters; map every whitespace character to a space), put spaces around CJK
/// ideographs, strip accents (canonical decomposition, then drop non-spacing marks: <see cref="UnicodeDecomposition"/>), lowercase.
/// </summary>
public sealed record BertNormalizer(bool CleanText = true, bool HandleChineseChars = true, bool StripAccents = true, bool Lowercase = true)
{
    /// <summary>Applies the enabled steps to <paramref name="text"/>.</summary>
    public string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var builder = new StringBuilder(text.Length + 8);
        foreach (var rune in text.EnumerateRunes())
        {
            if (CleanText)
            {
                if (rune.Value == 0 || rune.Value == 0xFFFD || IsControl(rune)) continue;
                if (IsWhitespace(rune)) { builder.Append(' '); continue; }
            }
            if (HandleChineseChars && IsChineseChar(rune.Value))
            {
                builder.Append(' ');
                AppendRune(builder, rune);
                builder.Append(' ');
                continue;
            }
            AppendRune(builder, rune);
        }
        var result = builder.ToString();
        if (StripAccents) result = UnicodeDecomposition.StripAccents(result);
        if (Lowercase) result = result.ToLowerInvariant();
        return result;
    }

    /// <summary>Whitespace as BERT sees it: tab, newline, carriage return and every Unicode White_Space character.</summary>
    public static bool IsWhitespace(Rune rune) => rune.Value is '\t' or '\n' or '\r' || Rune.IsWhiteSpace(rune);

    /// <summary>Characters BERT drops: Unicode categories Cc, Cf, Cn, Co, Cs, except tab, newline and carriage return.</summary>
    public static bool IsControl(Rune rune)
    {
        if (rune.Value is '\t' or '\n' or '\r') return false;
        return Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.OtherNotAssigned or UnicodeCategory.PrivateUse or UnicodeCategory.Surrogate;
    }

    /// <summary>CJK Unified Ideographs and their extensions and compatibility blocks (not Hangul, Hiragana or Katakana).</summary>
    public static bool IsChineseChar(int codePoint) =>
        codePoint is (>= 0x4E00 and <= 0x9FFF) or (>= 0x3400 and <= 0x4DBF) or (>= 0x20000 and <= 0x2A6DF)
            or (>= 0x2A700 and <= 0x2B73F) or (>= 0x2B740 and <= 0x2B81F) or (>= 0x2B820 and <= 0x2CEAF)
            or (>= 0xF900 and <= 0xFAFF) or (>= 0x2F800 and <= 0x2FA1F);

    private static void AppendRune(StringBuilder builder, Rune rune)
    {
        Span<char> utf16 = stackalloc char[2];
        var length = rune.EncodeToUtf16(utf16);
        builder.Append(utf16[..length]);
    }
}
