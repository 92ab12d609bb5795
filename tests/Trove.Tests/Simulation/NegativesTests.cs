using Trove.Data.Simulation;
using Trove.Tests.Support;

namespace Trove.Tests.Simulation;

public class NegativesTests
{
    [Theory]
    [InlineData(1000, 400, 20)]
    [InlineData(200, 30, 25)]   // small catalogue: heavy users have touched most items
    public void Negatives_never_contain_an_item_the_user_interacted_with(int users, int items, int perUser)
    {
        var result = InteractionSimulator.Simulate(new SimulationOptions { Users = users, Items = items, Seed = 17, NegativesPerUser = perUser, MinInteractions = 5, MaxInteractions = 60 });
        for (int u = 0; u < users; u++)
        {
            var own = result.Items[result.UserOffsets[u]..result.UserOffsets[u + 1]].ToHashSet();
            var neg = result.NegativeItems[result.NegativeOffsets[u]..result.NegativeOffsets[u + 1]];
            Assert.DoesNotContain(neg, own.Contains);
            Assert.Equal(neg.Length, neg.Distinct().Count());
            Assert.Equal(Math.Min(perUser, items - own.Count), neg.Length);
        }
    }

    [Fact]
    public void Negatives_lean_to_popular_and_favourite_category_items()
    {
        var result = InteractionSimulator.Simulate(new SimulationOptions { Users = 1000, Items = 2000, Seed = 3, NegativesPerUser = 20, Categories = 10 });
        long inFav = 0, total = 0, topRank = 0;
        for (int u = 0; u < result.Users.Count; u++)
        {
            var fav = result.Users.FavouriteCategories(u).ToArray();
            for (int k = result.NegativeOffsets[u]; k < result.NegativeOffsets[u + 1]; k++)
            {
                int item = result.NegativeItems[k];
                total++;
                if (fav.Contains(result.Catalogue.Category[item])) inFav++;
                if (result.Catalogue.PopularityRank[item] < 200) topRank++;
            }
        }
        Assert.True((double)inFav / total > 0.4, $"share of negatives in favourite categories {(double)inFav / total:P1}");
        Assert.True((double)topRank / total > 0.2, $"share of negatives among the 10% most popular items {(double)topRank / total:P1}");
    }

    [Fact]
    public void Negatives_csv_has_label_zero_and_no_own_items()
    {
        var dir = TestPaths.NewTempDirectory();
        var result = InteractionSimulator.Simulate(new SimulationOptions { Users = 100, Items = 80, Seed = 5, NegativesPerUser = 10 });
        SimulationCsv.WriteAll(result, dir);
        var positives = File.ReadLines(Path.Combine(dir, "interactions.csv")).Skip(1).Select(l => l.Split(',')).Select(f => (f[0], f[1])).ToHashSet();
        var lines = File.ReadAllLines(Path.Combine(dir, "negatives.csv"));
        Assert.Equal("user,item,label", lines[0]);
        Assert.Equal(result.NegativeItems.Length, lines.Length - 1);
        foreach (var line in lines.Skip(1))
        {
            var f = line.Split(',');
            Assert.Equal(3, f.Length);
            Assert.Equal("0", f[2]);
            Assert.DoesNotContain((f[0], f[1]), positives);
        }
    }

    [Fact]
    public void No_negatives_file_without_the_option()
    {
        var dir = TestPaths.NewTempDirectory();
        SimulationCsv.WriteAll(InteractionSimulator.Simulate(new SimulationOptions { Users = 20, Items = 20 }), dir);
        Assert.False(File.Exists(Path.Combine(dir, "negatives.csv")));
    }

    [Fact]
    public void Negatives_do_not_change_the_interactions()
    {
        var without = InteractionSimulator.Simulate(new SimulationOptions { Users = 300, Items = 200, Seed = 2 });
        var with = InteractionSimulator.Simulate(new SimulationOptions { Users = 300, Items = 200, Seed = 2, NegativesPerUser = 15 });
        Assert.Equal(without.Items, with.Items);
        Assert.Equal(without.Timestamps, with.Timestamps);
    }
}
