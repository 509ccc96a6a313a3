using System.Numerics;
using Gpo.Model;

namespace Gpo.Training;

/// <summary>One optimisation step of a <see cref="GpoModel{T}"/>: forward, backward, Adam at the cosine-decayed learning rate.</summary>
public sealed class GpoTrainer<T>(GpoModel<T> model, double learningRate = 3e-4, int totalSteps = 200_000) where T : unmanaged, IFloatingPointIeee754<T>
{
    public GpoModel<T> Model { get; } = model ?? throw new ArgumentNullException(nameof(model));

    public Adam<T> Optimizer { get; } = new(model.Parameters.Count);

    public double BaseLearningRate => learningRate;

    public int TotalSteps => totalSteps;

    /// <summary>Trains on one batch (which must carry target shares) and returns its loss before the update.</summary>
    public T Step(GpoBatch batch)
    {
        T loss = Model.Forward(batch);
        Model.Backward();
        Optimizer.Step(Model.Parameters.Values, Model.Parameters.Gradients, CosineSchedule.LearningRate(learningRate, Optimizer.StepCount, totalSteps));
        return loss;
    }
}
