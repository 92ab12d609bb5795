namespace Trove.Reports.Eda;

/// <summary>
/// The numbers behind every EDA figure (written as summary.json). Counts of "interactions" are
/// rows of the interaction log: repeated events of the same user and item count separately
/// (<see cref="EdaCounts.DistinctPairs"/> gives the de-duplicated number).
/// </summary>
public sealed record EdaSummary
{
    public required string Source { get; init; }
    public required EdaCounts Counts { get; init; }
    /// <summary>Interactions per user, over users with at least one interaction.</summary>
    public required Distribution UserActivity { get; init; }
    /// <summary>Interactions per item, over items with at least one interaction.</summary>
    public required Distribution ItemPopularity { get; init; }
    public required LongTail LongTail { get; init; }
    public required WeightDistribution Weights { get; init; }
    public required IReadOnlyList<EventShare> Events { get; init; }
    /// <summary>Null when the data has no timestamps.</summary>
    public Timeline? Timeline { get; init; }
    public required ActivityVsPopularity ActivityVsPopularity { get; init; }
    public required ColdStart ColdStart { get; init; }
    /// <summary>Categorical item features (e.g. genre, category, brand): catalogue share vs interaction share per label.</summary>
    public IReadOnlyList<FeatureMix> ItemFeatures { get; init; } = [];
    /// <summary>Figures written from these numbers (file base names, titles, captions).</summary>
    public IReadOnlyList<FigureInfo> Figures { get; init; } = [];
}

public sealed record EdaCounts
{
    /// <summary>Users in the id map (including users known only from features).</summary>
    public int Users { get; init; }
    public int Items { get; init; }
    public long Interactions { get; init; }
    /// <summary>Distinct (user, item) pairs: the non-zeros of the user-item matrix.</summary>
    public long DistinctPairs { get; init; }
    /// <summary>Interactions minus distinct pairs: repeated events of a pair.</summary>
    public long RepeatedInteractions { get; init; }
    public int ActiveUsers { get; init; }
    public int ActiveItems { get; init; }
    public int UsersWithoutInteractions { get; init; }
    public int ItemsWithoutInteractions { get; init; }
    /// <summary>Distinct pairs / (users x items).</summary>
    public double Density { get; init; }
    /// <summary>1 - density.</summary>
    public double Sparsity { get; init; }
}

/// <summary>Summary statistics of a count distribution and its log-binned histogram.</summary>
public sealed record Distribution
{
    public long Count { get; init; }
    public double Min { get; init; }
    public double Max { get; init; }
    public double Mean { get; init; }
    public double Median { get; init; }
    public double P90 { get; init; }
    public double P99 { get; init; }
    public double StdDev { get; init; }
    /// <summary>Bin edges (one more than <see cref="Counts"/>); bin i holds values in [Edges[i], Edges[i+1]).</summary>
    public required IReadOnlyList<double> Edges { get; init; }
    public required IReadOnlyList<long> Counts { get; init; }
    public bool LogBins { get; init; }
}

/// <summary>Concentration of interactions on the most popular items.</summary>
public sealed record LongTail
{
    /// <summary>Share of interactions covered by the top 1, 5, 10, 20 and 50% of (active) items.</summary>
    public required IReadOnlyList<TopShare> TopShares { get; init; }
    /// <summary>Smallest share of active items covering half of the interactions.</summary>
    public double ItemShareFor50Percent { get; init; }
    /// <summary>Smallest share of active items covering 80% of the interactions.</summary>
    public double ItemShareFor80Percent { get; init; }
    /// <summary>Gini coefficient of item popularity over active items (0 even, 1 one item has all).</summary>
    public double Gini { get; init; }
    /// <summary>The curve: share of active items (most popular first) against share of interactions, at most ~200 points.</summary>
    public required IReadOnlyList<double> ItemShare { get; init; }
    public required IReadOnlyList<double> InteractionShare { get; init; }
}

public sealed record TopShare(double TopItemPercent, int Items, double InteractionShare);

public sealed record WeightDistribution
{
    /// <summary>"constant" (implicit feedback), "discrete" (few distinct values, e.g. 1-5 ratings) or "continuous".</summary>
    public required string Kind { get; init; }
    public int DistinctValues { get; init; }
    public double Min { get; init; }
    public double Max { get; init; }
    public double Mean { get; init; }
    /// <summary>For constant and discrete weights: each value and its count.</summary>
    public IReadOnlyList<ValueCount>? Values { get; init; }
    /// <summary>For continuous weights: a histogram (30 bins; log-spaced when all weights are positive and span two decades or more, e.g. play counts).</summary>
    public IReadOnlyList<double>? Edges { get; init; }
    public IReadOnlyList<long>? Counts { get; init; }
    public bool LogBins { get; init; }
}

public sealed record ValueCount(double Value, long Count);

/// <summary>One event type; "(none)" for interactions without an event type.</summary>
public sealed record EventShare(string Name, long Count, double Share);

public sealed record Timeline
{
    public required string First { get; init; }
    public required string Last { get; init; }
    /// <summary>"day", "week" (starting Monday) or "month".</summary>
    public required string Granularity { get; init; }
    public long InteractionsWithoutTimestamp { get; init; }
    public required IReadOnlyList<TimePeriod> Periods { get; init; }
}

/// <summary>
/// One period of the timeline (UTC); new users/items are those first seen in the period. Partial: the
/// data cover less than half of it (the first or last period), so its counts are not comparable.
/// </summary>
public sealed record TimePeriod(string Start, long Interactions, int ActiveUsers, int NewUsers, int NewItems, bool Partial = false);

/// <summary>
/// Interactions counted by the activity of their user (rows) and the popularity of their item
/// (columns), both log-binned; and whether heavy users lean to less popular items.
/// </summary>
public sealed record ActivityVsPopularity
{
    public required IReadOnlyList<double> UserActivityEdges { get; init; }
    public required IReadOnlyList<double> ItemPopularityEdges { get; init; }
    /// <summary>[user bin][item bin] interaction counts.</summary>
    public required IReadOnlyList<IReadOnlyList<long>> Interactions { get; init; }
    /// <summary>Spearman correlation, over active users, of a user's activity and the mean popularity of the items they interacted with (null with fewer than 3 users or no variation).</summary>
    public double? SpearmanActivityVsMeanItemPopularity { get; init; }
}

/// <summary>Shares of users and items with fewer than T interactions, for each threshold T.</summary>
public sealed record ColdStart
{
    public required IReadOnlyList<int> Thresholds { get; init; }
    /// <summary>Share of all users (in the id map) with fewer than each threshold interactions.</summary>
    public required IReadOnlyList<double> UserShares { get; init; }
    public required IReadOnlyList<double> ItemShares { get; init; }
}

public sealed record FigureInfo(string Name, string Title, string Caption, string Png, string Svg);

/// <summary>
/// One categorical item feature: for each label (most interactions first; the rest folded into
/// "(other)"), how many items carry it and how many interactions those items got. Items with several
/// labels ("Action|Comedy") count once per label, so shares may add up to more than 1.
/// </summary>
public sealed record FeatureMix(string Column, int DistinctLabels, IReadOnlyList<LabelShare> Labels);

public sealed record LabelShare(string Label, int Items, long Interactions, double ItemShare, double InteractionShare);
