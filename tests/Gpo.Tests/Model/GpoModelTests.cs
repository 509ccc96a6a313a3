using Gpo.IO;
using Gpo.Model;
using Gpo.Training;

namespace Gpo.Tests.Model;

public sealed class GpoModelTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("gpo-model-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Parameter_counts_match_the_spec()
    {
        Assert.Equal(713_218, new GpoConfig(384).ParameterCount);
        Assert.Equal(1_188_354, new GpoConfig(4096).ParameterCount);
        Assert.Equal(713_218, new GpoModel<float>(new GpoConfig(384)).Parameters.Count);
    }

    [Fact]
    public void Initialisation_follows_pytorch_conventions()
    {
        var model = new GpoModel<float>(new GpoConfig(384));
        model.Initialize(seed: 3);
        var p = model.Parameters;
        float MaxAbs(string name) => p.Value(name).ToArray().Max(MathF.Abs);
        Assert.InRange(MaxAbs("embedder.0.weight"), 0.9f / MathF.Sqrt(385), 1 / MathF.Sqrt(385));
        Assert.InRange(MaxAbs("embedder.0.bias"), 0.5f / MathF.Sqrt(385), 1 / MathF.Sqrt(385));
        Assert.InRange(MaxAbs("encoder.layers.0.self_attn.in_proj_weight"), 0.9f * MathF.Sqrt(6f / 512), MathF.Sqrt(6f / 512));
        Assert.All(p.Value("encoder.layers.3.self_attn.in_proj_bias").ToArray(), v => Assert.Equal(0f, v));
        Assert.All(p.Value("encoder.layers.3.self_attn.out_proj.bias").ToArray(), v => Assert.Equal(0f, v));
        Assert.InRange(MaxAbs("encoder.layers.3.self_attn.out_proj.weight"), 0.9f / MathF.Sqrt(128), 1 / MathF.Sqrt(128));
        Assert.All(p.Value("encoder.layers.5.norm2.weight").ToArray(), v => Assert.Equal(1f, v));
        Assert.All(p.Value("encoder.layers.5.norm2.bias").ToArray(), v => Assert.Equal(0f, v));
        var again = new GpoModel<float>(new GpoConfig(384));
        again.Initialize(seed: 3);
        Assert.Equal(p.Values, again.Parameters.Values);
    }

    [Fact]
    public void Same_seed_and_inputs_give_identical_losses_after_training_steps()
    {
        var config = new GpoConfig(DimX: 24, ModelWidth: 32, Heads: 4, Layers: 2, FeedForwardWidth: 32);
        var batch = GpoBenchmark.RandomBatch(new BenchmarkShape(Groups: 4, QuestionsPerSide: 40, Options: 4, DimX: 24), seed: 5);
        float[] Run()
        {
            var model = new GpoModel<float>(config);
            model.Initialize(seed: 11);
            var trainer = new GpoTrainer<float>(model, learningRate: 1e-3, totalSteps: 4);
            var losses = Enumerable.Range(0, 4).Select(_ => trainer.Step(batch)).ToList();
            losses.Add(model.Forward(batch));
            return losses.ToArray();
        }
        var first = Run();
        Assert.Equal(first, Run());
        Assert.True(first[^1] < first[0], $"training did not lower the loss: {string.Join(", ", first)}");
    }

    [Fact]
    public void Checkpoint_round_trip_keeps_weights_names_and_architecture()
    {
        var config = new GpoConfig(DimX: 10, ModelWidth: 16, Heads: 2, Layers: 3, FeedForwardWidth: 20);
        var model = new GpoModel<float>(config);
        model.Initialize(seed: 2);
        var path = Path.Combine(folder, "model.safetensors");
        GpoCheckpoint.Save(model, path);
        using (var file = SafeTensors.Open(path))
        {
            Assert.Equal(config.ParameterShapes().Select(s => s.Name), file.Tensors.Select(t => t.Name));
            Assert.Equal([48L, 16L], file["encoder.layers.2.self_attn.in_proj_weight"].Shape);
            Assert.Equal([2L, 16L], file["predictor.2.weight"].Shape);
            Assert.Equal("2", file.Metadata["heads"]);
        }
        var loaded = GpoCheckpoint.Load<float>(path);
        Assert.Equal(config, loaded.Config);
        Assert.Equal(model.Parameters.Values, loaded.Parameters.Values);
    }

    [Fact]
    public void Checkpoint_with_a_wrong_shape_is_rejected_naming_the_tensor()
    {
        var path = Path.Combine(folder, "bad.safetensors");
        var shapes = new GpoConfig(DimX: 4, ModelWidth: 8, Heads: 2, Layers: 1, FeedForwardWidth: 8).ParameterShapes();
        SafeTensors.Write(path, shapes.Select(s =>
        {
            var shape = s.Name == "encoder.layers.0.linear2.weight" ? new long[] { 8, 7 } : s.Shape.Select(v => (long)v).ToArray();
            return (s.Name, (IReadOnlyList<long>)shape, (ReadOnlyMemory<float>)new float[shape.Aggregate(1L, (a, b) => a * b)]);
        }));
        var error = Assert.Throws<InvalidDataException>(() => GpoCheckpoint.Load<float>(path));
        Assert.Contains("encoder.layers.0.linear2.weight", error.Message);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Predicted_distributions_sum_to_one_and_do_not_depend_on_other_targets()
    {
        var model = new GpoModel<float>(new GpoConfig(DimX: 6, ModelWidth: 16, Heads: 2, Layers: 2, FeedForwardWidth: 16));
        model.Initialize(seed: 4);
        var random = new Random(9);
        float[] Vector() => Enumerable.Range(0, 6).Select(_ => (float)random.NextDouble()).ToArray();
        var context = Enumerable.Range(0, 5).Select(_ => new ContextToken(Vector(), (float)random.NextDouble())).ToList();
        var questionA = new TargetQuestion([Vector(), Vector(), Vector()], [0.2f, 0.5f, 0.3f]);
        var questionB = new TargetQuestion([Vector(), Vector()], [0.6f, 0.4f]);
        var both = GpoInference.Predict(model, context, [questionA, questionB]);
        Assert.NotNull(both.Loss);
        Assert.Equal(2, both.Predictions.Length);
        foreach (var p in both.Predictions) Assert.Equal(1.0, p.Sum(), 5);
        // Targets attend only to the context: question A's prediction is the same alone.
        var alone = GpoInference.Predict(model, context, [new TargetQuestion(questionA.Options)]);
        Assert.Null(alone.Loss);
        for (int i = 0; i < 3; i++) Assert.Equal(both.Predictions[0][i], alone.Predictions[0][i], 5);
    }

    [Fact]
    public void Predict_input_errors_name_the_field()
    {
        const string good = """{"context":[{"x":[1,2,3],"y":0.5}],"targets":[{"x":[[1,2,3],[4,5,6]],"y":[0.2,0.8]}]}""";
        var (context, targets) = PredictionInput.Parse(good, 3, "in.json");
        Assert.Single(context);
        Assert.Equal([0.2f, 0.8f], targets[0].Shares!);
        void Fails(string json, string fragment) =>
            Assert.Contains(fragment, Assert.Throws<InvalidDataException>(() => PredictionInput.Parse(json, 3, "in.json")).Message);
        Fails("""{"context":[{"x":[1,2,3],"y":0.5}],"targets":[{"x":[[1,2,3],[4,5]]}]}""", "in.json: targets[0].x[1]: expected 3 numbers, got 2");
        Fails("""{"context":[{"x":[1,2,3]}],"targets":[]}""", "context[0]: missing \"y\"");
        Fails("""{"context":[{"x":[1,"a",3],"y":1}],"targets":[]}""", "context[0].x[1]: expected a finite number");
        Fails("""{"context":[{"x":[1,2,3],"y":1}],"targets":[{"x":[[1,2,3]],"y":[0.1,0.9]}]}""", "targets[0].y: expected 1 numbers, got 2");
        Fails("""{"context":[],"targets":[]}""", "at least one");
        Fails("""{"targets":[]}""", "missing \"context\"");
        Fails("""{"context":[""", "not well-formed JSON");
    }
}
