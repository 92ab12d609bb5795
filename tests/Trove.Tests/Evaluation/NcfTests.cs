using Trove.Core.Errors;
using Trove.Data.Readers;
using Trove.Evaluation;
using Trove.Evaluation.Protocols;
using Trove.Models;
using Trove.Tests.Support;

namespace Trove.Tests.Evaluation;

public class NcfTests
{
    private static string Ncf(string file) => Path.Combine(TestPaths.Dataset("ncf-ml-100k"), "ml-100k." + file);

    private static readonly Lazy<NcfSplit> Split = new(() => NcfSplitReader.Read(Ncf("train.rating"), Ncf("test.rating"), Ncf("test.negative")));

    [Fact]
    public void ReadsNcfMl100k()
    {
        var s = Split.Value;
        Assert.Equal(943, s.Train.UserCount);
        Assert.Equal(99057, s.Train.Interactions.Count);
        Assert.Equal(943, s.TestCount);
        Assert.All(s.Negatives, n => Assert.Equal(99, n.Length));
        Assert.Equal(0, s.DroppedNegatives);
        // Ids stay strings: the first line of the test file is "0 TAB 101".
        Assert.Equal("0", s.Train.Users[s.TestUsers[0]]);
        Assert.Equal("101", s.Train.Items[s.TestItems[0]]);
        Assert.Equal("1185", s.Train.Items[s.Negatives[0][0]]);
        Assert.True(s.Train.Interactions.HasTimestamps);
        // The held-out item is never a training item of its user, nor one of its negatives.
        for (int t = 0; t < s.TestCount; t++)
        {
            Assert.DoesNotContain(s.TestItems[t], s.Train.UserItems.RowIndices(s.TestUsers[t]).ToArray());
            Assert.DoesNotContain(s.TestItems[t], s.Negatives[t]);
        }
    }

    [Fact]
    public void PopularityOnNcfMl100kIsClearlyBetterThanRandom()
    {
        var split = NcfProtocol.FromNcfSplit(Split.Value, "ncf-ml-100k");
        var model = BuiltInAlgorithms.Registry.Create("popularity");
        model.Fit(split.Train, Trove.Core.Training.FitContext.Default);
        var r = Evaluator.Evaluate(model, split.Test);
        // Random ranking gives HR@10 = 0.10 and NDCG@10 ~ 0.045. Measured here (and checked with an
        // independent Python count): HR@10 0.3128, NDCG@10 0.1618 (ties against the held-out item).
        Assert.InRange(r["hr@10"], 0.30, 0.33);
        Assert.InRange(r["ndcg@10"], 0.15, 0.175);
        Assert.InRange(r["auc"], 0.72, 0.78);   // measured 0.7524
        Assert.True(r["hr@5"] < r["hr@10"] && r["hr@10"] < r["hr@20"]);
        Assert.Equal(943, r.Cases);
    }

    private static string Write(string dir, string name, string text)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void MalformedRatingNamesFileLineAndField()
    {
        var dir = TestPaths.NewTempDirectory();
        var train = Write(dir, "x.train.rating", "0\t1\t5\t100\n0\t2\tfive\t101\n");
        var test = Write(dir, "x.test.rating", "0\t3\t5\t102\n");
        var neg = Write(dir, "x.test.negative", "(0,3)\t4\t5\n");
        var e = Assert.Throws<DataFormatException>(() => NcfSplitReader.Read(train, test, neg));
        Assert.Equal(train, e.File);
        Assert.Equal(2, e.Line);
        Assert.Equal("rating", e.Field);
        Assert.Contains($"{train}:2", e.Message);
        Assert.Contains("rating", e.Message);
    }

    [Fact]
    public void MalformedNegativesNameFileLineAndField()
    {
        var dir = TestPaths.NewTempDirectory();
        var train = Write(dir, "x.train.rating", "0\t1\t5\t100\n1\t2\t5\t100\n");
        var test = Write(dir, "x.test.rating", "0\t3\t5\t102\n1\t4\t5\t102\n");
        var neg = Write(dir, "x.test.negative", "(0,3)\t4\t5\n0,4\t1\t5\n");
        var e = Assert.Throws<DataFormatException>(() => NcfSplitReader.Read(train, test, neg));
        Assert.Equal(neg, e.File);
        Assert.Equal(2, e.Line);
        Assert.Equal("pair", e.Field);

        var neg2 = Write(dir, "y.test.negative", "(0,3)\t4\t5\n(1,9)\t1\t5\n");
        e = Assert.Throws<DataFormatException>(() => NcfSplitReader.Read(train, test, neg2));
        Assert.Contains("not a pair of the test file", e.Message);

        var neg3 = Write(dir, "z.test.negative", "(0,3)\t4\t5\n");
        e = Assert.Throws<DataFormatException>(() => NcfSplitReader.Read(train, test, neg3));
        Assert.Contains("(1,4)", e.Message);
    }

    [Fact]
    public void TestUserMissingFromTrainIsAnError()
    {
        var dir = TestPaths.NewTempDirectory();
        var train = Write(dir, "x.train.rating", "0\t1\t5\t100\n");
        var test = Write(dir, "x.test.rating", "0\t3\t5\t102\n7\t3\t5\t102\n");
        var neg = Write(dir, "x.test.negative", "(0,3)\t4\n");
        var e = Assert.Throws<DataFormatException>(() => NcfSplitReader.Read(train, test, neg));
        Assert.Equal(2, e.Line);
        Assert.Equal("user", e.Field);
    }

    [Fact]
    public void MissingTrainFileIsNamed()
    {
        var missing = Path.Combine(TestPaths.Dataset("ncf-ml-1m"), "ml-1m.train.rating");
        var e = Assert.Throws<TroveException>(() => NcfSplitReader.Read(missing, Ncf("test.rating"), Ncf("test.negative")));
        Assert.Contains(missing, e.Message);
        Assert.Contains("training", e.Message);
    }

    [Fact]
    public void ReadsTheNcfMl1mTestFilesWithoutTrain()
    {
        var dir = TestPaths.Dataset("ncf-ml-1m");
        var s = NcfSplitReader.ReadTestOnly(Path.Combine(dir, "ml-1m.test.rating"), Path.Combine(dir, "ml-1m.test.negative"));
        Assert.Equal(6040, s.TestCount);
        Assert.Equal(6040, s.Train.UserCount);
        Assert.Equal(0, s.Train.Interactions.Count);
        // 156 lines of the upstream file list the held-out item among its own negatives: dropped, as in the paper's code.
        Assert.Equal(156, s.DroppedNegatives);
        Assert.Equal(6040 * 99 - 156, s.Negatives.Sum(n => n.Length));
        for (int t = 0; t < s.TestCount; t++) Assert.DoesNotContain(s.TestItems[t], s.Negatives[t]);
        Assert.Equal("25", s.Train.Items[s.TestItems[0]]);
        // Training on it is a clear error, not a crash.
        var model = BuiltInAlgorithms.Registry.Create("popularity");
        Assert.Contains("no interactions", Assert.Throws<TroveException>(() => model.Fit(s.Train, Trove.Core.Training.FitContext.Default)).Message);
    }

    [Fact]
    public void TestAndNegativeItemsMissingFromTrainGetIndices()
    {
        var dir = TestPaths.NewTempDirectory();
        var train = Write(dir, "x.train.rating", "a\tp\t5\t100\na\tq\t5\t101\n");
        var test = Write(dir, "x.test.rating", "a\tr\t5\t102\n");
        var neg = Write(dir, "x.test.negative", "(a,r)\ts\tp\tr\ts\t\n");
        var s = NcfSplitReader.Read(train, test, neg);
        Assert.Equal(4, s.Train.ItemCount); // p, q, then r and s
        Assert.Equal(2, s.Train.Interactions.Count);
        Assert.Equal("r", s.Train.Items[s.TestItems[0]]);
        Assert.Equal(["s", "p"], s.Negatives[0].Select(i => s.Train.Items[i])); // the held-out r and the repeated s are dropped
        Assert.Equal(2, s.DroppedNegatives);
    }
}
