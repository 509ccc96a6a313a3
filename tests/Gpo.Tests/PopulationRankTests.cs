using System.Text.Json.Nodes;
using Gpo.Cli;
using Gpo.Data;
using Gpo.Embeddings;
using Gpo.Evaluation;
using Gpo.Evaluation.Baselines;
using Gpo.Model;
using Gpo.Reward;
using Gpo.Tests.Embeddings;
using Gpo.Training;

namespace Gpo.Tests;

/// <summary>
/// Population checkpoints (gpo-prior, gpo-groups, gpo-residual) as group reward models on dataset questions: a
/// question's options have the training-side groups' answers their features need, so <c>gpo rank --question</c> ranks
/// them through <see cref="GpoPredictor"/> on an episode of the group's context and that one query. Pinned to an
/// independent <see cref="GpoPredictor.Predict"/> call and, for an untrained residual model, to the
/// <see cref="PriorResidualPredictor"/> baseline it offsets.
/// </summary>
[Collection("notebooks")] // the CLI tests redirect the process's console
public sealed class PopulationRankTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("gpo-population-rank-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>A gpo-residual checkpoint trained for 3 steps on the synthetic preset through <c>gpo train</c>, with its run's held-out groups.</summary>
    private static readonly Lazy<(string Checkpoint, string[] HeldOut)> Trained = new(() =>
    {
        var run = Path.Combine(Path.GetTempPath(), "gpo-population-rank-tests-" + Environment.ProcessId, "run");
        var (exit, _, error) = CliRunner.Run("train", "--data", "synthetic", "--variant", "gpo-residual", "--run", run, "--steps", "3", "--eval-every", "1",
            "--width", "16", "--layers", "1", "--ffn", "16", "--lr", "1e-2");
        Assert.True(exit == 0, error);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "config.json")))!;
        return (Path.Combine(run, "checkpoints", "best.safetensors"), config["split"]!["meta_test"]!.AsArray().Select(g => (string)g!).ToArray());
    });

    private static JsonNode Rank(params string[] args)
    {
        var (exit, output, error) = CliRunner.Run(["rank", .. args]);
        Assert.True(exit == 0, error);
        return JsonNode.Parse(output)!;
    }

    [Fact]
    public void Gpo_rank_orders_a_questions_options_by_the_population_predictors_shares()
    {
        var (checkpoint, heldOut) = Trained.Value;
        var dataset = SyntheticBenchmark.Generate();
        var (predictor, _) = GpoPredictor.FromCheckpoint(checkpoint, dataset);
        Assert.Equal("gpo-residual", predictor.Model.Inputs.MethodName);
        var orderDiffers = 0;
        foreach (var group in heldOut.Take(2))
        {
            var draw = ContextDraw.For(dataset, [group], 5, 1)[0];
            foreach (var questionId in draw.QueryQuestionIds.Take(3))
            {
                var json = Rank("--checkpoint", checkpoint, "--data", "synthetic", "--group", group, "--k", "5", "--seed", "1", "--question", questionId);

                Assert.Equal(draw.ContextQuestionIds, json["context_ids"]!.AsArray().Select(n => (string)n!));
                Assert.Equal("gpo-residual", (string?)json["method"]);
                Assert.Equal(group, (string?)json["group"]);
                // The independent reference: the predictor on the evaluation episode of this context and the question as a query.
                var episode = new Episode(group, [.. draw.ContextQuestionIds.Select(id => EpisodeFactory.Question(dataset, group, id))], [EpisodeFactory.Question(dataset, group, questionId)]);
                var shares = predictor.Predict(episode)[0];
                var question = dataset.GetQuestion(questionId);
                var ranking = json["ranking"]!.AsArray();
                var expectedOrder = Enumerable.Range(0, question.OptionCount).OrderByDescending(o => shares[o]).ThenBy(o => o).ToList();
                Assert.Equal(expectedOrder, ranking.Select(r => (int)r!["index"]!));
                Assert.Equal(Enumerable.Range(1, question.OptionCount), ranking.Select(r => (int)r!["rank"]!));
                Assert.Equal(expectedOrder[0], (int)json["best"]!);
                foreach (var entry in ranking)
                {
                    var o = (int)entry!["index"]!;
                    Assert.Equal(question.Options[o], (string?)entry["text"]);
                    Assert.Equal(shares[o], (double)entry["share"]!, 1e-6); // shares are written with 6 decimals
                }
                if (!expectedOrder.SequenceEqual(Enumerable.Range(0, question.OptionCount))) orderDiffers++;
            }
        }
        Assert.True(orderDiffers > 0, "every ranking was the option order: the comparison above could not tell a ranking from the input order");

        // The library API gives the same ranking.
        var libraryDraw = ContextDraw.For(dataset, [heldOut[0]], 5, 1)[0];
        var library = DatasetQuestionRanker.FromCheckpoint(checkpoint, dataset).Rank(heldOut[0], libraryDraw.ContextQuestionIds, libraryDraw.QueryQuestionIds[0]);
        var viaCli = Rank("--checkpoint", checkpoint, "--data", "synthetic", "--group", heldOut[0], "--k", "5", "--seed", "1", "--question", libraryDraw.QueryQuestionIds[0]);
        Assert.Equal(viaCli["ranking"]!.AsArray().Select(r => (int)r!["index"]!), library.Ranked.Select(c => c.Index));

        // Explicit context questions instead of a draw.
        var chosen = libraryDraw.ContextQuestionIds.Take(3).ToArray();
        var explicitJson = Rank(["--checkpoint", checkpoint, "--data", "synthetic", "--group", heldOut[0], "--question", libraryDraw.QueryQuestionIds[0], .. chosen.SelectMany(id => new[] { "--context", id })]);
        var explicitShares = predictor.Predict(new Episode(heldOut[0], [.. chosen.Select(id => EpisodeFactory.Question(dataset, heldOut[0], id))], [EpisodeFactory.Question(dataset, heldOut[0], libraryDraw.QueryQuestionIds[0])]))[0];
        foreach (var entry in explicitJson["ranking"]!.AsArray())
            Assert.Equal(explicitShares[(int)entry!["index"]!], (double)entry["share"]!, 1e-6); // shares are written with 6 decimals
    }

    [Fact]
    public void An_untrained_residual_ranker_gives_each_group_its_prior_residual_baseline()
    {
        var dataset = SyntheticBenchmark.Generate(new SyntheticSettings { Seed = 2 });
        var split = GroupSplit.ByFraction(dataset.Groups, 0.6, seed: 1);
        var trainer = new MetaTrainer(dataset, split, new GpoConfig(dataset.Features!.Dimension, 16, 2, 1, 16),
            new TrainingOptions { Steps = 1, EvaluateEvery = 1, Population = PopulationInputs.Residual, Seed = 3 });
        var ranker = new DatasetQuestionRanker(trainer.Predictor(trainer.NewModel()), dataset);
        var baseline = new PriorResidualPredictor(trainer.Population!);
        var (a, b) = (split.MetaTest[0], split.MetaTest[1]);
        var draw = ContextDraw.Shared(dataset, [a, b], 5, seed: 2);
        Assert.Equal(draw[0].ContextQuestionIds, draw[1].ContextQuestionIds);
        Assert.NotEqual(dataset.GetDistribution(a, draw[0].ContextQuestionIds[0]), dataset.GetDistribution(b, draw[0].ContextQuestionIds[0]));

        var favouritesDiffer = 0;
        foreach (var questionId in draw[0].QueryQuestionIds.Take(30))
        {
            var rankings = new List<CandidateRanking>();
            foreach (var group in new[] { a, b })
            {
                var ranking = ranker.Rank(group, draw[0].ContextQuestionIds, questionId);
                var episode = new Episode(group, [.. draw[0].ContextQuestionIds.Select(id => EpisodeFactory.Question(dataset, group, id))], [EpisodeFactory.Question(dataset, group, questionId)]);
                // Softmax(constant μ + log base) is the floored base, renormalised (float32 softmax).
                var floored = baseline.Predict(episode)[0].Select(v => Math.Max(v, GpoInputs.ShareFloor)).ToArray();
                for (var o = 0; o < floored.Length; o++) Assert.InRange(ranking.Candidates[o].Share - floored[o] / floored.Sum(), -2e-6, 2e-6);
                Assert.Equal(Enumerable.Range(0, floored.Length).MaxBy(o => floored[o]), ranking.Best.Index);
                rankings.Add(ranking);
            }
            var gap = Enumerable.Range(0, rankings[0].Candidates.Count).Max(o => Math.Abs(rankings[0].Candidates[o].Share - rankings[1].Candidates[o].Share));
            Assert.True(gap > 1e-3, $"{questionId}: {a} and {b} get the same shares (largest gap {gap}) though their context answers differ");
            if (rankings[0].Best.Index != rankings[1].Best.Index) favouritesDiffer++;
        }
        Assert.True(favouritesDiffer > 0, $"{a} and {b} have the same favourite on every question ranked");
    }

    [Fact]
    public void Free_text_candidates_and_misplaced_questions_are_refused_for_a_population_checkpoint()
    {
        var (checkpoint, heldOut) = Trained.Value;
        var profile = Path.Combine(folder, "p.json");
        File.WriteAllText(profile, "{\"group\": \"g\", \"context\": [{\"question\": \"q\", \"options\": [\"a\", \"b\"], \"shares\": [0.5, 0.5]}]}");
        foreach (var args in new[]
        {
            new[] { "--data", "synthetic", "--group", heldOut[0], "--prompt", "Pick one.", "--candidate", "a", "--candidate", "b" },
            ["--profile", profile, "--prompt", "Pick one.", "--candidate", "a", "--candidate", "b"],
            ["--data", "synthetic", "--group", heldOut[0], "--prompt", "Pick one.", "--samples", "3"],
            ["--data", "synthetic", "--group", heldOut[0]],
        })
        {
            var (exit, output, error) = CliRunner.Run(["rank", "--checkpoint", checkpoint, .. args]);
            Assert.Equal(1, exit);
            Assert.Equal("", output);
            Assert.Contains("is a gpo-residual checkpoint", error, StringComparison.Ordinal);
            Assert.Contains("rank a dataset question's options with --data, --group and --question", error, StringComparison.Ordinal);
            Assert.Single(error.TrimEnd().Split('\n'));
        }

        var dataset = SyntheticBenchmark.Generate();
        var draw = ContextDraw.For(dataset, [heldOut[0]], 5, 0)[0];
        var (refused, _, message) = CliRunner.Run("rank", "--checkpoint", checkpoint, "--data", "synthetic", "--group", heldOut[0], "--k", "5", "--question", draw.ContextQuestionIds[2]);
        Assert.Equal(1, refused);
        Assert.Contains($"--question {draw.ContextQuestionIds[2]} is one of the group's context questions", message, StringComparison.Ordinal);
        (refused, _, message) = CliRunner.Run("rank", "--checkpoint", checkpoint, "--data", "synthetic", "--group", "nobody", "--question", draw.QueryQuestionIds[0]);
        Assert.Equal(1, refused);
        Assert.Contains("nobody", message, StringComparison.Ordinal);
        (refused, _, message) = CliRunner.Run("rank", "--checkpoint", checkpoint, "--data", "synthetic", "--group", heldOut[0], "--question", "no-such-question");
        Assert.Equal(1, refused);
        Assert.Contains("no-such-question", message, StringComparison.Ordinal);

        var ranker = DatasetQuestionRanker.FromCheckpoint(checkpoint, dataset);
        Assert.Contains("is one of the group's context questions", Assert.Throws<ArgumentException>(() => ranker.Rank(heldOut[0], draw.ContextQuestionIds, draw.ContextQuestionIds[0])).Message, StringComparison.Ordinal);
        Assert.Contains("DatasetQuestionRanker", Assert.Throws<ArgumentException>(() =>
            new GroupRewardModel(GpoCheckpoint.Load<float>(checkpoint), new FixedEncoder(dataset.Features!.Dimension), EmbeddingTemplate.Compact)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_checkpoint_trained_on_another_version_of_the_data_is_refused()
    {
        // Trained on the synthetic benchmark of seed 4; the preset is the one of the default seed (another version).
        var other = SyntheticBenchmark.Generate(new SyntheticSettings { Seed = 4 });
        var split = GroupSplit.ByFraction(other.Groups, 0.6, seed: 2);
        var run = new RunFolder(Path.Combine(folder, "other"));
        new MetaTrainer(other, split, new GpoConfig(other.Features!.Dimension, 16, 2, 1, 16),
            new TrainingOptions { Steps = 1, EvaluateEvery = 1, Population = PopulationInputs.Residual, Seed = 5 }).Train(run);
        // The features entry gpo train writes for a dataset's own features.
        var config = JsonNode.Parse(File.ReadAllText(run.ConfigFile))!.AsObject();
        config["features"] = new JsonObject { ["source"] = "dataset", ["dimension"] = other.Features!.Dimension };
        File.WriteAllText(run.ConfigFile, config.ToJsonString());
        var preset = SyntheticBenchmark.Generate();
        Assert.NotEqual(other.Provenance.Version, preset.Provenance.Version);

        var draw = ContextDraw.For(preset, [split.MetaTest[0]], 5, 0)[0];
        var (exit, output, error) = CliRunner.Run("rank", "--checkpoint", run.BestCheckpoint, "--data", "synthetic", "--group", split.MetaTest[0], "--k", "5", "--question", draw.QueryQuestionIds[0]);
        Assert.Equal(1, exit);
        Assert.Equal("", output);
        Assert.True(error.Contains(run.BestCheckpoint, StringComparison.Ordinal), error);
        Assert.Contains($"version {other.Provenance.Version[..12]}", error, StringComparison.Ordinal);
        Assert.Contains("its population features need the same data", error, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => DatasetQuestionRanker.FromCheckpoint(run.BestCheckpoint, preset));
        // Its own data version loads.
        var own = ContextDraw.For(other, [split.MetaTest[0]], 5, 0)[0];
        Assert.Equal(other.GetQuestion(own.QueryQuestionIds[0]).OptionCount,
            DatasetQuestionRanker.FromCheckpoint(run.BestCheckpoint, other).Rank(split.MetaTest[0], own.ContextQuestionIds, own.QueryQuestionIds[0]).Candidates.Count);
    }

    [SkippableFact]
    public void On_opinionqa_500_gpo_rank_embeds_the_data_as_training_did_and_ranks_as_the_predictor()
    {
        Skip.If(TestData.RealDataRoot is null, TestData.NoRealData);
        Skip.If(ModelFolder.Path is null, "needs the all-MiniLM-L6-v2 folder in GPO_MODEL (test.sh sets it from ../shared)");
        var run = Path.Combine(folder, "real");
        var (exit, _, error) = CliRunner.Run("train", "--data", "opinionqa-500", "--variant", "gpo-residual", "--run", run, "--steps", "2", "--eval-every", "1",
            "--width", "16", "--layers", "1", "--ffn", "16", "--lr", "1e-3");
        Assert.True(exit == 0, error);
        var checkpoint = Path.Combine(run, "checkpoints", "best.safetensors");
        var (dataset, _) = FeatureSource.Attach(DatasetLoader.Load("opinionqa-500"), null, null, EmbeddingTemplate.Compact, FeaturePostprocessing.None, null, null);
        var (predictor, _) = GpoPredictor.FromCheckpoint(checkpoint, dataset);
        var draws = ContextDraw.For(dataset, ["Republican", "Black"], 10, 0);
        var questionId = draws[0].QueryQuestionIds.Intersect(draws[1].QueryQuestionIds).First(id => dataset.GetQuestion(id).OptionCount >= 4);
        var shares = new List<double[]>();
        foreach (var draw in draws)
        {
            var json = Rank("--checkpoint", checkpoint, "--data", "opinionqa-500", "--group", draw.Group, "--k", "10", "--seed", "0", "--question", questionId);
            Assert.Equal("compact", (string?)json["template"]);
            var expected = predictor.Predict(new Episode(draw.Group, [.. draw.ContextQuestionIds.Select(id => EpisodeFactory.Question(dataset, draw.Group, id))], [EpisodeFactory.Question(dataset, draw.Group, questionId)]))[0];
            var ranking = json["ranking"]!.AsArray();
            Assert.Equal(Enumerable.Range(0, expected.Length).OrderByDescending(o => expected[o]).ThenBy(o => o), ranking.Select(r => (int)r!["index"]!));
            foreach (var entry in ranking) Assert.Equal(expected[(int)entry!["index"]!], (double)entry["share"]!, 1e-6);
            shares.Add(expected);
        }
        Assert.True(Enumerable.Range(0, shares[0].Length).Max(o => Math.Abs(shares[0][o] - shares[1][o])) > 1e-3, "Republican and Black got the same shares");
    }

    /// <summary>An encoder of the right width that must never be called (construction checks only).</summary>
    private sealed class FixedEncoder(int dimension) : ITextEncoder
    {
        public int Dimension => dimension;
        public string Identity => "fixed";
        public float[] Embed(IReadOnlyList<string> texts, IProgress<int>? progress = null, CancellationToken cancellationToken = default) => throw new InvalidOperationException("not used");
    }
}
