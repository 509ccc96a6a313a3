using System.Diagnostics;
using System.Text.Json;
using Gpo.Data;
using Gpo.Embeddings;

namespace Gpo.Tests.Embeddings;

/// <summary><c>gpo embed</c> and <c>gpo models</c> run as a separate process (the CLI assembly sits beside the tests).</summary>
public sealed class EmbedCommandTests : IDisposable
{
    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("gpo-embed-cli-");

    public void Dispose() => folder.Delete(recursive: true);

    private (int ExitCode, string Stdout, string Stderr) Gpo(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Gpo.Cli.dll"));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["GPO_CACHE"] = Path.Combine(folder.FullName, "cache");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2))) { process.Kill(true); throw new TimeoutException("gpo did not finish in 2 minutes"); }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    [SkippableFact]
    public void Text_vectors_are_printed_as_json_and_match_the_library()
    {
        var model = ModelFolder.Require();
        var (exit, stdout, stderr) = Gpo("embed", "--model", model, "--text", "A man is eating food.", "--text", "Question: Q?\nAnswer: Yes");
        Assert.True(exit == 0, stderr);
        var vectors = JsonSerializer.Deserialize<float[][]>(stdout)!;
        var expected = new BertEncoder(model).Embed(["A man is eating food.", "Question: Q?\nAnswer: Yes"]);
        Assert.Equal(2, vectors.Length);
        Assert.Equal(expected.AsSpan(0, 384).ToArray(), vectors[0]);
        Assert.Equal(expected.AsSpan(384, 384).ToArray(), vectors[1]);
        var (_, normalizedOut, _) = Gpo("embed", "--model", model, "--text", "A man is eating food.", "--normalize");
        var normalized = JsonSerializer.Deserialize<float[][]>(normalizedOut)![0];
        Assert.Equal(1.0, Math.Sqrt(normalized.Sum(v => (double)v * v)), 5);
    }

    [SkippableFact]
    public void A_dataset_is_embedded_saved_and_served_from_the_cache_on_rerun()
    {
        var model = ModelFolder.Require();
        var csv = Path.Combine(folder.FullName, "tiny.csv");
        File.WriteAllText(csv,
            "question,selections,options,source\n"
            + "\"Do you like tea?\",\"defaultdict(<class 'list'>, {'France': [0.6, 0.4], 'Chile': [0.3, 0.7]})\",\"['Yes', 'No']\",test\n"
            + "\"How often do you travel?\",\"defaultdict(<class 'list'>, {'France': [0.2, 0.5, 0.3], 'Chile': [0.1, 0.1, 0.8]})\",\"['Never', 'Sometimes', 'Often']\",test\n");
        var output = Path.Combine(folder.FullName, "tiny.safetensors");
        var first = Gpo("embed", "--model", model, "--data", csv, "--format", "globalopinionqa-csv", "--template", "alpaca", "--center", "--out", output);
        Assert.True(first.ExitCode == 0, first.Stderr);
        var saved = QuestionEmbeddings.Load(output);
        var dataset = DatasetLoader.Load(csv, "globalopinionqa-csv");
        var expected = DatasetEmbedder.Embed(dataset, new BertEncoder(model), EmbeddingTemplate.Alpaca, new FeaturePostprocessing(CenterPerQuestion: true));
        Assert.Equal("center", saved.Metadata.Postprocessing);
        Assert.Equal(EmbeddingTemplate.Alpaca.Identity, saved.Metadata.Template);
        foreach (var question in dataset.Questions)
        {
            var a = saved.Features.ForQuestion(question.Id).ToArray();
            var b = expected.Features.ForQuestion(question.Id).ToArray();
            Assert.True(a.Zip(b).Max(p => Math.Abs(p.First - p.Second)) < 1e-5f);
        }
        var chunks = Directory.GetFiles(Path.Combine(folder.FullName, "cache"), "*.gpoemb", SearchOption.AllDirectories);
        Assert.Single(chunks);
        var chunkTime = File.GetLastWriteTimeUtc(chunks[0]);

        var second = Gpo("embed", "--model", model, "--data", csv, "--format", "globalopinionqa-csv", "--template", "alpaca", "--center", "--out", output);
        Assert.True(second.ExitCode == 0, second.Stderr);
        var after = Directory.GetFiles(Path.Combine(folder.FullName, "cache"), "*.gpoemb", SearchOption.AllDirectories);
        Assert.Equal(chunks, after);
        Assert.Equal(chunkTime, File.GetLastWriteTimeUtc(after[0]));
    }

    [Fact]
    public void Bad_requests_are_clear_errors()
    {
        var none = Gpo("embed", "--model", folder.FullName);
        Assert.Equal(1, none.ExitCode);
        Assert.Contains("give --text, --data or --bench", none.Stderr);
        var noModel = Gpo("embed", "--model", Path.Combine(folder.FullName, "missing"), "--text", "x");
        Assert.Equal(1, noModel.ExitCode);
        Assert.Contains("missing", noModel.Stderr);
        var badTemplate = Gpo("embed", "--model", folder.FullName, "--text", "x", "--template", "{question} {answer}");
        Assert.Equal(1, badTemplate.ExitCode);
        Assert.Contains("{answer}", badTemplate.Stderr);
        var serverWithoutModel = Gpo("embed", "--server", "http://127.0.0.1:9", "--text", "x");
        Assert.Equal(1, serverWithoutModel.ExitCode);
        Assert.Contains("--server-model", serverWithoutModel.Stderr);
    }
}
