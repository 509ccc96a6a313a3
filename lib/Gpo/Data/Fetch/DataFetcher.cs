using System.Globalization;
using System.Text;
using Gpo.IO;

namespace Gpo.Data.Fetch;

/// <summary>Where <see cref="DataFetcher"/> downloads from, and its limits.</summary>
public sealed record DataFetchOptions
{
    /// <summary>Base of GitHub raw-file addresses (<c>{base}{owner}/{repo}/{commit}/{path}</c>).</summary>
    public Uri GitHubBaseUrl { get; init; } = new("https://raw.githubusercontent.com/");

    /// <summary>Base of Hugging Face addresses (<c>{base}datasets/{owner}/{name}/resolve/{revision}/{path}</c>).</summary>
    public Uri HuggingFaceBaseUrl { get; init; } = new("https://huggingface.co/");

    /// <summary>
    /// A copy of a data root to take every file from instead of the public sources: an http(s) URL (files at
    /// <c>{mirror}{path under the data root}</c>) or a local folder (an offline copy). Files are checked all the same.
    /// </summary>
    public string? Mirror { get; init; }

    /// <summary>Deadline for one file.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Longest wait for a response or for the next bytes of a body.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Transport override (tests); redirects are followed by the downloader, not the handler.</summary>
    public HttpMessageHandler? Handler { get; init; }
}

/// <summary>A file that is in place after a fetch.</summary>
/// <param name="File">The catalogue entry.</param>
/// <param name="Path">Its path under the destination.</param>
/// <param name="From">Where it came from this time (an address or a folder), or null when it was already there and matched its pins.</param>
public sealed record FetchedFile(DataFile File, string Path, string? From);

/// <summary>
/// <c>gpo data fetch</c>: puts a set of pinned files (<see cref="DataCatalogue"/>) under a data root. Files already there
/// that match their pins are kept; the others are downloaded into a staging folder inside the destination, each checked
/// against its pinned size and git blob id, and only when all of them passed are they renamed into place. A failure
/// names the file and address and leaves the destination as it was (stale staging folders of killed runs are removed
/// on the next run). Beside the files, each top folder gets a SOURCES.md with their sources and licences.
/// </summary>
public static class DataFetcher
{
    /// <summary>The file beside the fetched files that records their sources and licences.</summary>
    public const string SourcesFileName = "SOURCES.md";

    /// <summary>Makes sure every file of <paramref name="files"/> is in place under <paramref name="destination"/>, checked; returns them.</summary>
    /// <param name="files">Catalogue entries (e.g. <see cref="DataCatalogue.FilesOf"/>).</param>
    /// <param name="destination">The data root to fill.</param>
    /// <param name="options">Sources, mirror and limits.</param>
    /// <param name="log">Progress lines (one per file).</param>
    /// <param name="progress">Bytes of the current file: (file, bytes so far, announced length or null).</param>
    /// <param name="cancellation">Stops the fetch; nothing is moved into place.</param>
    public static IReadOnlyList<FetchedFile> Fetch(IReadOnlyList<DataFile> files, string destination, DataFetchOptions options,
        Action<string>? log = null, Action<DataFile, long, long?>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(options);
        var root = Path.GetFullPath(destination);
        Directory.CreateDirectory(root);
        VerifiedDownload.RemoveStaleStaging(root); // also done by Stage, but a run with nothing to download cleans up too
        var mirror = Mirror.Parse(options.Mirror);

        var result = new List<FetchedFile>();
        var missing = new List<DataFile>();
        foreach (var file in files.DistinctBy(f => f.RelativePath))
        {
            var target = Target(root, file);
            if (File.Exists(target) && Mismatch(target, file) is null) result.Add(new FetchedFile(file, target, null));
            else
            {
                if (File.Exists(target)) log?.Invoke($"{file.RelativePath}: present but does not match its pins; fetching it again");
                missing.Add(file);
            }
        }
        if (missing.Count == 0) return result;

        using var http = VerifiedDownload.CreateClient(options.Handler);
        var from = new Dictionary<string, string>(StringComparer.Ordinal);
        VerifiedDownload.Stage(root, missing.Select(f => f.RelativePath), staging =>
        {
            for (int i = 0; i < missing.Count; i++)
            {
                var file = missing[i];
                var path = Target(staging, file);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                var errors = new List<string>();
                foreach (var candidate in Candidates(file, options, mirror))
                {
                    cancellation.ThrowIfCancellationRequested();
                    log?.Invoke($"[{i + 1}/{missing.Count}] {file.RelativePath} ({Size(file)}) from {candidate}");
                    try
                    {
                        if (candidate.Url is { } url)
                            VerifiedDownload.Get(http, url, path, file.Cap, file.Size, options.Timeout, options.StallTimeout,
                                progress is null ? null : (bytes, total) => progress(file, bytes, total), cancellation);
                        else CopyLocal(candidate.LocalPath!, path, file);
                        if (Mismatch(path, file) is { } problem) throw new DownloadException($"{file.RelativePath} from {candidate}: {problem}");
                        from[file.RelativePath] = candidate.ToString();
                        break;
                    }
                    catch (DownloadException e) { errors.Add(e.Message); }
                }
                if (!from.ContainsKey(file.RelativePath))
                    throw new DownloadException(errors.Count == 1 ? errors[0] : $"{file.RelativePath}: no source delivered it: {string.Join("; ", errors)}");
            }
        });
        result.AddRange(missing.Select(f => new FetchedFile(f, Target(root, f), from[f.RelativePath])));
        return result;
    }

    /// <summary>What is wrong with <paramref name="path"/> as <paramref name="file"/> (size, then git blob id), or null when it matches its pins.</summary>
    public static string? Mismatch(string path, DataFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var length = new FileInfo(path).Length;
        if (file.Size is { } size && length != size) return $"{length:N0} bytes, the pinned size is {size:N0}";
        var blob = VerifiedDownload.GitBlobSha1Of(path);
        return blob == file.GitBlobSha1 ? null : $"git blob {blob} does not match the pinned {file.GitBlobSha1}";
    }

    /// <summary>
    /// Writes <see cref="SourcesFileName"/> into each top folder of <paramref name="destination"/> that holds files of
    /// <paramref name="catalogue"/>: every such file present with its source, revision, path, git blob, size and
    /// licence, then the licences by source. Returns the files written.
    /// </summary>
    public static IReadOnlyList<string> WriteSources(string destination, IEnumerable<DataFile> catalogue)
    {
        var root = Path.GetFullPath(destination);
        var written = new List<string>();
        foreach (var folder in catalogue.Where(f => File.Exists(Target(root, f))).GroupBy(f => f.TopFolder, StringComparer.Ordinal))
        {
            var text = new StringBuilder();
            text.Append(CultureInfo.InvariantCulture, $"# Sources of the files in {folder.Key}/\n\n");
            text.Append("Written by `gpo data fetch`. Each file was downloaded from the public location below (or a mirror of it) and\n");
            text.Append("checked against its pinned git blob id (SHA-1 of \"blob <size>\\0\" + bytes) and size before it was put here.\n");
            text.Append("Nothing was edited. Licences differ between sources; read them before you use or share the data.\n\n");
            text.Append("| file | source repository | revision | path in source | git blob | bytes |\n|---|---|---|---|---|---|\n");
            foreach (var file in folder.OrderBy(f => f.RelativePath, StringComparer.Ordinal))
            {
                // Several origins (the same bytes, by the blob id) share one row, one per line of each cell.
                var size = new FileInfo(Target(root, file)).Length;
                var repositories = string.Join("<br>", file.Origins.Select(o => o.Source.Repository));
                var revisions = string.Join("<br>", file.Origins.Select(o => $"`{o.Revision}`"));
                var paths = string.Join("<br>", file.Origins.Select(o => $"`{o.Path}`"));
                text.Append(CultureInfo.InvariantCulture,
                    $"| `{file.RelativePath[(folder.Key.Length + 1)..]}` | {repositories} | {revisions} | {paths} | `{file.GitBlobSha1}` | {size} |\n");
            }
            text.Append("\n## Licences and terms\n\n");
            foreach (var line in LicenceLines(folder)) text.Append("- ").Append(line).Append('\n');
            var path = Path.Combine(root, folder.Key, SourcesFileName);
            AtomicFile.WriteAllText(path, text.ToString());
            written.Add(path);
        }
        return written;
    }

    /// <summary>One line per source repository of <paramref name="files"/> (its licence), then one per kind of underlying data (its terms).</summary>
    public static IReadOnlyList<string> LicenceLines(IEnumerable<DataFile> files)
    {
        var list = files.ToList();
        var sources = list.SelectMany(f => f.Origins).Select(o => o.Source).Distinct()
            .Select(s => $"{s.Repository} ({s.Homepage}): {s.Licence}.");
        var terms = list.Select(f => f.DataTerms).Distinct(StringComparer.Ordinal).Select(t => $"Data: {t}.");
        return [.. sources, .. terms];
    }

    private static string Target(string root, DataFile file) => Path.Combine(root, file.RelativePath.Replace('/', Path.DirectorySeparatorChar));

    private static string Size(DataFile file) =>
        file.Size is { } size ? FormatBytes(size) : $"size not pinned, at most {FormatBytes(file.MaxBytes)}";

    /// <summary>Bytes as "12.3 kB" / "4.1 MB" (powers of 1000).</summary>
    public static string FormatBytes(long bytes) => bytes switch
    {
        < 1000 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 1_000_000 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e3:0.#} kB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e6:0.##} MB"),
    };

    /// <summary>A place to get a file from: an address, or a file of a local mirror folder.</summary>
    private sealed record Candidate(Uri? Url, string? LocalPath)
    {
        public override string ToString() => Url?.AbsoluteUri ?? LocalPath!;
    }

    /// <summary><see cref="DataFetchOptions.Mirror"/> parsed: an http(s) base URL (with a trailing slash) or a full local folder path.</summary>
    private sealed record Mirror(Uri? Url, string? Folder)
    {
        public static Mirror? Parse(string? mirror)
        {
            if (string.IsNullOrWhiteSpace(mirror)) return null;
            if (Uri.TryCreate(mirror, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
                return new Mirror(uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/"), null);
            var folder = Uri.TryCreate(mirror, UriKind.Absolute, out uri) && uri.IsFile ? uri.LocalPath : mirror;
            if (!Directory.Exists(folder)) throw new ArgumentException($"--mirror '{mirror}' is neither an http(s) URL nor an existing folder");
            return new Mirror(null, Path.GetFullPath(folder));
        }
    }

    /// <summary>Where to try: the mirror only when one is given, else each origin at its host's base URL.</summary>
    private static IEnumerable<Candidate> Candidates(DataFile file, DataFetchOptions options, Mirror? mirror)
    {
        if (mirror?.Url is { } url)
            return [new Candidate(new Uri(url, string.Join('/', file.RelativePath.Split('/').Select(Uri.EscapeDataString))), null)];
        if (mirror?.Folder is { } folder) return [new Candidate(null, Target(folder, file))];
        return file.Origins.Select(o => new Candidate(o.UrlUnder(o.Source.Host == SourceHost.GitHub ? options.GitHubBaseUrl : options.HuggingFaceBaseUrl), null));
    }

    private static void CopyLocal(string source, string path, DataFile file)
    {
        if (!File.Exists(source)) throw new DownloadException($"{source}: no such file in the mirror folder");
        var length = new FileInfo(source).Length;
        if (length > file.Cap) throw new DownloadException($"{source}: {length:N0} bytes, more than the limit of {file.Cap:N0}");
        File.Copy(source, path, overwrite: true);
    }
}
