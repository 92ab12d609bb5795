using System.Globalization;
using System.Text;
using System.Text.Json;
using Trove.Core.Errors;

namespace Trove.Data.Formats;

/// <summary>The feature groups of the universal JSON format.</summary>
public enum FeatureGroup { Image, Text, Categorical, Continuous, Temporal }

public static class FeatureGroups
{
    public static readonly FeatureGroup[] All = [FeatureGroup.Image, FeatureGroup.Text, FeatureGroup.Categorical, FeatureGroup.Continuous, FeatureGroup.Temporal];

    /// <summary>The JSON key of a group ("image", "text", "categorical", "continuous", "temporal").</summary>
    public static string Key(FeatureGroup g) => g switch
    {
        FeatureGroup.Image => "image",
        FeatureGroup.Text => "text",
        FeatureGroup.Categorical => "categorical",
        FeatureGroup.Continuous => "continuous",
        _ => "temporal",
    };

    public static bool TryParse(string key, out FeatureGroup group)
    {
        foreach (var g in All)
            if (string.Equals(Key(g), key, StringComparison.OrdinalIgnoreCase)) { group = g; return true; }
        group = default;
        return false;
    }
}

/// <summary>One feature value of a user or item record. Text is set for image/text/categorical, Number for continuous, Sequence for temporal.</summary>
public readonly record struct FeatureValue(FeatureGroup Group, string Name, string? Text, float Number, float[]? Sequence)
{
    public bool IsMissing => Group switch
    {
        FeatureGroup.Continuous => float.IsNaN(Number),
        FeatureGroup.Temporal => Sequence is null,
        _ => Text is null,
    };
}

/// <summary>A record of the universal format, with where it was found (for messages).</summary>
public abstract class UniversalRecord
{
    /// <summary>"user_data", "item_data" or "interactions".</summary>
    public required string Section { get; init; }
    /// <summary>0-based position in its section.</summary>
    public required long Index { get; init; }
    /// <summary>1-based line where the record starts.</summary>
    public required long Line { get; init; }
    public string Where => $"{Section}[{Index}]";
}

/// <summary>An element of user_data or item_data.</summary>
public sealed class UniversalEntityRecord : UniversalRecord
{
    public required string Id { get; init; }
    public required List<FeatureValue> Features { get; init; }
    /// <summary>Top-level keys that are neither the id nor a feature group (ignored).</summary>
    public List<string>? UnknownKeys { get; init; }
}

/// <summary>An element of interactions.</summary>
public sealed class UniversalInteractionRecord : UniversalRecord
{
    public required string UserId { get; init; }
    public required string ItemId { get; init; }
    public string? InteractionType { get; init; }
    /// <summary>Unix seconds; null when absent.</summary>
    public long? Timestamp { get; init; }
    /// <summary>Optional "score"/"rating"/"value" (multiplies the event weight).</summary>
    public float? Score { get; init; }
    /// <summary>Optional explicit "weight" (replaces the event weight).</summary>
    public float? Weight { get; init; }
}

/// <summary>Parses one complete record (its bytes) of the universal format into a record object, validating types.</summary>
internal static class UniversalRecordParser
{
    public const string Users = "user_data", Items = "item_data", Interactions = "interactions";

    private ref struct Ctx
    {
        public string File;
        public string Section;
        public long Index;
        public readonly string Where => $"{Section}[{Index}]";
        public long Line;
        public ReadOnlySpan<byte> Bytes;

        public readonly DataFormatException Fail(ref Utf8JsonReader r, string field, string problem)
        {
            int at = (int)Math.Min(r.TokenStartIndex, Bytes.Length);
            long line = Line + Bytes[..at].Count((byte)'\n');
            return new DataFormatException(File, line, $"{Where}.{field}", problem);
        }
    }

    /// <summary>A JSON token kind in words, for error messages ("expected an array, got a number").</summary>
    internal static string Describe(JsonTokenType t) => t switch
    {
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        _ => t.ToString(),
    };

    private static Utf8JsonReader Reader(ReadOnlySpan<byte> bytes) =>
        new(bytes, isFinalBlock: true, new JsonReaderState(new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }));

    private static void Read(ref Utf8JsonReader r, ref Ctx c, string field)
    {
        try { if (!r.Read()) throw c.Fail(ref r, field, "unexpected end of record."); }
        catch (JsonException e) { throw c.Fail(ref r, field, "malformed JSON: " + e.Message.Split(" LineNumber:")[0]); }
    }

    private static string ReadId(ref Utf8JsonReader r, ref Ctx c, string field)
    {
        Read(ref r, ref c, field);
        string? id = r.TokenType switch
        {
            JsonTokenType.String => r.GetString(),
            JsonTokenType.Number => Encoding.UTF8.GetString(r.ValueSpan),
            _ => throw c.Fail(ref r, field, $"expected a string or integer id, got {Describe(r.TokenType)}."),
        };
        if (string.IsNullOrWhiteSpace(id)) throw c.Fail(ref r, field, "the id is empty.");
        return id;
    }

    public static UniversalEntityRecord ParseEntity(string file, string section, long index, ReadOnlySpan<byte> bytes, long line)
    {
        var c = new Ctx { File = file, Section = section, Index = index, Line = line, Bytes = bytes };
        string idKey = section == Users ? "user_id" : "item_id";
        var r = Reader(bytes);
        Read(ref r, ref c, idKey);
        string? id = null;
        var features = new List<FeatureValue>();
        List<string>? unknown = null;
        while (true)
        {
            Read(ref r, ref c, idKey);
            if (r.TokenType == JsonTokenType.EndObject) break;
            var key = r.GetString()!;
            if (key.Equals(idKey, StringComparison.OrdinalIgnoreCase) || key.Equals("id", StringComparison.OrdinalIgnoreCase))
            {
                id = ReadId(ref r, ref c, key);
                continue;
            }
            if (!FeatureGroups.TryParse(key, out var group))
            {
                (unknown ??= []).Add(key);
                Read(ref r, ref c, key);
                r.Skip();
                continue;
            }
            Read(ref r, ref c, key);
            if (r.TokenType == JsonTokenType.Null) continue;
            if (r.TokenType != JsonTokenType.StartObject)
                throw c.Fail(ref r, key, $"expected an object of feature name to value, got {Describe(r.TokenType)}.");
            while (true)
            {
                Read(ref r, ref c, key);
                if (r.TokenType == JsonTokenType.EndObject) break;
                var name = r.GetString()!;
                var field = $"{key}.{name}";
                Read(ref r, ref c, field);
                features.Add(ReadFeature(ref r, ref c, group, name, field));
            }
        }
        if (id is null)
        {
            throw new DataFormatException(file, line, $"{c.Where}.{idKey}", $"missing {idKey}.");
        }
        return new UniversalEntityRecord { Section = section, Index = index, Line = line, Id = id, Features = features, UnknownKeys = unknown };
    }

    private static FeatureValue ReadFeature(ref Utf8JsonReader r, ref Ctx c, FeatureGroup group, string name, string field)
    {
        var t = r.TokenType;
        switch (group)
        {
            case FeatureGroup.Image:
                if (t == JsonTokenType.Null) return new(group, name, null, float.NaN, null);
                if (t != JsonTokenType.String) throw c.Fail(ref r, field, $"expected a string (image path or URL), got {Describe(t)}.");
                return new(group, name, r.GetString(), float.NaN, null);
            case FeatureGroup.Text:
                if (t == JsonTokenType.Null) return new(group, name, null, float.NaN, null);
                if (t == JsonTokenType.String) return new(group, name, r.GetString(), float.NaN, null);
                if (t == JsonTokenType.StartArray) return new(group, name, string.Join(" ", ReadStrings(ref r, ref c, field, allowNumbers: false)), float.NaN, null);
                throw c.Fail(ref r, field, $"expected a string, got {Describe(t)}.");
            case FeatureGroup.Categorical:
                switch (t)
                {
                    case JsonTokenType.Null: return new(group, name, null, float.NaN, null);
                    case JsonTokenType.String: return new(group, name, r.GetString(), float.NaN, null);
                    case JsonTokenType.Number: return new(group, name, Encoding.UTF8.GetString(r.ValueSpan), float.NaN, null);
                    case JsonTokenType.True: return new(group, name, "true", float.NaN, null);
                    case JsonTokenType.False: return new(group, name, "false", float.NaN, null);
                    case JsonTokenType.StartArray: return new(group, name, string.Join("|", ReadStrings(ref r, ref c, field, allowNumbers: true)), float.NaN, null);
                    default: throw c.Fail(ref r, field, $"expected a string, number or list of labels, got {Describe(t)}.");
                }
            case FeatureGroup.Continuous:
                if (t == JsonTokenType.Null) return new(group, name, null, float.NaN, null);
                return new(group, name, null, ReadNumber(ref r, ref c, field), null);
            default:
                if (t == JsonTokenType.Null) return new(group, name, null, float.NaN, null);
                if (t != JsonTokenType.StartArray) throw c.Fail(ref r, field, $"expected an array of numbers or timestamps, got {Describe(t)}.");
                var values = new List<float>();
                while (true)
                {
                    Read(ref r, ref c, field);
                    if (r.TokenType == JsonTokenType.EndArray) break;
                    var f = $"{field}[{values.Count}]";
                    if (r.TokenType == JsonTokenType.String)
                    {
                        var s = r.GetString()!;
                        if (!TryParseTimestamp(s, out long seconds)) throw c.Fail(ref r, f, $"expected a number or ISO-8601 timestamp, got \"{s}\".");
                        values.Add(seconds);
                    }
                    else values.Add(ReadNumber(ref r, ref c, f));
                }
                return new(group, name, null, float.NaN, values.ToArray());
        }
    }

    private static List<string> ReadStrings(ref Utf8JsonReader r, ref Ctx c, string field, bool allowNumbers)
    {
        var list = new List<string>();
        while (true)
        {
            Read(ref r, ref c, field);
            if (r.TokenType == JsonTokenType.EndArray) return list;
            if (r.TokenType == JsonTokenType.String) list.Add(r.GetString()!);
            else if (allowNumbers && r.TokenType == JsonTokenType.Number) list.Add(Encoding.UTF8.GetString(r.ValueSpan));
            else throw c.Fail(ref r, $"{field}[{list.Count}]", $"expected a string, got {Describe(r.TokenType)}.");
        }
    }

    /// <summary>A score or weight: a number within <see cref="Readers.ValueParsers.MaxAbsScore"/>.</summary>
    private static float ReadScore(ref Utf8JsonReader r, ref Ctx c, string field)
    {
        float value = ReadNumber(ref r, ref c, field);
        return Readers.ValueParsers.ScoreProblem(value) is { } problem ? throw c.Fail(ref r, field, problem + ".") : value;
    }

    private static float ReadNumber(ref Utf8JsonReader r, ref Ctx c, string field)
    {
        if (r.TokenType == JsonTokenType.String)
        {
            var s = r.GetString();
            throw c.Fail(ref r, field, $"expected a number, got the string \"{s}\"" + (s is "NaN" or "nan" or "Infinity" or "-Infinity" ? " (NaN and infinities are not allowed; use null for a missing value)." : "."));
        }
        if (r.TokenType != JsonTokenType.Number) throw c.Fail(ref r, field, $"expected a number, got {Describe(r.TokenType)}.");
        if (!r.TryGetDouble(out double d) || !double.IsFinite(d) || Math.Abs(d) > float.MaxValue)
            throw c.Fail(ref r, field, $"the number {Encoding.UTF8.GetString(r.ValueSpan)} is out of range.");
        return r.TryGetSingle(out float f) && float.IsFinite(f) ? f : (float)d;
    }

    public static bool TryParseTimestamp(string s, out long unixSeconds)
    {
        unixSeconds = 0;
        if (DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var dto))
        {
            unixSeconds = dto.ToUnixTimeSeconds();
            return true;
        }
        return false;
    }

    public static UniversalInteractionRecord ParseInteraction(string file, long index, ReadOnlySpan<byte> bytes, long line)
    {
        var c = new Ctx { File = file, Section = Interactions, Index = index, Line = line, Bytes = bytes };
        var r = Reader(bytes);
        Read(ref r, ref c, "user_id");
        string? user = null, item = null, type = null;
        long? timestamp = null;
        float? score = null, weight = null;
        while (true)
        {
            Read(ref r, ref c, "user_id");
            if (r.TokenType == JsonTokenType.EndObject) break;
            // Known keys without allocating; others (any case) through a string.
            var key = r.ValueTextEquals("user_id"u8) ? "user_id" : r.ValueTextEquals("item_id"u8) ? "item_id"
                : r.ValueTextEquals("interaction_type"u8) ? "interaction_type" : r.ValueTextEquals("timestamp"u8) ? "timestamp" : r.GetString()!;
            switch (key.ToLowerInvariant())
            {
                case "user_id": user = ReadId(ref r, ref c, key); break;
                case "item_id": item = ReadId(ref r, ref c, key); break;
                case "interaction_type" or "event" or "event_type":
                    Read(ref r, ref c, key);
                    if (r.TokenType == JsonTokenType.Null) break;
                    if (r.TokenType != JsonTokenType.String) throw c.Fail(ref r, key, $"expected a string, got {Describe(r.TokenType)}.");
                    type = r.GetString();
                    if (string.IsNullOrWhiteSpace(type)) throw c.Fail(ref r, key, "the interaction type is empty.");
                    break;
                case "timestamp":
                    Read(ref r, ref c, key);
                    if (r.TokenType == JsonTokenType.Null) break;
                    if (r.TokenType == JsonTokenType.Number)
                    {
                        if (!r.TryGetInt64(out long ts)) { double d = ReadNumber(ref r, ref c, key); ts = (long)Math.Floor(Math.Clamp(d, long.MinValue, long.MaxValue)); }
                        if (!Readers.ValueParsers.IsUnixSecondsInRange(ts))
                            throw c.Fail(ref r, key, $"{ts} Unix seconds is outside the years 1..9999.");
                        timestamp = ts;
                    }
                    else if (r.TokenType == JsonTokenType.String && r.TryGetDateTime(out var dt))
                    {
                        // Fast path for ISO-8601; no offset means UTC, an offset is honoured.
                        if (dt.Kind == DateTimeKind.Unspecified) dt = DateTime.SpecifyKind(dt, DateTimeKind.Utc);
                        timestamp = new DateTimeOffset(dt.ToUniversalTime()).ToUnixTimeSeconds();
                    }
                    else if (r.TokenType == JsonTokenType.String)
                    {
                        var s = r.GetString()!;
                        if (!TryParseTimestamp(s, out long ts)) throw c.Fail(ref r, key, $"\"{s}\" is not an ISO-8601 timestamp (e.g. 2024-01-15T10:30:00).");
                        timestamp = ts;
                    }
                    else throw c.Fail(ref r, key, $"expected an ISO-8601 string or Unix seconds, got {Describe(r.TokenType)}.");
                    break;
                case "score" or "rating" or "value":
                    Read(ref r, ref c, key);
                    if (r.TokenType != JsonTokenType.Null) score = ReadScore(ref r, ref c, key);
                    break;
                case "weight":
                    Read(ref r, ref c, key);
                    if (r.TokenType == JsonTokenType.Null) break;
                    weight = ReadScore(ref r, ref c, key);
                    if (weight < 0) throw c.Fail(ref r, key, "the weight is negative.");
                    break;
                default:
                    Read(ref r, ref c, key);
                    r.Skip();
                    break;
            }
        }
        if (user is null) throw new DataFormatException(file, line, $"{c.Where}.user_id", "missing user_id.");
        if (item is null) throw new DataFormatException(file, line, $"{c.Where}.item_id", "missing item_id.");
        return new UniversalInteractionRecord { Section = Interactions, Index = index, Line = line, UserId = user, ItemId = item, InteractionType = type, Timestamp = timestamp, Score = score, Weight = weight };
    }
}
