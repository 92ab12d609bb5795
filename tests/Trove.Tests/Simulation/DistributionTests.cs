using Trove.Data.Simulation;

namespace Trove.Tests.Simulation;

public class DistributionTests
{
    [Theory]
    [InlineData(5, 200, null)]
    [InlineData(15, 100, null)]
    [InlineData(3, 10, 8.0)]
    [InlineData(7, 7, null)]
    public void Interactions_per_user_stay_within_min_and_max(int min, int max, double? mean)
    {
        var result = InteractionSimulator.Simulate(new SimulationOptions { Users = 1500, Items = 400, MinInteractions = min, MaxInteractions = max, MeanInteractions = mean, Seed = 3 });
        var counts = Enumerable.Range(0, result.Users.Count).Select(u => result.UserOffsets[u + 1] - result.UserOffsets[u]).ToArray();
        Assert.All(counts, c => Assert.InRange(c, min, max));
        Assert.Equal(result.Users.Activity, counts);
        if (min < max) Assert.True(counts.Distinct().Count() > 3, "activity should vary between users");
    }

    [Fact]
    public void Activity_is_heavy_tailed_with_the_requested_mean()
    {
        var result = InteractionSimulator.Simulate(new SimulationOptions { Users = 6000, Items = 500, MinInteractions = 5, MaxInteractions = 200, MeanInteractions = 50, Seed = 5 });
        var counts = Enumerable.Range(0, result.Users.Count).Select(u => (double)(result.UserOffsets[u + 1] - result.UserOffsets[u])).Order().ToArray();
        double mean = counts.Average(), median = counts[counts.Length / 2];
        Assert.InRange(mean, 46, 54);
        Assert.True(median < mean * 0.85, $"median {median} should be well below the mean {mean} (right-skewed)");
        Assert.True(counts[^1] > 3 * median, "the most active users should be several times the median");
    }

    private static double TopDecileShare(double exponent)
    {
        var result = InteractionSimulator.Simulate(new SimulationOptions
        {
            Users = 1500, Items = 1000, Seed = 9, PopularityExponent = exponent, RecencyDecay = 0,
        });
        var perItem = new long[result.Catalogue.Count];
        foreach (var i in result.Items) perItem[i]++;
        var sorted = perItem.OrderDescending().ToArray();
        return (double)sorted.Take(sorted.Length / 10).Sum() / sorted.Sum();
    }

    [Fact]
    public void Popularity_follows_a_power_law_whose_concentration_grows_with_the_exponent()
    {
        double s0 = TopDecileShare(0), s05 = TopDecileShare(0.5), s1 = TopDecileShare(1.0), s15 = TopDecileShare(1.5);
        Assert.True(s1 > 0.3, $"top 10% of items hold {s1:P1} at exponent 1; uniform would be 10%");
        Assert.True(s0 < s05 && s05 < s1 && s1 < s15, $"top-decile share should grow with the exponent: {s0:P1}, {s05:P1}, {s1:P1}, {s15:P1}");
    }

    [Fact]
    public void Recently_released_items_are_more_likely_with_recency_decay()
    {
        double RecentShare(double decay)
        {
            var r = InteractionSimulator.Simulate(new SimulationOptions { Users = 1000, Items = 800, Seed = 4, RecencyDecay = decay, CatalogueYears = 4 });
            int endDay = (int)(new DateTimeOffset(r.Options.EndDate).ToUnixTimeSeconds() / 86400);
            return r.Items.Count(i => endDay - r.Catalogue.ReleaseDay[i] < 365) / (double)r.Count;
        }
        double none = RecentShare(0), strong = RecentShare(2);
        Assert.True(strong > none + 0.1, $"share of interactions on items released in the last year: decay 0 {none:P1}, decay 2 {strong:P1}");
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.8)]
    public void Share_of_interactions_in_favourite_categories_matches_the_taste_share(double taste)
    {
        var result = InteractionSimulator.Simulate(new SimulationOptions { Users = 2000, Items = 2000, Categories = 20, Seed = 21, TasteShare = taste });
        long inFavourite = 0;
        for (int u = 0; u < result.Users.Count; u++)
        {
            var fav = result.Users.FavouriteCategories(u).ToArray();
            Assert.InRange(fav.Length, 1, 3);
            Assert.InRange(result.Users.FavouriteBrands(u, result.Catalogue).Length, 1, 2);
            for (int r = result.UserOffsets[u]; r < result.UserOffsets[u + 1]; r++)
                if (fav.Contains(result.Catalogue.Category[result.Items[r]])) inFavourite++;
        }
        double share = (double)inFavourite / result.Count;
        Assert.InRange(share, taste - 0.015, taste + 0.015);
    }

    [Fact]
    public void Favourite_brands_belong_to_favourite_categories_and_attract_interactions()
    {
        var result = InteractionSimulator.Simulate(new SimulationOptions { Users = 800, Items = 1500, Seed = 8, BrandShare = 0.5 });
        long brandRows = 0;
        for (int u = 0; u < result.Users.Count; u++)
        {
            var brands = result.Users.FavouriteBrands(u, result.Catalogue);
            for (int r = result.UserOffsets[u]; r < result.UserOffsets[u + 1]; r++)
                if (brands.Contains(result.Catalogue.Brand[result.Items[r]])) brandRows++;
        }
        // 75% taste x 50% brand = at least 37.5% of rows from a favourite brand (50 brands: ~2-4% by chance).
        Assert.True((double)brandRows / result.Count > 0.3, $"favourite-brand share {(double)brandRows / result.Count:P1}");
    }

    [Theory]
    [InlineData(90)]
    [InlineData(1)]   // a one-day window clamps many follow-up events to the end: order must still hold
    public void Purchases_follow_views_of_the_same_item_and_the_event_mix_matches(int days)
    {
        var result = InteractionSimulator.Simulate(new SimulationOptions { Users = 1500, Items = 600, Seed = 2, Days = days });
        var counts = new long[4];
        for (int u = 0; u < result.Users.Count; u++)
        {
            int a = result.UserOffsets[u], b = result.UserOffsets[u + 1];
            var rated = new HashSet<int>();
            for (int r = a; r < b; r++)
            {
                var e = (SimulatedEvent)result.Events[r];
                counts[(int)e]++;
                if (r > a) Assert.True(result.Timestamps[r] >= result.Timestamps[r - 1], "rows are chronological within a user");
                if (e is SimulatedEvent.Purchase or SimulatedEvent.AddToCart or SimulatedEvent.Rating)
                {
                    bool viewedBefore = false;
                    for (int p = a; p < r; p++)
                        if (result.Items[p] == result.Items[r] && result.Events[p] == (byte)SimulatedEvent.View && result.Timestamps[p] <= result.Timestamps[r]) viewedBefore = true;
                    Assert.True(viewedBefore, $"user {u} row {r}: {e} of item {result.Items[r]} without an earlier view");
                }
                if (e == SimulatedEvent.Rating)
                {
                    // With the default mix every rating follows a purchase of the same item.
                    bool purchasedBefore = false;
                    for (int p = a; p < r; p++)
                        if (result.Items[p] == result.Items[r] && result.Events[p] == (byte)SimulatedEvent.Purchase) purchasedBefore = true;
                    Assert.True(purchasedBefore, $"user {u} row {r}: rating without an earlier purchase");
                    Assert.True(rated.Add(result.Items[r]), $"user {u} rated item {result.Items[r]} twice");
                    Assert.InRange(result.Scores[r], (byte)1, (byte)5);
                }
                else Assert.Equal(0, result.Scores[r]);
            }
        }
        double total = counts.Sum();
        Assert.InRange(counts[0] / total, 0.57, 0.63);
        Assert.InRange(counts[1] / total, 0.18, 0.22);
        Assert.InRange(counts[2] / total, 0.13, 0.17);
        Assert.InRange(counts[3] / total, 0.035, 0.065);
    }

    [Fact]
    public void Rating_scores_follow_the_items_rating()
    {
        var result = InteractionSimulator.Simulate(new SimulationOptions { Users = 3000, Items = 500, Seed = 6 });
        var high = new List<int>(); var low = new List<int>();
        for (int r = 0; r < result.Count; r++)
        {
            if (result.Events[r] != (byte)SimulatedEvent.Rating) continue;
            double itemRating = result.Catalogue.Rating(result.Items[r]);
            if (itemRating >= 4.3) high.Add(result.Scores[r]);
            else if (itemRating <= 3.5) low.Add(result.Scores[r]);
        }
        Assert.True(high.Count > 50 && low.Count > 50);
        Assert.True(high.Average() > low.Average() + 0.5, $"scores for high-rated items {high.Average():F2}, low-rated {low.Average():F2}");
    }

    [Fact]
    public void Timestamps_lie_in_the_window_and_after_the_item_release()
    {
        var end = new DateTime(2024, 6, 30, 0, 0, 0, DateTimeKind.Utc);
        var result = InteractionSimulator.Simulate(new SimulationOptions { Users = 500, Items = 300, Seed = 1, Days = 30, EndDate = end });
        long endUnix = new DateTimeOffset(end).ToUnixTimeSeconds(), startUnix = endUnix - 30 * 86400L;
        for (int r = 0; r < result.Count; r++)
        {
            Assert.InRange(result.Timestamps[r], startUnix, endUnix);
            Assert.True(result.Timestamps[r] >= result.Catalogue.ReleaseDay[result.Items[r]] * 86400L);
        }
    }

    [Fact]
    public void Activity_follows_a_daily_cycle_and_clusters_in_sessions()
    {
        var o = new SimulationOptions { Users = 800, Items = 400, Seed = 12 };
        var r = InteractionSimulator.Simulate(o);
        int Hour(long t) => (int)(t % 86400 / 3600);
        long evening = r.Timestamps.Count(t => Hour(t) is >= 18 and < 22), night = r.Timestamps.Count(t => Hour(t) is >= 2 and < 6);
        Assert.True(evening > 4 * night, $"evening {evening} vs night {night}");

        double MedianGap(SimulationResult x)
        {
            var gaps = new List<long>();
            for (int u = 0; u < x.Users.Count; u++)
                for (int k = x.UserOffsets[u] + 1; k < x.UserOffsets[u + 1]; k++)
                    if (x.Events[k] == (byte)SimulatedEvent.View) gaps.Add(x.Timestamps[k] - x.Timestamps[k - 1]);
            gaps.Sort();
            return gaps[gaps.Count / 2];
        }
        var uniform = InteractionSimulator.Simulate(o with { EventsPerSession = 0, DailyCycle = false });
        Assert.True(MedianGap(r) * 10 < MedianGap(uniform), $"median gap before a view: sessions {MedianGap(r)} s, uniform {MedianGap(uniform)} s");
        long flatEvening = uniform.Timestamps.Count(t => Hour(t) is >= 18 and < 22), flatNight = uniform.Timestamps.Count(t => Hour(t) is >= 2 and < 6);
        Assert.InRange((double)flatEvening / flatNight, 0.8, 1.25);
    }

    [Theory]
    [InlineData("view=0.5,add_to_cart=0.1,purchase=0.05,rating=0.35")]
    [InlineData("view=0.7,add_to_cart=0.3,purchase=0,rating=0")]
    [InlineData("view=1,add_to_cart=0,purchase=0,rating=0")]
    public void A_custom_event_mix_is_reproduced(string spec)
    {
        var mix = EventMix.Parse(spec);
        var r = InteractionSimulator.Simulate(new SimulationOptions { Users = 1500, Items = 800, Seed = 3, EventMix = mix });
        var counts = new double[4];
        foreach (var e in r.Events) counts[e]++;
        double sum = mix.View + mix.AddToCart + mix.Purchase + mix.Rating;
        double[] target = [mix.View / sum, mix.AddToCart / sum, mix.Purchase / sum, mix.Rating / sum];
        for (int k = 0; k < 4; k++) Assert.InRange(counts[k] / r.Count, target[k] - 0.02, target[k] + 0.02);
    }

    [Fact]
    public void Favourite_categories_spread_over_the_catalogue_even_with_steep_popularity()
    {
        var r = InteractionSimulator.Simulate(new SimulationOptions { Users = 2000, Items = 1000, Categories = 10, PopularityExponent = 2.5, Seed = 5 });
        var perCategory = new int[10];
        for (int u = 0; u < r.Users.Count; u++) foreach (var c in r.Users.FavouriteCategories(u)) perCategory[c]++;
        int users = r.Users.Count;
        Assert.All(perCategory, n => Assert.InRange((double)n / users, 0.03, 0.5));
    }

    [Fact]
    public void Revisits_repeat_views_of_items_already_seen()
    {
        int Repeats(double share)
        {
            var r = InteractionSimulator.Simulate(new SimulationOptions { Users = 500, Items = 2000, Seed = 2, RevisitShare = share });
            int repeats = 0;
            for (int u = 0; u < r.Users.Count; u++)
            {
                var viewed = new HashSet<int>();
                for (int k = r.UserOffsets[u]; k < r.UserOffsets[u + 1]; k++)
                    if (r.Events[k] == (byte)SimulatedEvent.View && !viewed.Add(r.Items[k])) repeats++;
            }
            return repeats;
        }
        int none = Repeats(0), some = Repeats(0.2);
        Assert.True(some > 1000, $"{some} repeat views with revisit share 0.2");
        Assert.True(none * 20 < some, $"{none} repeat views without revisits (only when a user exhausts a category)");
    }
}
