using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Trove.Core.Algorithms;
using Trove.Core.Errors;
using Trove.Core.Recommending;
using Trove.Core.Training;
using Trove.Evaluation.Metrics;

namespace Trove.Evaluation;

/// <summary>A model to compare: a registry name plus "key=value" parameter overrides, and an optional display label.</summary>
public sealed record ModelSpec(string Algorithm, IReadOnlyDictionary<string, string>? Parameters = null, string? Label = null)
{
    /// <summary>Label used in reports: the given one, else the algorithm name.</summary>
    public string DisplayName => Label ?? Algorithm;
}

/// <summary>One model's row of a comparison.</summary>
public sealed class ModelEvaluation
{
    public required string Label { get; init; }
    public required string Algorithm { get; init; }
    /// <summary>The full parameter record as JSON (snake_case names, as in model files).</summary>
    public required JsonElement Parameters { get; init; }
    /// <summary>Only the parameters given explicitly (the --param overrides).</summary>
    public IReadOnlyDictionary<string, string> Overrides { get; init; } = new Dictionary<string, string>();
    public required EvaluationResult Test { get; init; }
    public EvaluationResult? Validation { get; init; }
    /// <summary>Why the model was not evaluated on this split (null when it was), e.g. it cannot score cold-start items; its metrics are then empty.</summary>
    public string? NotApplicable { get; init; }
    public double TrainSeconds { get; init; }
    public double EvaluationSeconds => Test.Seconds;
    /// <summary>The fitted model, for callers who want to keep using it (not serialised).</summary>
    [JsonIgnore] public IRecommender? Model { get; init; }
}

/// <summary>Several models trained and evaluated on the same split.</summary>
public sealed class ComparisonResult
{
    public required string Protocol { get; init; }
    public required string Dataset { get; init; }
    public string Description { get; init; } = "";
    /// <summary>The training seed (the CLI uses the same seed for the split).</summary>
    public int Seed { get; init; }
    public required IReadOnlyList<int> Ks { get; init; }
    public required SplitSummary Split { get; init; }
    public required IReadOnlyList<ModelEvaluation> Models { get; init; }
    public bool Sampled { get; init; }
    /// <summary>Ranked among shared candidates (the cold-start protocol's withheld items), not the whole catalogue.</summary>
    public bool Restricted { get; init; }
    /// <summary>With <see cref="Restricted"/>: expected recall@K and ndcg@K of a random ranking of the candidates (the reference line).</summary>
    public IReadOnlyDictionary<string, double>? RandomRanking { get; init; }
}

/// <summary>Sizes of a split, for reports.</summary>
public sealed record SplitSummary(int Users, int Items, int TrainInteractions, int TestCases, long TestItems, int ValidationCases)
{
    public static SplitSummary Of(EvaluationSplit s) =>
        new(s.Train.UserCount, s.Train.ItemCount, s.Train.Interactions.Count, s.Test.Count, s.Test.RelevantCount, s.Validation?.Count ?? 0);
}

public static partial class Evaluator
{
    internal static readonly JsonSerializerOptions ParameterJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>
    /// Creates each model from <paramref name="registry"/>, trains it on the split's train part and
    /// evaluates it on the test part (and on validation when the split has one; iterative models
    /// also get <see cref="FitContext.Validate"/> computing <see cref="FitContext.ValidationMetricName"/>).
    /// Models are trained one after the other; each uses all threads.
    /// </summary>
    public static ComparisonResult Compare(EvaluationSplit split, IEnumerable<ModelSpec> models, ModelRegistry registry,
        EvaluationOptions? options = null, FitContext? fit = null)
    {
        var specs = models.ToList();
        if (specs.Count == 0) throw new TroveException("No model to evaluate: give at least one --model.");
        // Create every model first so a bad name or parameter fails before any training.
        var created = specs.Select(s => (Spec: s, Model: registry.Create(s.Algorithm, s.Parameters))).ToList();
        var labels = Labels(specs);
        return CompareModels(split, created.Select((c, i) => (labels[i], c.Model, c.Spec.Parameters)), options, fit);
    }

    /// <summary>Like <see cref="Compare(EvaluationSplit, IEnumerable{ModelSpec}, ModelRegistry, EvaluationOptions?, FitContext?)"/> for model instances (not yet fitted).</summary>
    public static ComparisonResult Compare(EvaluationSplit split, IEnumerable<(string Label, IRecommender Model)> models,
        EvaluationOptions? options = null, FitContext? fit = null) =>
        CompareModels(split, models.Select(m => (m.Label, m.Model, (IReadOnlyDictionary<string, string>?)null)), options, fit);

    private static ComparisonResult CompareModels(EvaluationSplit split, IEnumerable<(string Label, IRecommender Model, IReadOnlyDictionary<string, string>? Overrides)> models,
        EvaluationOptions? options, FitContext? fit)
    {
        options ??= EvaluationOptions.Default;
        fit ??= new FitContext { Progress = options.Progress, Threads = options.Threads, Cancellation = options.Cancellation, Seed = split.Seed == 0 ? 42 : split.Seed };
        var results = new List<ModelEvaluation>();
        foreach (var (label, model, overrides) in models)
        {
            options.Cancellation.ThrowIfCancellationRequested();
            var context = fit;
            if (split.Validation is { } validation && fit.Validate is null)
            {
                var quiet = options with { Progress = NullProgress.Instance };
                string metric = ValidationMetric(fit.ValidationMetricName, options.Ks);
                context = fit with { Validate = m => Evaluate(m, validation, quiet)[metric], ValidationMetricName = metric };
            }
            if (split.ColdItems && model is not IColdItemScorer)
            {
                results.Add(NotApplicableRow(label, model, overrides, 0, options));
                continue;
            }
            options.Progress.Info($"training {label} on {split.Train.Interactions.Count:N0} interactions");
            var clock = Stopwatch.StartNew();
            model.Fit(split.Train, context);
            double trainSeconds = clock.Elapsed.TotalSeconds;
            if (split.ColdItems && model is IColdItemScorer { CanScoreColdItems: false })
            {
                results.Add(NotApplicableRow(label, model, overrides, trainSeconds, options));
                continue;
            }
            var test = Evaluate(model, split.Test, options);
            var val = split.Validation is { } v ? Evaluate(model, v, options) : null;
            results.Add(new ModelEvaluation
            {
                Label = label,
                Algorithm = model.Algorithm,
                Parameters = JsonSerializer.SerializeToElement(model.Parameters, model.Parameters.GetType(), ParameterJson),
                Overrides = overrides ?? new Dictionary<string, string>(),
                Test = test,
                Validation = val,
                TrainSeconds = trainSeconds,
                Model = model,
            });
        }
        return new ComparisonResult
        {
            Protocol = split.Protocol,
            Dataset = split.DatasetName,
            Description = split.Description,
            Seed = fit.Seed,
            Ks = options.Ks.Distinct().Order().ToArray(),
            Split = SplitSummary.Of(split),
            Models = results,
            Sampled = split.Test.IsSampled,
            Restricted = split.Test.IsRestricted,
            RandomRanking = split.Test.IsRestricted ? RandomRanking(split.Test, options.Ks) : null,
        };
    }

    private static Dictionary<string, double> RandomRanking(TestSet test, IEnumerable<int> ks)
    {
        var result = new Dictionary<string, double>();
        foreach (int k in ks.Distinct().Order())
        {
            var (recall, ndcg) = test.RandomExpectation(k);
            result[MetricNames.At(MetricNames.Recall, k)] = recall;
            result[MetricNames.At(MetricNames.Ndcg, k)] = ndcg;
        }
        return result;
    }

    /// <summary>The reason a model is not evaluated on cold-start items.</summary>
    public const string NoColdItemScoring = "cannot score items without training interactions (needs item features: content, hybrid, twotower with item features)";

    /// <summary>
    /// The validation metric to track: the requested one when its cut-off is evaluated, else the same metric at the
    /// cut-off nearest to it (so --k 5 validates on ndcg@5 instead of failing on the default ndcg@10).
    /// </summary>
    internal static string ValidationMetric(string requested, IReadOnlyList<int> ks)
    {
        int at = requested.IndexOf('@');
        if (at < 0 || ks.Count == 0 || !int.TryParse(requested.AsSpan(at + 1), out int k) || ks.Contains(k)) return requested;
        int nearest = ks.OrderBy(c => Math.Abs(c - k)).ThenByDescending(c => c).First();
        return MetricNames.At(requested[..at], nearest);
    }

    private static ModelEvaluation NotApplicableRow(string label, IRecommender model, IReadOnlyDictionary<string, string>? overrides, double trainSeconds, EvaluationOptions options)
    {
        options.Progress.Info($"{label}: not applicable, {NoColdItemScoring}");
        return new ModelEvaluation
        {
            Label = label,
            Algorithm = model.Algorithm,
            Parameters = JsonSerializer.SerializeToElement(model.Parameters, model.Parameters.GetType(), ParameterJson),
            Overrides = overrides ?? new Dictionary<string, string>(),
            Test = new EvaluationResult { Ks = options.Ks.Distinct().Order().ToArray(), Metrics = new Dictionary<string, double>() },
            TrainSeconds = trainSeconds,
            NotApplicable = NoColdItemScoring,
        };
    }

    /// <summary>Algorithm names, made unique with their overrides when an algorithm appears twice.</summary>
    private static List<string> Labels(List<ModelSpec> specs)
    {
        var counts = specs.GroupBy(s => s.Algorithm, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.Count(), StringComparer.OrdinalIgnoreCase);
        var labels = specs.Select(s => s.Label ?? (counts[s.Algorithm] > 1 && s.Parameters is { Count: > 0 } p
            ? $"{s.Algorithm}({string.Join(",", p.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}={kv.Value}"))})"
            : s.Algorithm)).ToList();
        // Still duplicated (same algorithm, same or no overrides): number them.
        var seen = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < labels.Count; i++)
        {
            int n = seen.TryGetValue(labels[i], out var c) ? c + 1 : 1;
            seen[labels[i]] = n;
            if (n > 1) labels[i] += $"#{n}";
        }
        return labels;
    }
}
