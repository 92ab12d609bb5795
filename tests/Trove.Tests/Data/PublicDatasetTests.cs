using Trove.Core.Errors;
using Trove.Data.Readers;
using Trove.Tests.Support;

namespace Trove.Tests.Data;

/// <summary>Readers against the shared (read-only) public data sets.</summary>
public class PublicDatasetTests
{
    [Fact]
    public void MovieLens_100k_has_the_published_counts_ratings_and_features()
    {
        var data = DatasetLoader.Load(TestPaths.Dataset("ml-100k"));
        Assert.Equal(943, data.UserCount);
        Assert.Equal(1682, data.ItemCount);
        Assert.Equal(100_000, data.Interactions.Count);
        // First line of u.data: 196 242 3 881250949
        Assert.Equal("196", data.Users[data.Interactions.Users[0]]);
        Assert.Equal("242", data.Items[data.Interactions.Items[0]]);
        Assert.Equal(3f, data.Interactions.Weights[0]);
        Assert.Equal(3f, data.Interactions.Scores![0]);
        Assert.Equal(881250949L, data.Interactions.Timestamps[0]);
        Assert.Equal("rating", data.Interactions.EventNames[data.Interactions.Events[0]]);
        Assert.All(data.Interactions.Weights, w => Assert.InRange(w, 1f, 5f));

        int toy = data.Items.IndexOf("1");
        Assert.Equal("Toy Story (1995)", data.ItemFeatures.Text["title"][toy]);
        var genres = data.ItemFeatures.Labels("genre", toy);
        Assert.Equal(["Animation", "Children's", "Comedy"], genres);
        Assert.Equal(1995f, data.ItemFeatures.Numeric["year"][toy]);

        int u1 = data.Users.IndexOf("1");
        Assert.Equal(24f, data.UserFeatures.Numeric["age"][u1]);
        Assert.Equal("M", data.UserFeatures.Categorical["gender"][u1]);
        Assert.Equal("technician", data.UserFeatures.Categorical["occupation"][u1]);
        Assert.Equal("85711", data.UserFeatures.Categorical["zip"][u1]);
    }

    [Fact]
    public void MovieLens_1m_without_ratings_reads_features_alone()
    {
        var data = DatasetLoader.Load(TestPaths.Dataset("ml-1m"), new LoadOptions { RequireInteractions = false });
        Assert.Equal(0, data.Interactions.Count);
        Assert.Equal(6040, data.UserCount);
        Assert.Equal(3883, data.ItemCount);
        int toy = data.Items.IndexOf("1");
        Assert.Equal(["Animation", "Children's", "Comedy"], data.ItemFeatures.Labels("genre", toy));
        Assert.Equal(1995f, data.ItemFeatures.Numeric["year"][toy]);
        int u1 = data.Users.IndexOf("1");
        Assert.Equal("F", data.UserFeatures.Categorical["gender"][u1]);
        Assert.Equal(1f, data.UserFeatures.Numeric["age"][u1]);
        Assert.Equal("K-12 student", data.UserFeatures.Categorical["occupation"][u1]); // code 10
        // Latin-1 titles decode (e.g. "Misérables").
        Assert.Contains(data.ItemFeatures.Text["title"], t => t is not null && t.Contains('é'));
    }

    [Fact]
    public void MovieLens_1m_without_ratings_is_a_clear_error_when_interactions_are_required()
    {
        var e = Assert.Throws<TroveException>(() => DatasetLoader.Load(TestPaths.Dataset("ml-1m")));
        Assert.Contains("ratings.dat", e.Message);
        Assert.Contains("needs interactions", e.Message);
    }

    [Fact]
    public void LastFm_has_the_published_counts_play_counts_names_and_tags()
    {
        var data = DatasetLoader.Load(TestPaths.Dataset("lastfm-2k"));
        Assert.Equal(1892, data.UserCount);
        Assert.Equal(17632, data.ItemCount);
        Assert.Equal(92834, data.Interactions.Count);
        // First row: 2 51 13883
        Assert.Equal("2", data.Users[data.Interactions.Users[0]]);
        Assert.Equal("51", data.Items[data.Interactions.Items[0]]);
        Assert.Equal(13883f, data.Interactions.Weights[0]);
        int malice = data.Items.IndexOf("1");
        Assert.Equal("MALICE MIZER", data.ItemFeatures.Text["name"][malice]);
        // Artist 52 (Morcheeba) is tagged by user 2 with tag 13 and others; the feature keeps the top tags.
        var tags = data.ItemFeatures.Labels("tags", data.Items.IndexOf("52"));
        Assert.InRange(tags.Length, 1, LastFmReader.TopTags);
        Assert.True(data.ItemFeatures.Categorical["tags"].Count(t => t is not null) > 5000);
    }
}

public class MovieLensFileTests
{
    [Fact]
    public void A_single_ratings_file_reads_with_the_features_beside_it()
    {
        var data = DatasetLoader.Load(Path.Combine(TestPaths.Dataset("ml-100k"), "u1.base"));
        Assert.Equal(80_000, data.Interactions.Count);
        Assert.Equal(1682, data.ItemCount);   // items without ratings in u1.base come from u.item
        Assert.Equal(["Animation", "Children's", "Comedy"], data.ItemFeatures.Labels("genre", data.Items.IndexOf("1")));
        Assert.Equal("movielens", DatasetLoader.Resolve(Path.Combine(TestPaths.Dataset("ml-100k"), "u.data")).Name);
    }
}
