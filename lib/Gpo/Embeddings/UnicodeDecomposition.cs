using System.Globalization;
using System.Text;

namespace Gpo.Embeddings;

/// <summary>
/// Canonical decomposition (the "D" of NFD) without ICU. The project runs with InvariantGlobalization,
/// where <see cref="string.Normalize(NormalizationForm)"/> leaves non-ASCII text unchanged, so the
/// decompositions come from a table generated from Python's <c>unicodedata</c>
/// (<c>tools/unicode_decompositions.py</c>, embedded as <c>UnicodeDecompositions.txt</c>) and Hangul
/// syllables are decomposed arithmetically into their jamo, as Unicode defines.
/// Combining marks are not put in canonical order: the only caller drops the non-spacing marks
/// right after, and the order of the ones that remain does not change which characters remain.
/// </summary>
public static class UnicodeDecomposition
{
    private static readonly Lazy<Dictionary<int, int[]>> Table = new(LoadTable);

    /// <summary>Every character replaced by its full canonical decomposition.</summary>
    public static string Decompose(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (Ascii.IsValid(text)) return text;
        var table = Table.Value;
        var builder = new StringBuilder(text.Length + 8);
        foreach (var rune in text.EnumerateRunes())
        {
            var codePoint = rune.Value;
            if (codePoint is >= HangulFirst and <= HangulLast) AppendHangul(builder, codePoint);
            else if (table.TryGetValue(codePoint, out var parts)) foreach (var part in parts) builder.Append(new Rune(part).ToString());
            else builder.Append(rune.ToString());
        }
        return builder.ToString();
    }

    /// <summary>Decomposes, then removes every non-spacing mark (Unicode category Mn): BERT's accent stripping.</summary>
    public static string StripAccents(string text)
    {
        var decomposed = Decompose(text);
        var builder = new StringBuilder(decomposed.Length);
        foreach (var rune in decomposed.EnumerateRunes())
        {
            if (Rune.GetUnicodeCategory(rune) != UnicodeCategory.NonSpacingMark) builder.Append(rune.ToString());
        }
        return builder.ToString();
    }

    private const int HangulFirst = 0xAC00, HangulLast = 0xD7A3;
    private const int LeadingBase = 0x1100, VowelBase = 0x1161, TrailingBase = 0x11A7, VowelCount = 21, TrailingCount = 28;

    private static void AppendHangul(StringBuilder builder, int syllable)
    {
        var index = syllable - HangulFirst;
        builder.Append((char)(LeadingBase + index / (VowelCount * TrailingCount)));
        builder.Append((char)(VowelBase + index % (VowelCount * TrailingCount) / TrailingCount));
        if (index % TrailingCount != 0) builder.Append((char)(TrailingBase + index % TrailingCount));
    }

    private static Dictionary<int, int[]> LoadTable()
    {
        using var stream = typeof(UnicodeDecomposition).Assembly.GetManifestResourceStream("Gpo.Embeddings.UnicodeDecompositions.txt")
            ?? throw new InvalidOperationException("the embedded resource UnicodeDecompositions.txt is missing from the Gpo assembly");
        using var reader = new StreamReader(stream);
        var table = new Dictionary<int, int[]>(2100);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var fields = line.Split(' ');
            var values = fields.Select(f => int.Parse(f, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray();
            table[values[0]] = values[1..];
        }
        return table;
    }
}
