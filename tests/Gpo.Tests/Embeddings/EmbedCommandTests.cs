using System.Text.Json;
using Gpo.Data;
using Gpo.Embeddings;

namespace Gpo.Tests.Embeddings;

/// <summary><c>gpo embed</c> through the shared in-process CLI runner.</summary>
public sealed class EmbedCommandTests : IDisposable
{
    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("gpo-embed-cli-");

    public void Dispose() => folder.Delete(recursive: true);

    private string CacheRoot => Path.Combine(folder.FullName, "cache");

    /// <summary>Runs <c>gpo embed …</c> in-process with this test's own cache root.</summary>
    private (int ExitCode, string Stdout, string Stderr) Embed(params string[] arguments) => CliRunner.Run(["embed", "--cache", CacheRoot, .. arguments]);

    [SkippableFact]
    public void Text_vectors_are_printed_as_json_and_match_the_library()
    {
        var model = ModelFolder.Require();
        var (exit, stdout, stderr) = Embed("--model", model, "--text", "A man is eating food.", "--text", "Question: Q?\nAnswer: Yes");
        Assert.True(exit == 0, stderr);
        var vectors = JsonSerializer.Deserialize<float[][]>(stdout)!;
        var expected = new BertEncoder(model).Embed(["A man is eating food.", "Question: Q?\nAnswer: Yes"]);
        Assert.Equal(2, vectors.Length);
        Assert.Equal(expected.AsSpan(0, 384).ToArray(), vectors[0]);
        Assert.Equal(expected.AsSpan(384, 384).ToArray(), vectors[1]);
        var (_, normalizedOut, _) = Embed("--model", model, "--text", "A man is eating food.", "--normalize");
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
        var first = Embed("--model", model, "--data", csv, "--format", "globalopinionqa-csv", "--template", "alpaca", "--center", "--out", output);
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
        var chunks = Directory.GetFiles(CacheRoot, "*.gpoemb", SearchOption.AllDirectories);
        Assert.Single(chunks);
        var chunkTime = File.GetLastWriteTimeUtc(chunks[0]);

        var second = Embed("--model", model, "--data", csv, "--format", "globalopinionqa-csv", "--template", "alpaca", "--center", "--out", output);
        Assert.True(second.ExitCode == 0, second.Stderr);
        var after = Directory.GetFiles(CacheRoot, "*.gpoemb", SearchOption.AllDirectories);
        Assert.Equal(chunks, after);
        Assert.Equal(chunkTime, File.GetLastWriteTimeUtc(after[0]));
    }

    [Fact]
    public void Bad_requests_are_clear_errors()
    {
        var none = Embed("--model", folder.FullName);
        Assert.Equal(1, none.ExitCode);
        Assert.Contains("give --text, --data or --bench", none.Stderr);
        var noModel = Embed("--model", Path.Combine(folder.FullName, "missing"), "--text", "x");
        Assert.Equal(1, noModel.ExitCode);
        Assert.Contains("missing", noModel.Stderr);
        var badTemplate = Embed("--model", folder.FullName, "--text", "x", "--template", "{question} {answer}");
        Assert.Equal(1, badTemplate.ExitCode);
        Assert.Contains("{answer}", badTemplate.Stderr);
        var serverWithoutModel = Embed("--server", "http://127.0.0.1:9", "--text", "x");
        Assert.Equal(1, serverWithoutModel.ExitCode);
        Assert.Contains("--server-model", serverWithoutModel.Stderr);
    }

    [Fact]
    public void Models_fetch_reports_a_missing_npm_and_installs_nothing()
    {
        var destination = Path.Combine(folder.FullName, "model");
        var (exit, _, error) = CliRunner.Run("models", "fetch", "--npm", Path.Combine(folder.FullName, "no-npm-here"), "--dest", destination);
        Assert.Equal(1, exit);
        Assert.Contains("could not run", error);
        Assert.False(Directory.Exists(destination) && Directory.EnumerateFileSystemEntries(destination).Any());
    }
}
