using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Trove.Core.Data;
using Trove.Data.Readers;

namespace Trove.Data.Stores;

/// <summary>Feature JSON helpers shared by the stores: one JSON object per user/item row.</summary>
internal static class StoreFeatures
{
    public const string KindFeature = "kind";

    /// <summary>Each row's features as a JSON object (missing values left out; null when the row has none).</summary>
    public sealed class Writer(FeatureTable table)
    {
        private readonly MemoryStream _buffer = new();

        public string? Row(int row)
        {
            if (table.IsEmpty) return null;
            _buffer.SetLength(0);
            using (var w = new Utf8JsonWriter(_buffer))
            {
                w.WriteStartObject();
                int written = 0;
                foreach (var (name, values) in table.Categorical) if (row < values.Length && values[row] is { } v) { w.WriteString(name, v); written++; }
                foreach (var (name, values) in table.Text) if (row < values.Length && values[row] is { } v) { w.WriteString(name, v); written++; }
                foreach (var (name, values) in table.Numeric) if (row < values.Length && float.IsFinite(values[row])) { w.WriteNumber(name, values[row]); written++; }
                w.WriteEndObject();
                w.Flush();
                if (written == 0) return null;
            }
            return Encoding.UTF8.GetString(_buffer.GetBuffer(), 0, (int)_buffer.Length);
        }
    }

    /// <summary>The item kind (track, album, artist, product...) of a row: its categorical/text feature "kind".</summary>
    public static string? Kind(FeatureTable table, int row)
    {
        if (table.Categorical.TryGetValue(KindFeature, out var c) && row < c.Length && !string.IsNullOrWhiteSpace(c[row])) return c[row]!.Trim();
        if (table.Text.TryGetValue(KindFeature, out var t) && row < t.Length && !string.IsNullOrWhiteSpace(t[row])) return t[row]!.Trim();
        return null;
    }

    /// <summary>JSON object merge (top-level keys of <paramref name="patch"/> win), like SQLite's json_patch without nulls.</summary>
    public static string? Merge(string? existing, string? patch)
    {
        if (patch is null) return existing;
        if (existing is null) return patch;
        var a = JsonNode.Parse(existing) as JsonObject ?? new JsonObject();
        var b = JsonNode.Parse(patch) as JsonObject ?? new JsonObject();
        foreach (var (k, v) in b.ToList()) { b.Remove(k); a[k] = v; }
        return a.ToJsonString();
    }

    /// <summary>Builds a feature table from stored JSON rows, with the declared kinds of <c>feature_columns</c>.</summary>
    public sealed class Reader(string entity, Dictionary<(string, string), FeatureKind> kinds)
    {
        private readonly FeatureTableBuilder _features = Init(entity, kinds);

        private static FeatureTableBuilder Init(string entity, Dictionary<(string, string), FeatureKind> kinds)
        {
            var f = new FeatureTableBuilder();
            foreach (var ((e, name), kind) in kinds) if (e == entity) f.AddColumn(name, kind);
            return f;
        }

        public void Add(int index, string json)
        {
            using var doc = JsonDocument.Parse(json);
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (!kinds.TryGetValue((entity, p.Name), out var kind))
                {
                    kind = p.Value.ValueKind == JsonValueKind.Number ? FeatureKind.Numeric : FeatureKind.Categorical;
                    kinds[(entity, p.Name)] = kind;
                    _features.AddColumn(p.Name, kind);
                }
                if (kind == FeatureKind.Numeric)
                {
                    if (p.Value.ValueKind == JsonValueKind.Number) _features.Set(p.Name, index, p.Value.GetSingle());
                    else if (p.Value.ValueKind == JsonValueKind.String && ValueParsers.TryParseFloat(p.Value.GetString(), out var f)) _features.Set(p.Name, index, f);
                }
                else if (p.Value.ValueKind != JsonValueKind.Null)
                    _features.Set(p.Name, index, p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText());
            }
        }

        public FeatureTable Build(int count) => _features.Build(count);
    }

    /// <summary>The name feature_columns.kind stores for a kind (both stores), and back.</summary>
    public static string KindName(FeatureKind kind) => kind switch { FeatureKind.Numeric => "numeric", FeatureKind.Text => "text", _ => "categorical" };

    public static FeatureKind ParseKind(string kind) => kind switch
    {
        "numeric" => FeatureKind.Numeric,
        "text" => FeatureKind.Text,
        _ => FeatureKind.Categorical,
    };
}
