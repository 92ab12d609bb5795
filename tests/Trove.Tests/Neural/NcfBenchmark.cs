using System.Diagnostics;
using Trove.Core.Training;
using Trove.Evaluation;
using Trove.Evaluation.Protocols;
using Trove.Models;
using Trove.Tests.Support;
using Xunit.Abstractions;

namespace Trove.Tests.Neural;

/// <summary>
/// Quality harness on ncf-ml-100k (NCF protocol: leave-one-out vs 99 negatives). Runs only when
/// TROVE_BENCH is set (it trains for minutes):
/// TROVE_BENCH="ncf variant=neumf" dotnet test --filter FullyQualifiedName~Trove.Tests.Neural.NcfBenchmark
/// The variable holds the algorithm and key=value parameters; results are appended to TROVE_BENCH_OUT (default /tmp/trove-bench.txt).
/// </summary>
public class NcfBenchmark(ITestOutputHelper output)
{
    private sealed class Lines(ITestOutputHelper output, string file) : IProgressReporter
    {
        public IProgressTask Start(string description, long total) => NullProgress.Instance;
        public void Info(string message) { output.WriteLine(message); File.AppendAllText(file, message + "\n"); }
    }

    [Fact]
    public void Ncf_protocol_on_ml100k()
    {
        var spec = Environment.GetEnvironmentVariable("TROVE_BENCH");
        if (string.IsNullOrWhiteSpace(spec)) return;
        var outFile = Environment.GetEnvironmentVariable("TROVE_BENCH_OUT") ?? "/tmp/trove-bench.txt";
        var parts = spec.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var settings = Trove.Core.Algorithms.ParameterBinder.ParseSettings(parts.Skip(1));
        var dir = TestPaths.Dataset("ncf-ml-100k");
        var split = NcfProtocol.FromFiles(Path.Combine(dir, "ml-100k.train.rating"), Path.Combine(dir, "ml-100k.test.rating"), Path.Combine(dir, "ml-100k.test.negative"));
        int seed = int.TryParse(Environment.GetEnvironmentVariable("TROVE_BENCH_SEED"), out var s) ? s : 42;
        var log = new Lines(output, outFile);
        var model = BuiltInAlgorithms.Registry.Create(parts[0], settings);
        var clock = Stopwatch.StartNew();
        model.Fit(split.Train, new FitContext { Seed = seed, Threads = Environment.ProcessorCount, Progress = log });
        double seconds = clock.Elapsed.TotalSeconds;
        var result = Evaluator.Evaluate(model, split.Test, new EvaluationOptions { Ks = [10] });
        log.Info($"RESULT {spec} seed={seed}: HR@10 {result["hr@10"]:F4} NDCG@10 {result["ndcg@10"]:F4} train {seconds:F1}s ({Environment.ProcessorCount} cores)");
    }
}
