using Trove.Models;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
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

    public static TrainingConfig Parse(string json, string name = "config", string? baseDirectory = null)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, AllowDuplicateProperties = false }); }
        catch (JsonException e) { throw new DataFormatException(name, (e.LineNumber ?? 0) + 1, null, "malformed JSON: " + e.Message.Split(" LineNumber:")[0]); }
        if (root is not JsonObject o) throw new DataFormatException(name, 1, null, "a config must be a JSON object.");
        var baseDir = baseDirectory ?? Directory.GetCurrentDirectory();
        TroveException Bad(string field, string problem) => new DataFormatException(name, 0, field, problem);
        // A finite JSON number >= min, else Bad (GetValue<double> throws for 1e309 and for non-numbers).
        double Number(JsonNode? value, string field, string problem, double min = double.MinValue) =>
            value?.GetValueKind() == JsonValueKind.Number && double.TryParse(value.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double d) && double.IsFinite(d) && d >= min
                ? d : throw Bad(field, problem);

        var known = new[] { "model", "features", "encoders", "samples", "training", "hybrid", "parameters", "event_weights", "inference", "description", "name" };
        foreach (var (key, _) in o)
            if (!known.Contains(key, StringComparer.OrdinalIgnoreCase)) throw Bad(key, $"unknown setting. Known: {string.Join(", ", known)}.");

        string model = "hybrid";
        if (o["model"] is { } m)
        {
            if (m.GetValueKind() == JsonValueKind.String) model = m.GetValue<string>();
            else if (m is JsonObject mo && mo["name"]?.GetValueKind() == JsonValueKind.String) model = mo["name"]!.GetValue<string>();
            else throw Bad("model", "expected a model name, e.g. \"hybrid\".");
        }
        if (!BuiltInAlgorithms.Registry.Contains(model))
            throw Bad("model", $"unknown model '{model}'. Available: {string.Join(", ", BuiltInAlgorithms.Registry.Algorithms.Select(a => a.Name).Order())}.");

        var groupDefaults = new Dictionary<string, JsonObject>(StringComparer.OrdinalIgnoreCase);
        if (o["encoders"] is { } enc)
        {
            if (enc is not JsonObject encObj) throw Bad("encoders", "expected an object of feature group to encoder settings.");
            foreach (var (group, value) in encObj)
            {
                if (value is JsonObject vo) groupDefaults[group] = vo;
                else if (value?.GetValueKind() == JsonValueKind.String) groupDefaults[group] = new JsonObject { ["encoder"] = value.GetValue<string>() };
                else throw Bad($"encoders.{group}", "expected an encoder name or an object with \"encoder\" and options.");
            }
        }

        List<EncoderSpec> Features(string entity)
        {
            var list = new List<EncoderSpec>();
            if (o["features"] is not { } f) return list;
            if (f is not JsonObject fo) throw Bad("features", "expected {\"item\": [...], \"user\": [...]}.");
            foreach (var (key, _) in fo)
                if (!key.Equals("item", StringComparison.OrdinalIgnoreCase) && !key.Equals("user", StringComparison.OrdinalIgnoreCase)
                    && !key.Equals("items", StringComparison.OrdinalIgnoreCase) && !key.Equals("users", StringComparison.OrdinalIgnoreCase))
                    throw Bad($"features.{key}", "expected \"item\" or \"user\".");
            var node = fo[entity] ?? fo[entity + "s"];
            if (node is null) return list;
            if (node is not JsonArray arr) throw Bad($"features.{entity}", "expected a list of feature groups or encoder objects.");
            for (int k = 0; k < arr.Count; k++)
            {
                var field = $"features.{entity}[{k}]";
                var e = arr[k];
                if (e?.GetValueKind() == JsonValueKind.String)
                {
                    var group = e.GetValue<string>();
                    if (!FeatureColumns.Groups.Contains(group, StringComparer.OrdinalIgnoreCase))
                        throw Bad(field, $"unknown feature group '{group}'. Groups: {string.Join(", ", FeatureColumns.Groups)}.");
                    var spec = new EncoderSpec { Group = group.ToLowerInvariant() };
                    if (groupDefaults.TryGetValue(group, out var d)) spec = SpecFromObject(d, spec, field);
                    list.Add(Complete(spec, field));
                }
                else if (e is JsonObject eo)
                {
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

        EncoderSpec SpecFromObject(JsonObject eo, EncoderSpec spec, string field)
        {
            var options = spec.Options is { } existing ? JsonNode.Parse(existing.GetRawText())!.AsObject() : new JsonObject();
            foreach (var (key, value) in eo)
            {
                switch (key.ToLowerInvariant())
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
                        spec = spec with { Weight = (float)Number(value, $"{field}.weight", "expected a non-negative number.", 0) };
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

        var samples = new SampleSettings();
        if (o["samples"] is { } s)
        {
            if (s is not JsonObject so) throw Bad("samples", "expected an object.");
            foreach (var (key, value) in so)
            {
                var field = $"samples.{key}";
                switch (key.ToLowerInvariant().Replace("_", ""))
                {
                    case "negativeratio" or "negatives" or "negativesperpositive":
                        if (value?.GetValueKind() != JsonValueKind.Number || !int.TryParse(value.ToJsonString(), out int r) || r < 0) throw Bad(field, "expected a non-negative integer.");
                        samples = samples with { NegativeRatio = r };
                        break;
                    case "strategy" or "negativesampling" or "negativestrategy":
                        var st = value?.GetValueKind() == JsonValueKind.String ? value.GetValue<string>().ToLowerInvariant() : "";
                        if (st is "popularity_weighted" or "popular") st = "popularity";
                        if (st is not ("uniform" or "popularity")) throw Bad(field, "expected \"uniform\" or \"popularity\".");
                        samples = samples with { Strategy = st };
                        break;
                    case "minpositiveweight":
                        samples = samples with { MinPositiveWeight = (float)Number(value, field, "expected a number.") };
                        break;
                    case "positivetypes":
                        if (value is not JsonArray pa || pa.Any(x => x?.GetValueKind() != JsonValueKind.String)) throw Bad(field, "expected a list of interaction types.");
                        samples = samples with { PositiveTypes = pa.Select(x => x!.GetValue<string>()).ToArray() };
                        break;
                    case "negativesperuser":
                        if (value?.GetValueKind() != JsonValueKind.Number || !int.TryParse(value.ToJsonString(), out int npu) || npu < 0) throw Bad(field, "expected a non-negative integer.");
                        samples = samples with { NegativesPerUser = npu };
                        break;
                    case "output":
                        if (value?.GetValueKind() != JsonValueKind.String) throw Bad(field, "expected a file path.");
                        samples = samples with { Output = Path.GetFullPath(Path.Combine(baseDir, value.GetValue<string>())) };
                        break;
                    default: throw Bad(field, "unknown setting (negative_ratio, negatives_per_user, strategy, min_positive_weight, positive_types, output).");
                }
            }
        }

        int seed = 42, threads = Environment.ProcessorCount;
        var training = new JsonObject();
        if (o["training"] is { } t)
        {
            if (t is not JsonObject to) throw Bad("training", "expected an object.");
            foreach (var (key, value) in to)
            {
                if (key.Equals("seed", StringComparison.OrdinalIgnoreCase))
                {
                    seed = (int)Number(value, "training.seed", "expected an integer.", int.MinValue);
                }
                else if (key.Equals("threads", StringComparison.OrdinalIgnoreCase))
                {
                    threads = (int)Math.Min(Number(value, "training.threads", "expected a positive integer.", 1), 1024);
                }
                else training[key] = value?.DeepClone();
            }
        }

        JsonObject? hybrid = null;
        if (o["hybrid"] is { } h)
        {
            if (h is not JsonObject ho) throw Bad("hybrid", "expected an object.");
            hybrid = ho.DeepClone().AsObject();
        }
        var parameters = new JsonObject();
        if (o["parameters"] is { } p)
        {
            if (p is not JsonObject po) throw Bad("parameters", "expected an object of model parameters.");
            parameters = po.DeepClone().AsObject();
        }

        var events = EventWeights.Default;
        if (o["event_weights"] is { } ew)
        {
            if (ew is not JsonObject ewo) throw Bad("event_weights", "expected an object of interaction type to weight.");
            var map = new Dictionary<string, float>(EventWeights.Defaults, StringComparer.OrdinalIgnoreCase);
            foreach (var (key, value) in ewo)
            {
                var weight = (float)Number(value, $"event_weights.{key}", "expected a non-negative number.", 0);
                map[key] = float.IsFinite(weight) ? weight : throw Bad($"event_weights.{key}", "the number is too large.");
            }
            events = new EventWeights(map);
        }

        var inference = new InferenceSettings();
        if (o["inference"] is { } inf)
        {
            if (inf is not JsonObject io) throw Bad("inference", "expected an object.");
            foreach (var (key, value) in io)
            {
                var field = $"inference.{key}";
                switch (key.ToLowerInvariant().Replace("_", ""))
                {
                    case "topk" or "k":
                        inference = inference with { TopK = (int)Math.Min(Number(value, field, "expected a positive integer.", 1), int.MaxValue) };
                        break;
                    case "excludeseen":
                        if (value?.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False)) throw Bad(field, "expected true or false.");
                        inference = inference with { ExcludeSeen = value.GetValue<bool>() };
                        break;
                    case "embeddings":
                        if (value?.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False)) throw Bad(field, "expected true or false.");
                        inference = inference with { Embeddings = value.GetValue<bool>() };
                        break;
                    default: throw Bad(field, "unknown setting (top_k, exclude_seen, embeddings).");
                }
            }
        }

        return new TrainingConfig
        {
            Model = model,
            ItemFeatures = Features("item"),
            UserFeatures = Features("user"),
            Samples = samples,
            Seed = seed,
            Threads = threads,
            Training = training,
            Hybrid = hybrid,
            Parameters = parameters,
            EventWeights = events,
            Inference = inference,
            Source = name,
        };
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
