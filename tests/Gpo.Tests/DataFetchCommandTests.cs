using System.Diagnostics;
using System.Text.Json;
using Gpo.Cli;
using Gpo.Data;
using Gpo.Data.Fetch;
using Gpo.Tests.Embeddings;

namespace Gpo.Tests;

/// <summary>
/// The <c>gpo data fetch</c> command line: options, errors, and the acceptance — with the mirror pointed at a
/// loopback server over the real data, <c>gpo data fetch all</c> then <c>gpo data inspect opinionqa-500</c> without
/// <c>--data-root</c> shows 9 groups × 494 questions (run through the built CLI with its own environment).
/// </summary>
public sealed class DataFetchCommandTests : IDisposable
{
    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("gpo-data-fetch-cli-");
    private readonly List<IDisposable> owned = [];

    public void Dispose()
    {
        foreach (var item in owned) item.Dispose();
        folder.Delete(recursive: true);
    }

    /// <summary>A static file server over <paramref name="root"/> (a data root mirror); 404 for anything else.</summary>
    private LoopbackServer FolderServer(string root)
    {
        var server = new LoopbackServer((_, _, context) =>
        {
            var relative = Uri.UnescapeDataString(context.Request.Url!.AbsolutePath.TrimStart('/'));
            var path = Path.GetFullPath(Path.Combine(root, relative));
            if (!path.StartsWith(Path.GetFullPath(root) + Path.DirectorySeparatorChar, StringComparison.Ordinal) || !File.Exists(path))
            {
                LoopbackServer.Reply(context, 404, "not found");
                return;
            }
            var bytes = File.ReadAllBytes(path);
            context.Response.ContentLength64 = bytes.Length;
            context.Response.OutputStream.Write(bytes);
            context.Response.Close();
        });
        owned.Add(server);
        return server;
    }

    [Fact]
    public void Data_fetch_is_registered_with_its_options_and_refuses_unknown_presets()
    {
        var data = Program.BuildRoot().Subcommands.Single(c => c.Name == "data");
        var fetch = data.Subcommands.Single(c => c.Name == "fetch");
        Assert.Equal(["--dest", "--mirror", "--github-base-url", "--hf-base-url", "--timeout"], fetch.Options.Select(o => o.Name));
        Assert.Empty(Program.BuildRoot().Parse(["data", "fetch"]).Errors);
        Assert.Empty(Program.BuildRoot().Parse(["data", "fetch", "globalqa-full", "--dest", "x"]).Errors);
        var (exit, _, error) = CliRunner.Run("data", "fetch", "opinionqa-1000");
        Assert.NotEqual(0, exit);
        Assert.Contains("opinionqa-1000", error, StringComparison.Ordinal);
        (exit, _, error) = CliRunner.Run("data", "fetch", "globalqa-14", "--dest", Path.Combine(folder.FullName, "d"), "--timeout", "0");
        Assert.Equal(1, exit);
        Assert.Contains("--timeout must be a positive number of seconds", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failed_preset_is_reported_installs_nothing_and_the_others_are_still_fetched()
    {
        // The mirror holds only globalqa-full's file, and not the pinned one: every preset fails, each with its own line.
        var mirror = Path.Combine(folder.FullName, "mirror");
        Directory.CreateDirectory(Path.Combine(mirror, "globalopinionqa"));
        File.WriteAllBytes(Path.Combine(mirror, DataCatalogue.GlobalOpinionsCsv), DataFetchTests.GeneratedGlobalOpinionsCsv());
        var server = FolderServer(mirror);
        var destination = Path.Combine(folder.FullName, "data");
        var (exit, output, error) = CliRunner.Run("data", "fetch", "--dest", destination, "--mirror", server.BaseUrl.AbsoluteUri);
        Assert.Equal(1, exit);
        Assert.Empty(output);
        Assert.Contains($"gpo data fetch: opinionqa-500: {server.BaseUrl}opinionqa/human_resp/Pew_American_Trends_Panel_disagreement_500/info.csv: HTTP 404", error, StringComparison.Ordinal);
        Assert.Contains("gpo data fetch: globalqa-full: ", error, StringComparison.Ordinal);
        Assert.Contains("does not match the pinned 40003b4d8fddb82db8c2bdc4d7329789a08a529f", error, StringComparison.Ordinal);
        Assert.Contains("gpo data fetch: 4 of 4 preset(s) failed", error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(destination, "*", SearchOption.AllDirectories));
    }

    [SkippableFact]
    public void Fetching_all_from_a_mirror_of_the_real_data_gives_the_same_datasets_and_prints_licences()
    {
        var real = TestData.RealDataRoot;
        Skip.If(real is null, TestData.NoRealData);
        var server = FolderServer(real!);
        var destination = Path.Combine(folder.FullName, "data");
        var (exit, output, error) = CliRunner.Run("data", "fetch", "all", "--dest", destination, "--mirror", server.BaseUrl.AbsoluteUri);
        var hasCsv = File.Exists(Path.Combine(real!, DataCatalogue.GlobalOpinionsCsv));
        Assert.True(exit == (hasCsv ? 0 : 1), error);
        if (!hasCsv) Assert.Contains("gpo data fetch: 1 of 4 preset(s) failed: globalqa-full", error, StringComparison.Ordinal);
        Assert.Contains("CC BY-NC-SA 4.0", error, StringComparison.Ordinal);
        Assert.Contains("tatsu-lab/opinions_qa (https://github.com/tatsu-lab/opinions_qa): no licence file", error, StringComparison.Ordinal);
        Assert.Contains("Pew's terms of use apply", error, StringComparison.Ordinal);
        Assert.Equal(DataCatalogue.Files.Count - (hasCsv ? 0 : 1), output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("| `human_resp/Pew_American_Trends_Panel_disagreement_500/info.csv` | tatsu-lab/opinions_qa |",
            File.ReadAllText(Path.Combine(destination, "opinionqa", DataFetcher.SourcesFileName)), StringComparison.Ordinal);

        foreach (var preset in new[] { DatasetLoader.OpinionQa500, DatasetLoader.OpinionQa22, DatasetLoader.GlobalQa14 })
        {
            var fetched = DatasetLoader.LoadPreset(preset, destination);
            var original = DatasetLoader.LoadPreset(preset, real);
            Assert.Equal(original.Provenance.Version, fetched.Provenance.Version);
            Assert.Equal(original.Provenance.SourceFiles, fetched.Provenance.SourceFiles);
            Assert.Equal(original.ToString(), fetched.ToString());
        }
        (exit, output, _) = CliRunner.Run("data", "inspect", DatasetLoader.OpinionQa500, "--data-root", destination, "--json");
        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(9, json.RootElement.GetProperty("groups").GetArrayLength());
        Assert.Equal(494, json.RootElement.GetProperty("questions").GetInt32());
    }

    /// <summary>Runs the built CLI (<c>Gpo.Cli.dll</c> beside the tests) with GPO_DATA unset and its own cache root.</summary>
    private (int Exit, string Out, string Error) RunBuiltCli(string cacheRoot, params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Gpo.Cli.dll"));
        foreach (var argument in args) start.ArgumentList.Add(argument);
        start.Environment.Remove("GPO_DATA");
        start.Environment["GPO_CACHE"] = cacheRoot;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(5)), "the CLI did not exit");
        return (process.ExitCode, output.Result, error.Result);
    }

    [SkippableFact]
    public void Acceptance_fetch_all_then_inspect_opinionqa_500_without_a_data_root_shows_9_groups_by_494_questions()
    {
        var real = TestData.RealDataRoot;
        Skip.If(real is null, TestData.NoRealData);
        var server = FolderServer(real!);
        var cache = Path.Combine(folder.FullName, "cache");

        var (exit, _, error) = RunBuiltCli(cache, "data", "inspect", DatasetLoader.OpinionQa500);
        Assert.Equal(1, exit);
        Assert.Contains("run `gpo data fetch opinionqa-500` (or `all`)", error, StringComparison.Ordinal);

        (exit, _, error) = RunBuiltCli(cache, "data", "fetch", "all", "--mirror", server.BaseUrl.AbsoluteUri);
        Assert.Contains("opinionqa-500: ok (4 downloaded", error, StringComparison.Ordinal);
        Assert.True(exit == (File.Exists(Path.Combine(real!, DataCatalogue.GlobalOpinionsCsv)) ? 0 : 1), error);
        Assert.True(File.Exists(Path.Combine(cache, "data", "opinionqa", DataFetcher.SourcesFileName)));

        (exit, var output, error) = RunBuiltCli(cache, "data", "inspect", DatasetLoader.OpinionQa500);
        Assert.True(exit == 0, error);
        Assert.Contains("9 groups, 494 questions", output, StringComparison.Ordinal);
    }
}
