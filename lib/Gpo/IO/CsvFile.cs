using System.Globalization;
using System.IO.Compression;
using CsvHelper;

namespace Gpo.IO;

/// <summary>
/// Writes RFC 4180 CSV (LF line ends, invariant culture, no byte-order mark) atomically; a path ending in
/// <c>.gz</c> is gzip-compressed, and <see cref="OpenRead"/> undoes that.
/// </summary>
public static class CsvFile
{
    /// <summary>Writes a header and records to <paramref name="path"/> through a temporary file.</summary>
    public static void Write(string path, IReadOnlyList<string> header, IEnumerable<string[]> records)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(records);
        AtomicFile.Write(path, file =>
        {
            using var gzip = IsCompressed(path) ? new GZipStream(file, CompressionLevel.SmallestSize, leaveOpen: true) : null;
            using (var csv = CsvWriter.Create(gzip ?? file, new CsvWriterOptions { NewLine = "\n", FormatProvider = CultureInfo.InvariantCulture }, true))
            {
                csv.WriteHeader([.. header]);
                foreach (var record in records) csv.WriteRecord(record);
                csv.Flush();
            }
            gzip?.Flush();
        });
    }

    /// <summary>Opens a CSV file for reading, decompressing it when its name ends in <c>.gz</c>.</summary>
    public static Stream OpenRead(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return IsCompressed(path) ? new GZipStream(file, CompressionMode.Decompress) : file;
    }

    private static bool IsCompressed(string path) => path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);

    /// <summary>A double with 7 significant digits: enough for shares and metrics, a third of the bytes of round-trip form.</summary>
    public static string Short(double value) => value.ToString("G7", CultureInfo.InvariantCulture);

    /// <summary>A double in round-trip form ("R"), so a reread gives the same value.</summary>
    public static string Exact(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A double with <paramref name="decimals"/> decimals, for tables people read.</summary>
    public static string Fixed(double value, int decimals) => value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>An integer in invariant form.</summary>
    public static string Integer(int value) => value.ToString(CultureInfo.InvariantCulture);
}
