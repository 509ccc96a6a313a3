using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Gpo.Training;

/// <summary>
/// Adam (Kingma &amp; Ba) over a flat parameter buffer, computed as <c>torch.optim.Adam</c> does
/// (no weight decay, no amsgrad): <c>m = β1 m + (1−β1) g</c>, <c>v = β2 v + (1−β2) g²</c>,
/// <c>θ −= (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + eps)</c>.
/// </summary>
public sealed class Adam<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public Adam(int parameterCount, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        FirstMoment = new T[parameterCount];
        SecondMoment = new T[parameterCount];
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
    }

    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Eps { get; }

    /// <summary>Steps taken so far (t of the bias corrections).</summary>
    public int StepCount { get; private set; }

    /// <summary>Restores a saved state: the moments are copied in and the step count set, so training resumes exactly.</summary>
    public void Restore(int stepCount, ReadOnlySpan<T> firstMoment, ReadOnlySpan<T> secondMoment)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stepCount);
        if (firstMoment.Length != FirstMoment.Length || secondMoment.Length != SecondMoment.Length)
            throw new ArgumentException($"Adam: saved moments hold {firstMoment.Length}/{secondMoment.Length} values, expected {FirstMoment.Length}");
        firstMoment.CopyTo(FirstMoment);
        secondMoment.CopyTo(SecondMoment);
        StepCount = stepCount;
    }

    /// <summary>[parameters] m.</summary>
    public T[] FirstMoment { get; }

    /// <summary>[parameters] v.</summary>
    public T[] SecondMoment { get; }

    /// <summary>One update of <paramref name="parameters"/> from <paramref name="gradients"/> at <paramref name="learningRate"/>.</summary>
    public void Step(Span<T> parameters, ReadOnlySpan<T> gradients, double learningRate)
    {
        if (parameters.Length != FirstMoment.Length || gradients.Length != FirstMoment.Length)
            throw new ArgumentException($"Adam: expected {FirstMoment.Length} parameters and gradients");
        StepCount++;
        double correction1 = 1 - Math.Pow(Beta1, StepCount);
        double correction2Sqrt = Math.Sqrt(1 - Math.Pow(Beta2, StepCount));
        T b1 = T.CreateChecked(Beta1), b2 = T.CreateChecked(Beta2), oneMinusB1 = T.One - b1, oneMinusB2 = T.One - b2;
        T stepSize = T.CreateChecked(learningRate / correction1), inverseCorrection2 = T.CreateChecked(1 / correction2Sqrt), eps = T.CreateChecked(Eps);
        var m = FirstMoment.AsSpan();
        var v = SecondMoment.AsSpan();
        int i = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            ref T θ = ref MemoryMarshal.GetReference(parameters);
            ref T g = ref MemoryMarshal.GetReference(gradients);
            ref T mRef = ref MemoryMarshal.GetReference(m);
            ref T vRef = ref MemoryMarshal.GetReference(v);
            for (; i <= parameters.Length - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                var gv = Vector512.LoadUnsafe(ref g, (nuint)i);
                var mv = Vector512.LoadUnsafe(ref mRef, (nuint)i) * b1 + gv * oneMinusB1;
                var vv = Vector512.LoadUnsafe(ref vRef, (nuint)i) * b2 + gv * gv * oneMinusB2;
                mv.StoreUnsafe(ref mRef, (nuint)i);
                vv.StoreUnsafe(ref vRef, (nuint)i);
                var denominator = Vector512.Sqrt(vv) * inverseCorrection2 + Vector512.Create(eps);
                (Vector512.LoadUnsafe(ref θ, (nuint)i) - stepSize * mv / denominator).StoreUnsafe(ref θ, (nuint)i);
            }
        }
        for (; i < parameters.Length; i++)
        {
            m[i] = m[i] * b1 + gradients[i] * oneMinusB1;
            v[i] = v[i] * b2 + gradients[i] * gradients[i] * oneMinusB2;
            parameters[i] -= stepSize * m[i] / (T.Sqrt(v[i]) * inverseCorrection2 + eps);
        }
    }
}

/// <summary>Cosine learning-rate decay to 0, as <c>CosineAnnealingLR(T_max = totalSteps, eta_min = 0)</c>.</summary>
public static class CosineSchedule
{
    /// <summary>Learning rate of step <paramref name="step"/> (0-based): <c>base · ½(1 + cos(π · step / totalSteps))</c>.</summary>
    public static double LearningRate(double baseRate, int step, int totalSteps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(totalSteps, 1);
        return baseRate * 0.5 * (1 + Math.Cos(Math.PI * Math.Clamp(step, 0, totalSteps) / totalSteps));
    }
}
