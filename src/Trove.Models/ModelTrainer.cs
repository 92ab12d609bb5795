using System.Diagnostics;
using Trove.Core.Data;
using Trove.Core.Persistence;
using Trove.Core.Training;

namespace Trove.Models;

/// <summary>Creates a model by name, fits it, and (optionally) writes the model file.</summary>
public static class ModelTrainer
{
    public static TrainedModel Train(Dataset data, string algorithm, IReadOnlyDictionary<string, string>? parameters, FitContext context, string? outputPath = null)
    {
        var model = BuiltInAlgorithms.Registry.Create(algorithm, parameters);
        var clock = Stopwatch.StartNew();
        model.Fit(data, context);
        double seconds = clock.Elapsed.TotalSeconds;
        return outputPath is null
            ? new TrainedModel(Describe(model, data, seconds, context.Seed), model, data.Users, data.Items, data.ItemFeatures)
            : ModelFile.Save(outputPath, model, data, seconds, context.Seed);
    }

    private static ModelManifest Describe(Core.Recommending.IRecommender model, Dataset data, double seconds, int seed) => new()
    {
        Algorithm = model.Algorithm,
        Parameters = System.Text.Json.JsonSerializer.SerializeToElement(model.Parameters, model.Parameters.GetType()),
        Data = new DataDescription(data.Source, data.Fingerprint(), data.UserCount, data.ItemCount, data.Interactions.Count),
        TrainingSeconds = seconds,
        Seed = seed,
    };
}
