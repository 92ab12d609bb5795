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
    case "ease-size":
        Harness.EaseSize(rest);
        break;
    default:
        Console.WriteLine("modes: micro | ncf ALGO [k=v..] | als-large | ease-size ITEMS");
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
        var hrs = new List<double>(); var ndcgs = new List<double>(); var times = new List<double>();
        for (int s = 0; s < seeds; s++)
        {
            for (int r = 0; r < repeat; r++)
            {
                var model = BuiltInAlgorithms.Registry.Create(algo, settings);
                var sw = Stopwatch.StartNew();
                model.Fit(data.Train, new FitContext { Seed = 42 + s, Threads = threads });
                sw.Stop();
                times.Add(sw.Elapsed.TotalSeconds);
                if (r == repeat - 1)
                {
                    var (hr, ndcg) = data.Evaluate(model);
                    hrs.Add(hr); ndcgs.Add(ndcg);
                    Console.WriteLine($"  seed {42 + s}: HR@10 {hr:F4} NDCG@10 {ndcg:F4} fit {sw.Elapsed.TotalSeconds:F3}s");
                }
            }
        }
        Console.WriteLine($"MEAN HR@10 {hrs.Average():F4} NDCG@10 {ndcgs.Average():F4}  fit best {times.Min():F3}s median {Median(times):F3}s over {times.Count} runs");
    }

    public static double Median(List<double> xs) { var s = xs.Order().ToList(); return s[s.Count / 2]; }

    public static string FindDatasets(string name)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Trove.slnx"))) dir = dir.Parent;
        return Path.GetFullPath(Path.Combine(dir?.FullName ?? ".", "..", "shared", "datasets", name));
    }

    public static void AlsLarge(string[] args) => throw new NotImplementedException();
    public static void EaseSize(string[] args) => throw new NotImplementedException();
}
