using System.Text.Json;
using System.Text.Json.Serialization;
using Trove.Core.Data;

namespace Trove.Data.Stats;

/// <summary>Distribution of a count (interactions per user or per item).</summary>
public sealed record CountSummary(double Min, double P25, double Median, double P75, double P90, double P99, double Max, double Mean)
{
    /// <summary>Quantiles with linear interpolation between order statistics (numpy's default).</summary>
    public static CountSummary Of(int[] counts)
    {
        if (counts.Length == 0) return new(0, 0, 0, 0, 0, 0, 0, 0);
        var sorted = (int[])counts.Clone();
        Array.Sort(sorted);
        double Q(double q)
        {
            double pos = q * (sorted.Length - 1);
            int lo = (int)Math.Floor(pos), hi = (int)Math.Ceiling(pos);
            return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
        }
        long sum = 0; foreach (var c in sorted) sum += c;
        return new(sorted[0], Q(0.25), Q(0.5), Q(0.75), Q(0.9), Q(0.99), sorted[^1], (double)sum / sorted.Length);
    }
}

public sealed record EventShare(string Event, long Count, double Share);

public sealed record TimeRange(DateTime FirstUtc, DateTime LastUtc, long FirstUnix, long LastUnix, long RowsWithTimestamp);

/// <summary>Summary statistics of a dataset, as printed by `trove stats` and written by --json.</summary>
public sealed record DatasetStats
{
    public required string Source { get; init; }
    public int Users { get; init; }
    public int Items { get; init; }
    public long Interactions { get; init; }
    /// <summary>Distinct (user, item) pairs.</summary>
    public long Pairs { get; init; }
    /// <summary>Distinct pairs / (users x items).</summary>
    public double Density { get; init; }
    public int UsersWithoutInteractions { get; init; }
    public int ItemsWithoutInteractions { get; init; }
    public required CountSummary PerUser { get; init; }
    public required CountSummary PerItem { get; init; }
    public required IReadOnlyList<EventShare> Events { get; init; }
    public TimeRange? Time { get; init; }
    public double WeightSum { get; init; }
    public IReadOnlyList<string> UserFeatures { get; init; } = [];
    public IReadOnlyList<string> ItemFeatures { get; init; } = [];

    public static DatasetStats Compute(Dataset data)
    {
        var log = data.Interactions;
        var perUser = new int[data.UserCount];
        var perItem = new int[data.ItemCount];
        for (int k = 0; k < log.Count; k++) { perUser[log.Users[k]]++; perItem[log.Items[k]]++; }

        var eventCounts = new long[log.EventNames.Count];
        long noEvent = 0;
        foreach (var e in log.Events) { if (e >= 0) eventCounts[e]++; else noEvent++; }
        var events = new List<EventShare>();
        for (int e = 0; e < eventCounts.Length; e++)
            if (eventCounts[e] > 0) events.Add(new(log.EventNames[e], eventCounts[e], Share(eventCounts[e], log.Count)));
        if (noEvent > 0 && events.Count > 0) events.Add(new("(none)", noEvent, Share(noEvent, log.Count)));
        events.Sort((a, b) => b.Count.CompareTo(a.Count));

        TimeRange? time = null;
        long first = long.MaxValue, last = long.MinValue, stamped = 0;
        foreach (var t in log.Timestamps)
        {
            if (t == 0) continue;
            stamped++;
            if (t < first) first = t;
            if (t > last) last = t;
        }
        if (stamped > 0)
            time = new(DateTimeOffset.FromUnixTimeSeconds(first).UtcDateTime, DateTimeOffset.FromUnixTimeSeconds(last).UtcDateTime, first, last, stamped);

        long pairs = log.Count == 0 ? 0 : data.UserItems.NonZeros;
        double weightSum = 0; foreach (var w in log.Weights) weightSum += w;
        return new DatasetStats
        {
            Source = data.Source,
            Users = data.UserCount,
            Items = data.ItemCount,
            Interactions = log.Count,
            Pairs = pairs,
            Density = data.UserCount == 0 || data.ItemCount == 0 ? 0 : pairs / ((double)data.UserCount * data.ItemCount),
            UsersWithoutInteractions = perUser.Count(c => c == 0),
            ItemsWithoutInteractions = perItem.Count(c => c == 0),
            PerUser = CountSummary.Of(perUser),
            PerItem = CountSummary.Of(perItem),
            Events = events,
            Time = time,
            WeightSum = weightSum,
            UserFeatures = data.UserFeatures.ColumnNames.ToArray(),
            ItemFeatures = data.ItemFeatures.ColumnNames.ToArray(),
        };
    }

    private static double Share(long part, long total) => total == 0 ? 0 : (double)part / total;

    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>A human-readable report (what `trove stats` prints).</summary>
    public string ToText()
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var sb = new System.Text.StringBuilder();
        sb.AppendLine($"source        {Source}");
        sb.AppendLine(string.Create(inv, $"users         {Users:N0}{(UsersWithoutInteractions > 0 ? $" ({UsersWithoutInteractions:N0} without interactions)" : "")}"));
        sb.AppendLine(string.Create(inv, $"items         {Items:N0}{(ItemsWithoutInteractions > 0 ? $" ({ItemsWithoutInteractions:N0} without interactions)" : "")}"));
        sb.AppendLine(string.Create(inv, $"interactions  {Interactions:N0} ({Pairs:N0} distinct user-item pairs)"));
        sb.AppendLine(string.Create(inv, $"density       {Density:P4}"));
        sb.AppendLine();
        sb.AppendLine("interactions per    min     p25  median     p75     p90     p99      max     mean");
        Row(sb, "user", PerUser);
        Row(sb, "item", PerItem);
        if (Events.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("event mix");
            foreach (var e in Events) sb.AppendLine(string.Create(inv, $"  {e.Event,-16} {e.Count,12:N0}  {e.Share,7:P1}"));
        }
        if (Time is { } t)
        {
            sb.AppendLine();
            sb.AppendLine(string.Create(inv, $"time range    {t.FirstUtc:yyyy-MM-dd HH:mm:ss} .. {t.LastUtc:yyyy-MM-dd HH:mm:ss} UTC ({(t.LastUtc - t.FirstUtc).TotalDays:N1} days; {t.RowsWithTimestamp:N0} rows with a timestamp)"));
        }
        if (UserFeatures.Count > 0 || ItemFeatures.Count > 0)
        {
            sb.AppendLine();
            if (UserFeatures.Count > 0) sb.AppendLine($"user features {string.Join(", ", UserFeatures)}");
            if (ItemFeatures.Count > 0) sb.AppendLine($"item features {string.Join(", ", ItemFeatures)}");
        }
        return sb.ToString();

        static void Row(System.Text.StringBuilder sb, string name, CountSummary s) =>
            sb.AppendLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"  {name,-14} {s.Min,7:0.#} {s.P25,7:0.#} {s.Median,7:0.#} {s.P75,7:0.#} {s.P90,7:0.#} {s.P99,7:0.#} {s.Max,8:0.#} {s.Mean,8:0.##}"));
    }
}
