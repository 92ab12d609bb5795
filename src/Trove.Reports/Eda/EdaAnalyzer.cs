using System.Globalization;
using Trove.Core.Data;
using Trove.Core.Errors;

namespace Trove.Reports.Eda;

/// <summary>Computes the <see cref="EdaSummary"/> of a dataset (pure numbers; no drawing).</summary>
public static class EdaAnalyzer
{
    public static IReadOnlyList<int> ColdStartThresholds { get; } = [1, 2, 3, 5, 10, 20];
    public static IReadOnlyList<double> TopPercents { get; } = [1, 5, 10, 20, 50];
    /// <summary>Weights with at most this many distinct values are shown value by value.</summary>
    public const int MaxDiscreteValues = 20;
    private const int MaxCurvePoints = 200;

    public static EdaSummary Analyze(Dataset data)
    {
        var log = data.Interactions;
        if (log.Count == 0) throw new TroveException($"The data{(data.Source.Length > 0 ? $" from {data.Source}" : "")} has no interactions to analyse.");
        int users = data.UserCount, items = data.ItemCount;
        var userCounts = new long[users];
        var itemCounts = new long[items];
        for (int r = 0; r < log.Count; r++) { userCounts[log.Users[r]]++; itemCounts[log.Items[r]]++; }
        long pairs = data.UserItems.NonZeros;
        int activeUsers = userCounts.Count(c => c > 0), activeItems = itemCounts.Count(c => c > 0);
        double density = users == 0 || items == 0 ? 0 : pairs / ((double)users * items);

        var activeUserCounts = userCounts.Where(c => c > 0).ToArray();
        var activeItemCounts = itemCounts.Where(c => c > 0).ToArray();
        var userDist = Describe(activeUserCounts);
        var itemDist = Describe(activeItemCounts);

        return new EdaSummary
        {
            Source = data.Source,
            Counts = new EdaCounts
            {
                Users = users, Items = items, Interactions = log.Count, DistinctPairs = pairs,
                RepeatedInteractions = log.Count - pairs, ActiveUsers = activeUsers, ActiveItems = activeItems,
                UsersWithoutInteractions = users - activeUsers, ItemsWithoutInteractions = items - activeItems,
                Density = density, Sparsity = 1 - density,
            },
            UserActivity = userDist,
            ItemPopularity = itemDist,
            LongTail = ComputeLongTail(activeItemCounts),
            Weights = ComputeWeights(log.Weights),
            Events = ComputeEvents(log),
            Timeline = ComputeTimeline(log, users, items),
            ActivityVsPopularity = ComputeActivityVsPopularity(log, userCounts, itemCounts, userDist.Edges, itemDist.Edges),
            ItemFeatures = ComputeFeatureMix(data.ItemFeatures, itemCounts, log.Count),
            ColdStart = new ColdStart
            {
                Thresholds = ColdStartThresholds,
                UserShares = ColdStartThresholds.Select(t => users == 0 ? 0 : userCounts.Count(c => c < t) / (double)users).ToArray(),
                ItemShares = ColdStartThresholds.Select(t => items == 0 ? 0 : itemCounts.Count(c => c < t) / (double)items).ToArray(),
            },
        };
    }

    /// <summary>Most features drawn; labels shown per feature (the rest are folded into "(other)").</summary>
    public const int MaxFeatureColumns = 3, MaxFeatureLabels = 15, MaxDistinctLabels = 100;

    /// <summary>
    /// Catalogue and interaction shares per label of each categorical item feature with 2 to
    /// <see cref="MaxDistinctLabels"/> distinct labels (more look like ids, titles or dates), skipping
    /// columns of dates or numbers; at most <see cref="MaxFeatureColumns"/> columns, by name.
    /// </summary>
    public static IReadOnlyList<FeatureMix> ComputeFeatureMix(FeatureTable features, long[] itemCounts, long interactions)
    {
        var result = new List<FeatureMix>();
        int items = itemCounts.Length;
        foreach (var (column, values) in features.Categorical.OrderBy(kv => kv.Key, StringComparer.OrdinalIgnoreCase))
        {
            if (result.Count == MaxFeatureColumns) break;
            var byLabel = new Dictionary<string, (int Items, long Interactions)>(StringComparer.Ordinal);
            int unlabelled = 0; long unlabelledInteractions = 0;
            for (int i = 0; i < items; i++)
            {
                var labels = features.Labels(column, i).Distinct(StringComparer.Ordinal).ToArray();
                if (labels.Length == 0) { unlabelled++; unlabelledInteractions += itemCounts[i]; continue; }
                foreach (var label in labels)
                {
                    var (n, m) = byLabel.GetValueOrDefault(label);
                    byLabel[label] = (n + 1, m + itemCounts[i]);
                }
            }
            if (byLabel.Count < 2 || byLabel.Count > MaxDistinctLabels) continue;
            // Dates and numbers stored as text (release_date, year) are not categories to compare.
            if (byLabel.Keys.Count(k => DateTime.TryParse(k, CultureInfo.InvariantCulture, DateTimeStyles.None, out _) || double.TryParse(k, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                >= 0.8 * byLabel.Count) continue;
            LabelShare Share(string label, int n, long m) =>
                new(label, n, m, items == 0 ? 0 : n / (double)items, interactions == 0 ? 0 : m / (double)interactions);
            var ordered = byLabel.OrderByDescending(kv => kv.Value.Interactions).ThenBy(kv => kv.Key, StringComparer.Ordinal).ToList();
            var shown = ordered.Take(MaxFeatureLabels).Select(kv => Share(kv.Key, kv.Value.Items, kv.Value.Interactions)).ToList();
            if (ordered.Count > MaxFeatureLabels)
            {
                var rest = ordered.Skip(MaxFeatureLabels).ToList();
                shown.Add(Share($"(other {rest.Count})", rest.Sum(kv => kv.Value.Items), rest.Sum(kv => kv.Value.Interactions)));
            }
            if (unlabelled > 0) shown.Add(Share("(none)", unlabelled, unlabelledInteractions));
            result.Add(new FeatureMix(column, byLabel.Count, shown));
        }
        return result;
    }

    /// <summary>
    /// Integer bin edges spaced about evenly on a log scale (5 per decade: 1, 2, 3, 4, 7, 10, 16, 26, 40, 64, 100, ...),
    /// from 1 up to the first edge above <paramref name="max"/>. Bin i holds the integers in [edge i, edge i+1).
    /// </summary>
    public static double[] LogIntegerEdges(double max, int binsPerDecade = 5)
    {
        var edges = new List<double> { 1 };
        for (int k = 1; edges[^1] <= max; k++)
        {
            double e = Math.Ceiling(Math.Pow(10, k / (double)binsPerDecade) - 1e-9);
            if (e > edges[^1]) edges.Add(e);
        }
        return edges.ToArray();
    }

    /// <summary>Statistics and log-binned histogram of positive counts.</summary>
    public static Distribution Describe(IReadOnlyList<long> values)
    {
        var sorted = values.Select(v => (double)v).Order().ToArray();
        int n = sorted.Length;
        if (n == 0) return new Distribution { Edges = [1, 2], Counts = [0], LogBins = true };
        double mean = sorted.Average();
        double var = sorted.Sum(v => (v - mean) * (v - mean)) / n;
        var edges = LogIntegerEdges(sorted[^1]);
        return new Distribution
        {
            Count = n, Min = sorted[0], Max = sorted[^1], Mean = mean, Median = Quantile(sorted, 0.5),
            P90 = Quantile(sorted, 0.9), P99 = Quantile(sorted, 0.99), StdDev = Math.Sqrt(var),
            Edges = edges, Counts = Histogram(sorted, edges), LogBins = true,
        };
    }

    /// <summary>Linear-interpolation quantile of sorted values (numpy's default).</summary>
    public static double Quantile(IReadOnlyList<double> sorted, double q)
    {
        if (sorted.Count == 0) return double.NaN;
        double pos = q * (sorted.Count - 1);
        int lo = (int)Math.Floor(pos);
        int hi = Math.Min(lo + 1, sorted.Count - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }

    /// <summary>Counts per bin [e_i, e_i+1); values at or above the last edge go to the last bin.</summary>
    public static long[] Histogram(IEnumerable<double> values, IReadOnlyList<double> edges)
    {
        var counts = new long[edges.Count - 1];
        foreach (var v in values) counts[Bin(v, edges)]++;
        return counts;
    }

    private static int Bin(double v, IReadOnlyList<double> edges)
    {
        int lo = 0, hi = edges.Count - 1; // find last edge <= v
        if (v < edges[0]) return 0;
        while (hi - lo > 1) { int mid = (lo + hi) / 2; if (edges[mid] <= v) lo = mid; else hi = mid; }
        return Math.Min(lo, edges.Count - 2);
    }

    public static LongTail ComputeLongTail(IReadOnlyList<long> activeItemCounts)
    {
        var desc = activeItemCounts.OrderDescending().ToArray();
        int n = desc.Length;
        var cum = new double[n];
        double total = 0;
        for (int i = 0; i < n; i++) { total += desc[i]; cum[i] = total; }
        var top = TopPercents.Select(p =>
        {
            int k = Math.Max(1, (int)Math.Ceiling(p / 100 * n - 1e-9));
            k = Math.Min(k, n);
            return new TopShare(p, k, n == 0 ? 0 : cum[k - 1] / total);
        }).ToArray();
        double ShareFor(double target)
        {
            for (int i = 0; i < n; i++) if (cum[i] >= target * total - 1e-9) return (i + 1) / (double)n;
            return 1;
        }
        // Gini over ascending values: (2 * sum_i i*x_i) / (n * sum x) - (n + 1) / n, i = 1..n.
        double weighted = 0;
        for (int i = 0; i < n; i++) weighted += (i + 1) * (double)desc[n - 1 - i];
        double gini = n == 0 || total == 0 ? 0 : 2 * weighted / (n * total) - (n + 1) / (double)n;

        var xs = new List<double> { 0 }; var ys = new List<double> { 0 };
        int step = Math.Max(1, n / MaxCurvePoints);
        for (int k = step; k <= n; k += step) { xs.Add(k / (double)n); ys.Add(cum[k - 1] / total); }
        if (xs[^1] < 1 && n > 0) { xs.Add(1); ys.Add(1); }
        return new LongTail
        {
            TopShares = top, ItemShareFor50Percent = ShareFor(0.5), ItemShareFor80Percent = ShareFor(0.8),
            Gini = gini, ItemShare = xs, InteractionShare = ys,
        };
    }

    public static WeightDistribution ComputeWeights(IReadOnlyList<float> weights)
    {
        var counts = new Dictionary<float, long>();
        double sum = 0, min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (var w in weights)
        {
            counts[w] = counts.GetValueOrDefault(w) + 1;
            sum += w; min = Math.Min(min, w); max = Math.Max(max, w);
        }
        int distinct = counts.Count;
        double mean = weights.Count == 0 ? 0 : sum / weights.Count;
        if (distinct <= MaxDiscreteValues)
            return new WeightDistribution
            {
                Kind = distinct <= 1 ? "constant" : "discrete", DistinctValues = distinct, Min = min, Max = max, Mean = mean,
                Values = counts.OrderBy(kv => kv.Key).Select(kv => new ValueCount(Math.Round(kv.Key, 6), kv.Value)).ToArray(),
            };
        const int bins = 30;
        bool log = min > 0 && max / min >= 100;
        var edges = Enumerable.Range(0, bins + 1)
            .Select(i => log ? Math.Exp(Math.Log(min) + (Math.Log(max) - Math.Log(min)) * i / bins) : min + (max - min) * i / bins).ToArray();
        edges[0] = min; edges[^1] = max;
        return new WeightDistribution
        {
            Kind = "continuous", DistinctValues = distinct, Min = min, Max = max, Mean = mean,
            Edges = edges, Counts = Histogram(weights.Select(w => (double)w), edges), LogBins = log,
        };
    }

    public static IReadOnlyList<EventShare> ComputeEvents(InteractionLog log)
    {
        var counts = new Dictionary<int, long>();
        foreach (var e in log.Events) counts[e] = counts.GetValueOrDefault(e) + 1;
        return counts
            .Select(kv => new EventShare(kv.Key < 0 || kv.Key >= log.EventNames.Count ? "(none)" : log.EventNames[kv.Key], kv.Value, kv.Value / (double)log.Count))
            .OrderByDescending(e => e.Count).ThenBy(e => e.Name, StringComparer.Ordinal).ToArray();
    }

    public static Timeline? ComputeTimeline(InteractionLog log, int users, int items)
    {
        long first = long.MaxValue, last = long.MinValue, missing = 0;
        foreach (var t in log.Timestamps)
        {
            if (t == 0) { missing++; continue; }
            if (t < first) first = t;
            if (t > last) last = t;
        }
        if (missing == log.Count) return null;
        var start = DateTimeOffset.FromUnixTimeSeconds(first).UtcDateTime;
        var end = DateTimeOffset.FromUnixTimeSeconds(last).UtcDateTime;
        double spanDays = (end - start).TotalDays;
        string granularity = spanDays <= 92 ? "day" : spanDays <= 3 * 366 ? "week" : "month";
        DateTime Floor(DateTime d) => granularity switch
        {
            "day" => d.Date,
            "week" => d.Date.AddDays(-(((int)d.DayOfWeek + 6) % 7)),
            _ => new DateTime(d.Year, d.Month, 1, 0, 0, 0, DateTimeKind.Utc),
        };
        DateTime Next(DateTime d) => granularity switch { "day" => d.AddDays(1), "week" => d.AddDays(7), _ => d.AddMonths(1) };
        var starts = new List<DateTime>();
        for (var p = Floor(start); p <= end; p = Next(p)) starts.Add(p);
        var startTicks = starts.Select(s => new DateTimeOffset(DateTime.SpecifyKind(s, DateTimeKind.Utc)).ToUnixTimeSeconds()).ToArray();
        int periods = starts.Count;
        int PeriodOf(long t)
        {
            int at = Array.BinarySearch(startTicks, t);
            return at >= 0 ? at : ~at - 1;
        }

        bool Partial(int p)
        {
            double length = (Next(starts[p]) - starts[p]).TotalSeconds, covered = length;
            if (p == 0) covered -= first - startTicks[0];
            if (p == periods - 1) covered -= new DateTimeOffset(DateTime.SpecifyKind(Next(starts[p]), DateTimeKind.Utc)).ToUnixTimeSeconds() - last;
            return covered < length / 2;
        }
        var interactions = new long[periods];
        var active = new int[periods];
        var newUsers = new int[periods];
        var newItems = new int[periods];
        var firstUser = new int[users]; Array.Fill(firstUser, int.MaxValue);
        var firstItem = new int[items]; Array.Fill(firstItem, int.MaxValue);
        // Rows grouped by period (counting sort) so distinct active users per period need one marker array.
        var period = new int[log.Count];
        for (int r = 0; r < log.Count; r++)
        {
            long t = log.Timestamps[r];
            if (t == 0) { period[r] = -1; continue; }
            int p = PeriodOf(t);
            period[r] = p; interactions[p]++;
            int u = log.Users[r], i = log.Items[r];
            if (p < firstUser[u]) firstUser[u] = p;
            if (p < firstItem[i]) firstItem[i] = p;
        }
        var offsets = new int[periods + 1];
        for (int p = 0; p < periods; p++) offsets[p + 1] = offsets[p] + (int)interactions[p];
        var order = new int[offsets[periods]];
        var fill = offsets[..periods].ToArray();
        for (int r = 0; r < log.Count; r++) if (period[r] >= 0) order[fill[period[r]]++] = r;
        var lastSeen = new int[users]; Array.Fill(lastSeen, -1);
        for (int p = 0; p < periods; p++)
            for (int k = offsets[p]; k < offsets[p + 1]; k++)
            {
                int u = log.Users[order[k]];
                if (lastSeen[u] != p) { lastSeen[u] = p; active[p]++; }
            }
        foreach (var p in firstUser) if (p != int.MaxValue) newUsers[p]++;
        foreach (var p in firstItem) if (p != int.MaxValue) newItems[p]++;

        return new Timeline
        {
            First = Iso(start), Last = Iso(end), Granularity = granularity, InteractionsWithoutTimestamp = missing,
            Periods = Enumerable.Range(0, periods).Select(p => new TimePeriod(starts[p].ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                interactions[p], active[p], newUsers[p], newItems[p], Partial(p))).ToArray(),
        };
    }

    private static string Iso(DateTime d) => d.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    public static ActivityVsPopularity ComputeActivityVsPopularity(InteractionLog log, long[] userCounts, long[] itemCounts,
        IReadOnlyList<double> userEdges, IReadOnlyList<double> itemEdges)
    {
        var grid = new long[userEdges.Count - 1, itemEdges.Count - 1];
        var popSum = new double[userCounts.Length];
        for (int r = 0; r < log.Count; r++)
        {
            int u = log.Users[r], i = log.Items[r];
            grid[Bin(userCounts[u], userEdges), Bin(itemCounts[i], itemEdges)]++;
            popSum[u] += itemCounts[i];
        }
        var activity = new List<double>(); var meanPop = new List<double>();
        for (int u = 0; u < userCounts.Length; u++)
            if (userCounts[u] > 0) { activity.Add(userCounts[u]); meanPop.Add(popSum[u] / userCounts[u]); }
        return new ActivityVsPopularity
        {
            UserActivityEdges = userEdges, ItemPopularityEdges = itemEdges,
            Interactions = Enumerable.Range(0, grid.GetLength(0)).Select(a => (IReadOnlyList<long>)Enumerable.Range(0, grid.GetLength(1)).Select(b => grid[a, b]).ToArray()).ToArray(),
            SpearmanActivityVsMeanItemPopularity = Spearman(activity, meanPop),
        };
    }

    /// <summary>Spearman rank correlation (average ranks for ties); null when undefined.</summary>
    public static double? Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count < 3) return null;
        var rx = Ranks(x); var ry = Ranks(y);
        double mx = rx.Average(), my = ry.Average(), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < rx.Length; i++) { sxy += (rx[i] - mx) * (ry[i] - my); sxx += (rx[i] - mx) * (rx[i] - mx); syy += (ry[i] - my) * (ry[i] - my); }
        if (sxx == 0 || syy == 0) return null;
        return sxy / Math.Sqrt(sxx * syy);
    }

    private static double[] Ranks(IReadOnlyList<double> v)
    {
        var idx = Enumerable.Range(0, v.Count).OrderBy(i => v[i]).ToArray();
        var ranks = new double[v.Count];
        for (int a = 0; a < idx.Length;)
        {
            int b = a;
            while (b + 1 < idx.Length && v[idx[b + 1]] == v[idx[a]]) b++;
            double avg = (a + b) / 2.0 + 1;
            for (int k = a; k <= b; k++) ranks[idx[k]] = avg;
            a = b + 1;
        }
        return ranks;
    }
}
