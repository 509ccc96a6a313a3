using System.Net;
using System.Text.Json.Nodes;
using Gpo.Data;
using Gpo.Evaluation;
using Gpo.Llm;
using Gpo.Tests.Embeddings;

namespace Gpo.Tests;

/// <summary>
/// The LLM client, the option-letter distributions and the three prompting baselines against a fake
/// OpenAI-compatible server on 127.0.0.1: deterministic logprobs and samples, and every fault it can produce.
/// Expected distributions are worked by hand from the logprobs the server sends.
/// </summary>
public sealed class LlmTests : IDisposable
{
    private readonly List<TimeSpan> delays = [];
    private readonly List<IDisposable> owned = [];

    public void Dispose()
    {
        foreach (var item in owned) item.Dispose();
    }

    /// <summary>A legacy completions answer whose first token has these top logprobs (probabilities given, logs sent).</summary>
    internal static string CompletionLogprobs(params (string Token, double Probability)[] top)
    {
        var entries = new JsonObject();
        foreach (var (token, p) in top) entries[token] = Math.Log(p);
        return new JsonObject
        {
            ["object"] = "text_completion",
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["text"] = top[0].Token,
                ["logprobs"] = new JsonObject { ["tokens"] = new JsonArray(top[0].Token), ["token_logprobs"] = new JsonArray(Math.Log(top[0].Probability)), ["top_logprobs"] = new JsonArray(entries) },
            }),
        }.ToJsonString();
    }

    /// <summary>A chat answer whose first token has these top logprobs.</summary>
    private static string ChatLogprobs(params (string Token, double Probability)[] top) => new JsonObject
    {
        ["object"] = "chat.completion",
        ["choices"] = new JsonArray(new JsonObject
        {
            ["index"] = 0,
            ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = top[0].Token },
            ["logprobs"] = new JsonObject
            {
                ["content"] = new JsonArray(new JsonObject
                {
                    ["token"] = top[0].Token,
                    ["logprob"] = Math.Log(top[0].Probability),
                    ["top_logprobs"] = new JsonArray([.. top.Select(t => (JsonNode)new JsonObject { ["token"] = t.Token, ["logprob"] = Math.Log(t.Probability) })]),
                }),
            },
        }),
    }.ToJsonString();

    private LoopbackServer Server(Action<int, string, HttpListenerContext> respond)
    {
        var server = new LoopbackServer(respond);
        owned.Add(server);
        return server;
    }

    private OpenAiLlmClient Client(LoopbackServer server, LlmApi api = LlmApi.Completions, double timeoutSeconds = 10, int maxRetries = 3)
    {
        var client = new OpenAiLlmClient(new LlmServerOptions(server.BaseUrl, "fake-llm")
        {
            Api = api,
            Http = new OpenAiHttpSettings { Timeout = TimeSpan.FromSeconds(timeoutSeconds), MaxRetries = maxRetries, ApiKeyVariable = null },
        }, delay: d => { lock (delays) delays.Add(d); });
        owned.Add(client);
        return client;
    }

    private static readonly Question Tea = new("tea", "Do you like tea?", ["Yes", "No"]);
    private static readonly Question Coffee = new("coffee", "Coffee?", ["Yes", "No"]);
    private static readonly Question Colour = new("colour", "Favourite colour?", ["Red", "Green", "Blue", "Other"]);

    private const string TeaAlpaca =
        "Below is an instruction that describes a task, paired with an input that provides further context. Write a response that appropriately completes the request.\n\n"
        + "### Instruction:\nAnswer the following question by selecting ONE of the listed options.\n\n"
        + "### Input:\nDo you like tea?\n\nOptions:\nA. Yes\nB. No\n\n### Response:\n";

    [Fact]
    public void Completions_logprobs_give_the_hand_worked_distribution_and_the_paper_prompt_is_sent()
    {
        var server = Server((_, _, context) => LoopbackServer.Reply(context, 200,
            CompletionLogprobs((" A", 0.5), (" B", 0.2), ("A", 0.1), (" The", 0.1), (" C", 0.05))));
        var client = Client(server);

        var top = client.FirstTokenLogprobs(LlmPrompts.ZeroShot(Colour));
        var letters = OptionLetterDistribution.FromTopLogprobs(top, 3);

        // " A" and "A" are the same answer: 0.5 + 0.1; B 0.2; C 0.05; " The" is no letter. Sum 0.85.
        Assert.Equal([0.6 / 0.85, 0.2 / 0.85, 0.05 / 0.85], letters.Distribution, new ToleranceComparer(1e-12));
        Assert.Equal(0.85, letters.LetterMass, 12);
        Assert.Empty(letters.MissingLetters);
        Assert.Empty(letters.OutsideLetters);

        client.FirstTokenLogprobs(LlmPrompts.ZeroShot(Tea));
        var body = JsonNode.Parse(server.Bodies[1])!;
        Assert.Equal(TeaAlpaca, (string)body["prompt"]!);
        Assert.Equal("fake-llm", (string)body["model"]!);
        Assert.Equal(20, (int)body["logprobs"]!);
        Assert.Equal(1, (int)body["max_tokens"]!);
        Assert.Equal(0, (double)body["temperature"]!);
        Assert.EndsWith("/v1/completions", client.Endpoint.AbsoluteUri, StringComparison.Ordinal);
    }

    [Fact]
    public void Chat_logprobs_are_read_from_content_top_logprobs_with_instruction_as_system_message()
    {
        var server = Server((_, _, context) => LoopbackServer.Reply(context, 200, ChatLogprobs(("B", 0.6), ("A", 0.3), ("Sure", 0.1))));
        var client = Client(server, LlmApi.Chat);

        var letters = OptionLetterDistribution.FromTopLogprobs(client.FirstTokenLogprobs(LlmPrompts.ZeroShot(Tea)), 2);

        Assert.Equal([0.3 / 0.9, 0.6 / 0.9], letters.Distribution, new ToleranceComparer(1e-12));
        var body = JsonNode.Parse(server.Bodies[0])!;
        Assert.EndsWith("/v1/chat/completions", client.Endpoint.AbsoluteUri, StringComparison.Ordinal);
        Assert.True((bool)body["logprobs"]!);
        Assert.Equal(20, (int)body["top_logprobs"]!);
        var messages = body["messages"]!.AsArray();
        Assert.Equal("system", (string)messages[0]!["role"]!);
        Assert.Equal(LlmPrompts.AnswerInstruction, (string)messages[0]!["content"]!);
        Assert.Equal("user", (string)messages[1]!["role"]!);
        Assert.Equal("Do you like tea?\n\nOptions:\nA. Yes\nB. No", (string)messages[1]!["content"]!);
    }

    [Fact]
    public void Missing_letters_get_the_lowest_listed_probability_or_fail_under_the_strict_policy()
    {
        TokenLogprob[] top = [new("A", Math.Log(0.5)), new(" B", Math.Log(0.3)), new("X", Math.Log(0.01))];

        var floored = OptionLetterDistribution.FromTopLogprobs(top, 4);
        // C and D were not listed: each gets the smallest listed probability, 0.01; total 0.82.
        Assert.Equal([0.5 / 0.82, 0.3 / 0.82, 0.01 / 0.82, 0.01 / 0.82], floored.Distribution, new ToleranceComparer(1e-12));
        Assert.Equal(['C', 'D'], floored.MissingLetters);
        Assert.Equal(0.8, floored.LetterMass, 12);

        var error = Assert.Throws<LlmResponseException>(() => OptionLetterDistribution.FromTopLogprobs(top, 4, MissingLetterPolicy.Error));
        Assert.Contains("option letter(s) C, D not among the 3 most likely first tokens", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_option_letter_at_all_is_an_error_never_a_uniform_guess()
    {
        TokenLogprob[] top = [new("The", Math.Log(0.7)), new(" I", Math.Log(0.2)), new("E", Math.Log(0.05))];
        var error = Assert.Throws<LlmResponseException>(() => OptionLetterDistribution.FromTopLogprobs(top, 3));
        Assert.Contains("none of the option letters A, B, C is among the 3 most likely first tokens ('The', ' I', 'E')", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Letters_outside_the_options_are_ignored_and_reported()
    {
        var server = Server((_, _, context) => LoopbackServer.Reply(context, 200, CompletionLogprobs(("A", 0.4), ("C", 0.3), ("B", 0.2), ("a", 0.05))));
        var letters = OptionLetterDistribution.FromTopLogprobs(Client(server).FirstTokenLogprobs(LlmPrompts.ZeroShot(Tea)), 2);
        Assert.Equal([0.4 / 0.6, 0.2 / 0.6], letters.Distribution, new ToleranceComparer(1e-12));
        Assert.Equal(['C'], letters.OutsideLetters);
    }

    [Theory]
    [InlineData("{\"choices\": [{\"index\": 0, \"text\": \"A\"}]}", "the response has no logprobs")]
    [InlineData("{\"choices\": [{\"index\": 0, \"text\": \"A\", \"logprobs\": null}]}", "the response has no logprobs")]
    [InlineData("{\"choices\": [{\"index\": 0, \"text\": \"A\", \"logprobs\": {\"tokens\": [\"A\"]}}]}", "logprobs has neither 'content' nor 'top_logprobs'")]
    [InlineData("{\"choices\": [{\"index\": 0, \"text\": \"A\", \"logprobs\": {\"top_logprobs\": [{\"A\": 0.5}]}}]}", "not a log-probability")]
    [InlineData("{\"choices\": []}", "'choices' array is empty")]
    [InlineData("{\"object\": \"error\"}", "no 'choices' array")]
    [InlineData("{\"choices\": [{\"index\": 0, \"logprobs\": {\"top_logprobs\": [{\"A\": -0.1", "not valid JSON")]
    [InlineData("<html>502 Bad Gateway</html>", "not valid JSON")]
    public void Unusable_answers_are_errors_that_say_what_is_wrong(string answer, string expected)
    {
        var server = Server((_, _, context) => LoopbackServer.Reply(context, 200, answer));
        var error = Assert.Throws<LlmServerException>(() => Client(server).FirstTokenLogprobs(LlmPrompts.ZeroShot(Tea)));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Equal(1, server.RequestCount); // a malformed 200 is not retried
    }

    [Fact]
    public void Rate_limits_and_server_errors_are_retried_with_retry_after_and_back_off()
    {
        var server = Server((number, _, context) =>
        {
            if (number == 1) LoopbackServer.Reply(context, 429, "{\"error\": \"slow down\"}", ("Retry-After", "2"));
            else if (number == 2) LoopbackServer.Reply(context, 503, "{\"error\": \"loading model\"}");
            else LoopbackServer.Reply(context, 200, CompletionLogprobs(("A", 0.75), ("B", 0.25)));
        });
        var letters = OptionLetterDistribution.FromTopLogprobs(Client(server).FirstTokenLogprobs(LlmPrompts.ZeroShot(Tea)), 2);
        Assert.Equal([0.75, 0.25], letters.Distribution, new ToleranceComparer(1e-12));
        Assert.Equal(3, server.RequestCount);
        // Retry-After: 2 s; then the back-off of the second attempt, 1 s × 2¹.
        Assert.Equal([TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2)], delays);
    }

    [Fact]
    public void A_client_error_is_not_retried_and_a_server_that_keeps_failing_is_given_up_on()
    {
        var bad = Server((_, _, context) => LoopbackServer.Reply(context, 400, "{\"error\": \"logprobs must be <= 5\"}"));
        var error = Assert.Throws<LlmServerException>(() => Client(bad).FirstTokenLogprobs(LlmPrompts.ZeroShot(Tea)));
        Assert.Contains("HTTP 400", error.Message, StringComparison.Ordinal);
        Assert.Contains("logprobs must be <= 5", error.Message, StringComparison.Ordinal);
        Assert.Contains("(not retried)", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, bad.RequestCount);

        var down = Server((_, _, context) => LoopbackServer.Reply(context, 500, "{\"error\": \"boom\"}"));
        var gaveUp = Assert.Throws<LlmServerException>(() => Client(down, maxRetries: 2).FirstTokenLogprobs(LlmPrompts.ZeroShot(Tea)));
        Assert.Contains("gave up after 3 attempts; last: HTTP 500", gaveUp.Message, StringComparison.Ordinal);
        Assert.Equal(3, down.RequestCount);
    }

    [Fact]
    public void A_server_that_does_not_answer_in_time_is_retried_then_reported()
    {
        using var release = new ManualResetEventSlim();
        var server = Server((_, _, context) =>
        {
            release.Wait(TimeSpan.FromSeconds(20));
            LoopbackServer.Reply(context, 200, CompletionLogprobs(("A", 1.0)));
        });
        try
        {
            var error = Assert.Throws<LlmServerException>(() => Client(server, timeoutSeconds: 0.3, maxRetries: 1).FirstTokenLogprobs(LlmPrompts.ZeroShot(Tea)));
            Assert.Contains("gave up after 2 attempts; last: no answer within 0.3 s", error.Message, StringComparison.Ordinal);
            Assert.Equal(2, server.RequestCount);
        }
        finally
        {
            release.Set();
        }
    }

    [Fact]
    public void Samples_are_collected_over_several_requests_when_the_server_returns_one_choice_each()
    {
        var server = Server((number, body, context) =>
        {
            var request = JsonNode.Parse(body)!;
            var text = $"answer {number} (seed {(int)request["seed"]!}, n {(int)request["n"]!})";
            LoopbackServer.Reply(context, 200, new JsonObject { ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = text } }) }.ToJsonString());
        });
        var samples = Client(server, LlmApi.Chat).Sample(new LlmPrompt(null, "Write a slogan."), 3, temperature: 0.8, maxTokens: 40, seed: 7);
        Assert.Equal(["answer 1 (seed 7, n 3)", "answer 2 (seed 8, n 2)", "answer 3 (seed 9, n 1)"], samples);
        var first = JsonNode.Parse(server.Bodies.Single(b => b.Contains("\"seed\":7", StringComparison.Ordinal)))!;
        Assert.Equal(0.8, (double)first["temperature"]!);
        Assert.Equal(40, (int)first["max_tokens"]!);
        var messages = first["messages"]!.AsArray();
        Assert.Equal("user", (string)Assert.Single(messages)!["role"]!);
    }

    [Fact]
    public void All_samples_in_one_answer_when_the_server_honours_n()
    {
        var server = Server((_, _, context) => LoopbackServer.Reply(context, 200, new JsonObject
        {
            ["choices"] = new JsonArray([.. Enumerable.Range(0, 4).Select(i => (JsonNode)new JsonObject { ["index"] = i, ["text"] = $"text {i}" })]),
        }.ToJsonString()));
        Assert.Equal(["text 0", "text 1", "text 2", "text 3"], Client(server).Sample(new LlmPrompt(null, "Hi"), 4));
        Assert.Equal(1, server.RequestCount);
        Assert.Equal("Hi", (string)JsonNode.Parse(server.Bodies[0])!["prompt"]!);
    }

    /// <summary>Two groups, three questions; Democrats and Republicans answer tea oppositely.</summary>
    private static PreferenceDataset SmallDataset()
    {
        var distributions = new Dictionary<(int, int), double[]>
        {
            [(0, 0)] = [0.7, 0.3], [(0, 1)] = [0.25, 0.75], [(0, 2)] = [0.1, 0.2, 0.3, 0.4],
            [(1, 0)] = [0.2, 0.8], [(1, 1)] = [0.6, 0.4], [(1, 2)] = [0.4, 0.3, 0.2, 0.1],
        };
        return new PreferenceDataset("small", ["Democrat", "Republican"], [Coffee, Tea, Colour], distributions, [], new DatasetProvenance("opinionqa-counts", ["test"], "v1"));
    }

    private static Episode EpisodeOf(PreferenceDataset dataset, string group, string[] context, string[] queries) =>
        EpisodeFactory.Episode(dataset.WithFeatures(new OptionFeatureTable(1, dataset.Questions.ToDictionary(q => q.Id, q => new float[q.OptionCount]))),
            new ContextQuerySplit(group, context, queries));

    [Fact]
    public void The_three_baselines_send_the_paper_prompts_and_return_the_letter_distributions()
    {
        // The fake model answers B when the prompt mentions Republicans or a few-shot context, A otherwise.
        var server = Server((_, body, context) =>
        {
            var prompt = (string)JsonNode.Parse(body)!["prompt"]!;
            var leansB = prompt.Contains("Republican", StringComparison.Ordinal) || prompt.Contains("Answer Distribution", StringComparison.Ordinal);
            LoopbackServer.Reply(context, 200, leansB ? CompletionLogprobs((" B", 0.6), (" A", 0.2), (" C", 0.1)) : CompletionLogprobs((" A", 0.9), (" B", 0.1)));
        });
        var client = Client(server);
        var dataset = SmallDataset();
        var steeringFile = Path.Combine(Directory.CreateTempSubdirectory("gpo-steer-").FullName, "steer-portray.csv");
        File.WriteAllText(steeringFile, "\tUnnamed: 0\tquestion\tmd\tsubgroup\toptions\n0\t0\t\"Answer the following question as if in politics today, you considered yourself a Republican.\n\"\tPOLPARTY\tRepublican\t[]\n");
        var steering = LlmSteering.FromOpinionQaFile(steeringFile, SteeringStyle.Portray);
        var methods = Enum.GetValues<LlmBaseline>().Select(b => new LlmPromptPredictor(client, dataset, b, steering)).ToList();
        Assert.Equal(["llm_zero_shot", "llm_steered", "llm_few_shot"], methods.Select(m => m.Name));

        var republican = EpisodeOf(dataset, "Republican", ["coffee"], ["tea"]);
        var zero = methods[0].Predict(republican);
        var steered = methods[1].Predict(republican);
        var fewShot = methods[2].Predict(republican);

        Assert.Equal([0.9, 0.1], zero[0], new ToleranceComparer(1e-12));
        Assert.Equal([0.2 / 0.8, 0.6 / 0.8], steered[0], new ToleranceComparer(1e-12)); // C is outside the two options
        Assert.Equal([0.2 / 0.8, 0.6 / 0.8], fewShot[0], new ToleranceComparer(1e-12));
        Assert.Equal(new LlmDiagnostics(1, 0, 1, 0.8), methods[1].Diagnostics with { MeanLetterMass = Math.Round(methods[1].Diagnostics.MeanLetterMass, 12) });

        var prompts = server.Bodies.Select(b => (string)JsonNode.Parse(b)!["prompt"]!).ToList();
        Assert.Equal(TeaAlpaca, prompts[0]);
        Assert.Contains("### Instruction:\nAnswer the following question by selecting ONE of the listed options.. \nAnswer the following question as if in politics today, you considered yourself a Republican.\n\n\n### Input:\nDo you like tea?", prompts[1], StringComparison.Ordinal);
        Assert.Contains("### Instruction:\n" + LlmPrompts.FewShotInstruction + "\n\n### Input:\n"
            + "Context: Public Opinion Survey Answers from a Specific Demographic Group\n\n"
            + "Question 1:\nCoffee?\nOptions:\n\nA. Yes\nB. No\nAnswer Distribution of this group:\nA: 20.0%, B: 80.0%\n\n"
            + "\nBased on the above list of answered questions from a demographic group, answer the NEW question by selecting only ONE of the options, as if you are a member of this demographic group: \nNew question: \n\n"
            + "Do you like tea?\n\nOptions:\n\nA. Yes\nB. No\n\n### Response:\n", prompts[2], StringComparison.Ordinal);

        // A group the steering file does not list gets the generic sentence, and is recorded.
        methods[1].Predict(EpisodeOf(dataset, "Democrat", ["coffee"], ["tea"]));
        Assert.Contains("Answer the following question as if you were a member of this group: Democrat.", (string)JsonNode.Parse(server.Bodies[3])!["prompt"]!, StringComparison.Ordinal);
        Assert.Equal(["Democrat"], steering.FallbackGroups);
    }

    [Fact]
    public void Country_steering_uses_the_reference_sentence()
    {
        var steering = LlmSteering.ForCountries();
        Assert.Equal("Answer the following question by selecting ONE of the listed options.\nAnswer the following question by selecting ONE of the listed options as if you are from Nigeria", steering.Instruction("Nigeria"));
        Assert.Equal("Answer the following question by selecting ONE of the listed options.\nBelow, you will be asked to provide a short description of the country you are from and then answer some questions. \n Description: I come from Japan",
            LlmSteering.ForCountries(SteeringStyle.Bio).Instruction("Japan"));
    }

    [Theory]
    [InlineData(0.7, "70.0")]
    [InlineData(0.3, "30.0")]
    [InlineData(0.49927085, "49.93")]
    [InlineData(0.123449, "12.34")]
    [InlineData(1.0, "100.0")]
    public void Percentages_print_as_pythons_round_to_two_decimals(double share, string expected) => Assert.Equal(expected, LlmPrompts.Percent(share));

    [Fact]
    public void A_failing_query_names_the_method_group_and_question_and_parallel_requests_give_the_same_answers()
    {
        var server = Server((_, body, context) =>
        {
            var prompt = (string)JsonNode.Parse(body)!["prompt"]!;
            if (prompt.Contains("colour", StringComparison.Ordinal)) LoopbackServer.Reply(context, 200, CompletionLogprobs(("Red", 0.9), ("Blue", 0.1)));
            else if (prompt.Contains("tea", StringComparison.Ordinal)) LoopbackServer.Reply(context, 200, CompletionLogprobs(("B", 0.5), ("A", 0.5)));
            else LoopbackServer.Reply(context, 200, CompletionLogprobs(("A", 0.8), ("B", 0.2)));
        });
        var dataset = SmallDataset();
        var client = Client(server);
        var episode = EpisodeOf(dataset, "Democrat", [], ["coffee", "tea", "colour"]);
        var error = Assert.Throws<LlmResponseException>(() => new LlmPromptPredictor(client, dataset, LlmBaseline.ZeroShot).Predict(episode));
        Assert.StartsWith("llm_zero_shot, group 'Democrat', question colour: none of the option letters A, B, C, D", error.Message, StringComparison.Ordinal);

        var fine = EpisodeOf(dataset, "Democrat", [], ["coffee", "tea", "coffee", "tea"]);
        var parallel = new LlmPromptPredictor(client, dataset, LlmBaseline.ZeroShot) { Parallelism = 4 }.Predict(fine);
        Assert.Equal([[0.8, 0.2], [0.5, 0.5], [0.8, 0.2], [0.5, 0.5]], parallel.Select(p => p.Select(v => Math.Round(v, 12)).ToArray()));
    }

    [Fact]
    public void The_embeddings_client_still_retries_through_the_shared_helper()
    {
        // The refactored embeddings client and the LLM client share OpenAiHttp: one 503 then an answer.
        var server = Server((number, _, context) =>
        {
            if (number == 1) LoopbackServer.Reply(context, 503, "{}", ("Retry-After", "1"));
            else LoopbackServer.Reply(context, 200, "{\"data\": [{\"index\": 0, \"embedding\": [1.0, 2.0]}]}");
        });
        using var client = new Gpo.Embeddings.OpenAiEmbeddingClient(new Gpo.Embeddings.EmbeddingServerOptions(server.BaseUrl, "m") { ApiKeyVariable = null }, delay: d => delays.Add(d));
        Assert.Equal([1f, 2f], client.Embed(["x"]));
        Assert.Equal([TimeSpan.FromSeconds(1)], delays);
        Assert.EndsWith("/v1/embeddings", client.Endpoint.AbsoluteUri, StringComparison.Ordinal);
    }

    /// <summary>Compares doubles to an absolute tolerance.</summary>
    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(double obj) => 0;
    }
}

/// <summary>The reproduction hook: extra methods join the main comparison's episodes and the manifest names the LLM.</summary>
[Collection("notebooks")] // writes figures like the other reproduction tests
public sealed class LlmReproductionTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("gpo-llm-reproduce-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void Reproduction_scores_the_llm_baselines_on_the_main_episodes_and_names_the_model()
    {
        // The fake model always puts 0.75 on A and 0.25 on B (the synthetic questions have 2–5 options; the rest are floored).
        using var server = new LoopbackServer((_, _, context) => LoopbackServer.Reply(context, 200, LlmTests.CompletionLogprobs((" A", 0.75), (" B", 0.25))));
        using var client = new OpenAiLlmClient(new LlmServerOptions(server.BaseUrl, "fake-llm-7b") { Http = new OpenAiHttpSettings { ApiKeyVariable = null, MaxRetries = 0 } });
        var data = SyntheticBenchmark.Generate(new SyntheticSettings { Groups = 10, Questions = 12, Dimension = 4, Seed = 2, MinOptions = 2, MaxOptions = 3 });
        var methods = LlmBaselines.Create(client, data, dataRoot: null);
        var options = new ReproductionOptions
        {
            Fractions = [0.6],
            Seeds = [0],
            ContextQuestions = 3,
            SweepContextQuestions = [1],
            SweepFraction = 0.6,
            Training = new Gpo.Training.TrainingOptions { Steps = 4, EvaluateEvery = 2, LearningRate = 1e-3, Bounds = new Gpo.Training.QuestionDrawBounds(2, 4, 2, 4), ValidationContextQuestions = 3 },
            Model = new Gpo.Model.GpoConfig(1, 16, 2, 1, 16),
            ExtraMethods = methods,
            ExtraMethodsDescription = LlmBaselines.Describe(client, methods),
        };

        var output = Path.Combine(folder, "results");
        new Reproduction(data, options).Run(output, Path.Combine(folder, "work"));

        var rows = PredictionTable.Read(PredictionTable.Locate(output));
        var llmRows = rows.Where(r => r.Method.StartsWith("llm_", StringComparison.Ordinal)).ToList();
        Assert.Equal(["llm_few_shot", "llm_steered", "llm_zero_shot"], llmRows.Select(r => r.Method).Distinct().Order());
        Assert.All(llmRows, r => Assert.Equal("0.6", r.Split)); // main comparison only, not the k-sweep
        // Same (group, question) pairs as GPO's.
        Assert.Equal(rows.Where(r => r.Method == "gpo" && r.Split == "0.6").Select(r => (r.Group, r.QuestionId, r.OptionIndex)).Order(),
            llmRows.Where(r => r.Method == "llm_zero_shot").Select(r => (r.Group, r.QuestionId, r.OptionIndex)).Order());
        // Two options: exactly 0.75 / 0.25. Three: C is not listed and gets the floor 0.25, so 0.75 / 0.25 / 0.25 over 1.25.
        var byQuestion = llmRows.Where(r => r.Method == "llm_steered").GroupBy(r => (r.Group, r.QuestionId)).ToList();
        Assert.All(byQuestion.Where(g => g.Count() == 2), g => Assert.Equal([0.75, 0.25], g.OrderBy(r => r.OptionIndex).Select(r => Math.Round(r.Predicted, 6))));
        Assert.All(byQuestion.Where(g => g.Count() == 3), g => Assert.Equal([0.6, 0.2, 0.2], g.OrderBy(r => r.OptionIndex).Select(r => Math.Round(r.Predicted, 6))));
        Assert.Contains(byQuestion, g => g.Count() == 2);
        Assert.Contains(byQuestion, g => g.Count() == 3);

        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "manifest.json")))!;
        Assert.Equal("fake-llm-7b", (string)manifest["extra_methods"]!["llm_model"]!);
        Assert.Equal(["llm_zero_shot", "llm_steered", "llm_few_shot"], manifest["extra_methods"]!["methods"]!.AsArray().Select(n => (string)n!));
        Assert.Null(manifest["protocol"]!["ExtraMethods"]);
        Assert.Contains("llm_few_shot", File.ReadAllText(Path.Combine(output, "summary.csv")), StringComparison.Ordinal);
    }
}
