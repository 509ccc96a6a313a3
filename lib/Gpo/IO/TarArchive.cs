using System.Formats.Tar;
using System.IO.Compression;

namespace Gpo.IO;

/// <summary>
/// Extracts chosen files from a (gzip-compressed) tar archive without letting any entry write outside the
/// destination folder. Every entry of the archive is checked, chosen or not: an absolute name, a <c>..</c>
/// segment, a NUL or a link whose target leaves the archive root makes the whole archive refused
/// (<see cref="InvalidDataException"/> naming the entry) — an archive built like that is hostile or broken.
/// Only regular files and folders are ever written; links are never created.
/// </summary>
public static class TarArchive
{
    /// <summary>
    /// Extracts the regular files whose archive name <paramref name="select"/> maps to a relative output path
    /// (null skips the entry) into <paramref name="destination"/>; returns the written paths.
    /// </summary>
    /// <param name="archivePath">The archive file; gzip compression is detected by its magic number.</param>
    /// <param name="destination">Output folder (created).</param>
    /// <param name="select">Archive entry name → relative output path, or null to skip.</param>
    /// <param name="maxEntryBytes">Largest file accepted.</param>
    public static IReadOnlyList<string> ExtractFiles(string archivePath, string destination, Func<string, string?> select, long maxEntryBytes = 4L << 30)
    {
        ArgumentNullException.ThrowIfNull(select);
        var root = Path.GetFullPath(destination);
        Directory.CreateDirectory(root);
        var written = new List<string>();
        Stream tarStream = new FileStream(archivePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var magic = new byte[2];
        var headerRead = tarStream.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        tarStream.Position = 0;
        if (headerRead == 2 && magic[0] == 0x1F && magic[1] == 0x8B) tarStream = new GZipStream(tarStream, CompressionMode.Decompress);
        using (tarStream)
        using (var reader = new TarReader(tarStream))
        {
            while (reader.GetNextEntry() is { } entry)
            {
                var name = CheckedName(entry.Name);
                if (entry.EntryType is TarEntryType.SymbolicLink or TarEntryType.HardLink)
                {
                    CheckLinkTarget(name, entry.LinkName, entry.EntryType == TarEntryType.HardLink);
                    if (select(name) is not null) throw new InvalidDataException($"archive entry '{entry.Name}' is a link; only regular files are extracted");
                    continue;
                }
                var output = select(name);
                if (output is null) continue;
                var target = Path.GetFullPath(Path.Combine(root, CheckedName(output)));
                if (!target.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                    throw new InvalidDataException($"archive entry '{entry.Name}' would be written outside {root}");
                if (entry.EntryType == TarEntryType.Directory) { Directory.CreateDirectory(target); continue; }
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile))
                    throw new InvalidDataException($"archive entry '{entry.Name}' has type {entry.EntryType}; only regular files are extracted");
                if (entry.Length > maxEntryBytes) throw new InvalidDataException($"archive entry '{entry.Name}' is {entry.Length} bytes, over the {maxEntryBytes}-byte limit");
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                using (var file = new FileStream(target, FileMode.CreateNew, FileAccess.Write))
                    entry.DataStream?.CopyTo(file);
                written.Add(target);
            }
        }
        return written;
    }

    /// <summary>The entry name with <c>./</c> prefixes removed; absolute names, <c>..</c> segments, backslashes and NULs refused.</summary>
    private static string CheckedName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('\0', StringComparison.Ordinal))
            throw new InvalidDataException($"archive entry name '{name}' is empty or holds a NUL");
        if (name.StartsWith('/') || name.Contains('\\', StringComparison.Ordinal) || (name.Length >= 2 && name[1] == ':'))
            throw new InvalidDataException($"archive entry '{name}' has an absolute or drive-relative path");
        var segments = name.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => s != ".").ToArray();
        if (segments.Contains(".."))
            throw new InvalidDataException($"archive entry '{name}' climbs out of the archive with '..'");
        return string.Join('/', segments);
    }

    /// <summary>A link's target must stay inside the archive root (symbolic links resolve from the link's folder; hard links from the root).</summary>
    private static void CheckLinkTarget(string linkName, string target, bool hardLink)
    {
        if (string.IsNullOrEmpty(target) || target.StartsWith('/') || target.Contains('\\', StringComparison.Ordinal))
            throw new InvalidDataException($"archive link '{linkName}' points to '{target}', outside the archive");
        var folder = hardLink ? [] : linkName.Split('/').SkipLast(1).ToList();
        var depth = new List<string>(folder);
        foreach (var segment in target.Split('/'))
        {
            if (segment is "" or ".") continue;
            if (segment == "..")
            {
                if (depth.Count == 0) throw new InvalidDataException($"archive link '{linkName}' points to '{target}', outside the archive");
                depth.RemoveAt(depth.Count - 1);
            }
            else depth.Add(segment);
        }
    }
}
