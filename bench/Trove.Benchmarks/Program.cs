using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Running;
using Trove.Benchmarks;
using Trove.Core.Recommending;
using Trove.Core.Training;
using Trove.Models;

// Usage:
//   dotnet run -c Release --project bench/Trove.Benchmarks -- micro [BenchmarkDotNet args]   micro-benchmarks (dot/axpy/gemm/top-K)
//   dotnet run -c Release --project bench/Trove.Benchmarks -- ncf ALGO [key=value ...] [--seeds N] [--data DIR] [--repeat N]
//   dotnet run -c Release --project bench/Trove.Benchmarks -- als-large [--nnz N] [--users N] [--items N] [key=value ...]
//   dotnet run -c Release --project bench/Trove.Benchmarks -- ease-size ITEMS [--users N]
//   dotnet run -c Release --project bench/Trove.Benchmarks -- bpr-speed [key=value ...]
//   dotnet run -c Release --project bench/Trove.Benchmarks -- batch-scoring [--items N] [--factors N]   sgemm vs mat-vec per query
//   dotnet run -c Release --project bench/Trove.Benchmarks -- store-import [--rows N] [--pg CONNSTR] [--sqlite FILE]   (bench/store/run.sh)
//   dotnet run -c Release --project bench/Trove.Benchmarks -- big-csr [--rows N] [--row-length N]   a CSR matrix past 2^31 entries (chunked storage)
//   TROVE_BLAS=managed|native dotnet run -c Release --project bench/Trove.Benchmarks -- backends   (bench/backends/run.sh: both, side by side)
var mode = args.Length > 0 ? args[0] : "help";
var rest = args.Skip(1).ToArray();
switch (mode)
{
    case "micro":
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest);
        break;
    case "ncf":
        Harness.Ncf(rest);
        break;
    case "als-large":
        Harness.AlsLarge(rest);
        break;
    case "chol-micro":
        Harness.CholMicro();
        break;
    case "ease-size":
        Harness.EaseSize(rest);
        break;
    case "batch-scoring":
        Harness.BatchScoring(rest);
        break;
    case "backends":
        Trove.Benchmarks.BackendBench.Run(rest);
        break;
    case "big-csr":
        Trove.Benchmarks.BigCsrBench.Run(rest);
        break;
    case "store-import":
        Trove.Benchmarks.StoreBench.Run(rest);
        break;
    default:
        Console.WriteLine("modes: micro | ncf ALGO [k=v..] | als-large | ease-size ITEMS | batch-scoring | backends | store-import | big-csr");
        break;
}
Console.WriteLine($"peak working set: {Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024):F0} MiB");

public partial class Program { }

internal static class Harness
{
    public static string Option(string[] args, string name, string fallback)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
    }

    public static Dictionary<string, string> Settings(string[] args, int skip = 0)
    {
        var d = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (int i = skip; i < args.Length; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal)) { i++; continue; }
            int eq = args[i].IndexOf('=');
            if (eq > 0) d[args[i][..eq]] = args[i][(eq + 1)..];
        }
        return d;
    }

    public static void Ncf(string[] args)
    {
        var algo = args[0];
        var dir = Option(args, "--data", FindDatasets("ncf-ml-100k"));
        var prefix = Path.GetFileName(dir).Replace("ncf-", "");
        int seeds = int.Parse(Option(args, "--seeds", "1"), CultureInfo.InvariantCulture);
        int repeat = int.Parse(Option(args, "--repeat", "1"), CultureInfo.InvariantCulture);
        int threads = int.Parse(Option(args, "--threads", Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
        var data = NcfData.Load(dir, prefix);
        var settings = Settings(args, 1);
        Console.WriteLine($"{algo} on {prefix}: {data.Train.UserCount} users, {data.Train.ItemCount} items, {data.Train.Interactions.Count} train; {string.Join(" ", settings.Select(kv => kv.Key + "=" + kv.Value))}");
        var hrs = new List<double>(); var ndcgs = new List<double>(); var times = new List<double>(); var cpus = new List<double>();
        for (int s = 0; s < seeds; s++)
        {
            for (int r = 0; r < repeat; r++)
            {
                var model = BuiltInAlgorithms.Registry.Create(algo, settings);
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                model.Fit(data.Train, new FitContext { Seed = 42 + s, Threads = threads });
                sw.Stop();
                cpus.Add((Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
                times.Add(sw.Elapsed.TotalSeconds);
                if (r == repeat - 1)
                {
                    var (hr, ndcg) = data.Evaluate(model);
                    hrs.Add(hr); ndcgs.Add(ndcg);
                    var extra = model is Trove.Models.Factorization.Bpr bpr ? $", {bpr.SamplesPerSecond / 1e6:F2} M samples/s" : "";
                    Console.WriteLine($"  seed {42 + s}: HR@10 {hr:F4} NDCG@10 {ndcg:F4} fit {sw.Elapsed.TotalSeconds:F3}s{extra}");
                }
            }
        }
        Console.WriteLine($"MEAN HR@10 {hrs.Average():F4} NDCG@10 {ndcgs.Average():F4}  fit best {times.Min():F3}s median {Median(times):F3}s over {times.Count} runs; cpu best {cpus.Min():F3}s");
    }

    public static double Median(List<double> xs) { var s = xs.Order().ToList(); return s[s.Count / 2]; }

    public static string FindDatasets(string name)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Trove.slnx"))) dir = dir.Parent;
        return Path.GetFullPath(Path.Combine(dir?.FullName ?? ".", "..", "shared", "datasets", name));
    }

    /// <summary>Times a model on a synthetic power-law matrix: total and per-iteration seconds.</summary>
    public static void AlsLarge(string[] args)
    {
        var algo = Option(args, "--algo", "als");
        int users = int.Parse(Option(args, "--users", "200000"), CultureInfo.InvariantCulture);
        int items = int.Parse(Option(args, "--items", "50000"), CultureInfo.InvariantCulture);
        int nnz = int.Parse(Option(args, "--nnz", "3000000"), CultureInfo.InvariantCulture);
        int repeat = int.Parse(Option(args, "--repeat", "1"), CultureInfo.InvariantCulture);
        var sw = Stopwatch.StartNew();
        var data = Synthetic.PowerLaw(users, items, nnz, 7);
        var m = data.UserItems; _ = data.ItemUsers;
        Console.WriteLine($"synthetic: {m.Rows} users, {m.Columns} items, {m.NonZeros} distinct pairs ({nnz} drawn) in {sw.Elapsed.TotalSeconds:F1}s");
        var settings = Settings(args);
        for (int r = 0; r < repeat; r++)
        {
            var model = BuiltInAlgorithms.Registry.Create(algo, settings);
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            sw.Restart();
            model.Fit(data, new FitContext { Seed = 1, Progress = args.Contains("--verbose") ? new PrintProgress() : NullProgress.Instance });
            double wall = sw.Elapsed.TotalSeconds;
            double cpuS = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            string per = model switch
            {
                Trove.Models.Factorization.Als a => $"per iteration best {a.History.Min(h => h.Seconds):F3}s median {Median(a.History.Select(h => h.Seconds).ToList()):F3}s",
                Trove.Models.Factorization.Bpr b => $"{b.SamplesPerSecond / 1e6:F2} M samples/s, per epoch best {b.History.Min(h => h.Seconds):F3}s",
                _ => "",
            };
            Console.WriteLine($"  {algo} {string.Join(" ", settings.Select(kv => kv.Key + "=" + kv.Value))}: fit {wall:F2}s wall, {cpuS:F2}s cpu; {per}");
        }
    }

    public static void CholMicro()
    {
        int k = 64, reps = 20000;
        var r = new Random(1);
        var m = Enumerable.Range(0, k * k).Select(_ => (float)r.NextDouble()).ToArray();
        var a = new float[k * k];
        Trove.Numerics.Dense.Blas.Gemm(true, false, k, k, k, 1f, m, k, m, k, 0f, a, k);
        for (int i = 0; i < k; i++) a[i * k + i] += k;
        var w = new float[k * k]; var b = new float[k];
        foreach (var pass in new[] { 1, 2 })
        {
            var sw = Stopwatch.StartNew();
            for (int t = 0; t < reps; t++) { a.CopyTo(w, 0); b.AsSpan().Fill(1); Trove.Numerics.Dense.SmallCholesky.TrySolve(w, k, b); }
            Console.WriteLine($"managed: {sw.Elapsed.TotalMilliseconds * 1000 / reps:F2} us per 64x64 solve");
            sw.Restart();
            for (int t = 0; t < reps; t++) { a.CopyTo(w, 0); b.AsSpan().Fill(1); Trove.Numerics.Dense.Lapack.SolvePositiveDefinite(w, k, b); }
            Console.WriteLine($"lapack: {sw.Elapsed.TotalMilliseconds * 1000 / reps:F2} us per 64x64 solve");
            var rows = Enumerable.Range(0, 100 * k).Select(_ => (float)r.NextDouble()).ToArray(); var wt = Enumerable.Repeat(0.5f, 100).ToArray();
            sw.Restart();
            for (int t = 0; t < reps / 10; t++) Trove.Numerics.Vectors.VectorKernels.AddWeightedOuterProducts(w, k, rows, wt, 100);
            Console.WriteLine($"outer products: {sw.Elapsed.TotalMilliseconds * 1000 / (reps / 10) / 100:F3} us per row (k=64)");
        }
    }

    /// <summary>
    /// Exact scoring of a batch of queries against every item (the server's batched exact path): one sgemm per
    /// item block (BatchScoring.ScoreGemm) against one SIMD mat-vec per query (ScoreMatVec), one BLAS thread.
    /// </summary>
    public static void BatchScoring(string[] args)
    {
        int items = int.Parse(Option(args, "--items", "100000"), CultureInfo.InvariantCulture);
        int d = int.Parse(Option(args, "--factors", "64"), CultureInfo.InvariantCulture);
        Trove.Numerics.Dense.Blas.Threads = 1;
        var random = new Random(1);
        var rows = new float[items * d];
        for (int i = 0; i < rows.Length; i++) rows[i] = (float)(random.NextDouble() - 0.5);
        var queries = new float[32 * d];
        for (int i = 0; i < queries.Length; i++) queries[i] = (float)(random.NextDouble() - 0.5);
        var outputs = Enumerable.Range(0, 32).Select(_ => new float[items]).ToArray();
        Console.WriteLine($"{items} items x {d} factors; best of 20 calls; load average {File.ReadAllText("/proc/loadavg").Trim()}");
        var panels = new Trove.Numerics.Dense.ItemPanels(rows, items, d);
        Console.WriteLine("| queries | sgemm ms per call | sgemm us per query | mat-vec ms per call | mat-vec us per query | panels ms per call | panels us per query |");
        foreach (int batch in new[] { 1, 2, 4, 8, 16, 32 })
        {
            double Best(Action run)
            {
                run();
                double best = double.MaxValue;
                for (int r = 0; r < 20; r++) { var sw = Stopwatch.StartNew(); run(); best = Math.Min(best, sw.Elapsed.TotalMilliseconds); }
                return best;
            }
            double gemm = Best(() => Trove.Numerics.Dense.BatchScoring.ScoreGemm(rows, items, d, queries, batch, outputs));
            double matVec = Best(() => Trove.Numerics.Dense.BatchScoring.ScoreMatVec(rows, items, d, queries, batch, outputs));
            double panel = Best(() => panels.Score(queries, batch, outputs));
            Console.WriteLine($"| {batch} | {gemm:F3} | {gemm * 1000 / batch:F0} | {matVec:F3} | {matVec * 1000 / batch:F0} | {panel:F3} | {panel * 1000 / batch:F0} |");
        }
        Console.WriteLine("sgemm block size (rows per call), 8 queries:");
        foreach (int block in new[] { 256, 512, 1024, 2048, 4096, 16384, items })
        {
            Trove.Numerics.Dense.BatchScoring.ScoreGemm(rows, items, d, queries, 8, outputs, block);
            double best = double.MaxValue;
            for (int r = 0; r < 20; r++) { var sw = Stopwatch.StartNew(); Trove.Numerics.Dense.BatchScoring.ScoreGemm(rows, items, d, queries, 8, outputs, block); best = Math.Min(best, sw.Elapsed.TotalMilliseconds); }
            Console.WriteLine($"  {block}: {best:F3} ms");
        }
    }

    /// <summary>EASE fit time for a given number of items on synthetic data.</summary>
    public static void EaseSize(string[] args)
    {
        int items = int.Parse(args[0], CultureInfo.InvariantCulture);
        int users = int.Parse(Option(args, "--users", "20000"), CultureInfo.InvariantCulture);
        int nnz = int.Parse(Option(args, "--nnz", "1000000"), CultureInfo.InvariantCulture);
        int repeat = int.Parse(Option(args, "--repeat", "3"), CultureInfo.InvariantCulture);
        var data = Synthetic.PowerLaw(users, items, nnz, 3, itemSkew: 1.5);
        _ = data.UserItems; _ = data.ItemUsers;
        Console.WriteLine($"ease: {users} users, {items} items, {data.UserItems.NonZeros} pairs");
        var times = new List<double>();
        for (int r = 0; r < repeat; r++)
        {
            var model = BuiltInAlgorithms.Registry.Create("ease", Settings(args, 1));
            var sw = Stopwatch.StartNew();
            model.Fit(data, new FitContext { Seed = 1, Progress = args.Contains("--verbose") ? new PrintProgress() : NullProgress.Instance });
            times.Add(sw.Elapsed.TotalSeconds);
            Console.WriteLine($"  fit {times[^1]:F3}s");
        }
        Console.WriteLine($"EASE {items} items: best {times.Min():F3}s median {Median(times):F3}s");
    }
}
