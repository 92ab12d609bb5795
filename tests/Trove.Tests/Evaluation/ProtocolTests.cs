using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Evaluation;
using Trove.Evaluation.Protocols;

namespace Trove.Tests.Evaluation;

public class ProtocolTests
{
    /// <summary>
    /// 60 users with 0..29 distinct items among 50, timestamps, and repeated pairs (the repeat comes
    /// much later than the first interaction, to catch splits that leak a pair through a repeat).
    /// </summary>
    private static Dataset Synthetic(bool timestamps = true)
    {
        var rng = new Random(7);
        var b = new InteractionLogBuilder();
        for (int u = 0; u < 60; u++)
        {
            int n = u % 30;
            var items = Enumerable.Range(0, 50).OrderBy(_ => rng.Next()).Take(n).ToArray();
            for (int j = 0; j < n; j++)
            {
                long t = timestamps ? 1_000_000 + rng.Next(100_000) : 0;
                b.Add(u, items[j], 1f, t);
                if (j % 4 == 0) b.Add(u, items[j], 1f, timestamps ? t + 500_000 : 0);
            }
        }
        return new Dataset(new IdMap(Enumerable.Range(0, 60).Select(u => $"u{u}")), new IdMap(Enumerable.Range(0, 50).Select(i => $"i{i}")), b.Build(), source: "synthetic");
    }

    private static HashSet<(int, int)> Pairs(InteractionLog log) => Enumerable.Range(0, log.Count).Select(r => (log.Users[r], log.Items[r])).ToHashSet();

    private static void AssertNoLeak(Dataset data, EvaluationSplit s, bool allRows = true)
    {
        var train = Pairs(s.Train.Interactions);
        var test = Pairs(s.TestInteractions!);
        var val = s.ValidationInteractions is null ? new HashSet<(int, int)>() : Pairs(s.ValidationInteractions);
        Assert.Empty(train.Intersect(test));
        Assert.Empty(train.Intersect(val));
        Assert.Empty(test.Intersect(val));
        // Every row ends up in exactly one part.
        if (allRows) Assert.Equal(data.Interactions.Count, s.Train.Interactions.Count + s.TestInteractions!.Count + (s.ValidationInteractions?.Count ?? 0));
        for (int c = 0; c < s.Test.Count; c++)
        {
            int u = s.Test.Users[c];
            var seen = s.Train.UserItems.RowIndices(u).ToArray();
            Assert.Empty(s.Test.Relevant[c].Intersect(seen));
            if (s.Test.IsSampled) continue;
            Assert.Subset(s.Test.Excluded![c].ToHashSet(), seen.ToHashSet()); // excluded covers at least train
            Assert.True(seen.All(i => s.Test.Excluded[c].Contains(i)));
        }
    }

    [Fact]
    public void HoldoutNeverLeaksAndHasTheRightSizes()
    {
        var data = Synthetic();
        var s = HoldoutProtocol.Split(data, 0.2, 0, seed: 1);
        AssertNoLeak(data, s);
        Assert.Equal("holdout", s.Protocol);
        var m = data.UserItems;
        var testByUser = s.Test.Users.Zip(s.Test.Relevant).ToDictionary(x => x.First, x => x.Second.Length);
        for (int u = 0; u < data.UserCount; u++)
        {
            int n = m.RowLength(u);
            if (n < 2) { Assert.False(testByUser.ContainsKey(u)); Assert.Equal(n, s.Train.UserItems.RowLength(u)); continue; }
            int expected = Math.Clamp((int)Math.Round(0.2 * n, MidpointRounding.AwayFromZero), 1, n - 1);
            Assert.Equal(expected, testByUser[u]);
            Assert.Equal(n - expected, s.Train.UserItems.RowLength(u));
        }
        Assert.Null(s.Validation);
    }

    [Fact]
    public void HoldoutIsAPureFunctionOfTheSeed()
    {
        var data = Synthetic();
        var a = HoldoutProtocol.Split(data, 0.2, 0, seed: 5);
        var b = HoldoutProtocol.Split(Synthetic(), 0.2, 0, seed: 5);
        var c = HoldoutProtocol.Split(data, 0.2, 0, seed: 6);
        Assert.Equal(a.Test.Users, b.Test.Users);
        Assert.Equal(a.Test.Relevant, b.Test.Relevant);
        Assert.Equal(a.Train.Interactions.Items, b.Train.Interactions.Items);
        Assert.NotEqual(a.Test.Relevant.SelectMany(r => r), c.Test.Relevant.SelectMany(r => r));
    }

    [Fact]
    public void HoldoutWithValidationGivesThreeDisjointParts()
    {
        var data = Synthetic();
        var s = HoldoutProtocol.Split(data, 0.1, 0.1, seed: 3);
        AssertNoLeak(data, s);
        Assert.NotNull(s.Validation);
        var val = Pairs(s.ValidationInteractions!);
        // Users with fewer than 3 items are not split; others give at least one item to each part.
        Assert.DoesNotContain(s.Test.Users, u => data.UserItems.RowLength(u) < 3);
        Assert.All(s.Validation!.Users, u => Assert.True(data.UserItems.RowLength(u) >= 3));
        // The test part also excludes the validation items from ranking.
        for (int c = 0; c < s.Test.Count; c++)
        {
            int u = s.Test.Users[c];
            foreach (var (vu, vi) in val.Where(p => p.Item1 == u)) Assert.Contains(vi, s.Test.Excluded![c]);
        }
        // A user with 20 items: 2 test, 2 validation, 16 train.
        int u20 = 20;
        Assert.Equal(20, data.UserItems.RowLength(u20));
        Assert.Equal(2, s.Test.Relevant[Array.IndexOf(s.Test.Users, u20)].Length);
        Assert.Equal(2, s.Validation.Relevant[Array.IndexOf(s.Validation.Users, u20)].Length);
        Assert.Equal(16, s.Train.UserItems.RowLength(u20));
    }

    [Fact]
    public void Fitting_with_validation_moves_validation_into_train_and_keeps_the_test_part()
    {
        var data = Synthetic();
        var s = HoldoutProtocol.Split(data, 0.1, 0.1, seed: 3);
        var refit = s.WithValidationInTrain();
        var train = Pairs(s.Train.Interactions); var val = Pairs(s.ValidationInteractions!);
        Assert.Equal(train.Union(val).OrderBy(p => p), Pairs(refit.Train.Interactions).OrderBy(p => p));
        Assert.Equal(s.Train.Interactions.Count + s.ValidationInteractions!.Count, refit.Train.Interactions.Count);
        Assert.Null(refit.Validation);
        // Same test users, same held-out items, same exclusions (train + validation items).
        Assert.Equal(s.Test.Users, refit.Test.Users);
        for (int c = 0; c < s.Test.Count; c++)
        {
            Assert.Equal(s.Test.Relevant[c], refit.Test.Relevant[c]);
            Assert.Equal(s.Test.Excluded![c], refit.Test.Excluded![c]);
        }
        var noValidation = HoldoutProtocol.Split(data, 0.2, 0, seed: 3);
        Assert.Contains("--validation-fraction", Assert.Throws<TroveException>(() => noValidation.WithValidationInTrain()).Message);
    }

    [Fact]
    public void BadFractionsAreClearErrors()
    {
        var data = Synthetic();
        Assert.Contains("test fraction", Assert.Throws<TroveException>(() => HoldoutProtocol.Split(data, 0)).Message);
        Assert.Contains("test fraction", Assert.Throws<TroveException>(() => HoldoutProtocol.Split(data, 1.5)).Message);
        Assert.Contains("validation fraction", Assert.Throws<TroveException>(() => HoldoutProtocol.Split(data, 0.5, 0.5)).Message);
    }

    [Fact]
    public void TemporalPerUserTakesTheLatestItems()
    {
        var data = Synthetic();
        var s = TemporalProtocol.PerUser(data, 0.2);
        AssertNoLeak(data, s);
        var log = data.Interactions;
        // First time of each (user, item) pair.
        var first = new Dictionary<(int, int), long>();
        for (int r = 0; r < log.Count; r++)
        {
            var key = (log.Users[r], log.Items[r]);
            first[key] = first.TryGetValue(key, out var t) ? Math.Min(t, log.Timestamps[r]) : log.Timestamps[r];
        }
        int users = 0;
        for (int c = 0; c < s.Test.Count; c++)
        {
            int u = s.Test.Users[c];
            long latestTrain = s.Train.UserItems.RowIndices(u).ToArray().Max(i => first[(u, i)]);
            long earliestTest = s.Test.Relevant[c].Min(i => first[(u, i)]);
            Assert.True(earliestTest >= latestTrain, $"user {u}: test item first seen at {earliestTest} before a train item at {latestTrain}");
            users++;
        }
        Assert.Equal(data.UserCount - 2 * 2, users); // users with 0 or 1 items (u0, u1, u30, u31) stay in train
    }

    [Fact]
    public void TemporalGlobalCutSplitsByTime()
    {
        var data = Synthetic();
        long cut = 1_050_000;
        var s = TemporalProtocol.GlobalCut(data, cut);
        AssertNoLeak(data, s, allRows: false);
        // Rows are either train (before the cut), test (pairs first seen after it) or dropped (late repeats).
        int repeats = Enumerable.Range(0, data.Interactions.Count).Count(r => data.Interactions.Timestamps[r] >= cut) - s.TestInteractions!.Count;
        Assert.True(repeats > 0);
        Assert.Equal(data.Interactions.Count, s.Train.Interactions.Count + s.TestInteractions.Count + repeats);
        Assert.All(s.Train.Interactions.Timestamps, t => Assert.True(t < cut));
        // A test pair may have a late repeat, but its first interaction is at or after the cut.
        var trainPairs = Pairs(s.Train.Interactions);
        var log = s.TestInteractions!;
        for (int r = 0; r < log.Count; r++) Assert.DoesNotContain((log.Users[r], log.Items[r]), trainPairs);
        Assert.Contains(log.Timestamps, t => t >= cut);

        var g = TemporalProtocol.GlobalFraction(data, 0.3);
        double share = (double)(data.Interactions.Count - g.Train.Interactions.Count) / data.Interactions.Count;
        Assert.InRange(share, 0.28, 0.32); // ~30% of rows are at or after the cut
    }

    [Fact]
    public void TemporalWithoutTimestampsIsAClearError()
    {
        var data = Synthetic(timestamps: false);
        var e = Assert.Throws<TroveException>(() => TemporalProtocol.PerUser(data));
        Assert.Contains("timestamps", e.Message);
        Assert.Contains("synthetic", e.Message);
        Assert.Throws<TroveException>(() => TemporalProtocol.GlobalFraction(data));
        Assert.Throws<TroveException>(() => TemporalProtocol.GlobalCut(data, 5));
    }

    [Fact]
    public void NcfFromDatasetHoldsOutTheLatestAndSamplesUnseenNegatives()
    {
        var data = Synthetic();
        var s = NcfProtocol.FromDataset(data, seed: 9, negatives: 10);
        AssertNoLeak(data, s);
        var log = data.Interactions;
        var all = data.UserItems;
        Assert.True(s.Test.IsSampled);
        for (int c = 0; c < s.Test.Count; c++)
        {
            int u = s.Test.Users[c];
            int held = Assert.Single(s.Test.Relevant[c]);
            long latest = Enumerable.Range(0, log.Count).Where(r => log.Users[r] == u).Max(r => log.Timestamps[r]);
            Assert.Contains(Enumerable.Range(0, log.Count), r => log.Users[r] == u && log.Items[r] == held && log.Timestamps[r] == latest);
            var negs = s.Test.Negatives![c];
            Assert.Equal(10, negs.Length);
            Assert.Equal(10, negs.Distinct().Count());
            Assert.All(negs, i => Assert.False(all.Contains(u, i)));
        }
        var again = NcfProtocol.FromDataset(Synthetic(), seed: 9, negatives: 10);
        Assert.Equal(s.Test.Negatives, again.Test.Negatives);
    }

    [Fact]
    public void NcfFromDataWithoutTimestampsHoldsOutARandomItemPerSeed()
    {
        var data = Synthetic(timestamps: false);
        var a = NcfProtocol.FromDataset(data, seed: 1, negatives: 5);
        var b = NcfProtocol.FromDataset(data, seed: 1, negatives: 5);
        var c = NcfProtocol.FromDataset(data, seed: 2, negatives: 5);
        AssertNoLeak(data, a);
        Assert.Equal(a.Test.Relevant, b.Test.Relevant);
        Assert.NotEqual(a.Test.Relevant.Select(r => r[0]), c.Test.Relevant.Select(r => r[0]));
        Assert.Contains("no timestamps", a.Description);
        // Not simply the last row of each user.
        var log = data.Interactions;
        int lastRowHeldOut = a.Test.Users.Select((u, k) => log.Items[Enumerable.Range(0, log.Count).Last(r => log.Users[r] == u)] == a.Test.Relevant[k][0]).Count(x => x);
        Assert.True(lastRowHeldOut < a.Test.Count / 2);
    }
}
