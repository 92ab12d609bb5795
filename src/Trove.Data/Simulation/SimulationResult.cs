using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Training;

namespace Trove.Data.Simulation;

/// <summary>
/// The output of <see cref="InteractionSimulator"/>: catalogue, users and the event log (grouped by
/// user in user order, chronological within a user; the same rows and order as interactions.csv).
/// </summary>
public sealed class SimulationResult
{
    public SimulationOptions Options { get; }
    public SimulatedCatalogue Catalogue { get; }
    public SimulatedUsers Users { get; }
    /// <summary>Rows of user u are [UserOffsets[u], UserOffsets[u+1]).</summary>
    public int[] UserOffsets { get; }
    public int[] Items { get; }
    /// <summary>Unix seconds (UTC).</summary>
    public long[] Timestamps { get; }
    /// <summary><see cref="SimulatedEvent"/> values.</summary>
    public byte[] Events { get; }
    /// <summary>1-5 for rating events, 0 otherwise.</summary>
    public byte[] Scores { get; }
    /// <summary>Negatives of user u are NegativeItems[NegativeOffsets[u] .. NegativeOffsets[u+1]).</summary>
    public int[] NegativeOffsets { get; }
    public int[] NegativeItems { get; }

    internal SimulationResult(SimulationOptions options, SimulatedCatalogue catalogue, SimulatedUsers users, int[] userOffsets,
        int[] items, long[] timestamps, byte[] events, byte[] scores, int[] negativeOffsets, int[] negativeItems)
    {
        Options = options; Catalogue = catalogue; Users = users; UserOffsets = userOffsets;
        Items = items; Timestamps = timestamps; Events = events; Scores = scores;
        NegativeOffsets = negativeOffsets; NegativeItems = negativeItems;
    }

    public int Count => Items.Length;

    /// <summary>Units sold per item: sales before the window plus the purchase events in it.</summary>
    public int[] SoldCounts() => CountEvents(SimulatedEvent.Purchase, Catalogue.PriorSold);

    /// <summary>Ratings per item: ratings before the window plus the rating events in it.</summary>
    public int[] TotalRatings() => CountEvents(SimulatedEvent.Rating, Catalogue.PriorRatings);

    private int[] CountEvents(SimulatedEvent e, int[] prior)
    {
        var counts = (int[])prior.Clone();
        for (int r = 0; r < Count; r++) if (Events[r] == (byte)e) counts[Items[r]]++;
        return counts;
    }

    /// <summary>The user of every row (expanded from <see cref="UserOffsets"/>).</summary>
    public int[] RowUsers()
    {
        var users = new int[Count];
        for (int u = 0; u < Users.Count; u++) users.AsSpan(UserOffsets[u], UserOffsets[u + 1] - UserOffsets[u]).Fill(u);
        return users;
    }

    /// <summary>
    /// The data set as <c>trove</c> would read it back from the CSV files: user ids in users.csv
    /// order, item ids in items.csv (catalogue) order, one interaction per row with
    /// weight = eventWeight(event) x score, score being the rating for rating events and 1 otherwise
    /// (defaults view 0.1, add_to_cart 0.3, purchase 0.6, rating 0.2 x stars), plus item features
    /// (category, brand, rating, price, release_year, title, description, total_ratings, sold_count, stock, active,
    /// skus as a JSON array of {sku, variant, price, stock}) and user features
    /// (favourite_categories, favourite_brands as '|' lists, activity).
    /// </summary>
    public Dataset ToDataset(EventWeights? weights = null)
    {
        weights ??= EventWeights.Default;
        var names = EventMix.EventNames;
        var eventWeight = new float[names.Count];
        for (int e = 0; e < names.Count; e++)
            eventWeight[e] = weights.TryGetWeight(names[e], out var w) ? w : throw new TroveException($"No weight for event type '{names[e]}'.");
        int n = Count;
        var w8 = new float[n]; var ev = new short[n];
        for (int r = 0; r < n; r++)
        {
            int e = Events[r];
            float score = Scores[r] == 0 ? 1f : Scores[r];
            w8[r] = eventWeight[e] * score;
            ev[r] = (short)e;
        }
        var log = new InteractionLog(RowUsers(), (int[])Items.Clone(), w8, (long[])Timestamps.Clone(), ev, names.ToArray());

        var cat = Catalogue;
        int m = cat.Count;
        var itemFeatures = new FeatureTable();
        itemFeatures.Categorical["category"] = cat.Category.Select(c => (string?)cat.CategoryNames[c]).ToArray();
        itemFeatures.Categorical["brand"] = cat.Brand.Select(b => (string?)cat.BrandNames[b]).ToArray();
        itemFeatures.Numeric["rating"] = cat.RatingTenths.Select(r => (float)(r / 10.0)).ToArray();
        itemFeatures.Numeric["price"] = cat.PriceCents.Select(p => (float)(p / 100.0)).ToArray();
        itemFeatures.Numeric["release_year"] = cat.ReleaseDay.Select(d => (float)DateTime.UnixEpoch.AddDays(d).Year).ToArray();
        itemFeatures.Text["title"] = cat.Titles.Select(t => (string?)t).ToArray();
        itemFeatures.Text["description"] = cat.Descriptions.Select(t => (string?)t).ToArray();
        itemFeatures.Numeric["total_ratings"] = TotalRatings().Select(v => (float)v).ToArray();
        itemFeatures.Numeric["sold_count"] = SoldCounts().Select(v => (float)v).ToArray();
        itemFeatures.Numeric["stock"] = Enumerable.Range(0, m).Select(i => (float)cat.Stock(i)).ToArray();
        itemFeatures.Categorical["active"] = cat.Active.Select(a => (string?)(a ? "true" : "false")).ToArray();
        itemFeatures.Text["skus"] = Enumerable.Range(0, m).Select(i => (string?)cat.SkusJson(i)).ToArray();

        var users = Users;
        var userFeatures = new FeatureTable();
        var favCats = new string?[users.Count]; var favBrands = new string?[users.Count];
        for (int u = 0; u < users.Count; u++)
        {
            favCats[u] = FavouriteCategoriesText(u);
            favBrands[u] = FavouriteBrandsText(u);
        }
        userFeatures.Categorical["favourite_categories"] = favCats;
        userFeatures.Categorical["favourite_brands"] = favBrands;
        userFeatures.Numeric["activity"] = users.Activity.Select(a => (float)a).ToArray();

        return new Dataset(new IdMap(users.Ids), new IdMap(cat.ItemIds), log, userFeatures, itemFeatures,
            $"simulated (seed {Options.Seed}, {users.Count} users, {m} items)");
    }

    internal string FavouriteCategoriesText(int u)
    {
        var favs = Users.FavouriteCategories(u);
        var parts = new string[favs.Length];
        for (int j = 0; j < favs.Length; j++) parts[j] = Catalogue.CategoryNames[favs[j]];
        return string.Join('|', parts);
    }

    internal string FavouriteBrandsText(int u) => string.Join('|', Users.FavouriteBrands(u, Catalogue).Select(b => Catalogue.BrandNames[b]));

    /// <summary>Size, event mix and collaborative-filtering viability of the simulated log (see <see cref="CfDiagnostics"/>).</summary>
    public SimulationDiagnostics ComputeDiagnostics(IProgressReporter? progress = null)
    {
        int U = Users.Count;
        var o = Options;
        // Distinct sorted items per user.
        var distinct = new int[U][];
        Parallel.For(0, U, new ParallelOptions { MaxDegreeOfParallelism = o.Threads }, u =>
        {
            var span = Items.AsSpan(UserOffsets[u], UserOffsets[u + 1] - UserOffsets[u]).ToArray();
            Array.Sort(span);
            int len = 0;
            for (int k = 0; k < span.Length; k++) if (len == 0 || span[k] != span[len - 1]) span[len++] = span[k];
            distinct[u] = len == span.Length ? span : span[..len];
        });
        var rowPtr = new int[U + 1];
        for (int u = 0; u < U; u++) rowPtr[u + 1] = rowPtr[u] + distinct[u].Length;
        var cols = new int[rowPtr[U]];
        for (int u = 0; u < U; u++) distinct[u].CopyTo(cols, rowPtr[u]);
        var rowsPerUser = new int[U];
        for (int u = 0; u < U; u++) rowsPerUser[u] = UserOffsets[u + 1] - UserOffsets[u];
        var counts = new long[EventMix.EventNames.Count];
        foreach (var e in Events) counts[e]++;
        var events = EventMix.EventNames.Select((name, k) => new KeyValuePair<string, long>(name, counts[k])).ToList();
        return CfDiagnostics.Compute(U, Catalogue.Count, rowPtr, cols, Count, rowsPerUser, events,
            o.CoOccurrenceExactBudget, o.CoOccurrenceSampleItems, o.Seed, o.Threads, progress);
    }
}
