using System.Numerics;
using Gpo.Model;

namespace Gpo.Training;

/// <summary>
/// One optimisation step of a <see cref="GpoModel{T}"/>: forward, backward, Adam at the cosine-decayed learning rate.
/// With an <see cref="IGpoEngine"/> the steps run on that device: the host model and optimizer are uploaded before the
/// first step and are current again only after <see cref="Synchronize"/>.
/// </summary>
public sealed class GpoTrainer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly double learningRate;
    private readonly int totalSteps;
    private readonly IGpoEngine? engine;
    private bool uploaded;

    public GpoTrainer(GpoModel<T> model, double learningRate = 3e-4, int totalSteps = 200_000, IGpoEngine? engine = null)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        if (engine is not null && typeof(T) != typeof(float)) throw new ArgumentException("a device engine trains float32 models only");
        if (engine is not null && engine.Config != model.Config) throw new ArgumentException($"the engine was built for {engine.Config}, the model is {model.Config}");
        Optimizer = new(model.Parameters.Count);
        this.learningRate = learningRate;
        this.totalSteps = totalSteps;
        this.engine = engine;
    }

    public GpoModel<T> Model { get; }

    public Adam<T> Optimizer { get; }

    /// <summary>The device the steps run on, or null for the CPU engine.</summary>
    public IGpoEngine? Engine => engine;

    public double BaseLearningRate => learningRate;

    public int TotalSteps => totalSteps;

    /// <summary>Trains on one batch (which must carry target shares) and returns its loss before the update.</summary>
    public T Step(GpoBatch batch)
    {
        if (engine is not null)
        {
            if (!uploaded)
            {
                var host = (GpoModel<float>)(object)Model;
                var adam = (Adam<float>)(object)Optimizer;
                engine.LoadParameters(host.Parameters.Values);
                engine.LoadOptimizer(adam.StepCount, adam.FirstMoment, adam.SecondMoment);
                uploaded = true;
            }
            float deviceLoss = engine.TrainStep(batch, CosineSchedule.LearningRate(learningRate, engine.StepCount, totalSteps));
            return T.CreateChecked(deviceLoss);
        }
        T loss = Model.Forward(batch);
        Model.Backward();
        Optimizer.Step(Model.Parameters.Values, Model.Parameters.Gradients, CosineSchedule.LearningRate(learningRate, Optimizer.StepCount, totalSteps));
        return loss;
    }

    /// <summary>
    /// Brings the host model's parameters and the optimizer's state up to date with the device (a no-op on the CPU
    /// engine or before the first step). Call before validating on the host or saving a checkpoint.
    /// </summary>
    public void Synchronize()
    {
        if (engine is null || !uploaded) return;
        var host = (GpoModel<float>)(object)Model;
        var adam = (Adam<float>)(object)Optimizer;
        engine.ReadParameters(host.Parameters.Values);
        var first = new float[adam.FirstMoment.Length];
        var second = new float[adam.SecondMoment.Length];
        engine.ReadOptimizer(first, second);
        adam.Restore(engine.StepCount, first, second);
    }
}
