using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gpo.Data;
using Gpo.Embeddings;
using Gpo.Llm;
using Gpo.Model;
using Gpo.Reward;

namespace Gpo.Cli;

/// <summary>The options that name an OpenAI-compatible LLM server (<c>gpo rank</c>'s best-of-N, <c>gpo reproduce</c>'s LLM baselines).</summary>
internal sealed class LlmOptions
{
    public Option<string?> Server { get; } = new("--llm-server") { Description = "OpenAI-compatible LLM server root, e.g. http://127.0.0.1:8080 (llama.cpp, vLLM, Ollama); key from env GPO_LLM_API_KEY." };
    public Option<string?> Model { get; } = new("--llm-model") { Description = "The model name sent to the LLM server." };
    public Option<string> Api { get; } = new("--llm-api") { Description = "completions (the paper's Alpaca prompt as raw text) or chat (instruction as system message).", DefaultValueFactory = _ => "completions" };
    public Option<double> Timeout { get; } = new("--llm-timeout") { Description = "Seconds one LLM request may take.", DefaultValueFactory = _ => 120 };
    public Option<int> Retries { get; } = new("--llm-retries") { Description = "Retries of a failed LLM request (429, 5xx, time-out).", DefaultValueFactory = _ => 5 };
    public Option<int> Parallel { get; } = new("--llm-parallel") { Description = "Concurrent LLM requests of the baselines (match the server's slots, e.g. llama.cpp --parallel).", DefaultValueFactory = _ => 1 };

    public void AddTo(Command command, bool withParallel = false)
    {
        foreach (var option in new Option[] { Server, Model, Api, Timeout, Retries }) command.Options.Add(option);
        if (withParallel) command.Options.Add(Parallel);
    }

    /// <summary>The client, or null when no server was given; a server without a model (or the reverse) is a usage error.</summary>
    public OpenAiLlmClient? Client(ParseResult parseResult)
    {
        var server = parseResult.GetValue(Server);
        var model = parseResult.GetValue(Model);
        if (server is null && model is null) return null;
        if (server is null || string.IsNullOrEmpty(model)) throw new ArgumentException("--llm-server and --llm-model go together");
        if (!Uri.TryCreate(server, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            throw new ArgumentException($"--llm-server: '{server}' is not an http(s) URL");
        var api = parseResult.GetValue(Api) switch
        {
            "completions" => LlmApi.Completions,
            "chat" => LlmApi.Chat,
            var other => throw new ArgumentException($"--llm-api: '{other}' is neither completions nor chat"),
        };
        var timeout = parseResult.GetValue(Timeout);
        if (!(timeout > 0)) throw new ArgumentException($"--llm-timeout: {timeout} is not a positive number of seconds");
        var retries = parseResult.GetValue(Retries);
        if (retries < 0) throw new ArgumentException($"--llm-retries: {retries} is negative");
        return new OpenAiLlmClient(new LlmServerOptions(url, model) { Api = api, Http = new LlmServerOptions(url, model).Http with { Timeout = TimeSpan.FromSeconds(timeout), MaxRetries = retries } });
    }
}

/// <summary>
/// <c>gpo rank</c>: GPO as a group reward model. A group's context (k questions of a dataset group, or a JSON
/// profile) and a prompt with candidate responses go in; each candidate's predicted preference share for the group
/// and the ranking come out as JSON. Candidates are given (<c>--candidate</c>), taken from a dataset question's
/// options (<c>--question</c>), or sampled from an LLM server (<c>--samples N</c>: best-of-N).
/// </summary>
internal sealed class RankCommand : ICliCommand
{
    public Command Build()
    {
        var command = new Command("rank", "Rank candidate responses for a group with a meta-trained GPO checkpoint (JSON on stdout); --samples N: best-of-N from an LLM server.");
        var checkpoint = new Option<string>("--checkpoint") { Description = "A GPO checkpoint trained on encoder features (its run's config.json names the template).", Required = true };
        var data = new Option<string?>("--data") { Description = "Dataset (preset or path) whose group gives the context." };
        var format = new Option<string?>("--format") { Description = "Dataset format (detected when absent)." };
        var dataRoot = new Option<string?>("--data-root") { Description = "Folder with opinionqa/ and globalopinionqa/ (default: env GPO_DATA)." };
        var group = new Option<string?>("--group") { Description = "The dataset group to rank for." };
        var k = new Option<int>("--k") { Description = "Context questions drawn from the group.", DefaultValueFactory = _ => 20 };
        var context = new Option<string[]>("--context") { Description = "Explicit context question ids (instead of a draw of --k)." };
        var seed = new Option<int>("--seed") { Description = "Seed of the context draw (and of the LLM samples).", DefaultValueFactory = _ => 0 };
        var profile = new Option<string?>("--profile") { Description = "A JSON group profile {group, context: [{question, options, shares}]} instead of --data/--group." };
        var prompt = new Option<string?>("--prompt") { Description = "The prompt (question) the candidates answer." };
        var candidates = new Option<string[]>("--candidate") { Description = "A candidate response (repeat, 2 to 26)." };
        var question = new Option<string?>("--question") { Description = "A dataset question id: its text is the prompt and its options the candidates." };
        var samples = new Option<int>("--samples") { Description = "Best-of-N: sample N responses to --prompt from --llm-server and rank them." };
        var temperature = new Option<double>("--temperature") { Description = "Sampling temperature for --samples.", DefaultValueFactory = _ => 1.0 };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Longest sampled response, in tokens.", DefaultValueFactory = _ => 256 };
        var encoderFolder = new Option<string?>("--model") { Description = "Encoder folder (default: env GPO_MODEL, then the `gpo models fetch` folder)." };
        var template = new Option<string?>("--template") { Description = "Template, only for a checkpoint without a run config.json (otherwise the training template is used)." };
        var cache = new Option<string?>("--cache") { Description = "Embedding cache root (default: env GPO_CACHE, $XDG_CACHE_HOME/gpo or ~/.cache/gpo)." };
        var llm = new LlmOptions();
        foreach (var option in new Option[] { checkpoint, data, format, dataRoot, group, k, context, seed, profile, prompt, candidates, question, samples, temperature, maxTokens, encoderFolder, template, cache })
            command.Options.Add(option);
        llm.AddTo(command);

        command.SetAction(parseResult => Terminal.Guard("rank", () =>
        {
            var checkpointPath = parseResult.GetValue(checkpoint)!;
            if (!File.Exists(checkpointPath)) throw new FileNotFoundException($"--checkpoint: no such file '{checkpointPath}'");
            var features = CheckpointFeatures.ForCheckpoint(checkpointPath);
            var model = GpoCheckpoint.Load<float>(checkpointPath);
            if (model.Inputs.Population) return RankWithPopulation(parseResult, checkpointPath, model, features);
            if (features is { Source: not "encoder" })
                throw new ArgumentException($"{checkpointPath}: trained on the {features.Dataset} dataset's own features ({features.ConfigFile}), not on encoder features, so it cannot score texts");

            // The group's context.
            GroupProfile groupProfile;
            PreferenceDataset? dataset = null;
            IReadOnlyList<string> contextIds = [];
            if (parseResult.GetValue(profile) is { } profileFile)
            {
                if (parseResult.GetValue(data) is not null || parseResult.GetValue(group) is not null) throw new ArgumentException("--profile replaces --data/--group: give one or the other");
                groupProfile = GroupProfile.Load(profileFile);
            }
            else
            {
                var name = parseResult.GetValue(data) ?? throw new ArgumentException("the group's context is missing: give --data and --group, or --profile");
                var groupName = parseResult.GetValue(group) ?? throw new ArgumentException("--data needs --group (the group to rank for)");
                dataset = DatasetLoader.Load(name, parseResult.GetValue(format), parseResult.GetValue(dataRoot));
                dataset.GroupIndex(groupName);
                var explicitContext = parseResult.GetValue(context) ?? [];
                contextIds = explicitContext.Length > 0 ? explicitContext : ContextDraw.For(dataset, [groupName], parseResult.GetValue(k), parseResult.GetValue(seed))[0].ContextQuestionIds;
                groupProfile = GroupProfile.FromDataset(dataset, groupName, contextIds);
            }

            // The prompt and its candidates.
            var n = parseResult.GetValue(samples);
            var given = parseResult.GetValue(candidates) ?? [];
            string promptText;
            IReadOnlyList<string>? candidateTexts = null;
            if (parseResult.GetValue(question) is { } questionId)
            {
                if (dataset is null) throw new ArgumentException("--question needs --data (the dataset the question id belongs to)");
                if (given.Length > 0 || n > 0 || parseResult.GetValue(prompt) is not null) throw new ArgumentException("--question gives the prompt and the candidates: drop --prompt, --candidate and --samples");
                if (contextIds.Contains(questionId)) throw new ArgumentException($"--question {questionId} is one of the group's context questions in this draw; choose another question or --seed");
                var q = dataset.GetQuestion(questionId);
                promptText = q.Text;
                candidateTexts = q.Options;
            }
            else
            {
                promptText = parseResult.GetValue(prompt) ?? throw new ArgumentException("--prompt is missing (or give --question)");
                if (n > 0 && given.Length > 0) throw new ArgumentException("give either --candidate texts or --samples N, not both");
                if (n == 0)
                {
                    if (given.Length < 2) throw new ArgumentException($"--candidate: give at least 2 candidates (got {given.Length}), or --samples N with --llm-server");
                    candidateTexts = given;
                }
                else if (n < 2) throw new ArgumentException($"--samples: {n}; best-of-N needs N ≥ 2");
            }

            using var client = candidateTexts is null ? llm.Client(parseResult) ?? throw new ArgumentException("--samples needs --llm-server and --llm-model") : null;

            // The reward model: the checkpoint with the encoder and template it was trained with.
            var bert = FeatureSource.BuiltInEncoder(parseResult.GetValue(encoderFolder), m => Console.Error.WriteLine(m));
            if (features?.EncoderIdentity is { } trained && trained != bert.Identity)
                throw new ArgumentException($"{checkpointPath} was trained with encoder '{trained}' ({features.ConfigFile}), but --model/GPO_MODEL gives '{bert.Identity}'");
            var usedTemplate = TrainingTemplate(features, parseResult.GetValue(template), checkpointPath);
            var encoder = new CachedTextEncoder(bert, EmbeddingCache.For(bert, parseResult.GetValue(cache)), templateIdentity: usedTemplate.Identity);
            var reward = new GroupRewardModel(model, encoder, usedTemplate, features?.Postprocessing);

            CandidateRanking ranking;
            JsonObject? llmDescription = null;
            if (candidateTexts is null)
            {
                ranking = BestOfN.Run(client!, reward, groupProfile, promptText, n, parseResult.GetValue(temperature), parseResult.GetValue(maxTokens), parseResult.GetValue(seed));
                llmDescription = new JsonObject { ["server"] = client!.Endpoint.AbsoluteUri, ["model"] = client.Options.Model, ["samples"] = n };
            }
            else
            {
                ranking = reward.Rank(groupProfile, promptText, candidateTexts);
            }

            var output = ranking.ToJson();
            output["checkpoint"] = checkpointPath;
            output["method"] = model.Inputs.MethodName;
            output["template"] = usedTemplate.Name;
            output["context_questions"] = groupProfile.Context.Count;
            if (dataset is not null) output["context_ids"] = new JsonArray([.. contextIds.Select(id => (JsonNode)id)]);
            if (llmDescription is not null) output["llm"] = llmDescription;
            Write(output);
            return 0;
        }));
        return command;

        // A population checkpoint (gpo-prior, gpo-groups, gpo-residual) ranks a dataset question's options: they have the
        // training-side groups' answers its features need; free texts do not.
        int RankWithPopulation(ParseResult parseResult, string checkpointPath, GpoModel<float> model, CheckpointFeatures? features)
        {
            var variant = model.Inputs.MethodName;
            if (parseResult.GetValue(question) is not { } questionId || parseResult.GetValue(profile) is not null
                || parseResult.GetValue(candidates) is { Length: > 0 } || parseResult.GetValue(samples) > 0 || parseResult.GetValue(prompt) is not null)
                throw new ArgumentException($"{checkpointPath} is a {variant} checkpoint: it reads what the training-side groups answered for each option, which free-text candidates (--prompt, --candidate, --samples, --profile) do not have; rank a dataset question's options with --data, --group and --question (or free texts with a gpo checkpoint)");
            var name = parseResult.GetValue(data) ?? throw new ArgumentException("--question needs --data (the dataset the question id belongs to)");
            var groupName = parseResult.GetValue(group) ?? throw new ArgumentException("--data needs --group (the group to rank for)");
            var dataset = DatasetLoader.Load(name, parseResult.GetValue(format), parseResult.GetValue(dataRoot));
            dataset.GroupIndex(groupName);
            dataset.QuestionIndex(questionId);
            var explicitContext = parseResult.GetValue(context) ?? [];
            var contextIds = explicitContext.Length > 0 ? explicitContext : ContextDraw.For(dataset, [groupName], parseResult.GetValue(k), parseResult.GetValue(seed))[0].ContextQuestionIds;
            if (contextIds.Contains(questionId)) throw new ArgumentException($"--question {questionId} is one of the group's context questions in this draw; choose another question or --seed");

            // The features the checkpoint was trained on, made the way gpo train and gpo reproduce make them.
            var modelFolder = parseResult.GetValue(encoderFolder);
            string? templateName = null;
            PreferenceDataset withFeatures;
            if (features is { Source: not "encoder" })
            {
                if (dataset.Features is null || modelFolder is not null)
                    throw new ArgumentException($"{checkpointPath} was trained on the {features.Dataset} dataset's own features ({features.ConfigFile}); --data must be that dataset, without --model");
                withFeatures = dataset;
            }
            else if (features?.Template is null && dataset.Features is not null && modelFolder is null && parseResult.GetValue(template) is null)
            {
                Console.Error.WriteLine($"gpo rank: no run config.json next to {checkpointPath}: using {dataset.Name}'s own features");
                withFeatures = dataset;
            }
            else
            {
                var usedTemplate = TrainingTemplate(features, parseResult.GetValue(template), checkpointPath);
                if (dataset.Features is not null)
                    throw new ArgumentException($"{checkpointPath} reads encoder features, but {dataset.Name} brings its own features: give the dataset it was trained on");
                var (attached, description) = FeatureSource.Attach(dataset, null, modelFolder, usedTemplate, features?.Postprocessing ?? FeaturePostprocessing.None,
                    parseResult.GetValue(cache), m => Console.Error.WriteLine(m));
                var encoderIdentity = (string?)description["features"]?["encoder"];
                if (features?.EncoderIdentity is { } trained && trained != encoderIdentity)
                    throw new ArgumentException($"{checkpointPath} was trained with encoder '{trained}' ({features.ConfigFile}), but --model/GPO_MODEL gives '{encoderIdentity}'");
                withFeatures = attached;
                templateName = usedTemplate.Name;
            }

            var ranking = DatasetQuestionRanker.FromCheckpoint(checkpointPath, withFeatures).Rank(groupName, contextIds, questionId);
            var output = ranking.ToJson();
            output["checkpoint"] = checkpointPath;
            output["method"] = variant;
            if (templateName is not null) output["template"] = templateName;
            output["question_id"] = questionId;
            output["context_questions"] = contextIds.Count;
            output["context_ids"] = new JsonArray([.. contextIds.Select(id => (JsonNode)id)]);
            Write(output);
            return 0;
        }
    }

    /// <summary>The checkpoint's training template (a different --template is refused), or --template / compact when the run's config is missing.</summary>
    private static EmbeddingTemplate TrainingTemplate(CheckpointFeatures? features, string? requested, string checkpointPath)
    {
        if (features?.Template is { } trained)
        {
            if (requested is not null && EmbeddingTemplate.FromNameOrPattern(requested).Pattern != trained.Pattern)
                throw new ArgumentException($"--template differs from the checkpoint's training template '{trained.Name}' ({features.ConfigFile})");
            return trained;
        }
        var assumed = EmbeddingTemplate.FromNameOrPattern(requested ?? EmbeddingTemplate.Compact.Name);
        Console.Error.WriteLine($"gpo rank: no run config.json next to {checkpointPath}: assuming template '{assumed.Name}' and no post-processing");
        return assumed;
    }

    private static void Write(JsonObject output) =>
        Console.Out.WriteLine(output.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
}
