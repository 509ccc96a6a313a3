using Gpo.Data;
using Gpo.Evaluation;
using Gpo.Evaluation.Baselines;
using Gpo.Model;
using Gpo.Training;

namespace Gpo.Tests;

/// <summary>
/// The population variants of GPO (gpo-prior, gpo-groups): what their tokens carry, hand-worked; that a group's own
/// answers never enter its own features; that checkpoints record the inputs and predictors refuse mismatches.
/// </summary>
public sealed class PopulationInputsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpo-population-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>A tiny model on a synthetic benchmark at fraction 0.6, for the given population variant.</summary>
    private static (PreferenceDataset Dataset, GroupSplit Split, MetaTrainer Trainer) SmallTrainer(int dataSeed, int splitSeed, int steps, PopulationInputs variant, int seed)
    {
        var dataset = SyntheticBenchmark.Generate(new SyntheticSettings { Seed = dataSeed });
        var split = GroupSplit.ByFraction(dataset.Groups, 0.6, seed: splitSeed);
        return (dataset, split, new MetaTrainer(dataset, split, new GpoConfig(dataset.Features!.Dimension, 16, 2, 1, 16),
            new TrainingOptions { Steps = steps, EvaluateEvery = 1, Population = variant, Seed = seed }));
    }

    private static TrainingPopulation Population(double aFirst = 0.8) => TrainingPopulation.FromGroups(
    [
        ("A", [("q1", new[] { aFirst, 1 - aFirst }), ("q2", new[] { 0.1, 0.3, 0.6 })]),
        ("B", [("q1", new[] { 0.4, 0.6 })]),
        ("C", [("q1", new[] { 0.3, 0.7 }), ("q2", new[] { 0.5, 0.3, 0.2 })]),
    ]);

    private static float[][] Text(int options, int width) => Enumerable.Range(0, options).Select(o => Enumerable.Repeat((float)(o + 1), width).ToArray()).ToArray();

    [Fact]
    public void Features_of_an_outside_group_are_the_hand_worked_population_shares()
    {
        var inputs = new GpoInputs(2, Population: true, PopulationSlots: 3, PriorOffset: true);
        Assert.Equal(2 + 3 + 2 * 3, inputs.Width);
        var tokens = new PopulationTokenInputs(Population(), inputs, "test-group");
        var x = new float[2 * inputs.Width];
        var offset = new float[2];
        tokens.Write("q1", Text(2, 2), x, offset);
        // p̄ = mean(0.8, 0.4, 0.3) = 0.5 for option 0 and 0.5 for option 1.
        Assert.Equal([1f, 1f], x[..2]);
        Assert.Equal(0.5f, x[2], 6);
        Assert.Equal((float)Math.Log(0.5), x[3], 6);
        Assert.Equal(1f, x[4]);
        // Slots in population order: A 0.8 − 0.5, B 0.4 − 0.5, C 0.3 − 0.5, scaled by 4, each present.
        Assert.Equal([1.2f, 1f, -0.4f, 1f, -0.8f, 1f], x[5..11].Select(v => MathF.Round(v, 5)).ToArray());
        Assert.Equal((float)Math.Log(0.5), offset[0], 6);

        // q2: B did not answer; its slot is empty; p̄ over A and C.
        x = new float[3 * inputs.Width];
        offset = new float[3];
        tokens.Write("q2", Text(3, 2), x, offset);
        var row2 = x.AsSpan(2 * inputs.Width, inputs.Width).ToArray();
        Assert.Equal(0.4f, row2[2], 6);
        Assert.Equal([0.8f, 1f, 0f, 0f, -0.8f, 1f], row2[5..11].Select(v => MathF.Round(v, 5)).ToArray());

        // A question nobody answered: uniform p̄, not covered, empty slots.
        x = new float[2 * inputs.Width];
        tokens.Write("q9", Text(2, 2), x, offset);
        Assert.Equal(0.5f, x[2], 6);
        Assert.Equal(0f, x[4]);
        Assert.All(x[5..11], v => Assert.Equal(0f, v));
    }

    [Fact]
    public void A_groups_own_answers_never_enter_its_own_features()
    {
        var inputs = new GpoInputs(2, Population: true, PopulationSlots: 2, PriorOffset: true);
        float[] Features(double aFirst, int seed)
        {
            var population = Population(aFirst);
            // Exactly what meta-training does for group A in a step: a random slot order of the other groups.
            var slots = PopulationTokenInputs.RandomSlots(population, "A", inputs.PopulationSlots, new Random(seed));
            Assert.DoesNotContain(population.IndexOf("A"), slots);
            var tokens = new PopulationTokenInputs(population, inputs, "A", slots);
            var x = new float[2 * inputs.Width];
            var offset = new float[2];
            tokens.Write("q1", Text(2, 2), x, offset);
            return [.. x, .. offset];
        }
        for (var seed = 0; seed < 5; seed++)
            Assert.Equal(Features(0.8, seed), Features(0.05, seed));
        // Whereas another group's features do change with A's answers.
        var outside = new GpoInputs(2, Population: true, PopulationSlots: 3, PriorOffset: true);
        float[] Others(double aFirst)
        {
            var x = new float[2 * outside.Width];
            new PopulationTokenInputs(Population(aFirst), outside, "B-test").Write("q1", Text(2, 2), x, new float[2]);
            return x;
        }
        Assert.NotEqual(Others(0.8), Others(0.05));
    }

    [Fact]
    public void An_untrained_prior_offset_model_predicts_the_prior_and_checkpoints_record_the_inputs()
    {
        var (dataset, split, trainer) = SmallTrainer(dataSeed: 1, splitSeed: 0, steps: 1, PopulationInputs.Groups, seed: 3);
        Assert.Equal(dataset.Features!.Dimension + 3 + 2 * (split.MetaTrain.Count + split.Validation.Count - 1), trainer.Inputs.Width);
        var run = new RunFolder(Path.Combine(_folder, "run"));
        var result = trainer.Train(run);
        Assert.InRange(result.BestStep, 0, 1); // step 0 (the prior) is a candidate
        var model = GpoCheckpoint.Load<float>(run.BestCheckpoint);
        Assert.Equal(trainer.Inputs, model.Inputs);

        var predictor = trainer.Predictor(trainer.NewModel());
        var episode = EpisodeFactory.Episode(dataset, ContextDraw.Shared(dataset, split.MetaTest, 3, seed: 0)[0]);
        var prior = trainer.Population!;
        var predicted = predictor.Predict(episode);
        for (var q = 0; q < predicted.Length; q++)
        {
            // Softmax(μ + log p̄) with a constant μ is p̄ itself; a test group's passes each leave one training-side group out.
            var expected = new double[predicted[q].Length];
            foreach (var left in prior.Groups)
            {
                var floored = prior.Prior(episode.Queries[q].QuestionId, excludeGroup: left)!.Select(v => Math.Max(v, GpoInputs.ShareFloor)).ToArray();
                var sum = floored.Sum();
                for (var o = 0; o < expected.Length; o++) expected[o] += floored[o] / sum / prior.Groups.Count;
            }
            for (var o = 0; o < expected.Length; o++) Assert.InRange(predicted[q][o] - expected[o], -2e-6, 2e-6); // float32 softmax
        }
        // No context: the prior itself.
        var noContext = predictor.Predict(episode with { Context = [] });
        Assert.Equal(prior.Prior(episode.Queries[0].QuestionId)!, noContext[0]);

        // Mismatches are refused with clear errors.
        var error = Assert.Throws<ArgumentException>(() => new GpoPredictor(model));
        Assert.Contains("population", error.Message, StringComparison.Ordinal);
        var plain = new GpoModel<float>(new GpoConfig(dataset.Features!.Dimension, 16, 2, 1, 16));
        Assert.Throws<ArgumentException>(() => new GpoPredictor(plain, population: prior));
        Assert.Throws<ArgumentException>(() => plain.Inputs = trainer.Inputs);
    }

    [Fact]
    public void An_untrained_residual_model_predicts_the_prior_residual_baseline()
    {
        var (dataset, split, trainer) = SmallTrainer(dataSeed: 2, splitSeed: 1, steps: 1, PopulationInputs.Residual, seed: 3);
        Assert.Equal("gpo-residual", trainer.Inputs.MethodName);
        var predictor = trainer.Predictor(trainer.NewModel());
        var episode = EpisodeFactory.Episode(dataset, ContextDraw.Shared(dataset, split.MetaTest, 5, seed: 2)[0]);
        var baseline = new PriorResidualPredictor(trainer.Population!).Predict(episode);
        var predicted = predictor.Predict(episode);
        for (var q = 0; q < predicted.Length; q++)
        {
            var floored = baseline[q].Select(v => Math.Max(v, GpoInputs.ShareFloor)).ToArray();
            for (var o = 0; o < floored.Length; o++) Assert.InRange(predicted[q][o] - floored[o] / floored.Sum(), -2e-6, 2e-6); // float32 softmax
        }
        // The checkpoint records the base, and a run trains and reloads.
        var run = new RunFolder(Path.Combine(_folder, "residual"));
        trainer.Train(run);
        Assert.Equal(GpoInputs.PriorResidualBase, GpoCheckpoint.Load<float>(run.BestCheckpoint).Inputs.OffsetBase);
    }

    [Fact]
    public void A_population_checkpoint_loads_for_its_dataset_and_refuses_another()
    {
        var (dataset, split, trainer) = SmallTrainer(dataSeed: 4, splitSeed: 2, steps: 2, PopulationInputs.Prior, seed: 5);
        var run = new RunFolder(Path.Combine(_folder, "loads"));
        trainer.Train(run);
        var episode = EpisodeFactory.Episode(dataset, ContextDraw.Shared(dataset, split.MetaTest, 4, seed: 1)[0]);
        var (loaded, _) = GpoPredictor.FromCheckpoint(run.BestCheckpoint, dataset);
        Assert.Equal(trainer.Predictor(GpoCheckpoint.Load<float>(run.BestCheckpoint)).Predict(episode), loaded.Predict(episode));

        var other = SyntheticBenchmark.Generate(new SyntheticSettings { Seed = 5 });
        var error = Assert.Throws<InvalidDataException>(() => GpoPredictor.FromCheckpoint(run.BestCheckpoint, other));
        Assert.Contains(run.BestCheckpoint, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Predict_input_for_an_offset_model_needs_offsets_and_the_full_x()
    {
        var inputs = new GpoInputs(2, Population: true, PopulationSlots: 0, PriorOffset: true);
        const string good = "{\"context\":[{\"x\":[1,2,3,4,5],\"y\":0.5}],\"targets\":[{\"x\":[[1,2,3,4,5],[1,2,3,4,5]],\"offset\":[-0.7,-0.7]}]}";
        var (_, targets) = PredictionInput.Parse(good, inputs.Width, "in.json", inputs);
        Assert.Equal([-0.7f, -0.7f], targets[0].Offset!);
        var noOffset = good.Replace(",\"offset\":[-0.7,-0.7]", "", StringComparison.Ordinal);
        Assert.Contains("targets[0]: missing \"offset\"", Assert.Throws<InvalidDataException>(() => PredictionInput.Parse(noOffset, inputs.Width, "in.json", inputs)).Message, StringComparison.Ordinal);
        Assert.Contains("targets[0].offset: this checkpoint predicts no offset", Assert.Throws<InvalidDataException>(() => PredictionInput.Parse(good, 5, "in.json")).Message, StringComparison.Ordinal);
        var textOnly = good.Replace("{\"x\":[1,2,3,4,5],\"y\"", "{\"x\":[1,2],\"y\"", StringComparison.Ordinal);
        Assert.Contains("context[0].x: this checkpoint (gpo-prior) reads population features", Assert.Throws<InvalidDataException>(() => PredictionInput.Parse(textOnly, inputs.Width, "in.json", inputs)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Checkpoint_inputs_metadata_round_trips_and_is_validated()
    {
        var inputs = new GpoInputs(5, Population: true, PopulationSlots: 2, PriorOffset: true);
        Assert.Equal(inputs, GpoInputs.FromMetadata(inputs.ToMetadata(), inputs.Width, "c.safetensors"));
        var residual = inputs with { PopulationSlots = 0, OffsetBase = GpoInputs.PriorResidualBase };
        Assert.Equal(residual, GpoInputs.FromMetadata(residual.ToMetadata(), residual.Width, "c.safetensors"));
        Assert.Equal(GpoInputs.Text(7), GpoInputs.FromMetadata(new Dictionary<string, string>(), 7, "c.safetensors"));
        var wrongWidth = Assert.Throws<InvalidDataException>(() => GpoInputs.FromMetadata(inputs.ToMetadata(), inputs.Width + 1, "c.safetensors"));
        Assert.Contains("c.safetensors", wrongWidth.Message, StringComparison.Ordinal);
        var broken = new Dictionary<string, string>(inputs.ToMetadata()) { ["inputs.prior_offset"] = "maybe" };
        Assert.Contains("inputs.prior_offset", Assert.Throws<InvalidDataException>(() => GpoInputs.FromMetadata(broken, inputs.Width, "c")).Message, StringComparison.Ordinal);
    }
}
