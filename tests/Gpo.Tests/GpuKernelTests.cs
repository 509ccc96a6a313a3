using Gpo.Engine;
using Gpo.Gpu;
using ILGPU;
using ILGPU.Runtime;

namespace Gpo.Tests;

/// <summary>One ILGPU CPU accelerator and its loaded kernels, shared by the kernel tests (compiling kernels is the slow part).</summary>
public sealed class IlgpuCpuFixture : IDisposable
{
    public IlgpuCpuFixture()
    {
        (Context, Accelerator) = GpuDevices.Open(GpuDevices.IlgpuCpu);
        Kernels = new DeviceKernels(Accelerator);
    }

    public Context Context { get; }

    public Accelerator Accelerator { get; }

    public DeviceKernels Kernels { get; }

    public MemoryBuffer1D<float, Stride1D.Dense> Upload(float[] values)
    {
        var buffer = Accelerator.Allocate1D<float>(Math.Max(1, values.Length));
        if (values.Length > 0) buffer.View.SubView(0, values.Length).CopyFromCPU(values);
        return buffer;
    }

    public MemoryBuffer1D<int, Stride1D.Dense> Upload(int[] values)
    {
        var buffer = Accelerator.Allocate1D<int>(values.Length);
        buffer.CopyFromCPU(values);
        return buffer;
    }

    public static float[] Download(MemoryBuffer1D<float, Stride1D.Dense> buffer, int length = -1)
    {
        var values = buffer.GetAsArray1D();
        return length < 0 ? values : values[..length];
    }

    public void Dispose()
    {
        Kernels.Dispose();
        Accelerator.Dispose();
        Context.Dispose();
    }
}

/// <summary>
/// Every ILGPU kernel on ILGPU's CPU accelerator against the CPU engine (<see cref="CpuBackend{T}"/>) on the same inputs:
/// float32 results within 1e-5 relative L2. Shapes are small and odd so that partial tiles and padding are exercised.
/// </summary>
[Collection(IlgpuCpuAlone.Name)]
public sealed class GpuKernelTests(IlgpuCpuFixture device) : IClassFixture<IlgpuCpuFixture>
{
    private readonly CpuBackend<float> cpu = new();

    internal static float[] Random(int length, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1) * scale).ToArray();
    }

    internal static void AssertClose(float[] expected, float[] actual, double tolerance = 1e-5, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        double difference = 0, norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.False(float.IsNaN(actual[i]), $"{what}: NaN at {i}");
            difference += Math.Pow(expected[i] - actual[i], 2);
            norm += Math.Pow(expected[i], 2);
        }
        double relative = Math.Sqrt(difference) / Math.Max(Math.Sqrt(norm), 1e-30);
        Assert.True(relative <= tolerance, $"{what}: relative L2 difference {relative:E2} > {tolerance:E0}");
    }

    [Theory]
    [InlineData(false, false, false)]
    [InlineData(true, false, true)]
    [InlineData(false, true, false)]
    [InlineData(true, true, true)]
    public void Matrix_product_matches_a_float64_reference_for_every_transpose(bool transposeA, bool transposeB, bool accumulate)
    {
        int m = 70, n = 37, k = 45;
        var a = Random(m * k, 1);
        var b = Random(k * n, 2);
        var c = Random(m * n, 3);
        var expected = new float[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = accumulate ? c[i * n + j] : 0;
                for (int p = 0; p < k; p++) sum += (double)(transposeA ? a[p * m + i] : a[i * k + p]) * (transposeB ? b[j * k + p] : b[p * n + j]);
                expected[i * n + j] = (float)sum;
            }
        using var da = device.Upload(a);
        using var db = device.Upload(b);
        using var dc = device.Upload(c);
        device.Kernels.Multiply(da.View, transposeA ? m : k, transposeA, db.View, transposeB ? k : n, transposeB, dc.View, n, m, n, k, accumulate);
        AssertClose(expected, IlgpuCpuFixture.Download(dc), what: "C");
    }

    [Theory]
    [InlineData(37, 5, 9, true)]
    [InlineData(1100, 19, 6, false)] // enough rows for the split-K weight gradient
    public void Linear_layer_forward_and_backward_match_the_cpu_engine(int rows, int inFeatures, int outFeatures, bool relu)
    {
        var x = Random(rows * inFeatures, 4);
        var w = Random(outFeatures * inFeatures, 5);
        var bias = Random(outFeatures, 6);
        var δy = Random(rows * outFeatures, 7);
        var y = new float[rows * outFeatures];
        cpu.LinearForward(x, w, bias, y, rows, inFeatures, outFeatures, relu);
        var δyMasked = (float[])δy.Clone();
        if (relu) cpu.ReluBackward(y, δyMasked);
        var δx = Random(rows * inFeatures, 8);
        var δw = Random(outFeatures * inFeatures, 9);
        var δb = Random(outFeatures, 10);
        using var dx = device.Upload(x);
        using var dw = device.Upload(w);
        using var dbias = device.Upload(bias);
        using var dy = device.Upload(new float[rows * outFeatures]);
        using var ddy = device.Upload(δy);
        using var ddx = device.Upload(δx);
        using var ddw = device.Upload(δw);
        using var ddb = device.Upload(δb);
        cpu.LinearBackward(x, w, δyMasked, δx, δw, δb, rows, inFeatures, outFeatures, accumulateInput: true);

        device.Kernels.LinearForward(dx.View, dw.View, dbias.View, dy.View, rows, inFeatures, outFeatures, relu);
        if (relu) device.Kernels.ReluBackward(dy.View, ddy.View);
        device.Kernels.LinearBackward(dx.View, dw.View, ddy.View, ddx.View, ddw.View, ddb.View, rows, inFeatures, outFeatures, accumulateInput: true);
        AssertClose(y, IlgpuCpuFixture.Download(dy), what: "y");
        AssertClose(δx, IlgpuCpuFixture.Download(ddx), what: "δx");
        AssertClose(δw, IlgpuCpuFixture.Download(ddw), what: "δW");
        AssertClose(δb, IlgpuCpuFixture.Download(ddb), what: "δb");
    }

    [Fact]
    public void Layer_norm_forward_and_backward_match_the_cpu_engine()
    {
        int rows = 300, width = 24; // more rows than one column-sum chunk
        var x = Random(rows * width, 11, 3f);
        var gamma = Random(width, 12);
        var beta = Random(width, 13);
        var δy = Random(rows * width, 14);
        var (y, xhat, rstd) = (new float[rows * width], new float[rows * width], new float[rows]);
        cpu.LayerNormForward(x, gamma, beta, y, xhat, rstd, rows, width, 1e-5f);
        var (δx, δgamma, δbeta) = (new float[rows * width], Random(width, 15), Random(width, 16));
        using var ddγ = device.Upload(δgamma);
        using var ddβ = device.Upload(δbeta);
        cpu.LayerNormBackward(xhat, rstd, gamma, δy, δx, δgamma, δbeta, rows, width);

        using var dx = device.Upload(x);
        using var dgamma = device.Upload(gamma);
        using var dbeta = device.Upload(beta);
        using var dy = device.Upload(new float[rows * width]);
        using var dxhat = device.Upload(new float[rows * width]);
        using var drstd = device.Upload(new float[rows]);
        using var ddy = device.Upload(δy);
        device.Kernels.LayerNormForward(dx.View, dgamma.View, dbeta.View, dy.View, dxhat.View, drstd.View, rows, width, 1e-5f);
        device.Kernels.LayerNormBackward(dxhat.View, drstd.View, dgamma.View, ddy.View, ddy.View, ddγ.View, ddβ.View, rows, width);
        AssertClose(y, IlgpuCpuFixture.Download(dy), what: "y");
        AssertClose(rstd, IlgpuCpuFixture.Download(drstd), what: "1/σ");
        AssertClose(δx, IlgpuCpuFixture.Download(ddy), what: "δx (in place)");
        AssertClose(δgamma, IlgpuCpuFixture.Download(ddγ), what: "δγ");
        AssertClose(δbeta, IlgpuCpuFixture.Download(ddβ), what: "δβ");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Masked_attention_forward_and_backward_match_the_cpu_engine(bool targetQueriesOnly)
    {
        // 3 groups with 2, 7 and 5 real context tokens of 7; 9 targets each; 2 heads of width 6.
        var layout = new AttentionLayout(3, 7, 9, 2, 12, [2, 7, 5], targetQueriesOnly);
        int w = layout.Width, queries = layout.QueryTokens * w, kvLength = layout.ContextTokens * 2 * w;
        var q = Random(queries, 21);
        var kv = Random(kvLength, 22);
        var δo = Random(queries, 23);
        var (p, o) = (new float[layout.ProbabilityLength], new float[queries]);
        cpu.AttentionForward(q, kv, p, o, layout);
        var (δq, δkv) = (new float[queries], new float[kvLength]);
        cpu.AttentionBackward(q, kv, p, δo, δq, δkv, layout);

        using var dq = device.Upload(q);
        using var dkv = device.Upload(kv);
        using var dp = device.Upload(new float[layout.ProbabilityLength]);
        using var ds = device.Upload(Random(layout.ProbabilityLength, 24)); // stale scratch must not leak in
        using var dout = device.Upload(new float[queries]);
        using var ddo = device.Upload(δo);
        using var ddq = device.Upload(Random(queries, 25));
        using var ddkv = device.Upload(Random(kvLength, 26));
        using var real = device.Upload(layout.RealContext.ToArray());
        device.Kernels.AttentionForward(dq.View, dkv.View, dp.View, dout.View, layout, real.View);
        device.Kernels.AttentionBackward(dq.View, dkv.View, dp.View, ddo.View, ddq.View, ddkv.View, ds.View, layout);
        AssertClose(o, IlgpuCpuFixture.Download(dout), what: "O");
        AssertClose(δq, IlgpuCpuFixture.Download(ddq), what: "δQ");
        AssertClose(δkv, IlgpuCpuFixture.Download(ddkv), what: "δK, δV");
        // The probabilities of the real keys agree too.
        var deviceP = IlgpuCpuFixture.Download(dp);
        int nc = layout.ContextPerGroup, rowsPerBlock = layout.QueriesPerGroup;
        for (int block = 0; block < layout.Groups * layout.Heads; block++)
            for (int row = targetQueriesOnly ? nc : 0; row < rowsPerBlock; row++)
                for (int key = 0; key < layout.RealContext[block / layout.Heads]; key++)
                {
                    int index = (block * rowsPerBlock + row) * nc + key;
                    Assert.True(Math.Abs(p[index] - deviceP[index]) < 1e-6, $"P[{block}, {row}, {key}]: {p[index]} vs {deviceP[index]}");
                }
    }
}
