using System.Text.Json;
using Trove.Data.Readers;
using Trove.Data.Stores;

namespace Trove.Server.Events;

/// <summary>
/// Events written through to the Trove database (<see cref="IInteractionStore"/>, e.g. SQLite from
/// --db) so the next `trove train --db` learns from them, and kept in memory per user so they count
/// for recommendations at once, before that retraining. Each POST is one transaction.
/// </summary>
public sealed class InteractionStoreEvents(IInteractionStore store) : IEventStore, IDisposable
{
    private readonly InMemoryEventStore _recent = new();
    private readonly object _write = new();

    public IInteractionStore Store => store;
    public string Description => store.Location;
    public long Count => _recent.Count;

    public ValueTask AppendAsync(IReadOnlyList<UserEvent> events, CancellationToken cancel = default)
    {
        lock (_write) // one connection: writers take turns
        {
            using var import = store.BeginImport();
            import.AddInteractions(events.Select(e => new InteractionRecord(e.User, e.Item, e.Weight, null, e.Timestamp.ToUnixTimeSeconds(), e.Event)));
            import.Commit();
        }
        return _recent.AppendAsync(events, cancel);
    }

    public ValueTask<IReadOnlyList<UserEvent>> ForUserAsync(string user, CancellationToken cancel = default) => _recent.ForUserAsync(user, cancel);

    public IReadOnlyDictionary<string, long> CountsByEvent() => _recent.CountsByEvent();

    /// <summary>Row counts of the database.</summary>
    public StoreCounts Counts()
    {
        lock (_write) return store.Counts();
    }

    /// <summary>Registered models with their metrics (for the dashboard's evaluation table when no report file is given).</summary>
    public IReadOnlyList<Dictionary<string, object?>> EvaluatedModels()
    {
        IReadOnlyList<ModelRecord> models;
        lock (_write) models = store.ListModels();
        var rows = new List<Dictionary<string, object?>>();
        foreach (var m in models.Where(m => m.MetricsJson is not null))
        {
            var row = new Dictionary<string, object?> { ["model"] = m.ModelVersion, ["algorithm"] = m.Algorithm };
            try
            {
                using var doc = JsonDocument.Parse(m.MetricsJson!);
                Flatten(doc.RootElement, "", row, 0);
            }
            catch (JsonException) { row["metrics"] = m.MetricsJson; }
            rows.Add(row);
        }
        return rows;
    }

    private static void Flatten(JsonElement e, string prefix, Dictionary<string, object?> row, int depth)
    {
        if (e.ValueKind == JsonValueKind.Object && depth < 2)
            foreach (var p in e.EnumerateObject()) Flatten(p.Value, prefix.Length == 0 ? p.Name : $"{prefix}.{p.Name}", row, depth + 1);
        else if (e.ValueKind == JsonValueKind.Number) row[prefix] = e.GetDouble();
        else if (e.ValueKind == JsonValueKind.String) row[prefix] = e.GetString();
    }

    public void Dispose() => store.Dispose();
}
