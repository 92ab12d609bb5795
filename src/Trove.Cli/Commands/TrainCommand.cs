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
        var model = new Option<string?>("--model", "-m") { Description = "Algorithm (see `trove models`); or give --config." };
        var config = new Option<string?>("--config", "-c") { Description = "A JSON training config (model, features and encoders, samples, hybrid weights); see docs/content.md." };
        var output = new Option<string>("--out", "-o") { Description = "Model file to write.", Required = true };
        var parameters = new Option<string[]>("--param", "-p") { Description = "Hyper-parameter override key=value (repeatable), e.g. --param neighbours=50.", AllowMultipleArgumentsPerToken = true };
        var paramsFile = new Option<string?>("--params") { Description = "Parameters from a JSON file written by `trove tune --out` (its algorithm and best parameters); --param overrides single values." };
        var seed = new Option<int>("--seed") { Description = "Random seed (same seed, same model).", DefaultValueFactory = _ => 42 };
        var threads = new Option<int>("--threads") { Description = "Worker threads (default: all cores).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var vectorIndex = new Option<bool>("--vector-index") { Description = "Also build the HNSW graphs over item vectors (embedding models) and save them as OUT.index, so `trove serve` loads them instead of building them at start." };
        var checkpointDir = new Option<string?>("--checkpoint-dir") { Description = "Save resumable training state of iterative models (als, bpr, ncf, twotower) in this directory." };
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "Save a checkpoint every N epochs (and after the last).", DefaultValueFactory = _ => 1 };
        var resume = new Option<bool>("--resume") { Description = "Continue from the newest valid checkpoint in --checkpoint-dir (refused when it is from other data or parameters)." };
        var command = new Command("train", "Train a model on --data or --db and write the model file (--out).")
        {
            model, config, output, parameters, paramsFile, seed, threads, checkpointDir, checkpointEvery, resume, vectorIndex,
        };
        data.AddTo(command);
        command.SetAction(r => CommandRunner.Run(() =>
        {
            var progress = new ConsoleProgress();
            CheckpointOptions? checkpoints = null;
            if (r.GetValue(checkpointDir) is { } dir)
            {
                if (r.GetValue(checkpointEvery) < 1) throw new Core.Errors.TroveException($"--checkpoint-every must be at least 1, got {r.GetValue(checkpointEvery)}.");
                checkpoints = new CheckpointOptions(dir, r.GetValue(checkpointEvery), r.GetValue(resume));
            }
            else if (r.GetValue(resume)) throw new Core.Errors.TroveException("--resume needs --checkpoint-dir DIR (where the checkpoints are).");
            if (r.GetValue(config) is { } configPath)
            {
                if (checkpoints is not null) throw new Core.Errors.TroveException("--checkpoint-dir works with --model NAME, not with --config.");
                // Config-driven training (the universal JSON workflow); --model and --param come from the config.
                if (r.GetValue(model) is not null || (r.GetValue(parameters) ?? []).Length > 0 || r.GetValue(paramsFile) is not null)
                    throw new Core.Errors.TroveException("Give either --config or --model/--param, not both: the config names the model and its parameters.");
                var cfg = Trove.Workflows.TrainingConfig.Load(configPath);
                if (r.GetValue(threads) != Environment.ProcessorCount) cfg = cfg with { Threads = Math.Max(1, r.GetValue(threads)) };
                if (r.GetValue(seed) != 42) cfg = cfg with { Seed = r.GetValue(seed) };
                var report = r.GetValue(data.Data) is { } dataPath && r.GetValue(data.Db) is null && Data.Formats.UniversalJsonReader.LooksLikeUniversalJson(dataPath)
                    ? Trove.Workflows.ConfigTraining.Run(cfg, dataPath, r.GetValue(output)!, progress)
                    : Trove.Workflows.ConfigTraining.Train(cfg, data.Load(r, progress), null, r.GetValue(output)!, progress);
                Console.WriteLine($"trained {report.Model.Manifest.Algorithm} on {report.Model.Manifest.Data.Users:N0} users x {report.Model.Manifest.Data.Items:N0} items in {report.Seconds:F2}s; sampled AUC {report.SampledAuc:F4}");
                Console.WriteLine($"model version {report.Model.Manifest.ModelVersion} written to {Path.GetFullPath(r.GetValue(output)!)}");
                if (r.GetValue(vectorIndex)) WriteVectorIndex(report.Model, r.GetValue(output)!, cfg.Threads);
                return 0;
            }
            var settings = ParameterBinder.ParseSettings(r.GetValue(parameters) ?? []);
            var algorithm = r.GetValue(model);
            if (r.GetValue(paramsFile) is { } file)
            {
                var (tunedAlgorithm, tuned) = Evaluation.Tuning.TuneResult.ReadParameters(file);
                if (algorithm is not null && !string.Equals(algorithm, tunedAlgorithm, StringComparison.OrdinalIgnoreCase))
                    throw new Core.Errors.TroveException($"--params {file} holds {tunedAlgorithm} parameters, but --model is {algorithm}.");
                algorithm = tunedAlgorithm;
                foreach (var (key, value) in settings) tuned[key] = value; // --param wins
                settings = tuned;
            }
            if (algorithm is null) throw new Core.Errors.TroveException("Give --model NAME (see `trove models`), --params TUNED.json or --config CONFIG.json.");
            // Validate the algorithm and parameters before the (possibly long) data load.
            var untrained = BuiltInAlgorithms.Registry.Create(algorithm, settings);
            if (r.GetValue(vectorIndex) && untrained is not Core.Recommending.IEmbeddingModel)
                throw new Core.Errors.TroveException($"--vector-index: {algorithm} has no item vectors; only embedding models (als, bpr, two-tower, content) get a vector index.");
            var dataset = data.Load(r, progress);
            var context = new FitContext { Seed = r.GetValue(seed), Threads = Math.Max(1, r.GetValue(threads)), Progress = progress };
            var path = r.GetValue(output)!;
            var trained = ModelTrainer.Train(dataset, algorithm, settings, context, path, checkpoints);
            Console.WriteLine($"trained {trained.Manifest.Algorithm} on {dataset.UserCount:N0} users x {dataset.ItemCount:N0} items ({dataset.Interactions.Count:N0} interactions) in {trained.Manifest.TrainingSeconds:F2}s");
            Console.WriteLine($"model version {trained.Manifest.ModelVersion} written to {Path.GetFullPath(path)}");
            if (r.GetValue(vectorIndex)) WriteVectorIndex(trained, path, context.Threads);
            if (r.GetValue(data.Db) is { } db)
            {
                using var store = InteractionStores.Open(db, createIfMissing: false);
                store.RegisterModel(ModelRecord.FromManifest(trained.Manifest, path));
                Console.WriteLine($"registered in {db}");
            }
            return 0;
        }));
        return command;
    }

    /// <summary>Both item graphs (cosine for similar items, inner product for recommendations when scores are dot products) into MODEL.index.</summary>
    private static void WriteVectorIndex(Core.Persistence.TrainedModel trained, string path, int threads)
    {
        if (trained.Model is not Core.Recommending.IEmbeddingModel embedding)
            throw new Core.Errors.TroveException($"--vector-index: {trained.Manifest.Algorithm} has no item vectors; only embedding models (als, bpr, two-tower, content) get a vector index.");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var graph = new Server.ServerOptions().Graph with { Threads = threads };
        Trove.Models.Retrieval.ItemIndexFile.LoadOrBuild(Path.GetFullPath(path), trained.Manifest.Algorithm, trained.Manifest.ModelVersion,
            Trove.Models.Retrieval.ItemIndexFile.ItemVectors(embedding, trained.Items.Count), embedding.Dimensions,
            similar: true, recommend: embedding.ScoresAreDotProducts, graph, persist: true, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        Console.WriteLine($"vector index ({trained.Items.Count:N0} items) built in {clock.Elapsed.TotalSeconds:F1}s and written to {Trove.Models.Retrieval.ItemIndexFile.PathFor(Path.GetFullPath(path))}");
    }
}
