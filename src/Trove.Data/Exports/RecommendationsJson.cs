using System.Text.Json;
using Trove.Core.Persistence;
using Trove.Core.Recommending;

namespace Trove.Data.Exports;

/// <summary>
/// Writes recommendations.json: every user's top-K with original ids and scores, plus which
/// model produced them. Streams (one user at a time) and writes atomically.
/// <code>
/// { "model": "itemknn", "model_version": "...", "k": 10, "generated_utc": "...",
///   "recommendations": { "user-1": [ { "item": "i-9", "score": 0.82 }, ... ], ... } }
/// </code>
/// </summary>
public static class RecommendationsJson
{
    public static int Write(string path, TrainedModel model, IEnumerable<(int User, IReadOnlyList<Scored> Items)> rows, int k)
    {
        int users = 0;
        AtomicFile.Write(path, stream =>
        {
            using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            w.WriteStartObject();
            w.WriteString("model", model.Manifest.Algorithm);
            w.WriteString("model_version", model.Manifest.ModelVersion);
            w.WriteNumber("k", k);
            w.WriteString("generated_utc", DateTime.UtcNow.ToString("O"));
            w.WriteStartObject("recommendations");
            foreach (var (user, items) in rows)
            {
                w.WriteStartArray(model.Users[user]);
                foreach (var s in items)
                {
                    w.WriteStartObject();
                    w.WriteString("item", model.Items[s.Index]);
                    w.WriteNumber("score", Math.Round(s.Score, 6));
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                users++;
                if (w.BytesPending > 1 << 16) w.Flush();
            }
            w.WriteEndObject();
            w.WriteEndObject();
        });
        return users;
    }
}
