using System.Globalization;
using CsvHelper;
using Gpo.IO;

namespace Gpo.Evaluation;

/// <summary>
/// One row of <c>predictions.csv</c>: a method's predicted share for one option of one query
/// question of one held-out group, next to the observed share. Every number in a results summary
/// is recomputed from these rows.
/// </summary>
/// <param name="Method">The predictor's name (e.g. <c>gpo</c>, <c>population_prior</c>).</param>
/// <param name="Split">The split's label, e.g. the meta-train fraction <c>0.6</c> or a k-sweep label.</param>
/// <param name="Seed">The seed of the split and the context draw.</param>
/// <param name="Group">The held-out group.</param>
/// <param name="QuestionId">The query question's id.</param>
/// <param name="OptionIndex">0-based option index within the question.</param>
/// <param name="Ordinal">The option's ordinal value, or null where the dataset has none.</param>
/// <param name="Predicted">The predicted share.</param>
/// <param name="Observed">The group's observed share.</param>
/// <param name="Covered">Whether some training-side group answered the question (null where not recorded).</param>
public sealed record PredictionRow(
    string Method, string Split, int Seed, string Group, string QuestionId,
    int OptionIndex, double? Ordinal, double Predicted, double Observed, bool? Covered = null);

/// <summary>A query question with every option's prediction, rebuilt from consecutive <see cref="PredictionRow"/>s.</summary>
public sealed record ScoredQuestion(
    string Method, string Split, int Seed, string Group, string QuestionId,
    double[] Predicted, double[] Observed, double[]? Ordinals, bool? Covered = null);

/// <summary>
/// Reads and writes a results folder's predictions (columns <see cref="Header"/>) atomically, as
/// gzip-compressed CSV (<see cref="FileName"/>; a real run holds millions of rows) or plain CSV.
/// Shares are written with 7 significant digits; every summary is computed from the file as written.
/// </summary>
public static class PredictionTable
{
    /// <summary>The predictions file of a results folder.</summary>
    public const string FileName = "predictions.csv.gz";

    /// <summary>The predictions file in <paramref name="folder"/>: <see cref="FileName"/>, or an uncompressed <c>predictions.csv</c>.</summary>
    public static string Locate(string folder)
    {
        var compressed = Path.Combine(folder, FileName);
        var plain = Path.Combine(folder, "predictions.csv");
        return File.Exists(compressed) || !File.Exists(plain) ? compressed : plain;
    }

    /// <summary>The CSV header, in order (files written before the <c>covered</c> column existed are read too).</summary>
    public static readonly string[] Header =
        ["method", "split", "seed", "group", "question_id", "option_index", "ordinal", "predicted", "observed", "covered"];

    /// <summary>Writes rows (gzip when <paramref name="path"/> ends in .gz); shares with 7 significant digits, ordinals exactly.</summary>
    public static void Write(string path, IEnumerable<PredictionRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        CsvFile.Write(path, Header, rows.Select(row => new[]
        {
            row.Method, row.Split, CsvFile.Integer(row.Seed), row.Group, row.QuestionId, CsvFile.Integer(row.OptionIndex),
            row.Ordinal is { } ordinal ? CsvFile.Exact(ordinal) : "", CsvFile.Short(row.Predicted), CsvFile.Short(row.Observed),
            row.Covered is { } covered ? (covered ? "1" : "0") : "",
        }));
    }

    /// <summary>Reads a predictions file; a malformed row is an error naming the file, line and column.</summary>
    public static List<PredictionRow> Read(string path)
    {
        using var csv = CsvReader.Create(CsvFile.OpenRead(path), new CsvReaderOptions
        {
            TrackLineNumbers = true,
            FieldCountMismatch = CsvFieldCountHandling.Throw,
            MalformedData = CsvMalformedDataHandling.Throw,
        }, false);
        csv.ReadHeader();
        var columns = csv.Headers.SequenceEqual(Header) ? Header.Length : csv.Headers.SequenceEqual(Header[..^1]) ? Header.Length - 1
            : throw new FormatException($"{path}:1: expected header '{string.Join(',', Header)}', found '{string.Join(',', csv.Headers)}'.");
        var rows = new List<PredictionRow>();
        while (Read(csv, path))
        {
            var line = csv.LineNumber;
            if (csv.FieldCount != columns)
                throw new FormatException($"{path}:{line}: expected {columns} columns, found {csv.FieldCount}.");
            double Number(int index)
            {
                var text = csv.GetString(index);
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
                    ? value
                    : throw new FormatException($"{path}:{line}: column '{Header[index]}': '{text}' is not a number.");
            }
            int Integer(int index) => int.TryParse(csv.GetString(index), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
                ? value
                : throw new FormatException($"{path}:{line}: column '{Header[index]}': '{csv.GetString(index)}' is not an integer.");
            rows.Add(new PredictionRow(csv.GetString(0), csv.GetString(1), Integer(2), csv.GetString(3), csv.GetString(4), Integer(5),
                csv.IsEmpty(6) ? null : Number(6), Number(7), Number(8), columns < Header.Length || csv.IsEmpty(9) ? null : Covered()));
            bool Covered() => csv.GetString(9) switch
            {
                "1" => true,
                "0" => false,
                var text => throw new FormatException($"{path}:{line}: column 'covered': '{text}' is not 0, 1 or empty."),
            };
        }
        return rows;
    }

    private static bool Read(CsvReader csv, string path)
    {
        try { return csv.Read(); }
        catch (CsvFormatException error) { throw new FormatException($"{path}:{csv.LineNumber}: {error.Message}", error); }
    }

    /// <summary>Expands one question's prediction into rows.</summary>
    public static IEnumerable<PredictionRow> Rows(string method, string split, int seed, string group, string questionId,
        IReadOnlyList<double> predicted, IReadOnlyList<double> observed, IReadOnlyList<double>? ordinals, bool? covered = null)
    {
        if (predicted.Count != observed.Count || (ordinals is not null && ordinals.Count != observed.Count))
            throw new ArgumentException($"Question '{questionId}' of group '{group}': predicted, observed and ordinal lengths differ.");
        for (var o = 0; o < predicted.Count; o++)
            yield return new PredictionRow(method, split, seed, group, questionId, o, ordinals?[o], predicted[o], observed[o], covered);
    }

    /// <summary>Regroups rows (in file order) into whole questions.</summary>
    public static List<ScoredQuestion> Questions(IEnumerable<PredictionRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var questions = new List<ScoredQuestion>();
        var current = new List<PredictionRow>();
        void Flush()
        {
            if (current.Count == 0) return;
            var first = current[0];
            for (var o = 0; o < current.Count; o++)
                if (current[o].OptionIndex != o)
                    throw new FormatException($"Question '{first.QuestionId}' of group '{first.Group}' ({first.Method}, split {first.Split}, seed {first.Seed}): option indices are not 0..{current.Count - 1} in order.");
            var ordinals = current.All(r => r.Ordinal.HasValue) ? current.Select(r => r.Ordinal!.Value).ToArray() : null;
            questions.Add(new ScoredQuestion(first.Method, first.Split, first.Seed, first.Group, first.QuestionId,
                current.Select(r => r.Predicted).ToArray(), current.Select(r => r.Observed).ToArray(), ordinals, first.Covered));
            current.Clear();
        }
        foreach (var row in rows)
        {
            if (current.Count > 0)
            {
                var first = current[0];
                if (row.OptionIndex == 0 || row.Method != first.Method || row.Split != first.Split || row.Seed != first.Seed
                    || row.Group != first.Group || row.QuestionId != first.QuestionId)
                    Flush();
            }
            current.Add(row);
        }
        Flush();
        return questions;
    }
}
