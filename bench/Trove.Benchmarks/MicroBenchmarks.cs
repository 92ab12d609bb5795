using BenchmarkDotNet.Attributes;
using Trove.Numerics.Dense;
using Trove.Numerics.Selection;
using Trove.Numerics.Vectors;

namespace Trove.Benchmarks;

[ShortRunJob]
public class VectorBenchmarks
{
    private float[] _x = [], _y = [];
    [Params(64, 4096)] public int N;

    [GlobalSetup]
    public void Setup()
    {
        var r = new Random(1);
        _x = Enumerable.Range(0, N).Select(_ => (float)r.NextDouble()).ToArray();
        _y = Enumerable.Range(0, N).Select(_ => (float)r.NextDouble()).ToArray();
    }

    [Benchmark] public float DotSimd() => VectorKernels.Dot(_x, _y);
    [Benchmark] public float DotScalar() => ScalarKernels.Dot(_x, _y);
    [Benchmark] public void AxpySimd() => VectorKernels.Axpy(1e-7f, _x, _y);
    [Benchmark] public void AxpyScalar() => ScalarKernels.Axpy(1e-7f, _x, _y);
}

[ShortRunJob]
public class GemmBenchmarks
{
    private float[] _a = [], _b = [], _c = [];
    [Params(64, 512)] public int N;

    [GlobalSetup]
    public void Setup()
    {
        var r = new Random(2);
        _a = Enumerable.Range(0, N * N).Select(_ => (float)r.NextDouble()).ToArray();
        _b = Enumerable.Range(0, N * N).Select(_ => (float)r.NextDouble()).ToArray();
        _c = new float[N * N];
    }

    [Benchmark] public void SgemmOpenBlas() => Blas.Gemm(N, N, N, _a, _b, _c);

    /// <summary>Managed row-wise product (one axpy per (i, p)) for comparison.</summary>
    [Benchmark]
    public void GemmManagedAxpy()
    {
        Array.Clear(_c);
        for (int i = 0; i < N; i++)
            for (int p = 0; p < N; p++)
                VectorKernels.Axpy(_a[i * N + p], _b.AsSpan(p * N, N), _c.AsSpan(i * N, N));
    }
}

[ShortRunJob]
public class TopKBenchmarks
{
    private float[] _scores = [];
    private readonly int[] _idx = new int[100];
    private readonly float[] _val = new float[100];
    [Params(10, 100)] public int K;

    [GlobalSetup]
    public void Setup()
    {
        var r = new Random(3);
        _scores = Enumerable.Range(0, 100_000).Select(_ => (float)r.NextDouble()).ToArray();
    }

    [Benchmark] public int HeapSelect() => TopK.Select(_scores, K, _idx, _val);
    [Benchmark] public int FullSort() => ScalarKernels.TopK(_scores, K).Length;
}
