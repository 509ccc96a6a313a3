using BenchmarkDotNet.Attributes;
using Gpo.Engine;

namespace Gpo.Bench;

/// <summary>
/// The three GEMM variants at the shapes of the GPO step (tokens = 3520 = 8 groups × 440): a Linear
/// layer's forward <c>x[3520, 128] · W[out, 128]ᵀ</c>, its input gradient <c>δy[3520, out] · W</c> and its
/// weight gradient <c>δyᵀ · x</c>, with out = 128 and 384 (the attention in-projection). All three do
/// 2 · 3520 · out · 128 FLOPs. <see cref="Naive"/> is the peer: the textbook triple loop on the same data.
/// GFLOP/s = 2·3520·Out·128 / mean time.
/// </summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    private const int Tokens = 3520, Width = 128;
    private float[] x = [], weight = [], δy = [], output = [], inputGradient = [], weightGradient = [];

    [Params(128, 384)]
    public int Out { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        float[] Fill(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        x = Fill(Tokens * Width);
        weight = Fill(Out * Width);
        δy = Fill(Tokens * Out);
        output = new float[Tokens * Out];
        inputGradient = new float[Tokens * Width];
        weightGradient = new float[Out * Width];
    }

    [Benchmark(Description = "MatMulTransB c[3520,out] = x·Wᵀ")]
    public void TransB() => Gemm.MatMulTransB(x, weight, output, Tokens, Out, Width);

    [Benchmark(Description = "MatMul c[3520,128] = δy·W")]
    public void NoTranspose() => Gemm.MatMul(δy, weight, inputGradient, Tokens, Width, Out);

    [Benchmark(Description = "MatMulTransA c[out,128] = δyᵀ·x")]
    public void TransA() => Gemm.MatMulTransA(δy, x, weightGradient, Out, Width, Tokens);

    [Benchmark(Baseline = true, Description = "naive triple loop c = x·Wᵀ")]
    public void Naive()
    {
        for (int i = 0; i < Tokens; i++)
            for (int j = 0; j < Out; j++)
            {
                float sum = 0;
                for (int p = 0; p < Width; p++) sum += x[i * Width + p] * weight[j * Width + p];
                output[i * Out + j] = sum;
            }
    }
}
