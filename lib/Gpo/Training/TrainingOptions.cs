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
}
