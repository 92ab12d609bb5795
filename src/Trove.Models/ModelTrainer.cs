using System.Diagnostics;
using Trove.Core.Data;
using Trove.Core.Persistence;
using Trove.Core.Training;

namespace Trove.Models;

/// <summary>Creates a model by name, fits it, and (optionally) writes the model file.</summary>
public static class ModelTrainer
{
    /// <param name="checkpoints">Save (and with Resume, continue from) training state of iterative models in a directory.</param>
    public static TrainedModel Train(Dataset data, string algorithm, IReadOnlyDictionary<string, string>? parameters, FitContext context, string? outputPath = null,
        CheckpointOptions? checkpoints = null)
    {
        var model = BuiltInAlgorithms.Registry.Create(algorithm, parameters);
        if (checkpoints is not null)
            context = context with { Checkpoints = TrainingCheckpoints.For(checkpoints, model, data, context.Seed, context.Progress) };
        var clock = Stopwatch.StartNew();
        model.Fit(data, context);
        double seconds = clock.Elapsed.TotalSeconds;
        if (context.Checkpoints is { Written: 0, Restored: 0 })
            context.Progress.Info($"{algorithm} does not train in epochs: it wrote no checkpoints (they are for als, bpr, ncf and twotower).");
        return outputPath is null
            ? new TrainedModel(ModelFile.Describe(model, data, seconds, context.Seed), model, data.Users, data.Items, data.ItemFeatures)
            : ModelFile.Save(outputPath, model, data, seconds, context.Seed);
    }
}
