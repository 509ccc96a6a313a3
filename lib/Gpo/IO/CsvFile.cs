using System.Globalization;
using CsvHelper;

namespace Gpo.IO;

/// <summary>Writes RFC 4180 CSV (LF line ends, invariant culture, no byte-order mark) atomically.</summary>
public static class CsvFile
{
    /// <summary>Writes a header and records to <paramref name="path"/> through a temporary file.</summary>
    public static void Write(string path, IReadOnlyList<string> header, IEnumerable<string[]> records)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(records);
        AtomicFile.Write(path, stream =>
        {
            using var csv = CsvWriter.Create(stream, new CsvWriterOptions { NewLine = "\n", FormatProvider = CultureInfo.InvariantCulture }, true);
            csv.WriteHeader([.. header]);
            foreach (var record in records) csv.WriteRecord(record);
            csv.Flush();
        });
    }

    /// <summary>A double in round-trip form ("R"), so a reread gives the same value.</summary>
    public static string Exact(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A double with <paramref name="decimals"/> decimals, for tables people read.</summary>
    public static string Fixed(double value, int decimals) => value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>An integer in invariant form.</summary>
    public static string Integer(int value) => value.ToString(CultureInfo.InvariantCulture);
}
