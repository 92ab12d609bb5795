using System.Text.Json;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Persistence;

namespace Trove.Models.Features;

/// <summary>What an encoder reads: the features of one kind of entity and their ids (rows are the ids' dense indices).</summary>
/// <param name="Entity">"user" or "item" (for messages and precomputed files keyed by id).</param>
public sealed record EncoderInput(FeatureTable Table, IdMap Ids, string Entity = "item")
{
    public int Rows => Ids.Count;
}

/// <summary>
/// One encoder as configured: which registered encoder, which feature group and columns it reads,
/// its weight in the concatenated vector and encoder-specific options (snake_case JSON).
/// In a training config: <c>"categorical"</c> (a group with its default encoder) or
/// <c>{"group": "text", "encoder": "tfidf", "columns": ["title"], "weight": 2, "options": {"dimensions": 256}}</c>.
/// </summary>
public sealed record EncoderSpec
{
    /// <summary>Registered encoder name (e.g. "onehot", "standard", "tfidf", "pooled", "precomputed", "onnx"); empty = the group's default.</summary>
    public string Encoder { get; init; } = "";
    /// <summary>Feature group read: categorical, continuous, text, temporal or image (null for encoders keyed by id, like precomputed).</summary>
    public string? Group { get; init; }
    /// <summary>Columns of the group; null or empty = every column of the group found in the training data.</summary>
    public string[]? Columns { get; init; }
    /// <summary>Relative weight of this block in cosine similarity (blocks are L2-normalised, then scaled by sqrt(weight)).</summary>
    public float Weight { get; init; } = 1f;
    public JsonElement? Options { get; init; }

    public override string ToString() => $"{(Encoder.Length > 0 ? Encoder : "default")}({Group ?? "-"}{(Columns is { Length: > 0 } c ? ":" + string.Join(",", c) : "")})";
}

/// <summary>
/// Turns feature columns into fixed-length float vectors. Implement this (and register it in
/// <see cref="FeatureEncoderRegistry"/>) to add an encoder; content-based, hybrid and neural
/// models use encoders only through this interface, so no training code changes.
/// Lifecycle: <see cref="Fit"/> on the training entities (learn vocabularies, statistics), then
/// <see cref="Encode"/> any rows, also of new data; <see cref="Save"/>/<see cref="Load"/> keep the
/// learned state in the model file.
/// </summary>
public interface IFeatureEncoder
{
    /// <summary>Length of each encoded vector (known after Fit or Load).</summary>
    int Dimensions { get; }

    void Fit(EncoderInput input);

    /// <summary>Writes rows.Length x <see cref="Dimensions"/> floats, row-major, into <paramref name="output"/>. Missing features encode as zeros.</summary>
    void Encode(EncoderInput input, ReadOnlySpan<int> rows, Span<float> output);

    void Save(ModelArchiveWriter writer);
    void Load(ModelArchiveReader reader);
}

/// <summary>
/// Optional: an encoder whose outputs are standardised values (mean 0, standard deviation 1 per
/// dimension over the training rows), where the size of a value is the information: an item at
/// the average price is not "similar" to anything, an expensive one is far from the cheap ones.
/// <see cref="FeaturePipeline"/> therefore does not normalise such a block row by row (that would
/// blow a near-average row up to unit length and make its direction noise); it scales the block
/// by sqrt(weight / Dimensions), so a typical row has the same squared norm (weight) as any other block.
/// </summary>
public interface IStandardisedEncoder
{
    /// <summary>True when the outputs are standardised (an encoder may make it optional).</summary>
    bool Standardised { get; }
}

/// <summary>
/// Optional: an encoder that can also emit token ids for an embedding table (e.g. a two-tower
/// model's categorical fields). Ids are in 1..VocabularySize-1; 0 is padding / unknown.
/// </summary>
public interface ITokenEncoder
{
    int VocabularySize { get; }
    /// <summary>Writes the row's token ids into <paramref name="tokens"/> and returns how many were written (at most tokens.Length).</summary>
    int Tokens(EncoderInput input, int row, Span<int> tokens);
}

public static class FeatureEncoderExtensions
{
    /// <summary>Every row of the input, [rows x Dimensions] row-major.</summary>
    public static float[] EncodeAll(this IFeatureEncoder encoder, EncoderInput input)
    {
        var rows = Enumerable.Range(0, input.Rows).ToArray();
        var output = new float[(long)rows.Length * encoder.Dimensions];
        encoder.Encode(input, rows, output);
        return output;
    }

    public static float[] EncodeRow(this IFeatureEncoder encoder, EncoderInput input, int row)
    {
        var output = new float[encoder.Dimensions];
        encoder.Encode(input, [row], output);
        return output;
    }
}

/// <summary>Typed access to an encoder's JSON options (snake_case keys, case-insensitive).</summary>
public sealed class EncoderOptions(JsonElement? options, string encoder)
{
    private bool TryGet(string name, out JsonElement value)
    {
        value = default;
        if (options is not { ValueKind: JsonValueKind.Object } o) return false;
        foreach (var p in o.EnumerateObject())
            if (string.Equals(p.Name.Replace("_", ""), name.Replace("_", ""), StringComparison.OrdinalIgnoreCase)) { value = p.Value; return value.ValueKind != JsonValueKind.Null; }
        return false;
    }

    private TroveException Bad(string name, string expected) => new($"Encoder '{encoder}': option '{name}' must be {expected}.");

    public int Int(string name, int fallback, int min = int.MinValue)
    {
        if (!TryGet(name, out var v)) return fallback;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int x) || x < min) throw Bad(name, $"an integer >= {min}");
        return x;
    }

    public float Float(string name, float fallback)
    {
        if (!TryGet(name, out var v)) return fallback;
        if (v.ValueKind != JsonValueKind.Number) throw Bad(name, "a number");
        return v.GetSingle();
    }

    public bool Bool(string name, bool fallback)
    {
        if (!TryGet(name, out var v)) return fallback;
        if (v.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) throw Bad(name, "true or false");
        return v.GetBoolean();
    }

    public string? String(string name, string? fallback = null)
    {
        if (!TryGet(name, out var v)) return fallback;
        if (v.ValueKind != JsonValueKind.String) throw Bad(name, "a string");
        return v.GetString();
    }

    public string[]? Strings(string name)
    {
        if (!TryGet(name, out var v)) return null;
        if (v.ValueKind == JsonValueKind.String) return [v.GetString()!];
        if (v.ValueKind != JsonValueKind.Array) throw Bad(name, "a list of strings");
        return v.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw Bad(name, "a list of strings")).ToArray();
    }

    public float[]? Floats(string name)
    {
        if (!TryGet(name, out var v)) return null;
        if (v.ValueKind == JsonValueKind.Number) return [v.GetSingle()];
        if (v.ValueKind != JsonValueKind.Array) throw Bad(name, "a list of numbers");
        return v.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Number ? e.GetSingle() : throw Bad(name, "a list of numbers")).ToArray();
    }
}

/// <summary>Resolving which columns of which group an encoder reads.</summary>
public static class FeatureColumns
{
    public static readonly string[] Groups = ["categorical", "continuous", "text", "temporal", "image"];

    /// <summary>Names of the group's columns in a table (sorted, so the order is stable).</summary>
    public static string[] Names(FeatureTable table, string group) => (group.ToLowerInvariant() switch
    {
        "categorical" => (IEnumerable<string>)table.Categorical.Keys,
        "continuous" or "numeric" => table.Numeric.Keys,
        "text" => table.Text.Keys,
        "temporal" or "sequence" => table.Sequences.Keys,
        "image" => table.Images.Keys,
        _ => throw new TroveException($"Unknown feature group '{group}'. Known: {string.Join(", ", Groups)}."),
    }).Order(StringComparer.Ordinal).ToArray();

    /// <summary>The columns an encoder will read, checked against the training table.</summary>
    public static string[] Resolve(EncoderSpec spec, FeatureTable table, string entity, string encoderName)
    {
        var group = spec.Group ?? throw new TroveException($"Encoder '{encoderName}' needs a feature group (\"group\": \"categorical\", \"continuous\", ...).");
        var available = Names(table, group);
        if (spec.Columns is not { Length: > 0 } wanted)
        {
            if (available.Length == 0) throw new TroveException($"Encoder '{encoderName}': the {entity}s have no {group} features.");
            return available;
        }
        foreach (var c in wanted)
            if (!available.Contains(c, StringComparer.OrdinalIgnoreCase))
                throw new TroveException($"Encoder '{encoderName}': the {entity}s have no {group} feature '{c}'. Known: {string.Join(", ", available.DefaultIfEmpty("(none)"))}.");
        return wanted;
    }

    /// <summary>
    /// The words a text encoder (tfidf, minilm) reads from one cell: a text column's value, or a categorical column's
    /// labels joined with ", " (so tags such as Last.fm's "rock|indie" can be embedded as text); null when empty.
    /// </summary>
    public static string? TextOf(FeatureTable table, string group, string column, int row)
    {
        if (string.Equals(group, "categorical", StringComparison.OrdinalIgnoreCase))
            return table.Labels(column, row) is { Length: > 0 } labels ? string.Join(", ", labels) : null;
        var values = table.Text.GetValueOrDefault(column);
        return values is not null && row < values.Length && !string.IsNullOrWhiteSpace(values[row]) ? values[row] : null;
    }

    /// <summary>The group a text encoder reads: text (default) or categorical; any other is a one-line error.</summary>
    public static string TextGroup(EncoderSpec spec, string encoderName) => (spec.Group ?? "text").ToLowerInvariant() switch
    {
        "text" => "text",
        "categorical" => "categorical",
        var other => throw new TroveException($"Encoder '{encoderName}' reads words: its group must be text or categorical (labels read as words), not '{other}'."),
    };

    public static string?[]? Strings(FeatureTable table, string group, string column) => group.ToLowerInvariant() switch
    {
        "categorical" => table.Categorical.GetValueOrDefault(column),
        "text" => table.Text.GetValueOrDefault(column),
        "image" => table.Images.GetValueOrDefault(column),
        _ => null,
    };
}
