using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Gpo.Cli;
using Gpo.Data;
using Gpo.Embeddings;
using Gpo.Evaluation;
using Gpo.Llm;
using Gpo.Model;
using Gpo.Reward;
using Gpo.Tests.Embeddings;

namespace Gpo.Tests;

/// <summary>
/// GPO as a group reward model: candidates become the options of one target question, embedded with the
/// training template; the ranking must be exactly GPO's forward pass over those tokens. The real-data tests
/// rank a held-out question's options with a checkpoint trained on opinionqa-500 and compare with
/// <see cref="GpoPredictor"/> on the same episode.
/// </summary>
[Collection("notebooks")] // the CLI tests redirect the process's console
public sealed class RewardTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("gpo-reward-").FullName;
    private readonly List<IDisposable> owned = [];

    public void Dispose()
    {
        foreach (var item in owned) item.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    /// <summary>Deterministic 8-d vectors from a text's SHA-256 (a stand-in encoder; no model files needed).</summary>
    private sealed class HashEncoder : ITextEncoder
    {
        public int Dimension => 8;
        public string Identity => "hash-8";
        public List<string> Seen { get; } = [];

        public float[] Embed(IReadOnlyList<string> texts, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
        {
            Seen.AddRange(texts);
            return texts.SelectMany(Vector).ToArray();
        }

        public static float[] Vector(string text) =>
            SHA256.HashData(Encoding.UTF8.GetBytes(text)).Take(8).Select(b => (b - 127.5f) / 64f).ToArray();
    }

    private static GpoModel<float> TinyModel(int dimX = 8)
    {
        var model = new GpoModel<float>(new GpoConfig(dimX, 16, 2, 1, 16));
        model.Initialize(3);
        return model;
    }

    private static readonly GroupProfile Profile = new("readers",
    [
        new ProfileQuestion("Do you read the news daily?", ["Yes", "No"], [0.8, 0.2]),
        new ProfileQuestion("Which section first?", ["Politics", "Sport", "Culture"], [0.5, 0.1, 0.4]),
    ]);

    private static readonly string[] Slogans = ["Facts first.", "Sport every day.", "Culture matters.", "Read less."];

    [Fact]
    public void Ranking_is_gpo_over_the_template_texts_of_context_and_candidates()
    {
        var model = TinyModel();
        var encoder = new HashEncoder();
        var reward = new GroupRewardModel(model, encoder, EmbeddingTemplate.Compact);

        var ranking = reward.Rank(Profile, "Pick our slogan.", Slogans);

        // The same tokens built by hand: each context option's compact text with its share, each candidate as an option.
        var context = Profile.Context.SelectMany(q => q.Options.Select((_, o) => new ContextToken(HashEncoder.Vector(EmbeddingTemplate.Compact.Format(q.Text, q.Options, o)), (float)q.Shares[o]))).ToArray();
        var target = new TargetQuestion(Slogans.Select((_, i) => HashEncoder.Vector(EmbeddingTemplate.Compact.Format("Pick our slogan.", Slogans, i))).ToArray());
        var expected = GpoInference.Predict(model, context, [target]).Predictions[0];

        Assert.Equal(expected.Select(v => (double)v), ranking.Candidates.Select(c => c.Share));
        Assert.Equal(Slogans, ranking.Candidates.Select(c => c.Text));
        var order = Enumerable.Range(0, 4).OrderByDescending(i => expected[i]).ToList();
        Assert.Equal(order, ranking.Ranked.Select(c => c.Index));
        Assert.Equal([1, 2, 3, 4], ranking.Ranked.Select(c => c.Rank));
        Assert.Equal(order[0], ranking.Best.Index);
        Assert.Equal(1.0, ranking.Candidates.Sum(c => c.Share), 6);
        Assert.Equal("Question: Pick our slogan.\nOptions: A. Facts first. B. Sport every day. C. Culture matters. D. Read less.\nAnswer: B. Sport every day.", encoder.Seen[^3]);

        var json = ranking.ToJson();
        Assert.Equal(order[0], (int)json["best"]!);
        Assert.Equal(Slogans[order[0]], (string)json["ranking"]![0]!["text"]!);
        Assert.Equal(1, (int)json["ranking"]![0]!["rank"]!);
    }

    [Fact]
    public void With_an_order_free_template_permuting_the_candidates_permutes_their_shares()
    {
        var reward = new GroupRewardModel(TinyModel(), new HashEncoder(), EmbeddingTemplate.QuestionAnswer);
        var forward = reward.Rank(Profile, "Pick our slogan.", Slogans);
        var reversed = reward.Rank(Profile, "Pick our slogan.", [.. Slogans.Reverse()]);
        for (var i = 0; i < Slogans.Length; i++)
            Assert.Equal(forward.Candidates[i].Share, reversed.Candidates[Slogans.Length - 1 - i].Share, 6);
        Assert.Equal(forward.Best.Text, reversed.Best.Text);
    }

    [Fact]
    public void Per_question_centring_treats_the_candidates_as_one_question()
    {
        var model = TinyModel();
        var ranking = new GroupRewardModel(model, new HashEncoder(), EmbeddingTemplate.QuestionAnswer, new FeaturePostprocessing(CenterPerQuestion: true)).Rank(Profile, "Pick.", Slogans);

        static float[][] Centred(float[][] rows) =>
            rows.Select(r => r.Select((v, j) => v - rows.Average(x => x[j])).ToArray()).ToArray();
        var context = Profile.Context.SelectMany(q =>
            Centred(q.Options.Select((_, o) => HashEncoder.Vector(EmbeddingTemplate.QuestionAnswer.Format(q.Text, q.Options, o))).ToArray())
                .Select((x, o) => new ContextToken(x, (float)q.Shares[o]))).ToArray();
        var target = new TargetQuestion(Centred(Slogans.Select((_, i) => HashEncoder.Vector(EmbeddingTemplate.QuestionAnswer.Format("Pick.", Slogans, i))).ToArray()));
        var expected = GpoInference.Predict(model, context, [target]).Predictions[0];
        Assert.Equal(expected.Select(v => (double)v), ranking.Candidates.Select(c => c.Share), new Tolerance(1e-6));
    }

    [Fact]
    public void Unusable_settings_and_candidates_are_refused_with_a_reason()
    {
        Assert.Contains("standardised features", Assert.Throws<ArgumentException>(() =>
            new GroupRewardModel(TinyModel(), new HashEncoder(), EmbeddingTemplate.Compact, new FeaturePostprocessing(Standardize: true))).Message, StringComparison.Ordinal);
        Assert.Contains("the encoder gives 8-d vectors, the checkpoint expects 5-d features", Assert.Throws<ArgumentException>(() =>
            new GroupRewardModel(TinyModel(5), new HashEncoder(), EmbeddingTemplate.Compact)).Message, StringComparison.Ordinal);
        var reward = new GroupRewardModel(TinyModel(), new HashEncoder(), EmbeddingTemplate.Compact);
        Assert.Contains("at least 2 candidates, got 1", Assert.Throws<ArgumentException>(() => reward.Rank(Profile, "p", ["only"])).Message, StringComparison.Ordinal);
        Assert.Contains("candidate 2 is empty", Assert.Throws<ArgumentException>(() => reward.Rank(Profile, "p", ["a", " "])).Message, StringComparison.Ordinal);
        Assert.Contains("no context questions", Assert.Throws<ArgumentException>(() => reward.Rank(new GroupProfile("g", []), "p", ["a", "b"])).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"group\": \"g\", \"context\": [{\"question\": \"q\", \"options\": [\"a\", \"b\"], \"shares\": [0.6, 0.4]}, {\"question\": \"r\", \"options\": [\"a\", \"b\", \"c\"], \"shares\": [0.5, 0.5]}]}",
        "field 'context[1].shares': expected 3 numbers (one per option), got 2")]
    [InlineData("{\"group\": \"g\", \"context\": [{\"question\": \"q\", \"options\": [\"a\", \"b\"], \"shares\": [0.6, 0.6]}]}", "field 'context[0].shares': the shares sum to 1.2, expected 1")]
    [InlineData("{\"group\": \"g\", \"context\": [{\"question\": \"q\", \"options\": [\"a\", \"b\"], \"shares\": [1.2, -0.2]}]}", "field 'context[0].shares[1]': -0.2 is not a share")]
    [InlineData("{\"group\": \"g\", \"context\": [{\"question\": \"q\", \"options\": [\"a\"], \"shares\": [1]}]}", "field 'context[0].options': a question needs at least 2 options, got 1")]
    [InlineData("{\"group\": \"g\", \"context\": [{\"options\": [\"a\", \"b\"], \"shares\": [0.5, 0.5]}]}", "field 'context[0].question': expected a non-empty string")]
    [InlineData("{\"group\": \"\", \"context\": []}", "field 'group': expected a non-empty string")]
    [InlineData("{\"group\": \"g\", \"context\": []}", "field 'context': expected a non-empty array")]
    [InlineData("{\"group\": \"g\", \"context\": [{\"question\": \"q\", \"options\": [\"a\", \"b\"], \"shares\": [0.5, \"x\"]}]}", "field 'context[0].shares[1]': \"x\" is not a number")]
    [InlineData("{\"group\": \"g\",", "not valid JSON")]
    public void Profile_files_with_problems_name_the_field(string text, string expected)
    {
        var path = Path.Combine(folder, "profile.json");
        File.WriteAllText(path, text);
        var error = Assert.Throws<DataFormatException>(() => GroupProfile.Load(path));
        Assert.StartsWith(path, error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_profile_file_is_read_and_its_shares_renormalised()
    {
        var path = Path.Combine(folder, "profile.json");
        File.WriteAllText(path, "{\"group\": \"g\", \"context\": [{\"question\": \"q\", \"options\": [\"a\", \"b\"], \"shares\": [0.603, 0.4]}]}");
        var profile = GroupProfile.Load(path);
        Assert.Equal("g", profile.Group);
        Assert.Equal(["a", "b"], Assert.Single(profile.Context).Options);
        Assert.Equal([0.603 / 1.003, 0.4 / 1.003], profile.Context[0].Shares, new Tolerance(1e-15));
    }

    [Fact]
    public void Best_of_n_ranks_the_servers_samples_and_picks_the_groups_favourite()
    {
        var server = new LoopbackServer((number, _, context) => LoopbackServer.Reply(context, 200,
            new JsonObject { ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["text"] = Slogans[(number - 1) % Slogans.Length] }) }.ToJsonString()));
        owned.Add(server);
        using var client = new OpenAiLlmClient(new LlmServerOptions(server.BaseUrl, "fake") { Http = new OpenAiHttpSettings { ApiKeyVariable = null, MaxRetries = 0 } });
        var reward = new GroupRewardModel(TinyModel(), new HashEncoder(), EmbeddingTemplate.Compact);

        var best = BestOfN.Run(client, reward, Profile, "Pick our slogan.", 4, seed: 1);

        Assert.Equal(4, server.RequestCount);
        Assert.Equal(Slogans, best.Candidates.Select(c => c.Text));
        var direct = reward.Rank(Profile, "Pick our slogan.", Slogans);
        Assert.Equal(direct.Candidates.Select(c => c.Share), best.Candidates.Select(c => c.Share));
        Assert.Equal(direct.Candidates.MaxBy(c => c.Share)!.Text, best.Best.Text);
    }

    [Fact]
    public void The_rank_command_refuses_a_checkpoint_trained_on_non_text_features_and_bad_usage()
    {
        var run = Path.Combine(folder, "run");
        Directory.CreateDirectory(Path.Combine(run, "checkpoints"));
        var checkpoint = Path.Combine(run, "checkpoints", "best.safetensors");
        GpoCheckpoint.Save(TinyModel(), checkpoint);
        File.WriteAllText(Path.Combine(run, "config.json"), "{\"dataset\": {\"name\": \"synthetic\"}, \"features\": {\"source\": \"dataset\", \"dimension\": 8}}");

        var (exit, _, error) = CliRunner.Run("rank", "--checkpoint", checkpoint, "--profile", "p.json", "--prompt", "x", "--candidate", "a", "--candidate", "b");
        Assert.Equal(1, exit);
        Assert.Contains("trained on the synthetic dataset's own features", error, StringComparison.Ordinal);

        File.WriteAllText(Path.Combine(run, "config.json"), "{\"dataset\": {\"name\": \"x\"}, \"features\": {\"source\": \"encoder\", \"encoder\": \"e\", \"template\": \"compact/sha256:0\", \"template_pattern\": \"Q {question} {option}\", \"postprocessing\": \"center\"}}");
        var features = CheckpointFeatures.ForCheckpoint(checkpoint)!;
        Assert.Equal("Q {question} {option}", features.Template!.Pattern);
        Assert.True(features.Postprocessing.CenterPerQuestion);
        Assert.Equal("e", features.EncoderIdentity);

        var profile = Path.Combine(folder, "p.json");
        File.WriteAllText(profile, "{\"group\": \"g\", \"context\": [{\"question\": \"q\", \"options\": [\"a\", \"b\"], \"shares\": [0.5, 0.5]}]}");
        (exit, _, error) = CliRunner.Run("rank", "--checkpoint", checkpoint, "--profile", profile, "--prompt", "x", "--candidate", "a");
        Assert.Equal(1, exit);
        Assert.Contains("--candidate: give at least 2 candidates (got 1)", error, StringComparison.Ordinal);
        (exit, _, error) = CliRunner.Run("rank", "--checkpoint", checkpoint, "--profile", profile, "--prompt", "x", "--samples", "3");
        Assert.Equal(1, exit);
        Assert.Contains("--samples needs --llm-server and --llm-model", error, StringComparison.Ordinal);
        (exit, _, error) = CliRunner.Run("rank", "--checkpoint", Path.Combine(folder, "missing.safetensors"), "--profile", profile, "--prompt", "x");
        Assert.Equal(1, exit);
        Assert.Contains("--checkpoint: no such file", error, StringComparison.Ordinal);
    }

    /// <summary>A small GPO trained on opinionqa-500 through <c>gpo train</c> (MiniLM features, compact template), shared by the real-data tests.</summary>
    private static readonly Lazy<(string Checkpoint, PreferenceDataset Dataset, string[] HeldOut)> Trained = new(() =>
    {
        var run = Path.Combine(Path.GetTempPath(), "gpo-reward-tests-" + Environment.ProcessId, "run");
        var (exit, _, error) = CliRunner.Run("train", "--data", "opinionqa-500", "--run", run, "--steps", "40", "--eval-every", "20",
            "--width", "16", "--layers", "1", "--ffn", "16", "--lr", "1e-3");
        Assert.True(exit == 0, error);
        var (dataset, _) = FeatureSource.Attach(DatasetLoader.Load("opinionqa-500"), null, null, EmbeddingTemplate.Compact, FeaturePostprocessing.None, null, null);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "config.json")))!;
        var heldOut = config["split"]!["meta_test"]!.AsArray().Select(g => (string)g!).ToArray();
        return (Path.Combine(run, "checkpoints", "best.safetensors"), dataset, heldOut);
    });

    private static void SkipWithoutRealData()
    {
        Skip.If(TestData.RealDataRoot is null, TestData.NoRealData);
        Skip.If(ModelFolder.Path is null, "needs the all-MiniLM-L6-v2 folder in GPO_MODEL (test.sh sets it from ../shared)");
    }

    [SkippableFact]
    public void Gpo_rank_orders_a_held_out_questions_options_as_the_predictor_does()
    {
        SkipWithoutRealData();
        var (checkpoint, dataset, heldOut) = Trained.Value;
        var group = heldOut[0];
        var draw = ContextDraw.For(dataset, [group], 20, 0)[0];
        var episode = EpisodeFactory.Episode(dataset, draw);
        var predicted = new GpoPredictor(GpoCheckpoint.Load<float>(checkpoint)).Predict(episode);
        var index = Enumerable.Range(0, episode.Queries.Count).First(i => episode.Queries[i].OptionCount >= 4);
        var question = dataset.GetQuestion(episode.Queries[index].QuestionId);

        var (exit, output, error) = CliRunner.Run("rank", "--checkpoint", checkpoint, "--data", "opinionqa-500", "--group", group, "--k", "20", "--seed", "0", "--question", question.Id);

        Assert.True(exit == 0, error);
        var json = JsonNode.Parse(output)!;
        Assert.Equal(draw.ContextQuestionIds, json["context_ids"]!.AsArray().Select(n => (string)n!));
        var ranking = json["ranking"]!.AsArray();
        Assert.Equal(question.OptionCount, ranking.Count);
        var expectedOrder = Enumerable.Range(0, question.OptionCount).OrderByDescending(o => predicted[index][o]).ThenBy(o => o).ToList();
        Assert.Equal(expectedOrder, ranking.Select(r => (int)r!["index"]!));
        foreach (var entry in ranking)
        {
            var o = (int)entry!["index"]!;
            Assert.Equal(question.Options[o], (string)entry["text"]!);
            Assert.Equal(predicted[index][o], (double)entry["share"]!, 5e-6);
        }

        var (refused, _, message) = CliRunner.Run("rank", "--checkpoint", checkpoint, "--data", "opinionqa-500", "--group", group, "--question", draw.ContextQuestionIds[0]);
        Assert.Equal(1, refused);
        Assert.Contains("is one of the group's context questions in this draw", message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Two_held_out_groups_get_different_top_candidates_exactly_where_the_model_predicts_different_favourites()
    {
        SkipWithoutRealData();
        var (checkpoint, dataset, heldOut) = Trained.Value;
        var model = GpoCheckpoint.Load<float>(checkpoint);
        var predictor = new GpoPredictor(model);
        var encoder = new BertEncoder(ModelFolder.Path!);
        var reward = new GroupRewardModel(model, new CachedTextEncoder(encoder, EmbeddingCache.For(encoder)), EmbeddingTemplate.Compact);
        var draws = ContextDraw.For(dataset, heldOut.Take(2).ToList(), 20, 0);
        var episodes = draws.Select(d => EpisodeFactory.Episode(dataset, d)).ToList();
        var predictions = episodes.Select(predictor.Predict).ToList();
        var profiles = draws.Select(d => GroupProfile.FromDataset(dataset, d.Group, d.ContextQuestionIds)).ToList();

        var differentByPredictor = new List<string>();
        var differentByRanker = new List<string>();
        foreach (var i in Enumerable.Range(0, episodes[0].Queries.Count).Where(i => i % 10 == 0))
        {
            var question = dataset.GetQuestion(episodes[0].Queries[i].QuestionId);
            var favourites = new int[2];
            var tops = new int[2];
            for (var g = 0; g < 2; g++)
            {
                var j = episodes[g].Queries.ToList().FindIndex(q => q.QuestionId == question.Id);
                favourites[g] = Enumerable.Range(0, question.OptionCount).MaxBy(o => predictions[g][j][o]);
                tops[g] = reward.Rank(profiles[g], question.Text, question.Options).Best.Index;
                Assert.Equal(favourites[g], tops[g]);
            }
            if (favourites[0] != favourites[1]) differentByPredictor.Add(question.Id);
            if (tops[0] != tops[1]) differentByRanker.Add(question.Id);
        }
        Assert.Equal(differentByPredictor, differentByRanker);
    }

    private sealed class Tolerance(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(double obj) => 0;
    }
}
