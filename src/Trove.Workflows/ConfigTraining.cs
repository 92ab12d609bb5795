using Trove.Models;
using System.Diagnostics;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Core.Training;
using Trove.Data.Formats;
using Trove.Data.Readers;

namespace Trove.Workflows;

/// <summary>What a config-driven training run did.</summary>
public sealed record TrainingReport(TrainedModel Model, TrainingConfig Config, UniversalSchema? Schema, int Samples, int Positives, double SampledAuc, double Seconds, IReadOnlyList<string> Notes);

/// <summary>
/// The config-driven workflow behind <c>trove fit --config CONFIG.json --data DATA.json --out MODEL</c>
/// (and <c>trove train --config</c>): read the config and the data, generate positive/negative samples,
/// train the configured model, report the sampled AUC and write the model file.
/// </summary>
public static class ConfigTraining
{
    /// <summary>
    /// Reads a data path that is not universal JSON (CSV, MovieLens, Last.fm, SQLite...); by default
    /// <see cref="DatasetLoader"/>.
    /// </summary>
    public static Func<string, EventWeights, Dataset>? OtherFormats { get; set; } =
        (path, events) => DatasetLoader.Load(path, new LoadOptions { Csv = CsvOptions.Default with { EventWeights = events } });

    public static TrainingReport Run(string configPath, string dataPath, string outPath, IProgressReporter? progress = null) =>
        Run(TrainingConfig.Load(configPath), dataPath, outPath, progress);

    public static TrainingReport Run(TrainingConfig config, string dataPath, string? outPath, IProgressReporter? progress = null)
    {
        progress ??= NullProgress.Instance;
        var (data, schema) = LoadData(dataPath, config.EventWeights);
        if (schema is not null) progress.Info(schema.ToString());
        return Train(config, data, schema, outPath, progress);
    }

    public static (Dataset Data, UniversalSchema? Schema) LoadData(string path, EventWeights events)
    {
        if (!File.Exists(path) && !Directory.Exists(path)) throw new TroveException($"Data file '{path}' does not exist.");
        if (File.Exists(path) && (UniversalJsonReader.LooksLikeUniversalJson(path) || OtherFormats is null))
        {
            var result = UniversalJsonReader.ReadWithSchema(path, new UniversalJsonOptions { EventWeights = events });
            return (result.Dataset, result.Schema);
        }
        return (OtherFormats!(path, events), null);
    }

    public static TrainingReport Train(TrainingConfig config, Dataset data, UniversalSchema? schema, string? outPath, IProgressReporter? progress = null)
    {
        progress ??= NullProgress.Instance;
        var notes = new List<string>();
        var (parameters, unused) = config.ModelParameters();
        if (unused.Count > 0) notes.Add($"training settings not used by {config.Model}: {string.Join(", ", unused)}");
        if (config.UserFeatures.Count > 0 && config.Model is "content" or "hybrid")
            notes.Add($"user features are not used by {config.Model} (profiles come from the items users interacted with)");
        foreach (var n in notes) progress.Info("note: " + n);

        var samples = SampleGenerator.Generate(data, config.Samples, config.Seed);
        progress.Info($"samples: {samples.Positives:N0} positives, {samples.Count - samples.Positives:N0} negatives ({config.Samples.Strategy}, " +
            (config.Samples.NegativesPerUser > 0 ? $"{config.Samples.NegativesPerUser} per user)" : $"ratio {config.Samples.NegativeRatio})"));
        if (config.Samples.Output is { } pairsPath)
        {
            SampleGenerator.WriteCsv(samples, data, pairsPath);
            progress.Info($"wrote the pairs to {pairsPath}");
        }

        var model = BuiltInAlgorithms.Registry.Create(config.Model, parameters);
        var context = new FitContext { Seed = config.Seed, Threads = Math.Max(1, config.Threads), Progress = progress };
        var clock = Stopwatch.StartNew();
        model.Fit(data, context);
        double seconds = clock.Elapsed.TotalSeconds;
        double auc = samples.Count > samples.Positives ? SampleGenerator.Auc(model, samples) : double.NaN;
        progress.Info($"trained {config.Model} in {seconds:F2}s; sampled AUC (training pairs) {auc:F4}");
        var trained = outPath is null
            ? new TrainedModel(new ModelManifest
            {
                Algorithm = model.Algorithm,
                Parameters = parameters,
                Data = new DataDescription(data.Source, data.Fingerprint(), data.UserCount, data.ItemCount, data.Interactions.Count),
                TrainingSeconds = seconds,
                Seed = config.Seed,
            }, model, data.Users, data.Items, data.ItemFeatures)
            : ModelFile.Save(outPath, model, data, seconds, config.Seed);
        return new TrainingReport(trained, config, schema, samples.Count, samples.Positives, auc, seconds, notes);
    }
}
