using System.Text.Json;
using Gpo.Model;

namespace Gpo.Tests.Model;

/// <summary><c>gpo predict</c> end to end through the command line parser.</summary>
[Collection("Console")]
public sealed class CliPredictTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("gpo-predict-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static (int Exit, string Out, string Error) Run(params string[] args) => CliRunner.Run(args);

    [Fact]
    public void Predict_prints_the_library_predictions_and_rejects_bad_input()
    {
        var model = new GpoModel<float>(new GpoConfig(DimX: 3, ModelWidth: 8, Heads: 2, Layers: 1, FeedForwardWidth: 8));
        model.Initialize(seed: 1);
        var checkpoint = Path.Combine(folder, "m.safetensors");
        GpoCheckpoint.Save(model, checkpoint);
        var input = Path.Combine(folder, "in.json");
        File.WriteAllText(input, """{"context":[{"x":[1,2,3],"y":0.5},{"x":[0,1,0],"y":0.5}],"targets":[{"x":[[1,0,3],[4,5,6]],"y":[0.2,0.8]},{"x":[[1,1,1],[0,0,1],[2,2,2]]}]}""");
        var expected = GpoInference.Predict(model, [new([1, 2, 3], 0.5f), new([0, 1, 0], 0.5f)],
            [new([[1, 0, 3], [4, 5, 6]], [0.2f, 0.8f]), new([[1, 1, 1], [0, 0, 1], [2, 2, 2]])]);

        var (exit, stdout, _) = Run("predict", "--checkpoint", checkpoint, "--input", input);
        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(stdout);
        var predictions = json.RootElement.GetProperty("predictions").EnumerateArray().Select(q => q.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        Assert.Equal(expected.Predictions, predictions);
        Assert.False(json.RootElement.TryGetProperty("loss", out _)); // the second target has no y

        File.WriteAllText(input, """{"context":[{"x":[1,2,3],"y":0.5}],"targets":[{"x":[[1,0,3],[4,5]]}]}""");
        var (badExit, _, stderr) = Run("predict", "--checkpoint", checkpoint, "--input", input);
        Assert.NotEqual(0, badExit);
        Assert.Contains("targets[0].x[1]: expected 3 numbers, got 2", stderr);
    }
}
