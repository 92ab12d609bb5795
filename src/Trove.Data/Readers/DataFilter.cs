using System.Globalization;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Training;

namespace Trove.Data.Readers;

/// <summary>
/// The data filters every recommender library has, applied to a loaded dataset before anything else sees it
/// (import, train, evaluate, tune, stats all load through <see cref="DatasetLoader"/> or <see cref="Apply(Dataset, IProgressReporter?, bool)"/>):
/// <list type="number">
/// <item><see cref="MinScore"/>: keep only interactions whose score is at least X (e.g. ratings &gt;= 3.5 as the
/// positives). The score is the row's raw score (a rating, a play count) when the input has one, else its weight.
/// Kept rows keep their weights.</item>
/// <item><see cref="MinUserInteractions"/> / <see cref="MinItemInteractions"/>: the iterated k-core. Users with
/// fewer than N distinct items and items with fewer than M distinct users are removed, repeatedly, until every
/// remaining user and item meets its threshold (removing an item can push a user below N, and so on). Removed
/// users and items leave the id maps too (so do ids without interactions, such as catalogue-only items).</item>
/// </list>
/// Ids keep their relative order, so the same input and filter always give the same dataset.
/// </summary>
public sealed record DataFilter
{
    /// <summary>Users need at least this many distinct items (0 or 1: no user filter).</summary>
    public int MinUserInteractions { get; init; }
    /// <summary>Items need at least this many distinct users (0 or 1: no item filter).</summary>
    public int MinItemInteractions { get; init; }
    /// <summary>Keep interactions whose score (raw score, else weight) is &gt;= this; null keeps all.</summary>
    public float? MinScore { get; init; }

    public static DataFilter None { get; } = new();

    public bool IsNone => MinUserInteractions <= 1 && MinItemInteractions <= 1 && MinScore is null;

    private bool IsCore => MinUserInteractions > 1 || MinItemInteractions > 1;

    /// <summary>Checks the values (negative counts, a non-finite score) with a message naming the option.</summary>
    public DataFilter Validate()
    {
        if (MinUserInteractions < 0) throw new TroveException($"--min-user-interactions must be >= 0, got {MinUserInteractions}.");
        if (MinItemInteractions < 0) throw new TroveException($"--min-item-interactions must be >= 0, got {MinItemInteractions}.");
        if (MinScore is float s && !float.IsFinite(s)) throw new TroveException($"--min-score must be a finite number, got {s.ToString(CultureInfo.InvariantCulture)}.");
        return this;
    }

    /// <summary>What the filter does, for a log line ("min score 3.5, 5-core on users, 3 on items").</summary>
    public override string ToString()
    {
        if (IsNone) return "no filter";
        var parts = new List<string>();
        if (MinScore is float s) parts.Add(string.Create(CultureInfo.InvariantCulture, $"score >= {s}"));
        if (MinUserInteractions > 1) parts.Add($"users with >= {MinUserInteractions} items");
        if (MinItemInteractions > 1) parts.Add($"items with >= {MinItemInteractions} users");
        return string.Join(", ", parts);
    }

    /// <summary>
    /// The filtered dataset (the same instance when the filter does nothing), with a line saying what was kept.
    /// When interactions are required, a filter that removes all of them is an error naming the filter.
    /// </summary>
    public Dataset Apply(Dataset data, IProgressReporter? progress, bool requireInteractions)
    {
        if (IsNone) return data;
        var filtered = Apply(data);
        progress?.Info(string.Create(CultureInfo.InvariantCulture,
            $"filter ({this}): kept {filtered.Interactions.Count:N0} of {data.Interactions.Count:N0} interactions, {filtered.UserCount:N0} of {data.UserCount:N0} users, {filtered.ItemCount:N0} of {data.ItemCount:N0} items"));
        if (requireInteractions && filtered.Interactions.Count == 0 && data.Interactions.Count > 0)
            throw new TroveException($"The data filter ({this}) removed every interaction of '{data.Source}'. Lower --min-score, --min-user-interactions or --min-item-interactions.");
        return filtered;
    }

    /// <summary>The filtered dataset (the same instance when the filter does nothing).</summary>
    public Dataset Apply(Dataset data)
    {
        Validate();
        if (IsNone) return data;
        var log = data.Interactions;
        var keep = new bool[log.Count];
        int kept = 0;
        for (int r = 0; r < log.Count; r++)
        {
            bool ok = true;
            if (MinScore is float min)
            {
                float score = log.Scores is { } scores && !float.IsNaN(scores[r]) ? scores[r] : log.Weights[r];
                ok = score >= min;
            }
            keep[r] = ok;
            if (ok) kept++;
        }
        if (!IsCore) return data.WithInteractions(log.Select(Rows(keep, kept)));

        // Iterated k-core over distinct (user, item) pairs.
        var userAlive = new bool[data.UserCount];
        var itemAlive = new bool[data.ItemCount];
        Array.Fill(userAlive, true);
        Array.Fill(itemAlive, true);
        while (true)
        {
            var pairs = new HashSet<(int, int)>();
            var userDegree = new int[data.UserCount];
            var itemDegree = new int[data.ItemCount];
            for (int r = 0; r < log.Count; r++)
            {
                if (!keep[r]) continue;
                int u = log.Users[r], i = log.Items[r];
                if (!userAlive[u] || !itemAlive[i]) { keep[r] = false; kept--; continue; }
                if (pairs.Add((u, i))) { userDegree[u]++; itemDegree[i]++; }
            }
            bool changed = false;
            for (int u = 0; u < userAlive.Length; u++)
                if (userAlive[u] && userDegree[u] < Math.Max(1, MinUserInteractions)) { userAlive[u] = false; changed = true; }
            for (int i = 0; i < itemAlive.Length; i++)
                if (itemAlive[i] && itemDegree[i] < Math.Max(1, MinItemInteractions)) { itemAlive[i] = false; changed = true; }
            if (!changed) break;
        }
        return Reindex(data, log.Select(Rows(keep, kept)), userAlive, itemAlive);
    }

    private static int[] Rows(bool[] keep, int count)
    {
        var rows = new int[count];
        int n = 0;
        for (int r = 0; r < keep.Length; r++) if (keep[r]) rows[n++] = r;
        return rows;
    }

    /// <summary>A dataset over the surviving users and items only (their features kept, indices renumbered in order).</summary>
    private static Dataset Reindex(Dataset data, InteractionLog log, bool[] userAlive, bool[] itemAlive)
    {
        var (users, userMap) = Survivors(data.Users, userAlive);
        var (items, itemMap) = Survivors(data.Items, itemAlive);
        var u = new int[log.Count];
        var i = new int[log.Count];
        for (int r = 0; r < log.Count; r++) { u[r] = userMap[log.Users[r]]; i[r] = itemMap[log.Items[r]]; }
        var renumbered = new InteractionLog(u, i, log.Weights, log.Timestamps, log.Events, log.EventNames) { Scores = log.Scores };
        return new Dataset(users, items, renumbered, Subset(data.UserFeatures, userAlive), Subset(data.ItemFeatures, itemAlive), data.Source);
    }

    private static (IdMap Ids, int[] Map) Survivors(IdMap ids, bool[] alive)
    {
        var map = new int[ids.Count];
        var kept = new List<string>();
        for (int k = 0; k < ids.Count; k++)
        {
            map[k] = alive[k] ? kept.Count : -1;
            if (alive[k]) kept.Add(ids[k]);
        }
        return (new IdMap(kept), map);
    }

    private static FeatureTable Subset(FeatureTable table, bool[] alive)
    {
        var t = new FeatureTable();
        foreach (var (k, v) in table.Categorical) t.Categorical[k] = Pick(v, alive);
        foreach (var (k, v) in table.Numeric) t.Numeric[k] = Pick(v, alive);
        foreach (var (k, v) in table.Text) t.Text[k] = Pick(v, alive);
        foreach (var (k, v) in table.Images) t.Images[k] = Pick(v, alive);
        foreach (var (k, v) in table.Sequences) t.Sequences[k] = Pick(v, alive);
        return t;
    }

    private static T[] Pick<T>(T[] values, bool[] alive)
    {
        var list = new List<T>();
        for (int k = 0; k < alive.Length && k < values.Length; k++) if (alive[k]) list.Add(values[k]);
        return list.ToArray();
    }
}
