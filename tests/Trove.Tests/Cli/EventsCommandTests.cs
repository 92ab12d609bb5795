using Trove.Cli.Commands;
using Trove.Data.Readers;
using Trove.Tests.Support;

namespace Trove.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public class EventsCommandTests
{
    /// <summary>8 users with 1-6 items each (some pairs repeated) from 20 item ids, as interactions.csv.</summary>
    private static string Csv(string dir)
    {
        var lines = new List<string> { "user,item,event,timestamp" };
        for (int u = 0; u < 8; u++)
            for (int k = 0; k <= u % 6; k++)
                lines.Add($"u{u},i{(u * 3 + k * 5) % 20},{(k % 2 == 0 ? "view" : "purchase")},{1_700_000_000 + u * 100 + k}");
        lines.Add("u0,i0,purchase,1700000500"); // u0 viewed then bought i0: one positive pair
        var path = Path.Combine(dir, "interactions.csv");
        File.WriteAllLines(path, lines);
        return path;
    }

    private static List<string[]> Rows(string path) => File.ReadAllLines(path).Skip(1).Select(l => l.Split(',')).ToList();

    [Fact]
    public void Positives_are_the_interacted_pairs_and_negatives_never_leak()
    {
        var dir = TestPaths.NewTempDirectory();
        var csv = Csv(dir);
        var data = DatasetLoader.Load(csv, new LoadOptions());
        foreach (var strategy in new[] { "uniform", "popularity" })
        {
            var output = Path.Combine(dir, $"events-{strategy}.csv");
            Assert.Equal(0, Trove.Cli.Program.Main(["events", "--data", csv, "--negatives-per-user", "4", "--strategy", strategy, "--out", output]));
            Assert.Equal("user,item,label", File.ReadLines(output).First());
            var rows = Rows(output);
            var interacted = File.ReadAllLines(csv).Skip(1).Select(l => l.Split(',')).Select(p => (p[0], p[1])).ToHashSet();
            var positives = rows.Where(r => r[2] == "1").Select(r => (r[0], r[1])).ToList();
            // Every distinct interacted pair once, labelled 1.
            Assert.Equal(interacted.Count, positives.Count);
            Assert.Equal(interacted, positives.ToHashSet());
            // Negatives: exactly 4 per user, never one of the user's items.
            var negatives = rows.Where(r => r[2] == "0").ToList();
            Assert.All(rows, r => Assert.Contains(r[2], new[] { "0", "1" }));
            Assert.Equal(data.UserCount * 4, negatives.Count);
            for (int u = 0; u < data.UserCount; u++) Assert.Equal(4, negatives.Count(r => r[0] == data.Users[u]));
            Assert.DoesNotContain(negatives, r => interacted.Contains((r[0], r[1])));
        }
    }

    [Fact]
    public void The_same_seed_gives_the_same_file_and_another_seed_another()
    {
        var dir = TestPaths.NewTempDirectory();
        var csv = Csv(dir);
        string Run(int seed, string name)
        {
            var output = Path.Combine(dir, name);
            Assert.Equal(0, Trove.Cli.Program.Main(["events", "--data", csv, "-n", "5", "--seed", seed.ToString(), "--out", output]));
            return File.ReadAllText(output);
        }
        var a = Run(7, "a.csv");
        Assert.Equal(a, Run(7, "b.csv"));
        Assert.NotEqual(a, Run(8, "c.csv"));
    }

    [Fact]
    public void Details_add_weight_event_and_timestamp_to_positives()
    {
        var dir = TestPaths.NewTempDirectory();
        var data = DatasetLoader.Load(Csv(dir), new LoadOptions());
        var output = Path.Combine(dir, "sub", "events.csv");
        var text = new StringWriter();
        Assert.Equal(0, EventsCommand.Run(data, new EventsCommand.Settings { NegativesPerUser = 2, Details = true, Output = output }, text));
        Assert.Contains("wrote", text.ToString());
        var lines = File.ReadAllLines(output);
        Assert.Equal("user,item,label,weight,event,timestamp", lines[0]);
        // u0 viewed (0.1) then purchased (0.6) i0: summed weight, strongest event, latest time.
        var u0i0 = lines.Single(l => l.StartsWith("u0,i0,1,"));
        var parts = u0i0.Split(',');
        Assert.Equal(0.7, double.Parse(parts[3], System.Globalization.CultureInfo.InvariantCulture), 5);
        Assert.Equal("purchase", parts[4]);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000500).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture), parts[5]);
        Assert.All(lines.Skip(1).Where(l => l.Split(',')[2] == "0"), l => Assert.EndsWith(",0,,,", l));
        // No temporary files left next to the output (atomic write).
        Assert.Equal(["events.csv"], Directory.GetFiles(Path.Combine(dir, "sub")).Select(Path.GetFileName));
    }

    [Fact]
    public void Zero_negatives_writes_only_positives()
    {
        var dir = TestPaths.NewTempDirectory();
        var data = DatasetLoader.Load(Csv(dir), new LoadOptions());
        var samples = EventsCommand.Generate(data, new EventsCommand.Settings { NegativesPerUser = 0, Output = "unused" });
        Assert.Equal(samples.Count, samples.Positives);
    }

    [Theory]
    [InlineData("--negatives-per-user", "-1")]
    [InlineData("--negatives-per-user", "three")]
    [InlineData("--negatives-per-user", "2", "--strategy", "random")]
    [InlineData("--negatives-per-user", "2", "--no-data")]
    [InlineData("--negatives-per-user", "2", "--missing-data")]
    [InlineData("--no-out")]
    public void Bad_arguments_exit_with_code_2(params string[] extra)
    {
        var dir = TestPaths.NewTempDirectory();
        var csv = Csv(dir);
        var args = new List<string> { "events" };
        if (!extra.Contains("--no-data")) args.AddRange(["--data", extra.Contains("--missing-data") ? Path.Combine(dir, "nope.csv") : csv]);
        if (!extra.Contains("--no-out")) args.AddRange(["--out", Path.Combine(dir, "events.csv")]);
        args.AddRange(extra.Where(e => e is not ("--no-data" or "--missing-data" or "--no-out")));
        Assert.Equal(2, Trove.Cli.Program.Main(args.ToArray()));
        Assert.False(File.Exists(Path.Combine(dir, "events.csv")));
    }
}
