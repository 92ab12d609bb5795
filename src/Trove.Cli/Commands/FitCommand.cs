using System.CommandLine;
using Trove.Cli.Infrastructure;
using Trove.Workflows;

namespace Trove.Cli.Commands;

/// <summary>
/// `trove fit --config CONFIG.json --data DATA.json --out MODEL`: config-driven training (the
/// universal JSON workflow). `trove train --config ...` can call <see cref="Run"/> as well.
/// </summary>
public static class FitCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config", "-c") { Description = "Training config (JSON): model, features and encoders, samples, training, hybrid weights.", Required = true };
        var data = new Option<string>("--data", "-d") { Description = "Training data in the universal JSON format (user_data, item_data, interactions).", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Model file to write.", DefaultValueFactory = _ => "model.trove" };
        var command = new Command("fit", "Train from a JSON config and universal JSON data (features, encoders, content/hybrid models).") { config, data, output };
        command.SetAction(r => CommandRunner.Run(() => Run(r.GetValue(config)!, r.GetValue(data)!, r.GetValue(output)!)));
        return command;
    }

    public static int Run(string configPath, string dataPath, string outPath)
    {
        var report = ConfigTraining.Run(configPath, dataPath, outPath, new ConsoleProgress());
        var d = report.Model.Manifest.Data;
        Console.WriteLine($"trained {report.Model.Manifest.Algorithm} on {d.Users:N0} users, {d.Items:N0} items, {d.Interactions:N0} interactions in {report.Seconds:F2}s");
        Console.WriteLine($"samples: {report.Positives:N0} positives, {report.Samples - report.Positives:N0} negatives; sampled AUC {report.SampledAuc:F4}");
        Console.WriteLine($"wrote {Path.GetFullPath(outPath)}");
        return 0;
    }
}
