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
/// Reads and writes a results folder's predictions atomically, as gzip-compressed CSV (<see cref="FileName"/>; a real
/// run holds millions of predictions) or plain CSV. Written wide: one line per (split, seed, group, question, option)
/// with the observed share once and one column per method (<see cref="WideKeyColumns"/>, then the methods; a method
/// that did not predict that option leaves its cell empty) — a third of the long form's size. Files in the long form
/// (<see cref="Header"/>: one line per method and option, with or without <c>covered</c>) are read too. Shares are
/// written with 7 significant digits; every summary is computed from the file as written.
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

    /// <summary>The leading columns of the wide form; the method columns follow, in the order the methods first appear.</summary>
    public static readonly string[] WideKeyColumns = ["split", "seed", "group", "question_id", "option_index", "ordinal", "observed", "covered"];

    /// <summary>
    /// Writes rows in the wide form (gzip when <paramref name="path"/> ends in .gz); shares with 7 significant digits,
    /// ordinals exactly. Rows of one option (same split, seed, group, question, option) must agree on the ordinal, the
    /// observed share and <c>covered</c>, and a method may predict an option once.
    /// </summary>
    public static void Write(string path, IEnumerable<PredictionRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var methods = new List<string>();
        var methodIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var lines = new List<(string[] Key, Dictionary<int, string> Shares)>();
        var lineOf = new Dictionary<(string, int, string, string, int), int>();
        foreach (var row in rows)
        {
            if (!methodIndex.TryGetValue(row.Method, out var m))
            {
                if (WideKeyColumns.Contains(row.Method, StringComparer.Ordinal) || row.Method.Length == 0)
                    throw new ArgumentException($"'{row.Method}' cannot be a method's name in a predictions file (it is a key column or empty).");
                methodIndex[row.Method] = m = methods.Count;
                methods.Add(row.Method);
            }
            string[] key =
            [
                row.Split, CsvFile.Integer(row.Seed), row.Group, row.QuestionId, CsvFile.Integer(row.OptionIndex),
                row.Ordinal is { } ordinal ? CsvFile.Exact(ordinal) : "", CsvFile.Short(row.Observed), row.Covered is { } covered ? (covered ? "1" : "0") : "",
            ];
            var id = (row.Split, row.Seed, row.Group, row.QuestionId, row.OptionIndex);
            if (!lineOf.TryGetValue(id, out var line))
            {
                lineOf[id] = line = lines.Count;
                lines.Add((key, []));
            }
            else if (!lines[line].Key.AsSpan(5).SequenceEqual(key.AsSpan(5)))
            {
                throw new ArgumentException($"split {row.Split}, seed {row.Seed}, group '{row.Group}', question '{row.QuestionId}', option {row.OptionIndex}: {row.Method} has another ordinal, observed share or covered flag than the methods before it.");
            }
            if (!lines[line].Shares.TryAdd(m, CsvFile.Short(row.Predicted)))
                throw new ArgumentException($"split {row.Split}, seed {row.Seed}, group '{row.Group}', question '{row.QuestionId}', option {row.OptionIndex}: {row.Method} predicted it twice.");
        }
        CsvFile.Write(path, [.. WideKeyColumns, .. methods], lines.Select(l =>
        {
            var record = new string[WideKeyColumns.Length + methods.Count];
            l.Key.CopyTo(record, 0);
            for (var m = 0; m < methods.Count; m++) record[WideKeyColumns.Length + m] = l.Shares.GetValueOrDefault(m, "");
            return record;
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
        if (csv.Headers.Count > WideKeyColumns.Length && csv.Headers.Take(WideKeyColumns.Length).SequenceEqual(WideKeyColumns))
            return ReadWide(csv, path);
        var columns = csv.Headers.SequenceEqual(Header) ? Header.Length : csv.Headers.SequenceEqual(Header[..^1]) ? Header.Length - 1
            : throw new FormatException($"{path}:1: expected header '{string.Join(',', WideKeyColumns)},<method>...' (or the long form '{string.Join(',', Header)}'), found '{string.Join(',', csv.Headers)}'.");
        var rows = new List<PredictionRow>();
        while (Read(csv, path))
        {
            var line = csv.LineNumber;
            if (csv.FieldCount != columns)
                throw new FormatException($"{path}:{line}: expected {columns} columns, found {csv.FieldCount}.");
            double Number(int index) => ParseNumber(csv, index, Header[index], path, line);
            int Integer(int index) => ParseInteger(csv, index, Header[index], path, line);
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

    /// <summary>The wide form: each method's rows in file order, the methods in column order.</summary>
    private static List<PredictionRow> ReadWide(CsvReader csv, string path)
    {
        var headers = csv.Headers.ToArray();
        var methods = headers[WideKeyColumns.Length..];
        if (methods.Distinct(StringComparer.Ordinal).Count() != methods.Length || methods.Any(m => m.Length == 0))
            throw new FormatException($"{path}:1: the method columns must have distinct, non-empty names.");
        var perMethod = methods.Select(_ => new List<PredictionRow>()).ToArray();
        while (Read(csv, path))
        {
            var line = csv.LineNumber;
            if (csv.FieldCount != headers.Length)
                throw new FormatException($"{path}:{line}: expected {headers.Length} columns, found {csv.FieldCount}.");
            double Number(int index) => ParseNumber(csv, index, headers[index], path, line);
            int Integer(int index) => ParseInteger(csv, index, headers[index], path, line);
            bool? covered = csv.IsEmpty(7) ? null : csv.GetString(7) switch
            {
                "1" => true,
                "0" => false,
                var text => throw new FormatException($"{path}:{line}: column 'covered': '{text}' is not 0, 1 or empty."),
            };
            var split = csv.GetString(0);
            var seed = Integer(1);
            var group = csv.GetString(2);
            var question = csv.GetString(3);
            var option = Integer(4);
            double? ordinal = csv.IsEmpty(5) ? null : Number(5);
            var observed = Number(6);
            for (var m = 0; m < methods.Length; m++)
            {
                var column = WideKeyColumns.Length + m;
                if (csv.IsEmpty(column)) continue;
                perMethod[m].Add(new PredictionRow(methods[m], split, seed, group, question, option, ordinal, Number(column), observed, covered));
            }
        }
        return [.. perMethod.SelectMany(rows => rows)];
    }

    private static double ParseNumber(CsvReader csv, int index, string column, string path, long line)
    {
        var text = csv.GetString(index);
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"{path}:{line}: column '{column}': '{text}' is not a number.");
    }

    private static int ParseInteger(CsvReader csv, int index, string column, string path, long line)
    {
        var text = csv.GetString(index);
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"{path}:{line}: column '{column}': '{text}' is not an integer.");
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
