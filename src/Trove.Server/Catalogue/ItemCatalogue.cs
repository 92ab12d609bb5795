using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Trove.Core.Data;
using Trove.Data.Stores;
using Trove.Server.Models;

namespace Trove.Server.Catalogue;

/// <summary>An item as the catalogue API wrote it.</summary>
/// <param name="Labels">String features (categorical or text; several labels of one column joined by '|').</param>
/// <param name="Numbers">Numeric features.</param>
/// <param name="Hidden">Hidden from every list the server returns (out of stock).</param>
/// <param name="Timestamp">When it was published: orders GET /items/latest (null: not listed there).</param>
public sealed record CatalogueItem(string Id, IReadOnlyDictionary<string, string> Labels, IReadOnlyDictionary<string, float> Numbers,
    bool Hidden, DateTimeOffset? Timestamp, DateTimeOffset UpdatedUtc)
{
    /// <summary>The labels of a column ("a|b" gives two), case as written.</summary>
    public string[] LabelsOf(string column) =>
        Labels.TryGetValue(column, out var v) ? v.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [];

    /// <summary>Every feature as text, as responses show features.</summary>
    public Dictionary<string, string?> Features()
    {
        var result = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (k, v) in Labels) result[k] = v;
        foreach (var (k, v) in Numbers) result[k] = v.ToString(CultureInfo.InvariantCulture);
        return result;
    }

    /// <summary>The features as a one-row table (strings categorical, numbers numeric), as the store takes them.</summary>
    public FeatureTable ToTable()
    {
        var table = new FeatureTable();
        foreach (var (k, v) in Labels) table.Categorical[k] = [v];
        foreach (var (k, v) in Numbers) table.Numeric[k] = [v];
        return table;
    }

    /// <summary>Reads a stored row (features JSON: strings and numbers).</summary>
    public static CatalogueItem From(CatalogueItemRow row)
    {
        var labels = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var numbers = new Dictionary<string, float>(StringComparer.OrdinalIgnoreCase);
        if (row.FeaturesJson is { } json)
        {
            using var doc = JsonDocument.Parse(json);
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Value.ValueKind == JsonValueKind.Number) numbers[p.Name] = p.Value.GetSingle();
                else if (p.Value.ValueKind == JsonValueKind.String) labels[p.Name] = p.Value.GetString()!;
            }
        }
        return new CatalogueItem(row.Id, labels, numbers, row.Hidden, row.Timestamp, row.UpdatedUtc);
    }
}

/// <summary>
/// The shop's catalogue as the server knows it on top of the models: items added or changed through
/// <c>PUT /items/{id}</c> (features, hidden flag, publication time) and users' features from <c>PUT /users/{id}</c>.
/// Writes go to the <see cref="ICatalogueStore"/> first (the database with --db) and then into memory, so they
/// survive restarts and model reloads. Each model sees the catalogue through a <see cref="CatalogueView"/> in its own
/// item indices, rebuilt once per catalogue change; with no catalogue writes the view is empty and costs nothing.
/// </summary>
public sealed class ItemCatalogue(ICatalogueStore store)
{
    private readonly ConcurrentDictionary<string, CatalogueItem> _items = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Dictionary<string, string?>> _users = new(StringComparer.Ordinal);
    private readonly ConditionalWeakTable<LoadedModel, CatalogueView> _views = new();
    private readonly SemaphoreSlim _writes = new(1, 1);
    private volatile Snapshot _snapshot = Snapshot.Empty;

    /// <summary>The catalogue at one version: every item written, and those with a timestamp newest first.</summary>
    public sealed record Snapshot(long Version, IReadOnlyDictionary<string, CatalogueItem> Items, IReadOnlyList<CatalogueItem> Latest)
    {
        public static readonly Snapshot Empty = new(0, new Dictionary<string, CatalogueItem>(), []);
    }

    /// <summary>Where writes persist.</summary>
    public string Store => store.Description;

    /// <summary>The current catalogue (immutable; a write publishes a new one).</summary>
    public Snapshot Current => _snapshot;

    /// <summary>Reads the items written before this start from the store.</summary>
    public async Task LoadAsync(CancellationToken cancel = default)
    {
        foreach (var row in await store.LoadItemsAsync(cancel)) _items[row.Id] = CatalogueItem.From(row);
        Publish();
    }

    /// <summary>
    /// Creates or updates an item: <paramref name="labels"/>/<paramref name="numbers"/> replace its features when given,
    /// <paramref name="hidden"/> and <paramref name="timestamp"/> are kept when null. An item new to the catalogue and to
    /// every loaded model is published now unless a timestamp is given. Returns the item as stored.
    /// </summary>
    public async Task<(CatalogueItem Item, bool Created)> PutItemAsync(string id, IReadOnlyDictionary<string, string>? labels, IReadOnlyDictionary<string, float>? numbers,
        bool? hidden, DateTimeOffset? timestamp, bool knownToModels, CancellationToken cancel = default)
    {
        await _writes.WaitAsync(cancel);
        try
        {
            var now = DateTimeOffset.UtcNow;
            bool created = !_items.TryGetValue(id, out var old) && !knownToModels;
            var item = new CatalogueItem(id,
                labels is null && numbers is null ? old?.Labels ?? new Dictionary<string, string>() : labels ?? new Dictionary<string, string>(),
                labels is null && numbers is null ? old?.Numbers ?? new Dictionary<string, float>() : numbers ?? new Dictionary<string, float>(),
                hidden ?? old?.Hidden ?? false, timestamp ?? old?.Timestamp ?? (created ? now : null), now);
            bool replaceFeatures = labels is not null || numbers is not null;
            await store.PutItemAsync(new CatalogueItemWrite(id, replaceFeatures ? item.ToTable() : null, hidden, item.Timestamp), cancel);
            _items[id] = item;
            Publish();
            return (item, created);
        }
        finally { _writes.Release(); }
    }

    /// <summary>Stores a user's features (they become training data of the next retraining from the database).</summary>
    public async Task PutUserAsync(string user, IReadOnlyDictionary<string, string> labels, IReadOnlyDictionary<string, float> numbers, CancellationToken cancel = default)
    {
        var table = new FeatureTable();
        foreach (var (k, v) in labels) table.Categorical[k] = [v];
        foreach (var (k, v) in numbers) table.Numeric[k] = [v];
        await store.PutUserAsync(user, table, cancel);
        var features = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (k, v) in labels) features[k] = v;
        foreach (var (k, v) in numbers) features[k] = v.ToString(CultureInfo.InvariantCulture);
        _users[user] = features;
    }

    /// <summary>A user's features as last written through PUT /users/{id} since this start, or null.</summary>
    public IReadOnlyDictionary<string, string?>? UserFeatures(string user) => _users.TryGetValue(user, out var f) ? f : null;

    /// <summary>The catalogue in <paramref name="model"/>'s item indices (cached until the next write or reload).</summary>
    public CatalogueView View(LoadedModel model)
    {
        var snapshot = _snapshot;
        if (snapshot.Items.Count == 0) return CatalogueView.Empty;
        if (_views.TryGetValue(model, out var view) && view.Version == snapshot.Version) return view;
        view = CatalogueView.Build(model, snapshot);
        _views.AddOrUpdate(model, view);
        return view;
    }

    private void Publish()
    {
        var items = new Dictionary<string, CatalogueItem>(_items, StringComparer.Ordinal);
        var latest = items.Values.Where(i => i.Timestamp is not null).OrderByDescending(i => i.Timestamp).ThenBy(i => i.Id, StringComparer.Ordinal).ToList();
        _snapshot = new Snapshot(_snapshot.Version + 1, items, latest);
    }
}
