using System.IO.Compression;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Core.Training;
using Trove.Models;
using Trove.Models.Neighbourhood;
using Trove.Tests.Support;

namespace Trove.Tests.Core;

public class ModelFileTests
{
    private static Dataset Sample()
    {
        var users = new IdMap(["alice", "bob", "carol"]);
        var items = new IdMap(["x", "y", "z", "w"]);
        var log = new InteractionLog([0, 0, 1, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2, 3], [1, 1, 1, 1, 1, 1, 1], new long[7], new short[7], ["view"]);
        var features = new FeatureTable();
        features.Categorical["category"] = ["books", "music", "books", "toys"];
        return new Dataset(users, items, log, itemFeatures: features, source: "unit");
    }

    [Fact]
    public void A_saved_model_loads_with_the_same_scores_parameters_ids_and_manifest()
    {
        var data = Sample();
        var path = Path.Combine(TestPaths.NewTempDirectory(), "m.trove");
        var saved = ModelTrainer.Train(data, "itemknn", new Dictionary<string, string> { ["neighbours"] = "7", ["similarity"] = "jaccard" }, FitContext.Default, path);

        var loaded = ModelFile.Load(path, BuiltInAlgorithms.Registry);
        Assert.Equal("itemknn", loaded.Manifest.Algorithm);
        Assert.Equal(data.Fingerprint(), loaded.Manifest.Data.Fingerprint);
        Assert.Equal(3, loaded.Manifest.Data.Users);
        var p = Assert.IsType<ItemKnnParameters>(loaded.Model.Parameters);
        Assert.Equal(7, p.Neighbours);
        Assert.Equal(SimilarityMetric.Jaccard, p.Similarity);
        Assert.Equal(data.Users.Ids, loaded.Users.Ids);
        Assert.Equal("toys", loaded.ItemFeatures.Categorical["category"][3]);
        for (int u = 0; u < 3; u++)
        {
            var a = new float[4]; var b = new float[4];
            saved.Model.ScoreAllItems(u, a); loaded.Model.ScoreAllItems(u, b);
            Assert.Equal(a, b);
        }
        // The archive's arrays are standard .npy entries.
        using var zip = ZipFile.OpenRead(path);
        Assert.Contains(zip.Entries, e => e.FullName == "neighbours.data.npy");
        Assert.Contains(zip.Entries, e => e.FullName == "manifest.json");
    }

    [Fact]
    public void Different_data_gives_a_different_fingerprint()
    {
        var a = Sample();
        var log = a.Interactions;
        var weights = (float[])log.Weights.Clone(); weights[0] = 2;
        var b = a.WithInteractions(new InteractionLog(log.Users, log.Items, weights, log.Timestamps, log.Events, log.EventNames));
        Assert.NotEqual(a.Fingerprint(), b.Fingerprint());
        Assert.Equal(a.Fingerprint(), Sample().Fingerprint());
    }

    [Fact]
    public void A_file_that_is_not_a_model_gives_a_clear_error()
    {
        var path = Path.Combine(TestPaths.NewTempDirectory(), "junk.trove");
        File.WriteAllText(path, "hello");
        var e = Assert.ThrowsAny<TroveException>(() => ModelFile.Load(path, BuiltInAlgorithms.Registry));
        Assert.Contains("not a Trove model file", e.Message);
        Assert.Contains("does not exist", Assert.ThrowsAny<TroveException>(() => ModelFile.Load(path + ".missing", BuiltInAlgorithms.Registry)).Message);
    }

    [Fact]
    public void Writing_over_an_existing_model_leaves_no_temporary_files()
    {
        var dir = TestPaths.NewTempDirectory();
        var path = Path.Combine(dir, "m.trove");
        ModelTrainer.Train(Sample(), "popularity", null, FitContext.Default, path);
        ModelTrainer.Train(Sample(), "popularity", null, FitContext.Default, path);
        Assert.Equal(["m.trove"], Directory.GetFiles(dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Parameter_overrides_are_validated()
    {
        var registry = BuiltInAlgorithms.Registry;
        Assert.Contains("Unknown parameter 'nieghbours'", Assert.ThrowsAny<TroveException>(() => registry.Create("itemknn", new Dictionary<string, string> { ["nieghbours"] = "5" })).Message);
        Assert.Contains("expected a finite number", Assert.ThrowsAny<TroveException>(() => registry.Create("itemknn", new Dictionary<string, string> { ["shrink"] = "NaN" })).Message);
        Assert.Contains("Unknown model 'foo'", Assert.ThrowsAny<TroveException>(() => registry.Create("foo")).Message);
        var m = registry.Create("itemknn", new Dictionary<string, string> { ["min-shared"] = "3", ["Similarity"] = "pearson" });
        var p = (ItemKnnParameters)m.Parameters;
        Assert.Equal(3, p.MinShared);
        Assert.Equal(SimilarityMetric.Pearson, p.Similarity);
    }
}
