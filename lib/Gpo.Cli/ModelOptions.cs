using System.CommandLine;
using Gpo.Model;
using Gpo.Training;

namespace Gpo.Cli;

/// <summary>Architecture and meta-training options shared by <c>gpo train</c> and <c>gpo reproduce</c>.</summary>
internal sealed class ModelOptions
{
    public Option<int> Steps { get; } = new Option<int>("--steps") { Description = "Meta-training steps.", DefaultValueFactory = _ => new TrainingOptions().Steps }.AtLeast(1);
    public Option<double> LearningRate { get; } = new Option<double>("--lr") { Description = "Adam learning rate (cosine-decayed to 0).", DefaultValueFactory = _ => new TrainingOptions().LearningRate }.FinitePositive();
    public Option<int> EvaluateEvery { get; } = new Option<int>("--eval-every") { Description = "Validate and checkpoint every N steps.", DefaultValueFactory = _ => new TrainingOptions().EvaluateEvery }.AtLeast(1);
    public Option<int> Width { get; } = new Option<int>("--width") { Description = "d_model.", DefaultValueFactory = _ => 128 }.AtLeast(1, 65_536);
    public Option<int> Layers { get; } = new Option<int>("--layers") { Description = "Transformer encoder layers.", DefaultValueFactory = _ => 6 }.AtLeast(1, 1_000);
    public Option<int> Heads { get; } = new Option<int>("--heads") { Description = "Attention heads.", DefaultValueFactory = _ => 4 }.AtLeast(1, 65_536);
    public Option<int> FeedForward { get; } = new Option<int>("--ffn") { Description = "Feed-forward width.", DefaultValueFactory = _ => 128 }.AtLeast(1, 1_048_576);
    public Option<int> Patience { get; } = new Option<int>("--patience") { Description = "Stop after this many evaluations without a better validation score (0 = never).", DefaultValueFactory = _ => 0 }.AtLeast(0);
    public Option<string> Variant { get; } = new Option<string>("--variant") { Description = "GPO variant: gpo (the paper's module), gpo-prior (reads the population prior, predicts an offset on it), gpo-groups (also reads each training-side group's answers) gpo-residual (an offset on the prior_residual baseline fitted to the context) or gpo-mix (the paper's module meta-trained also on mixtures of the meta-train groups).", DefaultValueFactory = _ => "gpo" }
        .AcceptOnlyFromAmong("gpo", "gpo-prior", "gpo-groups", "gpo-residual", "gpo-mix");
    public Option<int> PseudoGroups { get; } = new("--pseudo-groups") { Description = "gpo-mix and gpo-groups: random mixtures of the training groups added to every step as extra training groups (default -1: 8 with gpo-mix, as many as the meta-train groups with gpo-groups).", DefaultValueFactory = _ => -1 };
    public Option<int> MaxQuestions { get; } = new Option<int>("--max-questions") { Description = "Upper bound of the per-step context and target question draws (paper: 100).", DefaultValueFactory = _ => 100 }.AtLeast(1);

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Steps, LearningRate, EvaluateEvery, Patience, Variant, PseudoGroups, Width, Layers, Heads, FeedForward, MaxQuestions })
            command.Options.Add(option);
    }

    /// <summary>The architecture (DimX is filled in from the data later).</summary>
    public GpoConfig Config(ParseResult parseResult, int dimX = 1) =>
        new(dimX, parseResult.GetValue(Width), parseResult.GetValue(Heads), parseResult.GetValue(Layers), parseResult.GetValue(FeedForward));

    public TrainingOptions Training(ParseResult parseResult, int seed)
    {
        var max = parseResult.GetValue(MaxQuestions);
        return new TrainingOptions
        {
            Steps = parseResult.GetValue(Steps),
            LearningRate = parseResult.GetValue(LearningRate),
            EvaluateEvery = parseResult.GetValue(EvaluateEvery),
            Seed = seed,
            Bounds = new QuestionDrawBounds(Math.Min(10, max), max, Math.Min(10, max), max),
            Patience = parseResult.GetValue(Patience),
            Population = VariantInputs(parseResult.GetValue(Variant)!),
            PseudoGroups = parseResult.GetValue(PseudoGroups),
        };
    }

    /// <summary>The population inputs of a variant name (gpo, gpo-prior, gpo-groups).</summary>
    public static PopulationInputs VariantInputs(string variant) => variant switch
    {
        "gpo" => PopulationInputs.None,
        "gpo-prior" => PopulationInputs.Prior,
        "gpo-groups" => PopulationInputs.Groups,
        "gpo-residual" => PopulationInputs.Residual,
        "gpo-mix" => PopulationInputs.Mix,
        _ => throw new ArgumentException($"--variant: '{variant}' is not one of gpo, gpo-prior, gpo-groups, gpo-residual, gpo-mix"),
    };
}
