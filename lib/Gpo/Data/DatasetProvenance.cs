using System.Security.Cryptography;
using System.Text;

namespace Gpo.Data;

/// <summary>Where a dataset came from: format, source files, and a version digest of their bytes.</summary>
/// <param name="Format">Format name, e.g. <c>globalopinionqa-csv</c>, <c>opinionqa-counts</c>, <c>synthetic</c>.</param>
/// <param name="SourceFiles">Source files, relative to the loaded root where possible.</param>
/// <param name="Version">SHA-256 (hex) over the source files' names and bytes in the listed order, or the generator's settings.</param>
public sealed record DatasetProvenance(string Format, IReadOnlyList<string> SourceFiles, string Version)
{
    /// <summary>
    /// Provenance of files read from disk; <paramref name="root"/> is the folder names are made relative to
    /// (the files' deepest common folder when null).
    /// </summary>
    public static DatasetProvenance FromFiles(string format, string? root, IEnumerable<string> files)
    {
        var ordered = files.Select(Path.GetFullPath).Distinct().OrderBy(f => f, StringComparer.Ordinal).ToList();
        root ??= CommonFolder(ordered);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var names = new List<string>();
        foreach (var file in ordered)
        {
            var name = DisplayName(root, file);
            names.Add(name);
            sha.AppendData(Encoding.UTF8.GetBytes(Path.GetFileName(file) + "\n"));
            using var stream = File.OpenRead(file);
            var buffer = new byte[1 << 16];
            int read;
            while ((read = stream.Read(buffer)) > 0) sha.AppendData(buffer, 0, read);
        }
        return new DatasetProvenance(format, names, Convert.ToHexStringLower(sha.GetHashAndReset()));
    }

    private static string CommonFolder(IReadOnlyList<string> files)
    {
        if (files.Count == 0) return Directory.GetCurrentDirectory();
        var common = Path.GetDirectoryName(files[0])!;
        foreach (var file in files)
            while (!file.StartsWith(common.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal) && Path.GetDirectoryName(common) is { } parent)
                common = parent;
        return common;
    }

    /// <summary>A file's name relative to <paramref name="root"/> (or just its name when outside it), for messages.</summary>
    public static string DisplayName(string root, string file)
    {
        var relative = Path.GetRelativePath(Path.GetFullPath(root), Path.GetFullPath(file));
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? Path.GetFileName(file) : relative.Replace('\\', '/');
    }
}
