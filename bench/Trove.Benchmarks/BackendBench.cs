using System.Diagnostics;
using System.Globalization;
using Trove.Core.Training;
using Trove.Models;
using Trove.Numerics.Dense;

namespace Trove.Benchmarks;

/// <summary>
/// The dense operations and models on the backend TROVE_BLAS selects (run once per backend, in separate
/// processes, so OpenBLAS's spinning worker threads never overlap a managed run): sgemm 1024^3, Cholesky
/// inverse of 2,000 and 4,000, EASE on ml-100k, ALS with the Cholesky solver and NeuMF epochs on ncf-ml-100k.
/// Prints "RESULT name value unit" lines that bench/backends/run.sh collects into a table.
/// </summary>
internal static class BackendBench
{
    public static void Run(string[] args)
    {
        Console.WriteLine($"backend: {MathBackend.Describe()}; load average {File.ReadAllText("/proc/loadavg").Trim()}");
        var random = new Random(1);
        float[] Random(int n) { var a = new float[n]; for (int i = 0; i < n; i++) a[i] = (float)(random.NextDouble() - 0.5); return a; }

        const int N = 1024;
        var a = Random(N * N); var b = Random(N * N); var c = new float[N * N];
        double gemm = Best(10, () => Blas.Gemm(N, N, N, a, b, c));
        Report("sgemm_1024_ms", gemm * 1000, "ms");
        Report("sgemm_1024_gflops", 2.0 * N * N * N / gemm / 1e9, "GFLOP/s");

        foreach (int n in new[] { 2000, 4000 })
        {
            var m = Random(n * n); var spd = new float[n * n];
            Blas.Gemm(true, false, n, n, n, 1f, m, n, m, n, 0f, spd, n);
            for (int i = 0; i < n; i++) spd[i * n + i] += n;
            var work = new float[n * n];
            double inverse = Best(n == 2000 ? 4 : 2, () => Lapack.CholeskyInverse(work, n), () => spd.CopyTo(work, 0));
            Report($"cholesky_inverse_{n}_s", inverse, "s");
        }

        var ml100k = Trove.Data.Readers.MovieLensReader.Read(Harness.FindDatasets("ml-100k"));
        double ease = Best(2, () => BuiltInAlgorithms.Registry.Create("ease").Fit(ml100k, new FitContext { Seed = 1 }));
        Report("ease_ml100k_fit_s", ease, "s");

        var ncf = NcfData.Load(Harness.FindDatasets("ncf-ml-100k"), "ml-100k");
        var alsSettings = new Dictionary<string, string> { ["solver"] = "cholesky", ["factors"] = "64", ["iterations"] = "15" };
        double als = Best(2, () => BuiltInAlgorithms.Registry.Create("als", alsSettings).Fit(ncf.Train, new FitContext { Seed = 1 }));
        Report("als_cholesky_ncf100k_fit_s", als, "s");

        var neumf = BuiltInAlgorithms.Registry.Create("ncf", new Dictionary<string, string> { ["epochs"] = "3", ["validation"] = "false" });
        neumf.Fit(ncf.Train, new FitContext { Seed = 42 });
        var epochs = ((Trove.Models.Neural.Ncf)neumf).History;
        Report("neumf_ncf100k_epoch_s", epochs.Min(e => e.Seconds), "s");
        var (hr, ndcg) = ncf.Evaluate(neumf);
        Console.WriteLine($"neumf after 3 epochs: HR@10 {hr:F4} NDCG@10 {ndcg:F4}");
    }

    private static double Best(int repeats, Action run, Action? reset = null)
    {
        reset?.Invoke(); run(); // warm-up: JIT and first-touch page faults
        double best = double.MaxValue;
        for (int r = 0; r < repeats; r++)
        {
            reset?.Invoke();
            var sw = Stopwatch.StartNew();
            run();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return best;
    }

    private static void Report(string name, double value, string unit) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT {name} {value:G5} {unit}"));
}
