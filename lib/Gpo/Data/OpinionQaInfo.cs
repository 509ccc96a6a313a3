using System.Globalization;

namespace Gpo.Data;

/// <summary>
/// One row of OpinionQA's <c>info.csv</c>: the question key, text, all options in survey order
/// (<c>references</c>, refusal-type options last) and the ordinal values of the first
/// <c>Ordinals.Count</c> options; the remaining references are refusal-type ("Refused", "Not sure", ...).
/// </summary>
public sealed record OpinionQaInfoRow(string Key, string Text, IReadOnlyList<string> References, IReadOnlyList<double> Ordinals, SourceRef Where)
{
    /// <summary>The non-refusal options, which distributions are over.</summary>
    public IReadOnlyList<string> AnswerOptions => References.Take(Ordinals.Count).ToArray();

    /// <summary>The refusal-type options (dropped, and the distribution renormalised over the rest).</summary>
    public IReadOnlyList<string> RefusalOptions => References.Skip(Ordinals.Count).ToArray();

    /// <summary>The dataset question of this row (non-refusal options with their ordinals), with id <see cref="Key"/> unless given.</summary>
    public Question ToQuestion(string? id = null) => new(id ?? Key, Text, AnswerOptions, Ordinals);
}

/// <summary>Reads OpinionQA <c>info.csv</c> files.</summary>
public static class OpinionQaInfo
{
    /// <summary>Reads every row (a key may repeat with different wording, e.g. IDIMPORT_W43).</summary>
    public static IReadOnlyList<OpinionQaInfoRow> Read(string path, string displayName)
    {
        var rows = new List<OpinionQaInfoRow>();
        foreach (var row in CsvRows.Read(path, displayName, ["key", "question", "references", "option_ordinal"]))
        {
            List<string> references;
            try { references = PythonLiteral.ParseStringList(row["references"]); }
            catch (PythonLiteralException e) { throw row.At("references").Error($"bad Python list: {e.Message}", e); }
            double[] ordinals;
            try { ordinals = PythonLiteral.ParseVector(row["option_ordinal"]); }
            catch (PythonLiteralException e) { throw row.At("option_ordinal").Error($"bad list of numbers: {e.Message}", e); }
            if (ordinals.Length > references.Count)
                throw row.At("option_ordinal").Error($"{ordinals.Length} ordinals for {references.Count} references");
            if (ordinals.Length == 0) throw row.At("option_ordinal").Error("no ordinals: the question would have no answer options");
            if (ordinals.Any(o => !double.IsFinite(o))) throw row.At("option_ordinal").Error("an ordinal is not a finite number");
            var key = row["key"];
            if (string.IsNullOrWhiteSpace(key)) throw row.At("key").Error("empty question key");
            rows.Add(new OpinionQaInfoRow(key, row["question"], references, ordinals, row.At("key")));
        }
        return rows;
    }

    /// <summary>Wave number from a key suffix like <c>_W26</c>, or null.</summary>
    public static int? WaveOf(string key)
    {
        int at = key.LastIndexOf("_W", StringComparison.Ordinal);
        return at >= 0 && int.TryParse(key.AsSpan(at + 2), NumberStyles.None, CultureInfo.InvariantCulture, out int wave) ? wave : null;
    }
}
