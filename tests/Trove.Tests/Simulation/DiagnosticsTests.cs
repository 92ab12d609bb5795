using Trove.Core.Data;
using Trove.Data.Simulation;

namespace Trove.Tests.Simulation;

public class DiagnosticsTests
{
    private sealed record Brute(long Pairs, double Items2, double Items3, double Sharing, double CoDensity, long[] Events);

    private static Brute BruteForce(SimulationResult r)
    {
        int U = r.Users.Count, I = r.Catalogue.Count;
        var userItems = new HashSet<int>[U];
        for (int u = 0; u < U; u++) userItems[u] = r.Items[r.UserOffsets[u]..r.UserOffsets[u + 1]].ToHashSet();
        var itemUsers = Enumerable.Range(0, I).Select(i => Enumerable.Range(0, U).Where(u => userItems[u].Contains(i)).ToHashSet()).ToArray();
        long pairs = userItems.Sum(s => (long)s.Count);
        double items2 = itemUsers.Count(s => s.Count >= 2) / (double)I;
        double items3 = itemUsers.Count(s => s.Count >= 3) / (double)I;
        int sharing = 0;
        for (int u = 0; u < U; u++)
        {
            bool shares = false;
            for (int v = 0; v < U && !shares; v++) if (v != u && userItems[u].Overlaps(userItems[v])) shares = true;
            if (shares) sharing++;
        }
        long coPairs = 0;
        for (int i = 0; i < I; i++)
            for (int j = i + 1; j < I; j++)
                if (itemUsers[i].Overlaps(itemUsers[j])) coPairs++;
        var events = new long[4];
        foreach (var e in r.Events) events[e]++;
        return new Brute(pairs, items2, items3, (double)sharing / U, coPairs / (I * (I - 1) / 2.0), events);
    }

    [Theory]
    [InlineData(60, 40, 2, 3)]      // dense: most items shared
    [InlineData(40, 300, 1, 6)]     // sparse: many items without users, some users alone
    public void Diagnostics_match_a_brute_force_computation(int users, int items, int min, int max)
    {
        var r = InteractionSimulator.Simulate(new SimulationOptions { Users = users, Items = items, Seed = 13, MinInteractions = min, MaxInteractions = max, PopularityExponent = 0.3 });
        var d = r.ComputeDiagnostics();
        var b = BruteForce(r);
        Assert.Equal(users, d.Users);
        Assert.Equal(items, d.Items);
        Assert.Equal(r.Count, d.Interactions);
        Assert.Equal(b.Pairs, d.DistinctPairs);
        Assert.Equal(b.Pairs / ((double)users * items), d.Density, 12);
        Assert.Equal(b.Items2, d.ItemsWith2PlusUsers, 12);
        Assert.Equal(b.Items3, d.ItemsWith3PlusUsers, 12);
        Assert.Equal(b.Sharing, d.UsersSharingAnItem, 12);
        Assert.True(d.CoOccurrenceExact);
        Assert.Equal(b.CoDensity, d.CoOccurrenceDensity, 12);
        Assert.Equal(b.Events, d.EventCounts.Select(kv => kv.Value));
        Assert.Equal(EventMix.EventNames, d.EventCounts.Select(kv => kv.Key));
        Assert.Equal(r.Count / (double)users, d.MeanInteractionsPerUser, 12);
    }

    [Fact]
    public void The_sampled_co_occurrence_estimate_is_close_to_the_exact_value()
    {
        var options = new SimulationOptions { Users = 400, Items = 500, Seed = 4, MinInteractions = 3, MaxInteractions = 40 };
        var exact = InteractionSimulator.Simulate(options).ComputeDiagnostics();
        var sampled = InteractionSimulator.Simulate(options with { CoOccurrenceExactBudget = 0, CoOccurrenceSampleItems = 150 }).ComputeDiagnostics();
        Assert.True(exact.CoOccurrenceExact);
        Assert.False(sampled.CoOccurrenceExact);
        Assert.Equal(150, sampled.CoOccurrenceSampledItems);
        Assert.True(sampled.CoOccurrenceStandardError > 0);
        Assert.InRange(sampled.CoOccurrenceDensity, exact.CoOccurrenceDensity - 5 * sampled.CoOccurrenceStandardError - 0.005,
            exact.CoOccurrenceDensity + 5 * sampled.CoOccurrenceStandardError + 0.005);
        Assert.Equal(exact.ItemsWith2PlusUsers, sampled.ItemsWith2PlusUsers);
    }

    [Fact]
    public void Diagnostics_of_the_dataset_equal_those_of_the_simulation()
    {
        var r = InteractionSimulator.Simulate(new SimulationOptions { Users = 300, Items = 200, Seed = 8 });
        var fromResult = r.ComputeDiagnostics();
        var fromDataset = CfDiagnostics.Compute(r.ToDataset());
        Assert.Equal(fromResult with { EventCounts = [] }, fromDataset with { EventCounts = [] });
        Assert.Equal(fromResult.EventCounts, fromDataset.EventCounts);
    }

    [Fact]
    public void Diagnostics_work_on_a_hand_made_dataset()
    {
        // u0: a b, u1: b c, u2: d  -> items with 2+ users: b; sharing users: u0 u1; co-occurring pairs: ab, bc of 6.
        var b = new InteractionLogBuilder();
        short view = b.EventIndex("view");
        b.Add(0, 0, 1, 0, view); b.Add(0, 1, 1, 0, view); b.Add(1, 1, 1, 0, view); b.Add(1, 2, 1, 0, view); b.Add(2, 3, 1, 0, view);
        var data = new Dataset(new IdMap(["u0", "u1", "u2"]), new IdMap(["a", "b", "c", "d"]), b.Build());
        var d = CfDiagnostics.Compute(data);
        Assert.Equal(0.25, d.ItemsWith2PlusUsers);
        Assert.Equal(0, d.ItemsWith3PlusUsers);
        Assert.Equal(2 / 3.0, d.UsersSharingAnItem, 12);
        Assert.Equal(2 / 6.0, d.CoOccurrenceDensity, 12);
        Assert.Equal(5, d.DistinctPairs);
        Assert.Contains("item-item co-occurrence density", d.Format());
    }

    [Fact]
    public void Default_simulation_is_viable_for_collaborative_filtering()
    {
        var d = InteractionSimulator.Simulate(new SimulationOptions { Users = 2000, Items = 1000, Seed = 1 }).ComputeDiagnostics();
        Assert.True(d.ItemsWith2PlusUsers > 0.9);
        Assert.True(d.UsersSharingAnItem > 0.99);
        Assert.True(d.CoOccurrenceDensity > 0.1);
    }
}
