using System.Text.Json;
using Gpo.Data;
using Gpo.Evaluation;
using Gpo.Model;

namespace Gpo.Tests.Training;

/// <summary><c>gpo train</c>, <c>gpo adapt</c> and <c>gpo reproduce</c> end to end on the synthetic benchmark with a tiny model.</summary>
[Collection("notebooks")] // redirects the process's console, like the notebook runner tests
public sealed class CliTrainingTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpo-cli-train-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static readonly string[] Tiny = ["--width", "16", "--layers", "1", "--heads", "2", "--ffn", "16", "--max-questions", "10"];

    private static (int Exit, string Out, string Error) Run(params string[] args) => CliRunner.Run(args);

    [Fact]
    public void Train_then_adapt_gives_the_library_predictions()
    {
        var run = Path.Combine(_folder, "run");
        var (exit, _, error) = Run(["train", "--run", run, "--steps", "6", "--eval-every", "3", "--seed", "2", .. Tiny]);
        Assert.True(exit == 0, error);
        var checkpoint = Path.Combine(run, "checkpoints", "best.safetensors");
        Assert.True(File.Exists(checkpoint));
        Assert.Equal(3, File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Length); // step 0, then steps 3 and 6

        var (adaptExit, stdout, adaptError) = Run("adapt", "--checkpoint", checkpoint, "--group", "group-03", "--k", "5", "--seed", "1");
        Assert.True(adaptExit == 0, adaptError);
        using var json = JsonDocument.Parse(stdout);
        var group = json.RootElement.GetProperty("groups")[0];
        Assert.Equal("group-03", group.GetProperty("group").GetString());
        Assert.Equal(5, group.GetProperty("context").GetArrayLength());

        // The same episode through the library gives the same numbers.
        var dataset = DatasetLoader.Load(DatasetLoader.Synthetic);
        var draw = ContextDraw.Shared(dataset, ["group-03"], 5, 1)[0];
        var expected = new GpoPredictor(GpoCheckpoint.Load<float>(checkpoint)).Predict(EpisodeFactory.Episode(dataset, draw));
        var predictions = group.GetProperty("predictions");
        Assert.Equal(expected.Length, predictions.GetArrayLength());
        for (var i = 0; i < expected.Length; i++)
        {
            var predicted = predictions[i].GetProperty("predicted").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            Assert.Equal(draw.QueryQuestionIds[i], predictions[i].GetProperty("question_id").GetString());
            for (var o = 0; o < predicted.Length; o++) Assert.Equal(expected[i][o], predicted[o], 1e-5); // the CLI rounds to 6 decimals
        }
    }

    [Fact]
    public void Adapt_names_an_unknown_group()
    {
        var model = new GpoModel<float>(new GpoConfig(32, 16, 2, 1, 16));
        model.Initialize(1);
        var checkpoint = Path.Combine(_folder, "m.safetensors");
        GpoCheckpoint.Save(model, checkpoint);
        var (exit, _, error) = Run("adapt", "--checkpoint", checkpoint, "--group", "Atlantis");
        Assert.Equal(1, exit);
        Assert.Contains("Atlantis", error);
    }

    [Fact]
    public void Reproduce_quick_writes_the_results_folder()
    {
        var output = Path.Combine(_folder, "results");
        var (exit, _, error) = Run(["reproduce", "--quick", "--dataset", "synthetic", "--out", output, "--work", Path.Combine(_folder, "work"),
            "--steps", "4", "--eval-every", "2", "--fraction", "0.6", .. Tiny]);
        Assert.True(exit == 0, error);
        foreach (var file in new[] { "predictions.csv.gz", "summary.csv", "summary_table.md", "manifest.json", "figures/alignment_bars.html" })
            Assert.True(File.Exists(Path.Combine(output, "synthetic", file)), file);
    }
}
