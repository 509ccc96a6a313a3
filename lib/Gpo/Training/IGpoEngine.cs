using Gpo.Model;

namespace Gpo.Training;

/// <summary>
/// A compute device that runs whole GPO steps with the parameters, gradients, Adam moments and
/// activations resident on it (e.g. a CUDA GPU through lib/Gpo.Gpu). The host copies in
/// <see cref="GpoModel{T}.Parameters"/> and <see cref="Adam{T}"/> stay authoritative for checkpoints:
/// <see cref="GpoTrainer{T}"/> uploads them before the first step and downloads them on
/// <see cref="GpoTrainer{T}.Synchronize"/>. Float32 only.
/// </summary>
public interface IGpoEngine : IDisposable
{
    /// <summary>A short description of the device, e.g. "cuda: NVIDIA H200".</summary>
    string Name { get; }

    /// <summary>The architecture the engine was built for.</summary>
    GpoConfig Config { get; }

    /// <summary>Adam steps taken on the device (t of the bias corrections).</summary>
    int StepCount { get; }

    /// <summary>Copies parameter values [<see cref="GpoConfig.ParameterCount"/>] (state_dict order) to the device.</summary>
    void LoadParameters(ReadOnlySpan<float> values);

    /// <summary>Copies Adam's state (step count, first and second moments) to the device.</summary>
    void LoadOptimizer(int stepCount, ReadOnlySpan<float> firstMoment, ReadOnlySpan<float> secondMoment);

    /// <summary>Copies the device's parameter values to <paramref name="values"/>.</summary>
    void ReadParameters(Span<float> values);

    /// <summary>Copies the device's parameter gradients (of the last <see cref="TrainStep"/>) to <paramref name="gradients"/>.</summary>
    void ReadGradients(Span<float> gradients);

    /// <summary>Copies the device's Adam moments to the spans.</summary>
    void ReadOptimizer(Span<float> firstMoment, Span<float> secondMoment);

    /// <summary>
    /// Forward, backward and one Adam update at <paramref name="learningRate"/> (Adam β1 0.9, β2 0.999, eps 1e-8,
    /// as <see cref="Adam{T}"/>); returns the loss before the update. The batch must carry target shares.
    /// </summary>
    float TrainStep(GpoBatch batch, double learningRate);

    /// <summary>Forward pass only: p̂ [B·Nt] into <paramref name="predictions"/>; returns the loss (NaN without target shares).</summary>
    float Forward(GpoBatch batch, Span<float> predictions);
}

/// <summary>Where GPO runs: the CPU engine (<see cref="CreateEngine"/> returns null) or a device that builds an <see cref="IGpoEngine"/>.</summary>
public interface IGpoDevice
{
    /// <summary>The device's name as the command line spells it (cpu, cuda, ilgpu-cpu).</summary>
    string Name { get; }

    /// <summary>An engine for <paramref name="config"/>, or null to run on today's CPU engine.</summary>
    IGpoEngine? CreateEngine(GpoConfig config);
}
