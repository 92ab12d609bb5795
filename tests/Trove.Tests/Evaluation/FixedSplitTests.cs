using Trove.Core.Errors;
using Trove.Data.Readers;
using Trove.Evaluation;
using Trove.Evaluation.Protocols;
using Trove.Models;
using Trove.Tests.Support;

namespace Trove.Tests.Evaluation;

public class FixedSplitTests
{
    private static string Write(string dir, string name, string text)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    // Train popularity: item 10 x4, 11 x3, 12 x1, 13 x0 (13 occurs only in test). User 9 has no training rows.
    private const string TinyTrain = "0 10 11\n1 10 11\n2 10 11 12\n3 10\n";
    private const string TinyTest = "0 12\n1 13\n2 13\n3 11 12\n9 10\n";

    [Fact]
    public void TinyFixtureHasKnownHitRateAndRecall()
    {
        var dir = TestPaths.NewTempDirectory();
        var split = FixedProtocol.FromFiles(Write(dir, "train.txt", TinyTrain), Write(dir, "test.txt", TinyTest));
        Assert.Equal("fixed", split.Protocol);
        Assert.Equal(4, split.Train.ItemCount);             // 13 joins the catalogue from the test file
        Assert.Equal(8, split.Train.Interactions.Count);
        Assert.Equal(4, split.Test.Count);                   // user 9 skipped
        Assert.Equal(5, split.Test.RelevantCount);
        Assert.Contains("1 test users (1 interactions) without training rows skipped", split.Description);

        var model = BuiltInAlgorithms.Registry.Create("popularity");
        model.Fit(split.Train, Trove.Core.Training.FitContext.Default);
        var r = Evaluator.Evaluate(model, split.Test, new EvaluationOptions { Ks = [1, 2] });
        // Candidates exclude each user's training items. Ranks of the held-out items:
        // user 0: {12,13} -> 12 at 1; user 1: {12,13} -> 13 at 2; user 2: {13} -> 13 at 1; user 3: {11,12,13} -> 11 at 1, 12 at 2.
        Assert.Equal(0.75, r["hr@1"], 10);
        Assert.Equal(1.0, r["hr@2"], 10);
        Assert.Equal((1 + 0 + 1 + 0.5) / 4, r["recall@1"], 10);
        Assert.Equal(1.0, r["recall@2"], 10);
        Assert.Equal(4, r.Cases);
    }

    [Fact]
    public void EvaluateCommandRunsTheFixedProtocol()
    {
        var dir = TestPaths.NewTempDirectory();
        var train = Write(dir, "train.txt", TinyTrain); var test = Write(dir, "test.txt", TinyTest);
        var json = Path.Combine(dir, "out.json");
        int rc = Trove.Cli.Program.BuildRoot().Parse([
            "evaluate", "--protocol", "fixed", "--train", train, "--test", test, "--model", "popularity", "--k", "1,2", "--json", json]).Invoke();
        Assert.Equal(0, rc);
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal(0.75, doc.RootElement.GetProperty("models")[0].GetProperty("metrics").GetProperty("hr@1").GetDouble(), 6);
        // --data does not go with --protocol fixed.
        Assert.NotEqual(0, Trove.Cli.Program.BuildRoot().Parse([
            "evaluate", "--protocol", "fixed", "--train", train, "--test", test, "--data", train, "--model", "popularity"]).Invoke());
    }

    [Fact]
    public void MalformedLineNamesFileAndLine()
    {
        var dir = TestPaths.NewTempDirectory();
        var train = Write(dir, "train.txt", "0 1 2\n1 2 x3\n");
        var test = Write(dir, "test.txt", "0 3\n");
        var e = Assert.Throws<DataFormatException>(() => FixedProtocol.FromFiles(train, test));
        Assert.Equal(train, e.File);
        Assert.Equal(2, e.Line);
        Assert.Contains($"{train}:2", e.Message);

        var badTest = Write(dir, "test2.txt", "0 3\n\n1 4,5\n");
        var e2 = Assert.Throws<DataFormatException>(() => LightGcnReader.ReadSplit(Write(dir, "ok.txt", "0 1 2\n1 2 3\n"), badTest));
        Assert.Equal(badTest, e2.File);
        Assert.Equal(3, e2.Line);

        var dup = Write(dir, "dup.txt", "0 1\n0 2\n");
        Assert.Equal(2, Assert.Throws<DataFormatException>(() => LightGcnReader.Read(dup)).Line);
    }

    [Fact]
    public void LoaderReadsLightGcnFormatByName()
    {
        var dir = TestPaths.NewTempDirectory();
        var path = Write(dir, "train.txt", TinyTrain);
        var data = DatasetLoader.Load(path, new LoadOptions { Format = "lightgcn" });
        Assert.Equal(4, data.UserCount);
        Assert.Equal(3, data.ItemCount);
        Assert.Equal(8, data.Interactions.Count);
    }

    [Fact]
    public void ReadsTheLightGcnGowallaSplit()
    {
        var dir = TestPaths.Dataset("lightgcn-gowalla");
        var split = FixedProtocol.FromFiles(Path.Combine(dir, "train.reconstructed.txt"), Path.Combine(dir, "test.txt"));
        // Counts from the data set's README: 29,858 users, 40,981 items, 810,128 train and 217,242 test interactions.
        Assert.Equal(29858, split.Train.UserCount);
        Assert.Equal(40981, split.Train.ItemCount);
        Assert.Equal(810128, split.Train.Interactions.Count);
        Assert.Equal(29858, split.Test.Count);
        Assert.Equal(217242, split.Test.RelevantCount);
        Assert.Contains("no test user skipped", split.Description);
        // No test pair is a training pair.
        for (int t = 0; t < split.Test.Count; t += 97)
        {
            var trainItems = split.Train.UserItems.RowIndices(split.Test.Users[t]).ToArray();
            Assert.All(split.Test.Relevant[t], i => Assert.DoesNotContain(i, trainItems));
        }

        var viaLoader = DatasetLoader.Load(Path.Combine(dir, "train.reconstructed.txt"), new LoadOptions { Format = "lightgcn" });
        Assert.Equal(29858, viaLoader.UserCount);
        Assert.Equal(810128, viaLoader.Interactions.Count);
    }
}
