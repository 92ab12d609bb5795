using System.Globalization;
using System.Numerics;
using System.Text;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Training;

namespace Trove.Data.Simulation;

/// <summary>
/// Size and collaborative-filtering viability of an interaction data set. Shares are fractions
/// in [0, 1]. Computed by <see cref="CfDiagnostics"/> for simulated or real data.
/// </summary>
public sealed record SimulationDiagnostics
{
    public int Users { get; init; }
    public int Items { get; init; }
    /// <summary>Interaction rows (events).</summary>
    public long Interactions { get; init; }
    /// <summary>Distinct (user, item) pairs.</summary>
    public long DistinctPairs { get; init; }
    /// <summary>Distinct pairs / (users x items).</summary>
    public double Density { get; init; }
    public double MeanInteractionsPerUser { get; init; }
    public int MinInteractionsPerUser { get; init; }
    public int MaxInteractionsPerUser { get; init; }
    /// <summary>Catalogue items with at least one user.</summary>
    public int ItemsWithInteractions { get; init; }
    /// <summary>Share of catalogue items with 2 or more distinct users.</summary>
    public double ItemsWith2PlusUsers { get; init; }
    /// <summary>Share of catalogue items with 3 or more distinct users.</summary>
    public double ItemsWith3PlusUsers { get; init; }
    /// <summary>Share of users who have at least one item in common with another user.</summary>
    public double UsersSharingAnItem { get; init; }
    /// <summary>Share of unordered item pairs (over the whole catalogue) that occur together in at least one user's history: the non-zero share of the item-item co-occurrence matrix.</summary>
    public double CoOccurrenceDensity { get; init; }
    /// <summary>True when <see cref="CoOccurrenceDensity"/> was counted exactly; false when estimated from sampled items.</summary>
    public bool CoOccurrenceExact { get; init; }
    /// <summary>Items sampled for the estimate (0 when exact).</summary>
    public int CoOccurrenceSampledItems { get; init; }
    /// <summary>Standard error of the estimate (0 when exact).</summary>
    public double CoOccurrenceStandardError { get; init; }
    /// <summary>Rows per event type, in event index order.</summary>
    public IReadOnlyList<KeyValuePair<string, long>> EventCounts { get; init; } = [];

    /// <summary>Share of rows with this event type (0 when absent).</summary>
    public double EventShare(string eventName)
    {
        long total = EventCounts.Sum(kv => kv.Value);
        var hit = EventCounts.FirstOrDefault(kv => kv.Key.Equals(eventName, StringComparison.OrdinalIgnoreCase));
        return total == 0 ? 0 : (double)hit.Value / total;
    }

    private static string Pct(double share, int decimals = 1) => (share * 100).ToString("F" + decimals, CultureInfo.InvariantCulture) + "%";

    /// <summary>A multi-line human-readable summary.</summary>
    public string Format()
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(string.Format(ci, "users {0:N0}  items {1:N0}  interactions {2:N0}  distinct user-item pairs {3:N0}  density {4}",
            Users, Items, Interactions, DistinctPairs, Pct(Density, 3)));
        sb.AppendLine(string.Format(ci, "interactions per user: mean {0:F1}, min {1:N0}, max {2:N0}", MeanInteractionsPerUser, MinInteractionsPerUser, MaxInteractionsPerUser));
        if (EventCounts.Count > 0)
            sb.AppendLine("events: " + string.Join(", ", EventCounts.Select(kv => string.Format(ci, "{0} {1:N0} ({2})", kv.Key, kv.Value, Pct(EventShare(kv.Key))))));
        sb.AppendLine("collaborative-filtering viability:");
        sb.AppendLine(string.Format(ci, "  items with 2+ users                     {0,7}", Pct(ItemsWith2PlusUsers)));
        sb.AppendLine(string.Format(ci, "  items with 3+ users                     {0,7}", Pct(ItemsWith3PlusUsers)));
        sb.AppendLine(string.Format(ci, "  users sharing an item with another user {0,7}", Pct(UsersSharingAnItem)));
        string how = CoOccurrenceExact ? "exact"
            : string.Format(ci, "estimated from {0:N0} sampled items, standard error {1}", CoOccurrenceSampledItems, Pct(CoOccurrenceStandardError, 2));
        sb.Append(string.Format(ci, "  item-item co-occurrence density         {0,7} ({1})", Pct(CoOccurrenceDensity, 2), how));
        return sb.ToString();
    }
}

/// <summary>Computes <see cref="SimulationDiagnostics"/>.</summary>
public static class CfDiagnostics
{
    /// <summary>
    /// Diagnostics of any data set (simulated or imported). The co-occurrence density is exact
    /// when sum over users of (distinct items)^2 is at most <paramref name="exactBudget"/>
    /// (bitset per item, parallel); otherwise it is estimated from <paramref name="sampleItems"/>
    /// items drawn uniformly without replacement: for each sampled item the number of distinct
    /// items it co-occurs with is counted exactly, and the density is the mean of those counts
    /// divided by (items - 1), with its standard error (finite-population corrected).
    /// </summary>
    public static SimulationDiagnostics Compute(Dataset data, long exactBudget = 2_000_000_000, int sampleItems = 2000, int seed = 42,
        int threads = 0, IProgressReporter? progress = null)
    {
        var m = data.UserItems;
        var log = data.Interactions;
        var rowsPerUser = new int[data.UserCount];
        foreach (var u in log.Users) rowsPerUser[u]++;
        var counts = new long[log.EventNames.Count];
        long unnamed = 0;
        foreach (var e in log.Events) { if (e >= 0) counts[e]++; else unnamed++; }
        var events = log.EventNames.Select((n, k) => new KeyValuePair<string, long>(n, counts[k])).ToList();
        if (unnamed > 0 && events.Count > 0) events.Add(new("(none)", unnamed));
        // The co-occurrence pass keeps an item -> users array of one entry per pair, so it stays within one array.
        if (m.NonZeros > Array.MaxLength)
            throw new TroveException($"diagnostics: {m.NonZeros:N0} distinct user-item pairs, more than one array holds ({Array.MaxLength:N0}).");
        var rowPtr = new int[m.Rows + 1];
        var cols = new int[m.NonZeros];
        for (int u = 0; u < m.Rows; u++)
        {
            rowPtr[u + 1] = (int)m.RowPointers[u + 1];
            m.RowIndices(u).CopyTo(cols.AsSpan(rowPtr[u]));
        }
        return Compute(data.UserCount, data.ItemCount, rowPtr, cols, log.Count, rowsPerUser, events,
            exactBudget, sampleItems, seed, threads, progress);
    }

    /// <summary>From a users x items structure of distinct, sorted item indices per user.</summary>
    internal static SimulationDiagnostics Compute(int users, int items, int[] rowPtr, int[] cols, long interactions, int[] rowsPerUser,
        IReadOnlyList<KeyValuePair<string, long>> eventCounts, long exactBudget, int sampleItems, int seed, int threads, IProgressReporter? progress)
    {
        progress ??= NullProgress.Instance;
        if (threads <= 0) threads = Environment.ProcessorCount;
        long pairs = rowPtr[users];

        // Item -> users (transpose by counting).
        var itemPtr = new int[items + 1];
        foreach (var i in cols.AsSpan(0, (int)pairs)) itemPtr[i + 1]++;
        for (int i = 0; i < items; i++) itemPtr[i + 1] += itemPtr[i];
        var itemUsers = new int[pairs];
        var fill = itemPtr[..items];
        for (int u = 0; u < users; u++)
            for (int k = rowPtr[u]; k < rowPtr[u + 1]; k++) itemUsers[fill[cols[k]]++] = u;

        int with1 = 0, with2 = 0, with3 = 0;
        for (int i = 0; i < items; i++)
        {
            int d = itemPtr[i + 1] - itemPtr[i];
            if (d >= 1) with1++;
            if (d >= 2) with2++;
            if (d >= 3) with3++;
        }
        int sharing = 0;
        long cost = 0;
        for (int u = 0; u < users; u++)
        {
            long deg = rowPtr[u + 1] - rowPtr[u];
            cost += deg * deg;
            for (int k = rowPtr[u]; k < rowPtr[u + 1]; k++)
                if (itemPtr[cols[k] + 1] - itemPtr[cols[k]] >= 2) { sharing++; break; }
        }

        // Item-item co-occurrence.
        bool exact = cost <= exactBudget || sampleItems >= items;
        int[] targets;
        if (exact) targets = Enumerable.Range(0, items).ToArray();
        else
        {
            var perm = Enumerable.Range(0, items).ToArray();
            var rng = SimRandom.Create(seed, 9, 0);
            for (int k = 0; k < sampleItems; k++) { int j = k + rng.NextInt(items - k); (perm[k], perm[j]) = (perm[j], perm[k]); }
            targets = perm[..sampleItems];
        }
        var coDegree = new long[targets.Length];
        int words = (items + 63) >> 6;
        const int chunk = 256;
        int chunks = (targets.Length + chunk - 1) / chunk;
        using (var task = progress.Start(exact ? "item co-occurrence (exact)" : "item co-occurrence (sampled)", targets.Length))
        {
            Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads },
                () => (bits: new ulong[words], touched: new int[words]),
                (c, _, local) =>
                {
                    var (bits, touched) = local;
                    int end = Math.Min(targets.Length, (c + 1) * chunk);
                    for (int t = c * chunk; t < end; t++)
                    {
                        int item = targets[t];
                        int nt = 0;
                        for (int p = itemPtr[item]; p < itemPtr[item + 1]; p++)
                        {
                            int u = itemUsers[p];
                            for (int k = rowPtr[u]; k < rowPtr[u + 1]; k++)
                            {
                                int j = cols[k];
                                int w = j >> 6;
                                if (bits[w] == 0) touched[nt++] = w;
                                bits[w] |= 1UL << (j & 63);
                            }
                        }
                        long count = 0;
                        for (int q = 0; q < nt; q++) { count += BitOperations.PopCount(bits[touched[q]]); bits[touched[q]] = 0; }
                        coDegree[t] = count > 0 ? count - 1 : 0; // the item itself
                    }
                    task.Advance(end - c * chunk);
                    return local;
                }, _ => { });
        }
        double coDensity = 0, stderr = 0;
        if (items >= 2)
        {
            double mean = coDegree.Length == 0 ? 0 : coDegree.Average();
            coDensity = mean / (items - 1);
            if (!exact && coDegree.Length > 1)
            {
                double var = coDegree.Sum(x => (x - mean) * (x - mean)) / (coDegree.Length - 1);
                double fpc = Math.Sqrt((double)(items - coDegree.Length) / (items - 1));
                stderr = Math.Sqrt(var / coDegree.Length) * fpc / (items - 1);
            }
        }

        int minRows = users == 0 ? 0 : rowsPerUser.Min(), maxRows = users == 0 ? 0 : rowsPerUser.Max();
        return new SimulationDiagnostics
        {
            Users = users, Items = items, Interactions = interactions, DistinctPairs = pairs,
            Density = users == 0 || items == 0 ? 0 : pairs / ((double)users * items),
            MeanInteractionsPerUser = users == 0 ? 0 : (double)interactions / users,
            MinInteractionsPerUser = minRows, MaxInteractionsPerUser = maxRows,
            ItemsWithInteractions = with1,
            ItemsWith2PlusUsers = items == 0 ? 0 : (double)with2 / items,
            ItemsWith3PlusUsers = items == 0 ? 0 : (double)with3 / items,
            UsersSharingAnItem = users == 0 ? 0 : (double)sharing / users,
            CoOccurrenceDensity = coDensity, CoOccurrenceExact = exact,
            CoOccurrenceSampledItems = exact ? 0 : targets.Length, CoOccurrenceStandardError = stderr,
            EventCounts = eventCounts,
        };
    }
}
