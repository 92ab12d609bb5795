using System.CommandLine;
using Trove.Cli.Infrastructure;
using Trove.Core.Algorithms;
using Trove.Core.Training;
using Trove.Data.Stores;
using Trove.Models;

namespace Trove.Cli.Commands;

/// <summary>`trove train`: fit one algorithm on a data set and write the model file.</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var data = new DataOptions();
        var model = new Option<string>("--model", "-m") { Description = "Algorithm (see `trove models`).", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "Model file to write.", Required = true };
        var parameters = new Option<string[]>("--param", "-p") { Description = "Hyper-parameter override key=value (repeatable), e.g. --param neighbours=50.", AllowMultipleArgumentsPerToken = true };
        var seed = new Option<int>("--seed") { Description = "Random seed (same seed, same model).", DefaultValueFactory = _ => 42 };
        var threads = new Option<int>("--threads") { Description = "Worker threads (default: all cores).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var command = new Command("train", "Train a model on --data or --db and write the model file (--out).") { model, output, parameters, seed, threads };
        data.AddTo(command);
        command.SetAction(r => CommandRunner.Run(() =>
        {
            var progress = new ConsoleProgress();
            var settings = ParameterBinder.ParseSettings(r.GetValue(parameters) ?? []);
            var algorithm = r.GetValue(model)!;
            // Validate the algorithm and parameters before the (possibly long) data load.
            BuiltInAlgorithms.Registry.Create(algorithm, settings);
            var dataset = data.Load(r, progress);
            var context = new FitContext { Seed = r.GetValue(seed), Threads = Math.Max(1, r.GetValue(threads)), Progress = progress };
            var path = r.GetValue(output)!;
            var trained = ModelTrainer.Train(dataset, algorithm, settings, context, path);
            Console.WriteLine($"trained {trained.Manifest.Algorithm} on {dataset.UserCount:N0} users x {dataset.ItemCount:N0} items ({dataset.Interactions.Count:N0} interactions) in {trained.Manifest.TrainingSeconds:F2}s");
            Console.WriteLine($"model version {trained.Manifest.ModelVersion} written to {Path.GetFullPath(path)}");
            if (r.GetValue(data.Db) is { } db)
            {
                using var store = SqliteStore.Open(db, createIfMissing: false);
                store.RegisterModel(ModelRecord.FromManifest(trained.Manifest, path));
                Console.WriteLine($"registered in {db}");
            }
            return 0;
        }));
        return command;
    }
}
