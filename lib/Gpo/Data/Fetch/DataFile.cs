namespace Gpo.Data.Fetch;

/// <summary>How a source repository serves raw files.</summary>
public enum SourceHost
{
    /// <summary>A GitHub repository: <c>{GitHub raw base}{owner}/{repo}/{commit}/{path}</c>.</summary>
    GitHub,

    /// <summary>A Hugging Face dataset repository: <c>{Hugging Face base}datasets/{owner}/{name}/resolve/{revision}/{path}</c>.</summary>
    HuggingFaceDataset,
}

/// <summary>A public repository that files are taken from, with what it says (or does not say) about their licence.</summary>
/// <param name="Host">How it serves raw files.</param>
/// <param name="Repository"><c>owner/name</c>.</param>
/// <param name="Licence">The repository's licence situation, in one sentence.</param>
public sealed record DataSource(SourceHost Host, string Repository, string Licence)
{
    /// <summary>The repository's web page.</summary>
    public string Homepage => Host switch
    {
        SourceHost.GitHub => $"https://github.com/{Repository}",
        _ => $"https://huggingface.co/datasets/{Repository}",
    };
}

/// <summary>One public location of a file: a repository, a revision (a commit where one is known) and a path in it.</summary>
public sealed record FileOrigin(DataSource Source, string Revision, string Path)
{
    /// <summary>The raw-file address under the host's base URL (<see cref="DataFetchOptions.GitHubBaseUrl"/> or <see cref="DataFetchOptions.HuggingFaceBaseUrl"/>).</summary>
    public Uri UrlUnder(Uri baseUrl)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        var path = string.Join('/', Path.Split('/').Select(Uri.EscapeDataString));
        var revision = Uri.EscapeDataString(Revision);
        return Source.Host switch
        {
            SourceHost.GitHub => new Uri(baseUrl, $"{Source.Repository}/{revision}/{path}"),
            _ => new Uri(baseUrl, $"datasets/{Source.Repository}/resolve/{revision}/{path}"),
        };
    }

    /// <summary><c>owner/name@revision:path</c>, for messages and SOURCES.md.</summary>
    public override string ToString() => $"{Source.Repository}@{Revision}:{Path}";
}

/// <summary>
/// A file a preset reads, pinned by content: its place under the data root, its git blob id (SHA-1 of
/// <c>"blob {size}\0"</c> + bytes, the id git and the source repositories give it) and its size, and where to get it.
/// </summary>
/// <param name="RelativePath">Path under the data root, with '/' separators.</param>
/// <param name="GitBlobSha1">Pinned git blob id, 40 lowercase hex digits.</param>
/// <param name="Size">Pinned size in bytes, or null when only the blob id is known (then <paramref name="MaxBytes"/> caps the download).</param>
/// <param name="Origins">Public locations, tried in order; each delivery is checked against the pins.</param>
/// <param name="DataTerms">The terms of the underlying data (e.g. Pew's terms, CC BY-NC-SA 4.0).</param>
/// <param name="MaxBytes">Download cap when <paramref name="Size"/> is unknown (default 64 MiB).</param>
public sealed record DataFile(string RelativePath, string GitBlobSha1, long? Size, IReadOnlyList<FileOrigin> Origins, string DataTerms, long MaxBytes = 64L << 20)
{
    /// <summary>The most bytes a download of this file may deliver.</summary>
    public long Cap => Size ?? MaxBytes;

    /// <summary>The first folder of <see cref="RelativePath"/> (<c>opinionqa</c> or <c>globalopinionqa</c>), where SOURCES.md goes.</summary>
    public string TopFolder => RelativePath.Split('/')[0];
}
