using System.CommandLine;
using Trove.Cli.Infrastructure;
using Trove.Workflows;

namespace Trove.Cli.Commands;

/// <summary>`trove infer --model MODEL --config CONFIG.json --data INPUT.json --out OUT.json`: embeddings, scores and top-K as JSON.</summary>
public static class InferCommand
{
    public static Command Create()
    {
        var model = ModelOptions.ModelPath();
        var config = new Option<string?>("--config", "-c") { Description = "The training config (its \"inference\" settings: top_k, exclude_seen, embeddings; and event weights)." };
        var data = new Option<string>("--data", "-d") { Description = "Input in the universal JSON format: users, new items with features, new interactions.", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Output JSON file.", DefaultValueFactory = _ => "inference.json" };
        var k = new Option<int?>("--k", "-k") { Description = "Recommendations per user (overrides the config's inference.top_k)." };
        var command = new Command("infer", "User and item embeddings, user-item scores and top-K recommendations as JSON for universal JSON input.") { model, config, data, output, k };
        command.SetAction(r => CommandRunner.Run(() =>
        {
            var cfg = r.GetValue(config) is { } path ? TrainingConfig.Load(path) : TrainingConfig.Default;
            if (r.GetValue(k) is int top)
            {
                if (top <= 0 || top > 10_000) throw new Trove.Core.Errors.TroveException($"--k must be between 1 and 10000, got {top}.");
                cfg = cfg with { Inference = cfg.Inference with { TopK = top } };
            }
            var trained = ModelOptions.Load(r.GetValue(model)!);
            var input = Trove.Data.Formats.UniversalJsonReader.Read(r.GetValue(data)!, new Trove.Data.Formats.UniversalJsonOptions { EventWeights = cfg.EventWeights });
            var report = ConfigInference.Run(trained, cfg.Inference, input, r.GetValue(output)!);
            Console.WriteLine($"users: {report.Users:N0} ({report.UnknownUsers:N0} unknown), new items: {report.NewItems:N0}, scored pairs: {report.ScoredPairs:N0}, dimensions: {report.Dimensions}");
            Console.WriteLine($"wrote {report.OutputPath}");
            return 0;
        }));
        return command;
    }
}
