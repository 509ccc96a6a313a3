using CsvHelper;

namespace Gpo.Data;

/// <summary>One CSV record with the 1-based line it starts on and access by column name.</summary>
public sealed class CsvRow
{
    private readonly IReadOnlyDictionary<string, int> _columns;

    internal CsvRow(string file, int line, string[] fields, IReadOnlyDictionary<string, int> columns)
    {
        File = file;
        Line = line;
        Fields = fields;
        _columns = columns;
    }

    public string File { get; }
    public int Line { get; }
    public IReadOnlyList<string> Fields { get; }

    /// <summary>The field under <paramref name="column"/>; the header was checked to have it.</summary>
    public string this[string column] => Fields[_columns[column]];

    public SourceRef At(string column) => new(File, Line, column);
}

/// <summary>
/// Reads CSV (or TSV) with CsvHelper, keeping the line each record starts on, checking every record has
/// the header's column count and that required columns exist. Malformed quoting and wrong column counts
/// become <see cref="DataFormatException"/> naming file and line.
/// </summary>
public static class CsvRows
{
    /// <summary>Reads all records of <paramref name="path"/>; <paramref name="displayName"/> is used in messages.</summary>
    public static IEnumerable<CsvRow> Read(string path, string displayName, IReadOnlyCollection<string> requiredColumns, char separator = ',')
    {
        ArgumentNullException.ThrowIfNull(requiredColumns);
        JsonInput.CheckFile(path, displayName);
        var options = new CsvReaderOptions
        {
            Separator = separator,
            HasHeader = true,
            TrackLineNumbers = true,
            MalformedData = CsvMalformedDataHandling.Throw,
            FieldCountMismatch = CsvFieldCountHandling.Allow,
        };
        using var reader = CsvReader.FromFile(path, options);
        IReadOnlyList<string> header;
        try { header = reader.Headers; }
        catch (CsvFormatException e) { throw Wrap(displayName, e); }
        if (header.Count == 0) throw new DataFormatException(displayName, 1, null, "empty file: no header");
        var columns = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < header.Count; i++) columns.TryAdd(header[i], i);
        var missing = requiredColumns.Where(c => !columns.ContainsKey(c)).ToList();
        if (missing.Count > 0)
            throw new DataFormatException(displayName, 1, missing[0], $"header lacks column(s) {string.Join(", ", missing.Select(m => $"'{m}'"))}; found {string.Join(", ", header.Select(h => $"'{h}'"))}");
        while (true)
        {
            bool more;
            try { more = reader.Read(); }
            catch (CsvFormatException e) { throw Wrap(displayName, e); }
            if (!more) yield break;
            int line = (int)reader.LineNumber;
            if (reader.FieldCount != header.Count)
                throw new DataFormatException(displayName, line, null, $"{reader.FieldCount} columns where the header has {header.Count} (unbalanced quotes or a stray separator?)");
            var fields = new string[reader.FieldCount];
            for (int i = 0; i < fields.Length; i++) fields[i] = reader.GetString(i) ?? "";
            yield return new CsvRow(displayName, line, fields, columns);
        }
    }

    /// <summary>The header names of a CSV file (for format detection); empty when it has none.</summary>
    public static IReadOnlyList<string> ReadHeader(string path, char separator = ',')
    {
        JsonInput.CheckFile(path, Path.GetFileName(path));
        using var reader = CsvReader.FromFile(path, new CsvReaderOptions { Separator = separator, HasHeader = true });
        return [.. reader.Headers];
    }

    private static DataFormatException Wrap(string file, CsvFormatException e) =>
        new(file, e.LineNumber > 0 ? (int)e.LineNumber : null, null, $"malformed CSV: {e.Message}", e);
}
