using System.Net;
using System.Security.Cryptography;
using System.Text;
using Gpo.Data;
using Gpo.Data.Fetch;
using Gpo.IO;
using Gpo.Tests.Embeddings;

namespace Gpo.Tests;

/// <summary>
/// <c>gpo data fetch</c> against a loopback server laid out like GitHub's raw-file host: the real files of
/// opinionqa-500 from GPO_DATA when present (pinned digests), small generated files otherwise; every fault is a
/// clear error and leaves nothing in the destination.
/// </summary>
public sealed class DataFetchTests : IDisposable
{
    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("gpo-data-fetch-");
    private readonly List<IDisposable> owned = [];
    private readonly CancellationTokenSource hang = new();

    public void Dispose()
    {
        hang.Cancel();
        foreach (var item in owned) item.Dispose();
        hang.Dispose();
        folder.Delete(recursive: true);
    }

    private string Destination => Path.Combine(folder.FullName, "data");

    /// <summary>Git's blob id computed here, independently of the library: SHA-1 of "blob {n}\0" + bytes.</summary>
    internal static string GitBlob(byte[] bytes) =>
        Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {bytes.Length}\0"), .. bytes]));

    private static readonly DataSource FakeSource = new(SourceHost.GitHub, "someone/some-data", "no licence file in the repository");

    /// <summary>
    /// What the server holds: opinionqa-500's four real files with their pinned entries when GPO_DATA is present,
    /// else three generated files (one in a subfolder) with entries pinned to them here.
    /// </summary>
    private static List<(DataFile File, byte[] Bytes)> Corpus()
    {
        if (TestData.RealDataRoot is { } root)
            return DataCatalogue.FilesOf(DatasetLoader.OpinionQa500)
                .Select(f => (f, File.ReadAllBytes(Path.Combine(root, f.RelativePath)))).ToList();
        var random = new Random(14);
        return new[] { ("opinionqa/a/info.csv", 3000), ("opinionqa/a/SEX_data.json", 70_000), ("globalopinionqa/b.json", 1) }
            .Select(spec =>
            {
                var bytes = new byte[spec.Item2];
                random.NextBytes(bytes);
                var file = new DataFile(spec.Item1, GitBlob(bytes), bytes.Length, [new FileOrigin(FakeSource, "0123456789abcdef0123456789abcdef01234567", "data/" + spec.Item1)], "made up for a test");
                return (file, bytes);
            }).ToList();
    }

    /// <summary>
    /// A GitHub-like server: each file at its first origin's raw-file path. <paramref name="serve"/> may answer a
    /// request itself (return true) — for redirects, faults and so on.
    /// </summary>
    private LoopbackServer Server(IReadOnlyList<(DataFile File, byte[] Bytes)> corpus, Func<string, HttpListenerContext, bool>? serve = null)
    {
        var byPath = new Dictionary<string, byte[]>();
        LoopbackServer? server = null;
        server = new LoopbackServer((_, _, context) =>
        {
            var path = context.Request.Url!.AbsolutePath;
            if (serve?.Invoke(path, context) == true) return;
            if (byPath.TryGetValue(path, out var bytes)) { Send(context, bytes); return; }
            LoopbackServer.Reply(context, 404, "not found");
        });
        foreach (var (file, bytes) in corpus) byPath[file.Origins[0].UrlUnder(server.BaseUrl).AbsolutePath] = bytes;
        owned.Add(server);
        return server;
    }

    private static void Send(HttpListenerContext context, byte[] bytes)
    {
        context.Response.ContentLength64 = bytes.Length;
        context.Response.OutputStream.Write(bytes);
        context.Response.Close();
    }

    private DataFetchOptions Options(LoopbackServer server) => new()
    {
        GitHubBaseUrl = server.BaseUrl,
        HuggingFaceBaseUrl = server.BaseUrl,
        StallTimeout = TimeSpan.FromSeconds(30), // generous: the loopback server answers late on a loaded machine
        Timeout = TimeSpan.FromSeconds(60),
    };

    private static string UrlPath(DataFile file, LoopbackServer server) => file.Origins[0].UrlUnder(server.BaseUrl).AbsolutePath;

    /// <summary>Everything under the destination (files and folders), relative; empty when the fetch left nothing.</summary>
    private string[] Left() =>
        Directory.Exists(Destination) ? Directory.GetFileSystemEntries(Destination, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(Destination, p)).Order().ToArray() : [];

    private DownloadException Fails(IReadOnlyList<DataFile> files, DataFetchOptions options)
    {
        var error = Assert.Throws<DownloadException>(() => DataFetcher.Fetch(files, Destination, options));
        Assert.Empty(Left());
        return error;
    }

    [Fact]
    public void Git_blob_ids_match_git_on_known_content()
    {
        // Reference ids from `git hash-object`: the empty blob and "hello world\n".
        var empty = Path.Combine(folder.FullName, "empty");
        File.WriteAllBytes(empty, []);
        Assert.Equal("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391", VerifiedDownload.GitBlobSha1Of(empty));
        var hello = Path.Combine(folder.FullName, "hello");
        File.WriteAllText(hello, "hello world\n");
        Assert.Equal("3b18e512dba79e4c8300dd08aeb37f8e728b8dad", VerifiedDownload.GitBlobSha1Of(hello));
        Assert.Equal("3b18e512dba79e4c8300dd08aeb37f8e728b8dad", GitBlob("hello world\n"u8.ToArray()));
    }

    [Fact]
    public void A_clean_fetch_places_every_file_checked_writes_sources_and_a_rerun_downloads_nothing()
    {
        var corpus = Corpus();
        var files = corpus.Select(c => c.File).ToList();
        var server = Server(corpus);
        var log = new List<string>();
        var placed = DataFetcher.Fetch(files, Destination, Options(server), log.Add);
        Assert.Equal(files.Count, placed.Count);
        foreach (var (file, bytes) in corpus)
        {
            Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(Destination, file.RelativePath)));
            Assert.Equal(file.Origins[0].UrlUnder(server.BaseUrl).AbsoluteUri, placed.Single(p => p.File == file).From);
        }
        Assert.Equal(files.Count, log.Count(l => l.Contains(" from http://127.0.0.1:", StringComparison.Ordinal)));
        Assert.DoesNotContain(Left(), e => e.Contains(VerifiedDownload.StagingPrefix, StringComparison.Ordinal));

        var sources = DataFetcher.WriteSources(Destination, files);
        var text = File.ReadAllText(sources[0]);
        Assert.Contains($"`{files[0].GitBlobSha1}`", text, StringComparison.Ordinal);
        Assert.Contains(files[0].Origins[0].Source.Licence, text, StringComparison.Ordinal);
        Assert.Contains(files[0].DataTerms, text, StringComparison.Ordinal);

        int requests = server.RequestCount;
        var again = DataFetcher.Fetch(files, Destination, Options(server));
        Assert.All(again, f => Assert.Null(f.From));
        Assert.Equal(requests, server.RequestCount);
    }

    [Fact]
    public void A_wrong_digest_installs_nothing_and_names_the_file()
    {
        var corpus = Corpus();
        var victim = corpus[^1].File;
        LoopbackServer? server = null;
        server = Server(corpus, (path, context) =>
        {
            if (path != UrlPath(victim, server!)) return false;
            var bytes = corpus[^1].Bytes.ToArray();
            bytes[^1] ^= 0x20; // same size, one bit changed
            Send(context, bytes);
            return true;
        });
        var error = Fails(corpus.Select(c => c.File).ToList(), Options(server));
        Assert.Contains(victim.RelativePath, error.Message, StringComparison.Ordinal);
        Assert.Contains($"does not match the pinned {victim.GitBlobSha1}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_body_of_the_wrong_size_installs_nothing()
    {
        var corpus = Corpus();
        var victim = corpus[0].File;
        LoopbackServer? server = null;
        server = Server(corpus, (path, context) =>
        {
            if (path != UrlPath(victim, server!)) return false;
            Send(context, [.. corpus[0].Bytes, (byte)'\n']);
            return true;
        });
        var error = Fails(corpus.Select(c => c.File).ToList(), Options(server));
        Assert.True(error.Message.Contains($"announces {victim.Size + 1:N0} bytes, expected {victim.Size:N0}", StringComparison.Ordinal), error.Message);
    }

    [Fact]
    public void A_truncated_body_installs_nothing()
    {
        var corpus = Corpus();
        var victim = corpus.MaxBy(c => c.Bytes.Length);
        LoopbackServer? server = null;
        server = Server(corpus, (path, context) =>
        {
            if (path != UrlPath(victim.File, server!)) return false;
            context.Response.ContentLength64 = victim.Bytes.Length;
            context.Response.OutputStream.Write(victim.Bytes, 0, victim.Bytes.Length / 2);
            context.Response.OutputStream.Flush();
            context.Response.Abort(); // the connection closes before the announced length
            return true;
        });
        var error = Fails(corpus.Select(c => c.File).ToList(), Options(server));
        Assert.Contains(UrlPath(victim.File, server), error.Message, StringComparison.Ordinal);
        Assert.Contains($"of {victim.Bytes.Length:N0} bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_server_that_never_ends_a_body_times_out_and_installs_nothing()
    {
        var corpus = Corpus();
        var victim = corpus.MaxBy(c => c.Bytes.Length);
        var bodyStarted = false;
        LoopbackServer? server = null;
        server = Server(corpus, (path, context) =>
        {
            if (path != UrlPath(victim.File, server!)) return false;
            context.Response.ContentLength64 = victim.Bytes.Length;
            context.Response.OutputStream.Write(victim.Bytes, 0, victim.Bytes.Length - 1);
            context.Response.OutputStream.Flush();
            Volatile.Write(ref bodyStarted, true);
            hang.Token.WaitHandle.WaitOne(); // the last byte never comes and the connection stays open
            return true;
        });
        var error = Fails(corpus.Select(c => c.File).ToList(), Options(server) with { StallTimeout = TimeSpan.FromSeconds(2) });
        Assert.True(Volatile.Read(ref bodyStarted));
        Assert.Contains(UrlPath(victim.File, server), error.Message, StringComparison.Ordinal);
        Assert.Contains("no data for 2 s after ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_body_that_trickles_forever_hits_the_deadline()
    {
        var corpus = Corpus();
        var victim = corpus[0];
        LoopbackServer? server = null;
        server = Server(corpus, (path, context) =>
        {
            if (path != UrlPath(victim.File, server!)) return false;
            context.Response.SendChunked = true; // no length announced: only the deadline (or the cap) stops it
            while (!hang.IsCancellationRequested)
            {
                context.Response.OutputStream.Write("x"u8);
                context.Response.OutputStream.Flush();
                hang.Token.WaitHandle.WaitOne(100);
            }
            return true;
        });
        var error = Fails(corpus.Select(c => c.File).ToList(), Options(server) with { Timeout = TimeSpan.FromSeconds(2) });
        Assert.Contains("did not finish within 2 s", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_body_larger_than_the_cap_is_refused_whether_announced_or_not()
    {
        var bytes = new byte[5000];
        var file = new DataFile("globalopinionqa/unsized.csv", GitBlob(bytes), null, [new FileOrigin(FakeSource, "main", "unsized.csv")], "test", MaxBytes: 4096);
        var chunked = false;
        LoopbackServer? server = null;
        server = Server([(file, bytes)], (path, context) =>
        {
            if (!chunked) return false;
            context.Response.SendChunked = true;
            context.Response.OutputStream.Write(bytes);
            context.Response.Close();
            return true;
        });
        var error = Fails([file], Options(server));
        Assert.Contains("announces 5,000 bytes, more than the download limit of 4,096", error.Message, StringComparison.Ordinal);
        chunked = true;
        error = Fails([file], Options(server));
        Assert.Contains("the body exceeds the download limit of 4,096 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Redirects_are_followed_and_a_redirect_loop_is_an_error()
    {
        var corpus = Corpus();
        var victim = corpus[0];
        var loop = false;
        LoopbackServer? server = null;
        server = Server(corpus, (path, context) =>
        {
            if (path == UrlPath(victim.File, server!) || path.StartsWith("/hop/", StringComparison.Ordinal))
            {
                var hops = path.StartsWith("/hop/", StringComparison.Ordinal) ? int.Parse(path[5..], System.Globalization.CultureInfo.InvariantCulture) : 0;
                if (!loop && hops == 2) { Send(context, victim.Bytes); return true; }
                context.Response.StatusCode = hops % 2 == 0 ? 302 : 307;
                // relative and absolute Location headers
                context.Response.Headers["Location"] = hops % 2 == 0 ? $"/hop/{hops + 1}" : new Uri(server!.BaseUrl, $"hop/{hops + 1}").AbsoluteUri;
                context.Response.Close();
                return true;
            }
            return false;
        });
        var placed = DataFetcher.Fetch(corpus.Select(c => c.File).ToList(), Destination, Options(server));
        Assert.Equal(victim.Bytes, File.ReadAllBytes(Path.Combine(Destination, victim.File.RelativePath)));
        Assert.Equal(corpus.Count, placed.Count);

        Directory.Delete(Destination, recursive: true);
        loop = true;
        var error = Fails(corpus.Select(c => c.File).ToList(), Options(server));
        Assert.Contains($"more than {VerifiedDownload.MaxRedirects} redirects", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_404_names_the_address_installs_nothing_and_a_rerun_after_the_fix_succeeds()
    {
        var corpus = Corpus();
        var victim = corpus[^1].File;
        var missing = true;
        LoopbackServer? server = null;
        server = Server(corpus, (path, context) =>
        {
            if (!missing || path != UrlPath(victim, server!)) return false;
            LoopbackServer.Reply(context, 404, "not found");
            return true;
        });
        var files = corpus.Select(c => c.File).ToList();
        var error = Fails(files, Options(server));
        Assert.Contains($"{UrlPath(victim, server)}: HTTP 404", error.Message, StringComparison.Ordinal);
        missing = false;
        Assert.Equal(files.Count, DataFetcher.Fetch(files, Destination, Options(server)).Count(f => f.From is not null));
    }

    [Fact]
    public void The_next_origin_is_tried_when_the_first_fails()
    {
        var (file, bytes) = Corpus()[0];
        var second = new FileOrigin(new DataSource(SourceHost.HuggingFaceDataset, "someone/dataset", "CC0"), "main", "data/file.bin");
        var twoOrigins = file with { Origins = [file.Origins[0], second] };
        LoopbackServer? server = null;
        server = Server([], (path, context) =>
        {
            if (path != second.UrlUnder(server!.BaseUrl).AbsolutePath) return false;
            Send(context, bytes);
            return true;
        });
        var placed = Assert.Single(DataFetcher.Fetch([twoOrigins], Destination, Options(server)));
        Assert.Equal(second.UrlUnder(server.BaseUrl).AbsoluteUri, placed.From);
        Assert.EndsWith("/datasets/someone/dataset/resolve/main/data/file.bin", placed.From, StringComparison.Ordinal);

        Directory.Delete(Destination, recursive: true);
        var both = Fails([twoOrigins with { Origins = [file.Origins[0], file.Origins[0]] }], Options(server));
        Assert.Contains("no source delivered it", both.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_corrupted_file_in_place_is_fetched_again_and_replaced()
    {
        var corpus = Corpus();
        var files = corpus.Select(c => c.File).ToList();
        var server = Server(corpus);
        DataFetcher.Fetch(files, Destination, Options(server));
        var target = Path.Combine(Destination, files[0].RelativePath);
        File.AppendAllText(target, "x");
        var log = new List<string>();
        var placed = DataFetcher.Fetch(files, Destination, Options(server), log.Add);
        Assert.Equal(corpus[0].Bytes, File.ReadAllBytes(target));
        Assert.Single(placed, f => f.From is not null);
        Assert.Contains(log, l => l.Contains("does not match its pins", StringComparison.Ordinal));
    }

    [Fact]
    public void Staging_folders_of_dead_processes_are_removed()
    {
        var corpus = Corpus();
        var stale = Path.Combine(Destination, $"{VerifiedDownload.StagingPrefix}{int.MaxValue}-0123");
        Directory.CreateDirectory(Path.Combine(stale, "opinionqa"));
        File.WriteAllText(Path.Combine(stale, "opinionqa", "half.json"), "{");
        DataFetcher.Fetch(corpus.Select(c => c.File).ToList(), Destination, Options(Server(corpus)));
        Assert.False(Directory.Exists(stale));
    }

    [Fact]
    public void A_local_folder_mirror_is_copied_and_checked()
    {
        var corpus = Corpus();
        var mirror = Path.Combine(folder.FullName, "mirror");
        foreach (var (file, bytes) in corpus)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(mirror, file.RelativePath))!);
            File.WriteAllBytes(Path.Combine(mirror, file.RelativePath), bytes);
        }
        var files = corpus.Select(c => c.File).ToList();
        var options = new DataFetchOptions { Mirror = mirror };
        File.AppendAllText(Path.Combine(mirror, files[0].RelativePath), "!");
        var error = Fails(files, options);
        Assert.Contains(files[0].RelativePath, error.Message, StringComparison.Ordinal);
        File.WriteAllBytes(Path.Combine(mirror, files[0].RelativePath), corpus[0].Bytes);
        Assert.All(DataFetcher.Fetch(files, Destination, options), f => Assert.StartsWith(mirror, f.From, StringComparison.Ordinal));
        Assert.Throws<ArgumentException>(() => DataFetcher.Fetch(files, Destination, new DataFetchOptions { Mirror = Path.Combine(folder.FullName, "nowhere") }));
    }

    [Fact]
    public void Catalogue_urls_follow_the_hosts_layouts()
    {
        var file = DataCatalogue.FilesOf(DatasetLoader.OpinionQa500)[0];
        Assert.Equal("https://raw.githubusercontent.com/tatsu-lab/opinions_qa/ed8c4e0ac1a48c77e041db58d877eb3d0d949d65/data/human_resp/Pew_American_Trends_Panel_disagreement_500/info.csv",
            file.Origins[0].UrlUnder(new DataFetchOptions().GitHubBaseUrl).AbsoluteUri);
        var csv = Assert.Single(DataCatalogue.FilesOf(DatasetLoader.GlobalQaFull));
        Assert.Equal("40003b4d8fddb82db8c2bdc4d7329789a08a529f", csv.GitBlobSha1);
        Assert.Equal("https://huggingface.co/datasets/Anthropic/llm_global_opinions/resolve/main/data/global_opinions.csv",
            csv.Origins.Single(o => o.Source.Host == SourceHost.HuggingFaceDataset).UrlUnder(new DataFetchOptions().HuggingFaceBaseUrl).AbsoluteUri);
        Assert.Equal(DataCatalogue.Files.Count, DataCatalogue.FilesOf(DataCatalogue.All).Count);
        Assert.Equal(4 + 18 + 3 + 1 - 1, DataCatalogue.Files.Count); // disagreement_500/info.csv is read by opinionqa-500 and opinionqa-22
    }

    [SkippableFact]
    public void Pinned_digests_and_sizes_match_the_files_in_GPO_DATA()
    {
        var root = TestData.RealDataRoot;
        Skip.If(root is null, TestData.NoRealData);
        foreach (var file in DataCatalogue.Files)
        {
            var path = Path.Combine(root!, file.RelativePath);
            if (file.RelativePath == DataCatalogue.GlobalOpinionsCsv && !File.Exists(path)) continue; // not in ../shared; see the next test
            var bytes = File.ReadAllBytes(path);
            Assert.True(file.GitBlobSha1 == GitBlob(bytes), $"{file.RelativePath}: pinned {file.GitBlobSha1}, file {GitBlob(bytes)}");
            if (file.Size is { } size) Assert.Equal(size, bytes.Length);
        }
    }

    [SkippableFact]
    public void Catalogue_sources_agree_with_the_provenance_tables()
    {
        var root = TestData.RealDataRoot;
        Skip.If(root is null, TestData.NoRealData);
        // Rows of "| `file` | owner/repo | `commit` | `path` | `blob prefix` | bytes |" in each top folder's PROVENANCE.md.
        var rows = new Dictionary<string, string[]>();
        foreach (var top in new[] { "opinionqa", "globalopinionqa" })
            foreach (var line in File.ReadLines(Path.Combine(root!, top, "PROVENANCE.md")).Where(l => l.StartsWith("| `", StringComparison.Ordinal)))
            {
                var cells = line.Split('|', StringSplitOptions.TrimEntries)[1..^1].Select(c => c.Trim('`')).ToArray();
                rows[$"{top}/{cells[0]}"] = cells;
            }
        foreach (var file in DataCatalogue.Files.Where(f => f.RelativePath != DataCatalogue.GlobalOpinionsCsv))
        {
            Assert.True(rows.TryGetValue(file.RelativePath, out var row), $"{file.RelativePath} is not in PROVENANCE.md");
            var origin = Assert.Single(file.Origins);
            Assert.Equal(row![1], origin.Source.Repository);
            Assert.Equal(row[2], origin.Revision);
            Assert.Equal(row[3], origin.Path);
            Assert.StartsWith(row[4], file.GitBlobSha1, StringComparison.Ordinal);
            Assert.Equal(long.Parse(row[5], System.Globalization.CultureInfo.InvariantCulture), file.Size);
        }
    }

    [SkippableFact]
    public void The_real_global_opinions_csv_when_present_matches_its_pin_and_loads_14_countries()
    {
        var root = TestData.RealDataRoot;
        Skip.If(root is null || !File.Exists(Path.Combine(root, DataCatalogue.GlobalOpinionsCsv)),
            "the original global_opinions.csv is not under GPO_DATA (it is not in ../shared)");
        Assert.Equal("40003b4d8fddb82db8c2bdc4d7329789a08a529f", GitBlob(File.ReadAllBytes(Path.Combine(root!, DataCatalogue.GlobalOpinionsCsv))));
        var dataset = DatasetLoader.LoadPreset(DatasetLoader.GlobalQaFull, root);
        Assert.Equal(GlobalOpinionQa.GpoCountries, dataset.Groups);
        Assert.InRange(dataset.Questions.Count, 2000, 2600);
    }

    /// <summary>A small CSV in the original GlobalOpinionQA format: GPO countries, one other country, Python literals.</summary>
    internal static byte[] GeneratedGlobalOpinionsCsv() => Encoding.UTF8.GetBytes(
        "question,selections,options,source\n"
        + "Do you favor it?,\"defaultdict(<class 'list'>, {'Nigeria': [0.5, 0.5], 'Japan': [0.2, 0.8], 'Belgium': [0.3, 0.7]})\",\"['Favor', 'Oppose']\",GAS\n"
        + "\"Is it \"\"good\"\"?\",\"defaultdict(<class 'list'>, {'United States': [0.1, 0.2, 0.7], 'India (Current national sample)': [0.3, 0.3, 0.4]})\",\"['Yes', \"\"Don't know\"\", 'No']\",WVS\n");

    [Fact]
    public void Globalqa_full_reads_the_original_csv_with_gpo_countries_after_a_fetch()
    {
        var bytes = GeneratedGlobalOpinionsCsv();
        var pinned = DataCatalogue.FilesOf(DatasetLoader.GlobalQaFull)[0];
        var file = pinned with { GitBlobSha1 = GitBlob(bytes) }; // the real pin's origins and path, this file's digest
        LoopbackServer? server = null;
        server = Server([], (path, context) =>
        {
            if (path != file.Origins[0].UrlUnder(server!.BaseUrl).AbsolutePath) return false;
            Send(context, bytes);
            return true;
        });
        DataFetcher.Fetch([file], Destination, Options(server));
        var dataset = DatasetLoader.LoadPreset(DatasetLoader.GlobalQaFull, Destination);
        Assert.Equal(DatasetLoader.GlobalQaFull, dataset.Name);
        Assert.Equal(["Nigeria", "India (Current national sample)", "Japan", "United States"], dataset.Groups);
        Assert.Equal(2, dataset.Questions.Count);
        var good = dataset.Questions.Single(q => q.Text == "Is it \"good\"?");
        Assert.Equal(["Yes", "Don't know", "No"], good.Options);
        Assert.Equal([0.1, 0.2, 0.7], dataset.GetDistribution("United States", good.Id));
        Assert.Equal(GlobalOpinionQa.CsvFormat, dataset.Provenance.Format);
        var sources = File.ReadAllText(Assert.Single(DataFetcher.WriteSources(Destination, [file])));
        Assert.Contains("| `global_opinions.csv` | nicolemeister/benchmarking-distributional-alignment<br>Anthropic/llm_global_opinions |", sources, StringComparison.Ordinal);
        Assert.Contains("CC BY-NC-SA 4.0", sources, StringComparison.Ordinal);
    }

    [Fact]
    public void A_preset_with_missing_files_names_the_fetch_command()
    {
        var error = Assert.Throws<DataFormatException>(() => DatasetLoader.LoadPreset(DatasetLoader.OpinionQa500, Destination));
        Assert.Contains($"`gpo data fetch opinionqa-500 --dest {Path.GetFullPath(Destination)}` gets it", error.Message, StringComparison.Ordinal);
        Assert.Contains("and 3 more of its files", error.Message, StringComparison.Ordinal);
        Directory.CreateDirectory(Path.Combine(Destination, "globalopinionqa"));
        File.WriteAllBytes(Path.Combine(Destination, DataCatalogue.GlobalOpinionsCsv), GeneratedGlobalOpinionsCsv());
        error = Assert.Throws<DataFormatException>(() => DatasetLoader.LoadPreset(DatasetLoader.GlobalQa14, Destination));
        Assert.Contains("eval.json: file of preset globalqa-14 missing under the data root (and 2 more of its files); `gpo data fetch globalqa-14", error.Message, StringComparison.Ordinal);
    }
}
