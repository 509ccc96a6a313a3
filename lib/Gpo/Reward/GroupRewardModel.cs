using System.Text.Json.Nodes;
using Gpo.Embeddings;
using Gpo.Model;

namespace Gpo.Reward;

/// <summary>One candidate response with the group's predicted preference share and its rank (1 = the group's favourite).</summary>
public sealed record RankedCandidate(int Index, string Text, double Share, int Rank);

/// <summary>GPO's verdict on a set of candidates: the candidates in input order with shares and ranks, and the favourite.</summary>
/// <param name="Group">The group.</param>
/// <param name="Prompt">The prompt the candidates answer.</param>
/// <param name="Candidates">In input order; shares sum to 1.</param>
public sealed record CandidateRanking(string Group, string Prompt, IReadOnlyList<RankedCandidate> Candidates)
{
    /// <summary>The candidates from the group's favourite down.</summary>
    public IReadOnlyList<RankedCandidate> Ranked => Candidates.OrderBy(c => c.Rank).ToList();

    /// <summary>
    /// The ranking of <paramref name="candidates"/> by <paramref name="shares"/> (one per candidate, in input order):
    /// the highest share is rank 1, ties go to the lower index.
    /// </summary>
    public static CandidateRanking FromShares(string group, string prompt, IReadOnlyList<string> candidates, IReadOnlyList<double> shares)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(shares);
        if (shares.Count != candidates.Count) throw new ArgumentException($"{shares.Count} shares for {candidates.Count} candidates");
        var order = Enumerable.Range(0, candidates.Count).OrderByDescending(i => shares[i]).ThenBy(i => i).ToList();
        var rank = new int[order.Count];
        for (var r = 0; r < order.Count; r++) rank[order[r]] = r + 1;
        return new CandidateRanking(group, prompt, candidates.Select((text, i) => new RankedCandidate(i, text, shares[i], rank[i])).ToList());
    }

    /// <summary>The candidate with rank 1.</summary>
    public RankedCandidate Best => Candidates.Single(c => c.Rank == 1);

    /// <summary>As JSON: <c>{"group", "prompt", "ranking": [{"rank", "index", "share", "text"}, ...]}</c>, favourite first.</summary>
    public JsonObject ToJson() => new()
    {
        ["group"] = Group,
        ["prompt"] = Prompt,
        ["best"] = Best.Index,
        ["ranking"] = new JsonArray([.. Ranked.Select(c => (JsonNode)new JsonObject
        {
            ["rank"] = c.Rank,
            ["index"] = c.Index,
            ["share"] = Math.Round(c.Share, 6),
            ["text"] = c.Text,
        })]),
    };
}

/// <summary>
/// GPO as a group reward model (the use the paper proposes — "best-of-n sampling or PPO" — but does not show):
/// the group's context questions become (x, share) context tokens, and the N candidate responses to a new prompt
/// become the options of one target question, each embedded as the (prompt, response) text of the same template
/// and encoder the checkpoint was trained with. One forward pass gives the group's predicted share of each
/// candidate: the probability that a member of the group would pick it among the N. Scores are relative to the
/// candidate set (a softmax over it), so compare candidates of one call, not across calls.
/// </summary>
public sealed class GroupRewardModel
{
    /// <param name="model">A meta-trained GPO model.</param>
    /// <param name="encoder">The encoder the model's training features came from (wrap it in a <see cref="CachedTextEncoder"/> to reuse vectors).</param>
    /// <param name="template">The training template.</param>
    /// <param name="postprocessing">The training post-processing; per-question centring is applied to the candidates as one question; standardisation needs the training set's statistics and is refused.</param>
    public GroupRewardModel(GpoModel<float> model, ITextEncoder encoder, EmbeddingTemplate template, FeaturePostprocessing? postprocessing = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(template);
        Postprocessing = postprocessing ?? FeaturePostprocessing.None;
        if (Postprocessing.Standardize)
            throw new ArgumentException("the checkpoint was trained on standardised features, whose statistics come from the training dataset: ranking new texts with it is not supported (train with --center or no post-processing)");
        if (model.Inputs.Population)
            throw new ArgumentException($"this is a {model.Inputs.MethodName} checkpoint: it reads what the training-side groups answered for each option, which new candidate responses do not have; rank a dataset question's options with {nameof(DatasetQuestionRanker)} (gpo rank --data --group --question), or free texts with a gpo (paper's module) checkpoint");
        if (encoder.Dimension != model.Config.DimX)
            throw new ArgumentException($"the encoder gives {encoder.Dimension}-d vectors, the checkpoint expects {model.Config.DimX}-d features: use the encoder the checkpoint was trained with");
        Model = model;
        Encoder = encoder;
        Template = template;
    }

    public GpoModel<float> Model { get; }
    public ITextEncoder Encoder { get; }
    public EmbeddingTemplate Template { get; }
    public FeaturePostprocessing Postprocessing { get; }

    /// <summary>Ranks <paramref name="candidates"/> (two or more responses to <paramref name="prompt"/>) for the group of <paramref name="profile"/>.</summary>
    public CandidateRanking Rank(GroupProfile profile, string prompt, IReadOnlyList<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(candidates);
        if (profile.Context.Count == 0) throw new ArgumentException($"group '{profile.Group}': the profile has no context questions");
        if (candidates.Count < 2) throw new ArgumentException($"ranking needs at least 2 candidates, got {candidates.Count}");
        if (candidates.Count > 26) throw new ArgumentException($"at most 26 candidates can be lettered in the template, got {candidates.Count}");
        for (var i = 0; i < candidates.Count; i++)
            if (string.IsNullOrWhiteSpace(candidates[i])) throw new ArgumentException($"candidate {i + 1} is empty");

        // Every text of the call in one Embed: context questions' options, then the candidates.
        var texts = new List<string>();
        var counts = new List<int>();
        foreach (var question in profile.Context)
        {
            texts.AddRange(Template.FormatAll(question.Text, question.Options));
            counts.Add(question.Options.Count);
        }
        texts.AddRange(Template.FormatAll(prompt, candidates));
        counts.Add(candidates.Count);
        var d = Encoder.Dimension;
        var vectors = Encoder.Embed(texts);
        if (vectors.Length != texts.Count * d) throw new InvalidOperationException($"the encoder returned {vectors.Length} numbers for {texts.Count} texts of dimension {d}");
        Postprocessing.Apply(vectors, counts, d);

        var context = new List<ContextToken>();
        var row = 0;
        foreach (var question in profile.Context)
            foreach (var share in question.Shares)
                context.Add(new ContextToken(vectors.AsSpan(d * row++, d).ToArray(), (float)share));
        var options = new float[candidates.Count][];
        for (var i = 0; i < options.Length; i++) options[i] = vectors.AsSpan(d * row++, d).ToArray();

        var shares = GpoInference.Predict(Model, context, [new TargetQuestion(options)]).Predictions[0];
        return CandidateRanking.FromShares(profile.Group, prompt, candidates, [.. shares.Select(v => (double)v)]);
    }
}
