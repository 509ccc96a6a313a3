using Gpo.Engine;

namespace Gpo.Tests.Engine;

/// <summary>The blocked GEMM against a naive triple loop accumulated in float64.</summary>
public class GemmTests
{
    private static float[] Random(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }

    /// <summary>c[i,j] = Σp A(i,p)·B(p,j) with accessors, in float64.</summary>
    private static double[] Naive(int m, int n, int k, Func<int, int, float> a, Func<int, int, float> b)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++) sum += (double)a(i, p) * b(p, j);
                c[i * n + j] = sum;
            }
        return c;
    }

    private static void AssertClose(double[] expected, float[] actual, int k, double[]? initial = null)
    {
        Assert.Equal(expected.Length, actual.Length);
        double tolerance = 1e-6 * Math.Max(16, k);
        for (int i = 0; i < expected.Length; i++)
        {
            double want = expected[i] + (initial?[i] ?? 0);
            Assert.True(Math.Abs(want - actual[i]) <= tolerance, $"element {i}: expected {want}, got {actual[i]}");
        }
    }

    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 }, { 3, 5, 7 }, { 8, 32, 16 }, { 9, 33, 17 }, { 17, 31, 1 }, { 64, 128, 128 },
        { 130, 385, 40 }, { 2, 128, 700 }, { 200, 96, 800 }, { 257, 64, 129 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatMulTransB_matches_naive(int m, int n, int k)
    {
        var a = Random(m * k, 1); var b = Random(n * k, 2);
        var c = new float[m * n];
        Gemm.MatMulTransB(a, b, c, m, n, k);
        AssertClose(Naive(m, n, k, (i, p) => a[i * k + p], (p, j) => b[j * k + p]), c, k);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatMul_matches_naive(int m, int n, int k)
    {
        var a = Random(m * k, 3); var b = Random(k * n, 4);
        var c = new float[m * n];
        Gemm.MatMul(a, b, c, m, n, k);
        AssertClose(Naive(m, n, k, (i, p) => a[i * k + p], (p, j) => b[p * n + j]), c, k);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatMulTransA_accumulates_onto_c(int m, int n, int k)
    {
        var a = Random(k * m, 5); var b = Random(k * n, 6);
        var c = Random(m * n, 7);
        var initial = c.Select(v => (double)v).ToArray();
        Gemm.MatMulTransA(a, b, c, m, n, k, accumulate: true);
        AssertClose(Naive(m, n, k, (i, p) => a[p * m + i], (p, j) => b[p * n + j]), c, k, initial);
    }

    [Fact]
    public void Overwrite_ignores_previous_contents_of_c()
    {
        const int m = 33, n = 70, k = 500;
        var a = Random(m * k, 8); var b = Random(n * k, 9);
        var c = Random(m * n, 10);
        Gemm.MatMulTransB(a, b, c, m, n, k);
        AssertClose(Naive(m, n, k, (i, p) => a[i * k + p], (p, j) => b[j * k + p]), c, k);
    }

    [Fact]
    public void Large_product_split_over_threads_matches_naive()
    {
        const int m = 300, n = 160, k = 450;
        var a = Random(m * k, 11); var b = Random(n * k, 12);
        var c = new float[m * n];
        Gemm.MatMulTransB(a, b, c, m, n, k);
        AssertClose(Naive(m, n, k, (i, p) => a[i * k + p], (p, j) => b[j * k + p]), c, k);
        var few = new float[m * 20];
        Gemm.MatMul(a, b, few, m, 20, k); // b read as [k, 20]: few panels, split by rows
        AssertClose(Naive(m, 20, k, (i, p) => a[i * k + p], (p, j) => b[p * 20 + j]), few, k);
    }

    [Fact]
    public void Strided_submatrices_leave_the_rest_of_c_untouched()
    {
        // A = columns 4..13 of a [20, 24] matrix (lda 24), B = Kᵀ where K sits at columns 2..11 of [15, 30],
        // C = a [20, 15] window of a [20, 40] buffer (ldc 40) starting at column 5.
        const int m = 20, n = 15, k = 10, lda = 24, ldb = 30, ldc = 40;
        var a = Random(m * lda, 13); var b = Random(n * ldb, 14);
        var c = Random(m * ldc, 15);
        var before = (float[])c.Clone();
        Gemm.Multiply(a.AsSpan(4), lda, false, b.AsSpan(2), ldb, true, c.AsSpan(5), ldc, m, n, k, accumulate: false, parallel: false);
        var expected = Naive(m, n, k, (i, p) => a[i * lda + 4 + p], (p, j) => b[j * ldb + 2 + p]);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < ldc; j++)
            {
                if (j >= 5 && j < 5 + n) Assert.True(Math.Abs(expected[i * n + j - 5] - c[i * ldc + j]) < 1e-5);
                else Assert.Equal(before[i * ldc + j], c[i * ldc + j]);
            }
    }

    [Fact]
    public void Too_short_operands_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => Gemm.MatMul(new float[5], new float[6], new float[6], 2, 3, 3));
    }

    [Theory]
    [InlineData(19, 45, 30, false)]
    [InlineData(16, 64, 500, true)]
    public void Fused_bias_and_relu_epilogue(int m, int n, int k, bool accumulate)
    {
        var a = Random(m * k, 16); var b = Random(n * k, 17); var bias = Random(n, 18);
        var c = Random(m * n, 19);
        var initial = (float[])c.Clone();
        Gemm.Multiply(a, k, false, b, k, true, c, n, m, n, k, accumulate, parallel: true, bias, relu: true);
        var product = Naive(m, n, k, (i, p) => a[i * k + p], (p, j) => b[j * k + p]);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double want = Math.Max(0, product[i * n + j] + bias[j] + (accumulate ? initial[i * n + j] : 0));
                Assert.True(Math.Abs(want - c[i * n + j]) <= 1e-4, $"[{i},{j}]: expected {want}, got {c[i * n + j]}");
            }
    }

    [Fact]
    public unsafe void Aligned_row_major_b_read_in_place_matches_naive()
    {
        // 64-byte aligned B with a 64-float row stride: its full panels are read without packing.
        const int m = 37, n = 64, k = 45;
        var a = Random(m * k, 20);
        var values = Random(k * n, 21);
        float* aligned = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(k * n * sizeof(float), 64);
        try
        {
            values.CopyTo(new Span<float>(aligned, k * n));
            var c = new float[m * n];
            Gemm.MatMul(a, new ReadOnlySpan<float>(aligned, k * n), c, m, n, k);
            AssertClose(Naive(m, n, k, (i, p) => a[i * k + p], (p, j) => values[p * n + j]), c, k);
        }
        finally
        {
            System.Runtime.InteropServices.NativeMemory.AlignedFree(aligned);
        }
    }
}
