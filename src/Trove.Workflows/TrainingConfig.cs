using Trove.Models;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Models.Features;

namespace Trove.Workflows;

/// <summary>How training pairs are generated from interactions (for models trained on labelled pairs, and for the sampled AUC check).</summary>
public sealed record SampleSettings
{
    /// <summary>Negatives drawn per positive pair.</summary>
    public int NegativeRatio { get; init; } = 4;
    /// <summary>"uniform" over items, or "popularity" (proportional to the item's interaction count).</summary>
    public string Strategy { get; init; } = "uniform";
    /// <summary>Only pairs whose summed weight is at least this are positives.</summary>
    public float MinPositiveWeight { get; init; }
    /// <summary>Interaction types counted as positives (empty = all).</summary>
    public string[] PositiveTypes { get; init; } = [];
    /// <summary>When above 0, this many negatives per user (instead of <see cref="NegativeRatio"/> per positive).</summary>
    public int NegativesPerUser { get; init; }
    /// <summary>When set, the generated pairs are also written there as CSV (user_id,item_id,label) for external training.</summary>
    public string? Output { get; init; }
}

public sealed record InferenceSettings
{
    public int TopK { get; init; } = 10;
    public bool ExcludeSeen { get; init; } = true;
    /// <summary>Write user and item embeddings (when the model has vectors).</summary>
    public bool Embeddings { get; init; } = true;
}

/// <summary>
/// A JSON training config. Every setting has a default; the smallest useful config is
/// <c>{"model": "hybrid", "features": {"item": ["categorical", "continuous", "text"]}}</c>.
/// <code>
/// {
///   "model": "hybrid",                                  // any registered model (content, hybrid, itemknn, als, ...)
///   "features": {                                       // feature groups per entity, each with its default encoder,
///     "item": ["categorical", "continuous", "text",     //   or an object naming encoder, columns, weight, options
///              {"group": "text", "encoder": "tfidf", "columns": ["title"], "weight": 2, "options": {"dimensions": 256}},
///              {"encoder": "precomputed", "options": {"path": "audio.npy", "ids": "audio_ids.txt"}}],
///     "user": ["categorical"] },
///   "encoders": { "text": {"encoder": "tfidf", "dimensions": 512} },   // per-group defaults for the string form
///   "samples": { "negative_ratio": 4, "strategy": "uniform" | "popularity", "negatives_per_user": 0, "output": "pairs.csv" },
///   "training": { "seed": 42, "threads": 2, "epochs": 10, "learning_rate": 0.01 },   // keys the model has are applied
///   "hybrid": { "weights": {"content": 0.5, "collaborative": 0.4, "popularity": 0.1},
///               "collaborative": "itemknn", "collaborative_parameters": {"neighbours": 50}, "normalization": "zscore" },
///   "parameters": { ... },                              // raw model parameters (override everything above)
///   "event_weights": { "view": 0.1, "purchase": 0.6 },  // on top of the defaults
///   "inference": { "top_k": 10, "exclude_seen": true, "embeddings": true }
/// }
/// </code>
/// Relative paths in encoder options (path, vocab, ids) are relative to the config file.
/// </summary>
public sealed record TrainingConfig
{
    public string Model { get; init; } = "hybrid";
    public List<EncoderSpec> ItemFeatures { get; init; } = [];
    public List<EncoderSpec> UserFeatures { get; init; } = [];
    public SampleSettings Samples { get; init; } = new();
    public int Seed { get; init; } = 42;
    public int Threads { get; init; } = Environment.ProcessorCount;
    /// <summary>Training settings other than seed/threads (epochs, learning_rate, ...), applied to model parameters of the same name.</summary>
    public JsonObject Training { get; init; } = [];
    public JsonObject? Hybrid { get; init; }
    public JsonObject Parameters { get; init; } = [];
    public EventWeights EventWeights { get; init; } = EventWeights.Default;
    public InferenceSettings Inference { get; init; } = new();
    public string Source { get; init; } = "(defaults)";

    public static TrainingConfig Default { get; } = new();

    /// <summary>Largest config file read (it is parsed whole).</summary>
    public const int MaxConfigBytes = 1 << 20;

    public static TrainingConfig Load(string path)
    {
        if (!File.Exists(path)) throw new TroveException($"Config file '{path}' does not exist.");
        long size = new FileInfo(path).Length;
        if (size > MaxConfigBytes) throw new DataFormatException(path, 0, null, $"the file has {size:N0} bytes; a training config is a small JSON object (at most {MaxConfigBytes:N0} bytes).");
        return Parse(File.ReadAllText(path), path, Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>
    /// Binds a config with System.Text.Json onto <see cref="ConfigDocument"/>: every key must be one the format defines
    /// (an unknown or misspelt key is an error naming it, never silently ignored), duplicates are refused, and each value
    /// is checked where it is bound. Errors are <see cref="DataFormatException"/>s naming the file, line and field.
    /// </summary>
    public static TrainingConfig Parse(string json, string name = "config", string? baseDirectory = null)
    {
        var baseDir = baseDirectory ?? Directory.GetCurrentDirectory();
        TroveException Bad(string field, string problem) => new DataFormatException(name, 0, field, problem);
        var doc = Bind<ConfigDocument>(json, name, "")
            ?? throw new DataFormatException(name, 1, null, "a config must be a JSON object.");

        var model = doc.Model ?? "hybrid";
        if (!BuiltInAlgorithms.Registry.Contains(model))
            throw Bad("model", $"unknown model '{model}'. Available: {string.Join(", ", BuiltInAlgorithms.Registry.Algorithms.Select(a => a.Name).Order())}.");

        var groupDefaults = new Dictionary<string, JsonObject>(StringComparer.OrdinalIgnoreCase);
        foreach (var (group, value) in doc.Encoders ?? [])
        {
            if (value.ValueKind == JsonValueKind.Object) groupDefaults[group] = JsonNode.Parse(value.GetRawText())!.AsObject();
            else if (value.ValueKind == JsonValueKind.String) groupDefaults[group] = new JsonObject { ["encoder"] = value.GetString() };
            else throw Bad($"encoders.{group}", "expected an encoder name or an object with \"encoder\" and options.");
        }

        List<EncoderSpec> Features(string entity, List<JsonElement>? entries)
        {
            var list = new List<EncoderSpec>();
            for (int k = 0; k < (entries?.Count ?? 0); k++)
            {
                var field = $"features.{entity}[{k}]";
                var e = entries![k];
                if (e.ValueKind == JsonValueKind.String)
                {
                    var group = e.GetString()!;
                    if (!FeatureColumns.Groups.Contains(group, StringComparer.OrdinalIgnoreCase))
                        throw Bad(field, $"unknown feature group '{group}'. Groups: {string.Join(", ", FeatureColumns.Groups)}.");
                    var spec = new EncoderSpec { Group = group.ToLowerInvariant() };
                    if (groupDefaults.TryGetValue(group, out var d)) spec = SpecFromObject(d, spec, field);
                    list.Add(Complete(spec, field));
                }
                else if (e.ValueKind == JsonValueKind.Object)
                {
                    var eo = JsonNode.Parse(e.GetRawText())!.AsObject();
                    if (eo["group"] is { } g && g.GetValueKind() != JsonValueKind.String) throw Bad($"{field}.group", "expected a feature group name.");
                    var group = eo["group"]?.GetValue<string>();
                    var spec = new EncoderSpec { Group = group?.ToLowerInvariant() };
                    if (group is not null && groupDefaults.TryGetValue(group, out var d) && eo["encoder"] is null) spec = SpecFromObject(d, spec, field);
                    list.Add(Complete(SpecFromObject(eo, spec, field), field));
                }
                else throw Bad(field, "expected a feature group name or an encoder object.");
            }
            return list;
        }

        EncoderSpec Complete(EncoderSpec spec, string field)
        {
            try { spec = FeatureEncoderRegistry.Default.Complete(spec); }
            catch (TroveException e) { throw Bad(field, e.Message); }
            if (!FeatureEncoderRegistry.Default.Contains(spec.Encoder))
                throw Bad(field, FeatureEncoderRegistry.Default.UnknownEncoder(spec.Encoder));
            if (spec.Group is { } g && !FeatureColumns.Groups.Contains(g)) throw Bad(field, $"unknown feature group '{g}'. Groups: {string.Join(", ", FeatureColumns.Groups)}.");
            return spec;
        }

        // An encoder object: group, encoder, columns, weight and options; any other key is one of the encoder's own
        // options written inline ({"encoder": "tfidf", "dimensions": 512}), as the documented format allows.
        EncoderSpec SpecFromObject(JsonObject eo, EncoderSpec spec, string field)
        {
            var options = spec.Options is { } existing ? JsonNode.Parse(existing.GetRawText())!.AsObject() : new JsonObject();
            foreach (var (key, value) in eo)
            {
                switch (key)
                {
                    case "group": break;
                    case "encoder":
                        if (value?.GetValueKind() != JsonValueKind.String) throw Bad($"{field}.encoder", "expected an encoder name.");
                        spec = spec with { Encoder = value.GetValue<string>() };
                        break;
                    case "columns":
                        if (value is not JsonArray ca || ca.Any(c => c?.GetValueKind() != JsonValueKind.String)) throw Bad($"{field}.columns", "expected a list of feature names.");
                        spec = spec with { Columns = ca.Select(c => c!.GetValue<string>()).ToArray() };
                        break;
                    case "weight":
                        spec = spec with { Weight = (float)FiniteNumber(value, $"{field}.weight", "expected a non-negative number.", 0) };
                        break;
                    case "options":
                        if (value is not JsonObject oo) throw Bad($"{field}.options", "expected an object.");
                        foreach (var (ok, ov) in oo) options[ok] = ov?.DeepClone();
                        break;
                    default:
                        options[key] = value?.DeepClone();
                        break;
                }
            }
            foreach (var key in new[] { "path", "vocab", "ids" })
                if (options[key] is { } p && p.GetValueKind() == JsonValueKind.String)
                    options[key] = Path.GetFullPath(Path.Combine(baseDir, p.GetValue<string>()));
            return spec with { Options = options.Count > 0 ? JsonSerializer.SerializeToElement(options) : null };
        }

        double FiniteNumber(JsonNode? value, string field, string problem, double min = double.MinValue) =>
            value?.GetValueKind() == JsonValueKind.Number && double.TryParse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d) && d >= min
                ? d : throw Bad(field, problem);

        var samples = new SampleSettings();
        if (doc.Samples is { } sd)
        {
            if (sd.NegativeRatio is { } ratio) samples = samples with { NegativeRatio = ratio >= 0 ? ratio : throw Bad("samples.negative_ratio", "expected a non-negative integer.") };
            if (sd.NegativesPerUser is { } perUser) samples = samples with { NegativesPerUser = perUser >= 0 ? perUser : throw Bad("samples.negatives_per_user", "expected a non-negative integer.") };
            if (sd.Strategy is { } strategy)
                samples = samples with { Strategy = strategy is "uniform" or "popularity" ? strategy : throw Bad("samples.strategy", "expected \"uniform\" or \"popularity\".") };
            if (sd.MinPositiveWeight is { } minWeight) samples = samples with { MinPositiveWeight = float.IsFinite(minWeight) ? minWeight : throw Bad("samples.min_positive_weight", "expected a number.") };
            if (sd.PositiveTypes is { } types) samples = samples with { PositiveTypes = types };
            if (sd.Output is { } output) samples = samples with { Output = Path.GetFullPath(Path.Combine(baseDir, output)) };
        }

        // "training" is open: seed and threads are the workflow's, every other key is offered to the model's parameters.
        int seed = 42, threads = Environment.ProcessorCount;
        var training = new JsonObject();
        foreach (var (key, value) in doc.Training ?? [])
        {
            if (key == "seed") seed = (int)Math.Clamp(FiniteNumber(value, "training.seed", "expected an integer."), int.MinValue, int.MaxValue);
            else if (key == "threads") threads = (int)Math.Min(FiniteNumber(value, "training.threads", "expected a positive integer.", 1), 1024);
            else training[key] = value?.DeepClone();
        }

        var events = EventWeights.Default;
        if (doc.EventWeights is { Count: > 0 } weights)
        {
            var map = new Dictionary<string, float>(EventWeights.Defaults, StringComparer.OrdinalIgnoreCase);
            foreach (var (key, value) in weights)
            {
                float weight = (float)value;
                map[key] = double.IsFinite(value) && value >= 0 && float.IsFinite(weight) ? weight : throw Bad($"event_weights.{key}", "expected a non-negative number.");
            }
            events = new EventWeights(map);
        }

        var inference = new InferenceSettings();
        if (doc.Inference is { } id)
        {
            if (id.TopK is { } k) inference = inference with { TopK = k >= 1 ? k : throw Bad("inference.top_k", "expected a positive integer.") };
            if (id.ExcludeSeen is { } excludeSeen) inference = inference with { ExcludeSeen = excludeSeen };
            if (id.Embeddings is { } embeddings) inference = inference with { Embeddings = embeddings };
        }

        return new TrainingConfig
        {
            Model = model,
            ItemFeatures = Features("item", doc.Features?.Item),
            UserFeatures = Features("user", doc.Features?.User),
            Samples = samples,
            Seed = seed,
            Threads = threads,
            Training = training,
            Hybrid = doc.Hybrid,
            Parameters = doc.Parameters ?? [],
            EventWeights = events,
            Inference = inference,
            Source = name,
        };
    }

    private static readonly JsonSerializerOptions Strict = new()
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        AllowDuplicateProperties = false,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        NumberHandling = JsonNumberHandling.Strict,
    };

    /// <summary>The keys each object of the format has, by JSON path, for the message about an unknown one.</summary>
    private static readonly Dictionary<string, string> KnownKeys = new()
    {
        [""] = "model, features, encoders, samples, training, hybrid, parameters, event_weights, inference, description, name",
        ["samples"] = "negative_ratio, negatives_per_user, strategy, min_positive_weight, positive_types, output",
        ["inference"] = "top_k, exclude_seen, embeddings",
    };

    /// <summary>Deserialises strictly; a binding error becomes one line naming the file, the line and the field (its JSON path).</summary>
    private static T? Bind<T>(string json, string name, string prefix)
    {
        try { return JsonSerializer.Deserialize<T>(json, Strict); }
        catch (JsonException e)
        {
            var message = e.Message.Split(" Path:")[0].Split(" LineNumber:")[0].Trim();
            string? field = e.Path is { Length: > 1 } path ? prefix + path.TrimStart('$', '.') : null;
            long line = (e.LineNumber ?? 0) + 1;
            var unknown = System.Text.RegularExpressions.Regex.Match(message, "The JSON property '([^']+)' could not be mapped");
            var converted = System.Text.RegularExpressions.Regex.Match(message, @"could not be converted to ([\w.`\[\]]+)");
            if (unknown.Success)
            {
                // System.Text.Json names the key in the message; the path is its parent's (or the key itself, by version).
                var key = unknown.Groups[1].Value;
                var parent = field is null ? "" : field.EndsWith(key, StringComparison.Ordinal) ? field[..^key.Length].TrimEnd('.') : field;
                field = parent.Length == 0 ? key : $"{parent}.{key}";
                message = parent == "features" ? "unknown setting: expected \"item\" or \"user\"."
                    : KnownKeys.TryGetValue(parent, out var known) ? $"unknown setting. Known: {known}." : "unknown setting.";
            }
            else if (message.Contains("uplicate", StringComparison.Ordinal)) field = null;
            else if (converted.Success && field is null) message = "a config must be a JSON object.";
            else if (converted.Success)
            {
                field = System.Text.RegularExpressions.Regex.Replace(field!, @"\[\d+\]$", "");
                var type = converted.Groups[1].Value;
                message = "expected " + (type.Contains("Int32") ? "an integer" : type.Contains("Double") || type.Contains("Single") ? "a number"
                    : type.Contains("Boolean") ? "true or false" : type.Contains("String[]") || type.Contains("List") ? "a list of strings"
                    : type.Contains("String") ? "a string" : "an object") + ".";
            }
            else { message = "malformed JSON: " + message; field = null; }
            throw new DataFormatException(name, line, field, message);
        }
    }

    private static string Normalise(string key) => key.Replace("_", "").Replace("-", "").ToLowerInvariant();

    /// <summary>
    /// The model's parameters: its defaults, then the features, the hybrid section, training keys
    /// the model has, then "parameters". Returns also the training keys the model did not use.
    /// </summary>
    public (JsonElement Parameters, List<string> Unused) ModelParameters()
    {
        var defaults = JsonNode.Parse(BuiltInAlgorithms.Registry.DefaultParameters(Model).GetRawText())!.AsObject();
        var byNormalised = defaults.ToDictionary(kv => Normalise(kv.Key), kv => kv.Key);
        bool Set(string key, JsonNode? value)
        {
            if (!byNormalised.TryGetValue(Normalise(key), out var name)) return false;
            defaults[name] = value?.DeepClone();
            return true;
        }
        var specOptions = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };
        if (ItemFeatures.Count > 0) Set("item_features", JsonSerializer.SerializeToNode(ItemFeatures, specOptions));
        if (UserFeatures.Count > 0) Set("user_features", JsonSerializer.SerializeToNode(UserFeatures, specOptions));
        if (Hybrid is { } h)
        {
            foreach (var (key, value) in h)
            {
                if (key.Equals("weights", StringComparison.OrdinalIgnoreCase) && value is JsonObject w)
                {
                    foreach (var (part, weight) in w)
                        if (!Set(part + "_weight", weight)) throw new DataFormatException(Source, 0, $"hybrid.weights.{part}", "unknown component (content, collaborative, popularity).");
                }
                else if (!Set(key, value)) throw new DataFormatException(Source, 0, $"hybrid.{key}", $"not a parameter of {Model}. Valid: {string.Join(", ", defaults.Select(kv => kv.Key))}.");
            }
        }
        var unused = new List<string>();
        foreach (var (key, value) in Training) if (!Set(key, value)) unused.Add(key);
        foreach (var (key, value) in Parameters)
            if (!Set(key, value)) throw new DataFormatException(Source, 0, $"parameters.{key}", $"not a parameter of {Model}. Valid: {string.Join(", ", defaults.Select(kv => kv.Key))}.");
        return (JsonSerializer.SerializeToElement(defaults), unused);
    }
}

/// <summary>The JSON shape of a training config, bound strictly (unknown keys are errors). See <see cref="TrainingConfig"/>.</summary>
internal sealed class ConfigDocument
{
    [JsonPropertyName("model")] public string? Model { get; init; }
    [JsonPropertyName("features")] public FeaturesDocument? Features { get; init; }
    [JsonPropertyName("encoders")] public Dictionary<string, JsonElement>? Encoders { get; init; }
    [JsonPropertyName("samples")] public SamplesDocument? Samples { get; init; }
    [JsonPropertyName("training")] public JsonObject? Training { get; init; }
    [JsonPropertyName("hybrid")] public JsonObject? Hybrid { get; init; }
    [JsonPropertyName("parameters")] public JsonObject? Parameters { get; init; }
    [JsonPropertyName("event_weights")] public Dictionary<string, double>? EventWeights { get; init; }
    [JsonPropertyName("inference")] public InferenceDocument? Inference { get; init; }
    /// <summary>Free text for people reading the file.</summary>
    [JsonPropertyName("description")] public string? Description { get; init; }
    [JsonPropertyName("name")] public string? Name { get; init; }
}

internal sealed class FeaturesDocument
{
    /// <summary>Each entry a feature group name or an encoder object (checked one by one, to name the entry).</summary>
    [JsonPropertyName("item")] public List<JsonElement>? Item { get; init; }
    [JsonPropertyName("user")] public List<JsonElement>? User { get; init; }
}

internal sealed class SamplesDocument
{
    [JsonPropertyName("negative_ratio")] public int? NegativeRatio { get; init; }
    [JsonPropertyName("negatives_per_user")] public int? NegativesPerUser { get; init; }
    [JsonPropertyName("strategy")] public string? Strategy { get; init; }
    [JsonPropertyName("min_positive_weight")] public float? MinPositiveWeight { get; init; }
    [JsonPropertyName("positive_types")] public string[]? PositiveTypes { get; init; }
    [JsonPropertyName("output")] public string? Output { get; init; }
}

internal sealed class InferenceDocument
{
    [JsonPropertyName("top_k")] public int? TopK { get; init; }
    [JsonPropertyName("exclude_seen")] public bool? ExcludeSeen { get; init; }
    [JsonPropertyName("embeddings")] public bool? Embeddings { get; init; }
}
