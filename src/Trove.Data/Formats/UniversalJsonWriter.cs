using System.Text.Json;
using System.Text.RegularExpressions;
using Trove.Core.Data;
using Trove.Core.Persistence;

namespace Trove.Data.Formats;

/// <summary>
/// Writes a <see cref="Dataset"/> in the universal JSON format, one record per line, atomically
/// and streaming (records are written as they are produced). Every user and item is listed in
/// index order (so reading the file back gives the same id maps), features by group:
/// categorical, continuous (Numeric), text, image (Images), temporal (Sequences). Interactions
/// carry interaction_type, an ISO-8601 UTC timestamp when known, and an explicit "weight" only
/// when the stored weight differs from the event type's weight.
/// </summary>
public static partial class UniversalJsonWriter
{
    [GeneratedRegex("^(0|-?[1-9][0-9]{0,17})$")]
    private static partial Regex IntegerId();

    public static void Write(Dataset data, string path, EventWeights? eventWeights = null) =>
        AtomicFile.Write(path, stream => Write(data, stream, eventWeights));

    public static void Write(Dataset data, Stream stream, EventWeights? eventWeights = null)
    {
        eventWeights ??= EventWeights.Default;
        var buffered = new BufferedStream(stream, 1 << 16); // not disposed: that would close the caller's stream
        using var w = new Utf8JsonWriter(buffered, new JsonWriterOptions { Indented = false, SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        void Raw(string s) { w.Flush(); buffered.Write(System.Text.Encoding.UTF8.GetBytes(s)); }

        Raw("{\n\"user_data\": [");
        WriteEntities(w, Raw, data.Users, data.UserFeatures, "user_id");
        Raw("\n],\n\"item_data\": [");
        WriteEntities(w, Raw, data.Items, data.ItemFeatures, "item_id");
        Raw("\n],\n\"interactions\": [");
        var log = data.Interactions;
        var eventWeight = new float[log.EventNames.Count];
        for (int e = 0; e < eventWeight.Length; e++)
            eventWeight[e] = eventWeights.TryGetWeight(log.EventNames[e], out var ew) ? ew : float.NaN;
        for (int k = 0; k < log.Count; k++)
        {
            Raw(k == 0 ? "\n" : ",\n");
            w.Reset();
            w.WriteStartObject();
            WriteId(w, "user_id", data.Users[log.Users[k]]);
            WriteId(w, "item_id", data.Items[log.Items[k]]);
            short ev = log.Events[k];
            if (ev >= 0) w.WriteString("interaction_type", log.EventNames[ev]);
            if (log.Timestamps[k] != 0)
                w.WriteString("timestamp", DateTimeOffset.FromUnixTimeSeconds(log.Timestamps[k]).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"));
            float expected = ev >= 0 ? eventWeight[ev] : 1f;
            if (log.Weights[k] != expected) w.WriteNumber("weight", log.Weights[k]);
            w.WriteEndObject();
        }
        Raw("\n]\n}\n");
        w.Flush();
        buffered.Flush();
    }

    private static void WriteEntities(Utf8JsonWriter w, Action<string> raw, IdMap ids, FeatureTable t, string idKey)
    {
        for (int row = 0; row < ids.Count; row++)
        {
            raw(row == 0 ? "\n" : ",\n");
            w.Reset();
            w.WriteStartObject();
            WriteId(w, idKey, ids[row]);
            Group(w, "image", t.Images, row, (w, v) => w.WriteStringValue(v));
            Group(w, "text", t.Text, row, (w, v) => w.WriteStringValue(v));
            Group(w, "categorical", t.Categorical, row, (w, v) => w.WriteStringValue(v));
            bool open = false;
            foreach (var (name, col) in t.Numeric)
            {
                if (row >= col.Length || float.IsNaN(col[row])) continue;
                if (!open) { w.WriteStartObject("continuous"); open = true; }
                w.WriteNumber(name, col[row]);
            }
            if (open) w.WriteEndObject();
            open = false;
            foreach (var (name, col) in t.Sequences)
            {
                if (row >= col.Length || col[row] is not { } seq) continue;
                if (!open) { w.WriteStartObject("temporal"); open = true; }
                w.WriteStartArray(name);
                foreach (var x in seq) w.WriteNumberValue(x);
                w.WriteEndArray();
            }
            if (open) w.WriteEndObject();
            w.WriteEndObject();
        }
    }

    private static void Group(Utf8JsonWriter w, string key, Dictionary<string, string?[]> columns, int row, Action<Utf8JsonWriter, string> value)
    {
        bool open = false;
        foreach (var (name, col) in columns)
        {
            if (row >= col.Length || col[row] is not { } v) continue;
            if (!open) { w.WriteStartObject(key); open = true; }
            w.WritePropertyName(name);
            value(w, v);
        }
        if (open) w.WriteEndObject();
    }

    private static void WriteId(Utf8JsonWriter w, string key, string id)
    {
        if (IntegerId().IsMatch(id)) w.WriteNumber(key, long.Parse(id, System.Globalization.CultureInfo.InvariantCulture));
        else w.WriteString(key, id);
    }
}
