using Trove.Data.Simulation;
using Trove.Tests.Support;

namespace Trove.Tests.Simulation;

public class DeterminismTests
{
    private static readonly SimulationOptions Small = new() { Users = 700, Items = 300, Seed = 11, NegativesPerUser = 5 };

    private static Dictionary<string, byte[]> WriteFiles(SimulationOptions options)
    {
        var dir = TestPaths.NewTempDirectory();
        SimulationCsv.WriteAll(InteractionSimulator.Simulate(options), dir);
        return Directory.GetFiles(dir).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
    }

    [Fact]
    public void Same_seed_gives_byte_identical_files_whatever_the_thread_count()
    {
        var one = WriteFiles(Small with { Threads = 1 });
        var four = WriteFiles(Small with { Threads = 4 });
        Assert.Equal(["interactions.csv", "items.csv", "negatives.csv", "users.csv"], one.Keys.Order());
        foreach (var (name, bytes) in one)
            Assert.True(bytes.AsSpan().SequenceEqual(four[name]), $"{name} differs between 1 and 4 threads");
    }

    [Fact]
    public void Different_seed_gives_different_data()
    {
        var a = WriteFiles(Small);
        var b = WriteFiles(Small with { Seed = 12 });
        Assert.False(a["interactions.csv"].AsSpan().SequenceEqual(b["interactions.csv"]));
        Assert.False(a["items.csv"].AsSpan().SequenceEqual(b["items.csv"]));
    }

    [Fact]
    public void A_user_does_not_depend_on_the_number_of_users()
    {
        // Each user's streams derive from (seed, user index): adding users keeps the first ones.
        var small = InteractionSimulator.Simulate(Small with { Users = 50, NegativesPerUser = 0 });
        var large = InteractionSimulator.Simulate(Small with { Users = 120, NegativesPerUser = 0 });
        for (int u = 0; u < 50; u++)
        {
            var rows = small.UserOffsets[u]..small.UserOffsets[u + 1];
            var rowsLarge = large.UserOffsets[u]..large.UserOffsets[u + 1];
            Assert.Equal(small.Items[rows], large.Items[rowsLarge]);
            Assert.Equal(small.Timestamps[rows], large.Timestamps[rowsLarge]);
        }
    }
}
