using System.Text;
using Trove.Core.Data;
using Trove.Core.Training;
using Trove.Data.Readers;
using Trove.Data.Stats;
using Trove.Data.Stores;
using Trove.Tests.Support;

namespace Trove.Tests.Data;

public class StatsAndProgressTests
{
    [Fact]
    public void Stats_give_counts_density_quantiles_event_mix_and_time_range()
    {
        var path = CsvTestFiles.Write(
            "user,item,event,timestamp\n" +
            "a,x,view,100\na,y,view,200\na,z,purchase,300\na,x,view,400\n" +   // a: 4 rows, 3 distinct items
            "b,x,view,\nc,y,purchase,50\n");
        var stats = DatasetStats.Compute(InteractionCsvReader.Read(path));
        Assert.Equal((3, 3, 6L, 5L), (stats.Users, stats.Items, stats.Interactions, stats.Pairs));
        Assert.Equal(5.0 / 9, stats.Density, 12);
        // per user counts 4, 1, 1 -> min 1, median 1, max 4, mean 2; p75 = 1 + 0.5 x 3 = 2.5 (linear interpolation)
        Assert.Equal((1.0, 1.0, 2.5, 4.0, 2.0), (stats.PerUser.Min, stats.PerUser.Median, stats.PerUser.P75, stats.PerUser.Max, stats.PerUser.Mean));
        // per item counts x 3, y 2, z 1
        Assert.Equal((1.0, 2.0, 3.0), (stats.PerItem.Min, stats.PerItem.Median, stats.PerItem.Max));
        Assert.Equal("view", stats.Events[0].Event);
        Assert.Equal(4, stats.Events[0].Count);
        Assert.Equal(4.0 / 6, stats.Events[0].Share, 12);
        Assert.Equal(2, stats.Events[1].Count);
        Assert.NotNull(stats.Time);
        Assert.Equal((50L, 400L, 5L), (stats.Time!.FirstUnix, stats.Time.LastUnix, stats.Time.RowsWithTimestamp));
        Assert.Contains("\"per_user\"", stats.ToJson());
        Assert.Contains("purchase", stats.ToText());
    }

    [Fact]
    public void Stats_without_timestamps_have_no_time_range()
    {
        var stats = DatasetStats.Compute(InteractionCsvReader.Read(CsvTestFiles.Write("user,item\na,x\n")));
        Assert.Null(stats.Time);
        Assert.Empty(stats.Events);
        Assert.DoesNotContain("\"time\"", stats.ToJson());
    }

    private sealed class Recorder : IProgressReporter
    {
        public readonly List<(string Name, long Total, long Done)> Tasks = new();
        public readonly List<string> Messages = new();
        public IProgressTask Start(string description, long total) { var t = new Task(this, Tasks.Count); Tasks.Add((description, total, 0)); return t; }
        public void Info(string message) => Messages.Add(message);
        private sealed class Task(Recorder owner, int at) : IProgressTask
        {
            public void Advance(long amount = 1) { var t = owner.Tasks[at]; owner.Tasks[at] = t with { Done = t.Done + amount }; }
            public void Status(string status) { }
            public void Dispose() { }
        }
    }

    [Fact]
    public void Large_files_report_read_progress_up_to_their_size()
    {
        var dir = TestPaths.NewTempDirectory();
        var path = Path.Combine(dir, "large.csv");
        var sb = new StringBuilder("user,item,score,timestamp,event\n");
        int rows = 0;
        while (sb.Length < ProgressExtensions.MinBytes + 100_000) { sb.Append("user-").Append(rows % 5000).Append(",item-").Append(rows % 777).Append(",1,1700000000,view\n"); rows++; }
        File.WriteAllText(path, sb.ToString());
        long size = new FileInfo(path).Length;

        var progress = new Recorder();
        using var store = SqliteStore.Open(Path.Combine(dir, "t.db"));
        var result = DataImporter.Import(store, path, progress: progress);
        Assert.Equal(rows, result.Interactions);
        var read = Assert.Single(progress.Tasks);
        Assert.Equal("read large.csv", read.Name);
        Assert.Equal(size, read.Total);
        Assert.Equal(size, read.Done);

        // Small files stay quiet.
        var quiet = new Recorder();
        InteractionCsvReader.Read(CsvTestFiles.Write("user,item\na,b\n"), progress: quiet);
        Assert.Empty(quiet.Tasks);
    }
}
