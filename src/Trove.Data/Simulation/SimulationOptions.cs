using System.Globalization;
using Trove.Core.Errors;

namespace Trove.Data.Simulation;

/// <summary>
/// Settings of <see cref="InteractionSimulator"/>. Every setting has a default, so
/// <c>new SimulationOptions { Users = 5000, Items = 2000 }</c> is enough. The same options
/// (including <see cref="Seed"/>) always give byte-identical output, whatever <see cref="Threads"/> is.
/// </summary>
public sealed record SimulationOptions
{
    /// <summary>Number of users (ids u0001..uN, zero-padded to the width of N).</summary>
    public int Users { get; init; } = 1000;
    /// <summary>Number of catalogue items (ids i001..iM); ignored when <see cref="Catalogue"/> is given (its item count wins).</summary>
    public int Items { get; init; } = 500;
    /// <summary>
    /// An existing catalogue to simulate over (<c>trove simulate --items-from</c>): its items, with their categories
    /// (or genres) and brands as the taste clusters, replace the generated catalogue. Null: generate one.
    /// </summary>
    public CatalogueInput? Catalogue { get; init; }

    /// <summary>The catalogue size the simulation runs over.</summary>
    public int EffectiveItems => Catalogue?.Count ?? Items;
    public int Seed { get; init; } = 42;

    /// <summary>Number of categories: electronics, fashion, home, sports, books, beauty, toys, food, health, automotive, then ten more named ones, then category_21...</summary>
    public int Categories { get; init; } = 10;
    /// <summary>Number of brands. Brand b belongs to category b mod Categories (named brands per category, then brand_N); with fewer brands than categories, brands are shared.</summary>
    public int Brands { get; init; } = 50;
    /// <summary>Optional category names; when set they replace <see cref="Categories"/> (a known name such as "books" brings its products, prices and brands).</summary>
    public IReadOnlyList<string>? CategoryNames { get; init; }
    /// <summary>Optional brand names; when set they replace <see cref="Brands"/>. Brand b belongs to category b mod categories.</summary>
    public IReadOnlyList<string>? BrandNames { get; init; }

    internal int EffectiveCategories => Catalogue?.CategoryNames.Count ?? CategoryNames?.Count ?? Categories;
    internal int EffectiveBrands => Catalogue?.BrandNames.Count ?? BrandNames?.Count ?? Brands;
    /// <summary>Years before <see cref="EndDate"/> over which release dates are spread.</summary>
    public double CatalogueYears { get; init; } = 3;

    /// <summary>Zipf exponent s of item popularity: the item of popularity rank r gets weight 1/r^s (0 = uniform).</summary>
    public double PopularityExponent { get; init; } = 1.0;
    /// <summary>Recency effect: an item's weight is multiplied by exp(-RecencyDecay x age in years at the end date) (0 = none).</summary>
    public double RecencyDecay { get; init; } = 0.5;

    /// <summary>Fewest interaction rows (events) per user.</summary>
    public int MinInteractions { get; init; } = 5;
    /// <summary>Most interaction rows (events) per user.</summary>
    public int MaxInteractions { get; init; } = 200;
    /// <summary>
    /// Target mean of interactions per user. Null: 50, kept between 10% and 60% of the way from min to max.
    /// Counts follow a log-normal truncated to [min, max] (heavy-tailed: most users are light, a few very active).
    /// </summary>
    public double? MeanInteractions { get; init; }
    /// <summary>
    /// Overall density instead of a mean per user: expected interaction rows per user-item cell, so the mean per user
    /// is rate x items (e.g. 0.02 over 2,000 items = 40 rows per user). Exclusive with <see cref="MeanInteractions"/>;
    /// the resulting mean must lie between min and max interactions.
    /// </summary>
    public double? InteractionRate { get; init; }
    /// <summary>Log-scale spread of user activity (sigma of the truncated log-normal).</summary>
    public double ActivitySigma { get; init; } = 1.0;

    /// <summary>Share of a user's item choices taken from their 1-3 favourite categories; the rest explore other categories by global popularity.</summary>
    public double TasteShare { get; init; } = 0.75;
    /// <summary>Of the taste-driven choices, the share taken from the user's 1-2 favourite brands (within the favourite categories).</summary>
    public double BrandShare { get; init; } = 0.5;

    /// <summary>Share of funnels that go back to an item the user already viewed (repeat views; the funnel may then go further).</summary>
    public double RevisitShare { get; init; } = 0.1;

    /// <summary>Length of the interaction window in days, ending at <see cref="EndDate"/>.</summary>
    public int Days { get; init; } = 90;
    /// <summary>End of the interaction window (UTC). Fixed by default so output does not depend on the clock.</summary>
    public DateTime EndDate { get; init; } = new(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>
    /// Users act in sessions: about one session per this many events (so a 50-event user has ~9),
    /// each starting at a random time; an item's funnel starts a few minutes into one of them.
    /// 0 spreads funnels uniformly over the window.
    /// </summary>
    public int EventsPerSession { get; init; } = 6;
    /// <summary>Busier evenings and quiet nights (UTC hour of day); false = uniform over the day.</summary>
    public bool DailyCycle { get; init; } = true;

    /// <summary>Target shares of the event types among all rows.</summary>
    public EventMix EventMix { get; init; } = EventMix.Default;

    /// <summary>Negative samples per user (items the user was plausibly shown but never touched); 0 = none.</summary>
    public int NegativesPerUser { get; init; }

    /// <summary>Worker threads. Does not change the output.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>The exact item-item co-occurrence count runs when sum over users of (distinct items)^2 is at most this; otherwise it is estimated from a sample of items.</summary>
    public long CoOccurrenceExactBudget { get; init; } = 2_000_000_000;
    /// <summary>Items sampled for the co-occurrence estimate when the exact count is too expensive.</summary>
    public int CoOccurrenceSampleItems { get; init; } = 2000;

    internal long EndUnix => new DateTimeOffset(DateTime.SpecifyKind(EndDate, DateTimeKind.Utc)).ToUnixTimeSeconds();
    internal long StartUnix => EndUnix - (long)Days * 86400;

    /// <summary>Throws a <see cref="TroveException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        static void Fail(string message) => throw new TroveException("Bad simulation option: " + message);
        static string F(double v) => v.ToString(CultureInfo.InvariantCulture);

        if (Users <= 0) Fail($"users must be at least 1 (got {Users}).");
        if (Catalogue is null && Items <= 0) Fail($"items must be at least 1 (got {Items}).");
        if (Catalogue is { Count: 0 }) Fail($"the catalogue '{Catalogue.Source}' has no items.");
        if (Categories <= 0) Fail($"categories must be at least 1 (got {Categories}).");
        if (Brands <= 0) Fail($"brands must be at least 1 (got {Brands}).");
        CheckNames(CategoryNames, "category");
        CheckNames(BrandNames, "brand");
        if (!double.IsFinite(CatalogueYears) || CatalogueYears < 0 || CatalogueYears > 100) Fail($"catalogue-years must be between 0 and 100 (got {F(CatalogueYears)}).");
        if (!double.IsFinite(PopularityExponent) || PopularityExponent < 0) Fail($"popularity-exponent must be >= 0 (got {F(PopularityExponent)}).");
        if (PopularityExponent > 10) Fail($"popularity-exponent must be at most 10 (got {F(PopularityExponent)}).");
        if (!double.IsFinite(RecencyDecay) || RecencyDecay < 0) Fail($"recency-decay must be >= 0 (got {F(RecencyDecay)}).");
        if (MinInteractions < 1) Fail($"min-interactions must be at least 1 (got {MinInteractions}).");
        if (MaxInteractions > 1_000_000) Fail($"max-interactions must be at most 1000000 (got {MaxInteractions}).");
        if (MinInteractions > MaxInteractions) Fail($"min-interactions ({MinInteractions}) must not exceed max-interactions ({MaxInteractions}).");
        if (MeanInteractions is double mean && (!double.IsFinite(mean) || mean < MinInteractions || mean > MaxInteractions))
            Fail($"mean-interactions must lie between min-interactions ({MinInteractions}) and max-interactions ({MaxInteractions}) (got {F(mean)}).");
        if (InteractionRate is double rate)
        {
            if (MeanInteractions is not null) Fail("give either interaction-rate or mean-interactions, not both.");
            int items = EffectiveItems;
            if (!double.IsFinite(rate) || rate <= 0 || rate > 1) Fail($"interaction-rate must be in (0, 1] (got {F(rate)}).");
            double implied = rate * items;
            if (implied < MinInteractions || implied > MaxInteractions)
                Fail($"interaction-rate {F(rate)} over {items} items means {F(Math.Round(implied, 2))} interactions per user, outside min-interactions ({MinInteractions}) .. max-interactions ({MaxInteractions}); " +
                     $"use a rate between {F((double)MinInteractions / items)} and {F((double)MaxInteractions / items)} or change those bounds.");
        }
        if (Catalogue is not null && (CategoryNames is not null || BrandNames is not null)) Fail("category and brand names come from the catalogue when one is given.");
        if (!double.IsFinite(ActivitySigma) || ActivitySigma <= 0 || ActivitySigma > 5) Fail($"activity-sigma must be in (0, 5] (got {F(ActivitySigma)}).");
        if (!double.IsFinite(TasteShare) || TasteShare < 0 || TasteShare > 1) Fail($"taste-share must be between 0 and 1 (got {F(TasteShare)}).");
        if (!double.IsFinite(BrandShare) || BrandShare < 0 || BrandShare > 1) Fail($"brand-share must be between 0 and 1 (got {F(BrandShare)}).");
        if (!double.IsFinite(RevisitShare) || RevisitShare < 0 || RevisitShare >= 1) Fail($"revisit-share must be in [0, 1) (got {F(RevisitShare)}).");
        if (Days < 1 || Days > 36500) Fail($"days must be between 1 and 36500 (got {Days}).");
        if (EndDate.Year < 1971 || EndDate.Year > 9000) Fail($"end date {EndDate:yyyy-MM-dd} is out of range.");
        if (EventsPerSession < 0) Fail($"events-per-session must be >= 0 (got {EventsPerSession}).");
        if (NegativesPerUser < 0) Fail($"negatives-per-user must be >= 0 (got {NegativesPerUser}).");
        if (Threads < 1) Fail($"threads must be at least 1 (got {Threads}).");
        if (CoOccurrenceSampleItems < 1) Fail($"co-occurrence sample size must be at least 1 (got {CoOccurrenceSampleItems}).");
        EventMix.Validate();
        if ((long)Users * MinInteractions > Array.MaxLength) Fail($"users x min-interactions = {(long)Users * MinInteractions:N0} rows is more than one array can hold.");
        if ((long)Users * NegativesPerUser > Array.MaxLength) Fail("users x negatives-per-user is more than one array can hold.");
    }

    private static void CheckNames(IReadOnlyList<string>? names, string kind)
    {
        if (names is null) return;
        if (names.Count == 0) throw new TroveException($"Bad simulation option: the list of {kind} names is empty.");
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in names)
        {
            if (string.IsNullOrWhiteSpace(name) || name.Trim() != name || name.IndexOfAny(['|', '\n', '\r', '"']) >= 0)
                throw new TroveException($"Bad simulation option: {kind} name '{name}' must be non-empty, without surrounding spaces, '|', quotes or line breaks.");
            if (!seen.Add(name)) throw new TroveException($"Bad simulation option: {kind} name '{name}' appears twice.");
        }
    }

    internal double EffectiveMeanInteractions
    {
        get
        {
            if (MeanInteractions is double m) return m;
            if (InteractionRate is double rate) return rate * EffectiveItems;
            double lo = MinInteractions + 0.1 * (MaxInteractions - MinInteractions);
            double hi = MinInteractions + 0.6 * (MaxInteractions - MinInteractions);
            return Math.Clamp(50.0, lo, Math.Max(lo, hi));
        }
    }
}

/// <summary>
/// Target shares of the four event types (normalised to sum 1). Every item a user touches starts
/// with a view; add_to_cart, purchase and rating follow it (a purchase always has an earlier view
/// of the same item; ratings follow purchases), so no other share may exceed the view share.
/// </summary>
public sealed record EventMix(double View, double AddToCart, double Purchase, double Rating)
{
    public static EventMix Default { get; } = new(0.60, 0.20, 0.15, 0.05);

    public static IReadOnlyList<string> EventNames { get; } = ["view", "add_to_cart", "purchase", "rating"];

    public void Validate()
    {
        double[] v = [View, AddToCart, Purchase, Rating];
        if (v.Any(x => !double.IsFinite(x) || x < 0)) throw new TroveException("Bad simulation option: event mix shares must be non-negative numbers.");
        if (View <= 0) throw new TroveException("Bad simulation option: the event mix needs a positive view share (every funnel starts with a view).");
        for (int k = 1; k < 4; k++)
            if (v[k] > View * (1 + 1e-9))
                throw new TroveException($"Bad simulation option: the {EventNames[k]} share ({v[k].ToString(CultureInfo.InvariantCulture)}) exceeds the view share ({View.ToString(CultureInfo.InvariantCulture)}); each viewed item gets at most one of each later event.");
    }

    /// <summary>Parses "view=0.6,add_to_cart=0.2,purchase=0.15,rating=0.05" (missing names keep the defaults).</summary>
    public static EventMix Parse(string spec)
    {
        double[] v = [Default.View, Default.AddToCart, Default.Purchase, Default.Rating];
        foreach (var part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split('=', 2, StringSplitOptions.TrimEntries);
            int at = kv.Length == 2 ? EventNames.ToList().FindIndex(n => n.Equals(kv[0], StringComparison.OrdinalIgnoreCase)) : -1;
            if (at < 0 || !double.TryParse(kv[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var share) || !double.IsFinite(share) || share < 0)
                throw new TroveException($"Bad event mix '{part}': expected view|add_to_cart|purchase|rating=non-negative number, e.g. view=0.6.");
            v[at] = share;
        }
        var mix = new EventMix(v[0], v[1], v[2], v[3]);
        mix.Validate();
        return mix;
    }
}
