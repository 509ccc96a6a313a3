namespace Gpo.Training;

/// <summary>How to meta-train (spec gpo.md §4); saved in the run folder's <c>config.json</c>.</summary>
public sealed record TrainingOptions
{
    /// <summary>Optimisation steps (the reference used 200,000; GPO converges far sooner here — see README).</summary>
    public int Steps { get; init; } = 2000;

    /// <summary>Adam's base learning rate, decayed to 0 by a cosine over <see cref="Steps"/>.</summary>
    public double LearningRate { get; init; } = 3e-4;

    /// <summary>Validation (and checkpoint) interval in steps.</summary>
    public int EvaluateEvery { get; init; } = 100;

    /// <summary>Seed of the initialisation and of every step's question draw.</summary>
    public int Seed { get; init; }

    /// <summary>Bounds of the per-step context/target question draws.</summary>
    public QuestionDrawBounds Bounds { get; init; } = new();

    /// <summary>Context questions k given to each validation group when scoring checkpoints.</summary>
    public int ValidationContextQuestions { get; init; } = 20;

    /// <summary>
    /// Early stopping: stop after this many evaluations in a row without a better validation score (0 = train all
    /// <see cref="Steps"/>). The learning-rate schedule stays the cosine over <see cref="Steps"/>.
    /// </summary>
    public int Patience { get; init; }

    /// <summary>
    /// Pseudo-groups added to every step; each uses the questions of a random real task of the step and answers with a random
    /// mixture (Dirichlet(1) weights) of other groups' distributions. They teach the model to find a group's resemblance to
    /// the training groups from its context. With <see cref="PopulationInputs.Groups"/> the mixture is of the training-side
    /// groups but one, the one left out also of its features; with <see cref="PopulationInputs.Mix"/> it is of the meta-train
    /// groups (validation groups stay unseen). 0 for none; −1 (the default): as many as the meta-train groups with gpo-groups,
    /// <see cref="DefaultMixPseudoGroups"/> with gpo-mix, none otherwise.
    /// </summary>
    public int PseudoGroups { get; init; } = -1;

    /// <summary>gpo-mix's pseudo-groups per step when <see cref="PseudoGroups"/> is −1 (the pilot's setting: docs/gpo-variants.md).</summary>
    public const int DefaultMixPseudoGroups = 8;

    /// <summary>What the model reads besides x (the paper's module: nothing); see <see cref="Model.GpoInputs"/>.</summary>
    public PopulationInputs Population { get; init; } = PopulationInputs.None;
}

/// <summary>The GPO variants by what their tokens carry besides the text embedding.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<PopulationInputs>))]
public enum PopulationInputs
{
    /// <summary>The paper's module (<c>gpo</c>): x alone.</summary>
    None,

    /// <summary><c>gpo-prior</c>: x, the population share p̄, log p̄ and a covered flag; μ is an offset on log p̄.</summary>
    Prior,

    /// <summary><c>gpo-groups</c>: as <see cref="Prior"/>, plus each other training-side group's deviation from p̄ in a slot.</summary>
    Groups,

    /// <summary>
    /// <c>gpo-residual</c>: the inputs of <see cref="Prior"/>, but μ is an offset on the <c>prior_residual</c> baseline fitted to the
    /// group's context (leave-one-question-out ridge on the training-side groups' deviations from p̄): GPO learns to correct it.
    /// </summary>
    Residual,

    /// <summary>
    /// <c>gpo-mix</c>: the paper's module (x alone, nothing else changed), meta-trained with <see cref="TrainingOptions.PseudoGroups"/>
    /// besides the real groups: random mixtures of the meta-train groups' answers, which only the context tells apart, so the
    /// model must read it. It needs no population at prediction time and ranks new texts like <c>gpo</c>.
    /// </summary>
    Mix,
}
