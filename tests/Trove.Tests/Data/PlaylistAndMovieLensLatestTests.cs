using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Data.Readers;
using Trove.Data.Stores;
using Trove.Tests.Support;

namespace Trove.Tests.Data;

/// <summary>Playlists JSON (the music recommender's real-data input) and the MovieLens CSV layout (ml-latest/20m/25m/32m).</summary>
public class PlaylistAndMovieLensLatestTests
{
    internal const string Playlists = """
        [
          {"id": "playlist_1", "song_ids": ["s1", "s2", "s3"], "user_handle": "user123"},
          {"id": "playlist_2", "song_ids": ["s2", 44], "user_handle": null, "name": "road trip", "tags": ["a", {"b": 1}]},
          {"id": 3, "song_ids": ["s1", "s2"], "user_handle": "user123"},
          {"id": "playlist_4", "song_ids": [], "user_handle": ""}
        ]
        """;

    [Fact]
    public void Playlists_become_interactions_of_their_creator_or_of_the_playlist()
    {
        var path = CsvTestFiles.Write(Playlists, "playlists.json");
        Assert.Equal("playlists", DatasetLoader.Resolve(path).Name);
        var data = DatasetLoader.Load(path);
        Assert.Equal(["user123", "playlist_2", "playlist_4"], data.Users.Ids);
        Assert.Equal(["s1", "s2", "s3", "44"], data.Items.Ids);
        Assert.Equal(7, data.Interactions.Count);
        // user123 has s1 and s2 in two playlists: the pair counts twice.
        var m = data.UserItems;
        Assert.Equal(2f, m[0, data.Items.IndexOf("s1")]);
        Assert.Equal(2f, m[0, data.Items.IndexOf("s2")]);
        Assert.Equal(1f, m[0, data.Items.IndexOf("s3")]);
        Assert.Equal(1f, m[1, data.Items.IndexOf("44")]);
        Assert.All(data.Interactions.Events, e => Assert.Equal("playlist", data.Interactions.EventNames[e]));
    }

    [Fact]
    public void The_playlist_event_weight_can_be_set()
    {
        var path = CsvTestFiles.Write(Playlists, "playlists.json");
        var data = DatasetLoader.Load(path, new LoadOptions { Csv = new CsvOptions { EventWeights = EventWeights.Parse("playlist=0.5") } });
        Assert.All(data.Interactions.Weights, w => Assert.Equal(0.5f, w));
    }

    [Theory]
    [InlineData("""[{"id": "p1", "song_ids": ["s1", true]}]""", "playlists.json:1: field 'playlists[0].song_ids[1]': expected a string or integer id, got a boolean.")]
    [InlineData("[\n{\"id\": \"p1\", \"song_ids\": [\"s1\"]},\n{\"song_ids\": [\"s1\"]}\n]", "playlists.json:3: field 'playlists[1].id': missing playlist id.")]
    [InlineData("""[{"id": "p1", "song_ids": "s1"}]""", "playlists.json:1: field 'playlists[0].song_ids': expected an array of song ids, got a string.")]
    [InlineData("""[{"id": "p1", "song_ids": []}, {"id": "p1", "song_ids": []}]""", "playlists.json:1: field 'playlists[1].id': duplicate playlist id 'p1'.")]
    [InlineData("""[{"id": "p1", "song_ids": []}, 7]""", "playlists.json:1: field 'playlists[1]': expected an object, got Number.")]
    [InlineData("""[{"id": "p1", "song_ids": ["s1"]""", "playlists.json:1: malformed JSON: ")]
    public void Malformed_playlists_name_the_file_record_and_field(string json, string message)
    {
        var path = CsvTestFiles.Write(json, "playlists.json");
        var e = Assert.Throws<DataFormatException>(() => DatasetLoader.Load(path, new LoadOptions { Format = "playlists" }));
        Assert.StartsWith(message, Path.GetFileName(e.File) + e.Message[e.File.Length..]);
    }

    [Fact]
    public void Playlists_import_into_a_store()
    {
        var dir = TestPaths.NewTempDirectory();
        var path = CsvTestFiles.Write(Playlists, "playlists.json", dir);
        using var store = SqliteStore.Open(Path.Combine(dir, "t.db"));
        var result = DataImporter.Import(store, path, new LoadOptions { Format = "playlists" });
        Assert.Equal(7, result.Interactions);
        var counts = store.Counts();
        Assert.Equal((3L, 4L, 7L), (counts.Users, counts.Items, counts.Interactions));
    }

    /// <summary>A folder in the GroupLens CSV layout of ml-latest-small/20m/25m/32m (no such data set is on this machine).</summary>
    internal static string LatestFolder(bool tags = true, bool ratings = true)
    {
        var dir = TestPaths.NewTempDirectory();
        if (ratings)
            CsvTestFiles.Write("userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,4.5,964981247\n2,1,2.5,1445714835\n2,2,5.0,1445714836\n", "ratings.csv", dir);
        CsvTestFiles.Write("movieId,title,genres\n1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy\n" +
                           "2,\"American President, The (1995)\",Comedy|Drama|Romance\n3,Babylon 5 (1994) ,(no genres listed)\n" +
                           "4,\"\"\"Great Performances\"\" Cats (1998)\",Musical\n", "movies.csv", dir);
        if (tags)
            CsvTestFiles.Write("userId,movieId,tag,timestamp\n2,1,pixar,1445714994\n1,1,Pixar,1445714996\n1,1,fun,1445714997\n2,2,\"politics, romance\",1445715000\n", "tags.csv", dir);
        return dir;
    }

    [Fact]
    public void A_movielens_latest_folder_reads_ratings_genres_years_and_tags()
    {
        var dir = LatestFolder();
        Assert.Equal("movielens", DatasetLoader.Resolve(dir).Name);
        var data = DatasetLoader.Load(dir);
        Assert.Equal(["1", "2"], data.Users.Ids);
        Assert.Equal(["1", "3", "2", "4"], data.Items.Ids); // 4 appears only in movies.csv
        Assert.Equal([4f, 4.5f, 2.5f, 5f], data.Interactions.Weights);
        Assert.Equal([4f, 4.5f, 2.5f, 5f], data.Interactions.Scores!);
        Assert.Equal(1445714836, data.Interactions.Timestamps[3]);
        var f = data.ItemFeatures;
        int president = data.Items.IndexOf("2"), babylon = data.Items.IndexOf("3"), cats = data.Items.IndexOf("4"), toy = data.Items.IndexOf("1");
        Assert.Equal("American President, The (1995)", f.Text["title"][president]);
        Assert.Equal("\"Great Performances\" Cats (1998)", f.Text["title"][cats]);
        Assert.Equal(["Comedy", "Drama", "Romance"], f.Labels("genre", president));
        Assert.Null(f.Categorical["genre"][babylon]);            // (no genres listed)
        Assert.Equal(1995f, f.Numeric["year"][president]);
        Assert.Equal(1994f, f.Numeric["year"][babylon]);         // trailing space after the year
        Assert.Equal("pixar, fun", f.Text["tags"][toy]);         // distinct, case-insensitive
        Assert.Equal("politics, romance", f.Text["tags"][president]);
        Assert.Null(f.Text["tags"][cats]);
    }

    [Fact]
    public void Ratings_csv_given_alone_reads_the_movies_beside_it()
    {
        var dir = LatestFolder(tags: false);
        var data = DatasetLoader.Load(Path.Combine(dir, "ratings.csv"));
        Assert.Equal(4, data.Interactions.Count);
        Assert.Equal("Toy Story (1995)", data.ItemFeatures.Text["title"][data.Items.IndexOf("1")]);
        Assert.False(data.ItemFeatures.Text.ContainsKey("tags"));
    }

    [Fact]
    public void A_latest_folder_without_ratings_is_refused_when_interactions_are_needed()
    {
        var dir = LatestFolder(ratings: false);
        var e = Assert.Throws<TroveException>(() => DatasetLoader.Load(dir));
        Assert.Contains("has no ratings.csv", e.Message);
        var features = DatasetLoader.Load(dir, new LoadOptions { RequireInteractions = false });
        Assert.Equal(4, features.ItemCount);
    }

    [Fact]
    public void A_malformed_latest_rating_names_file_line_and_field()
    {
        var dir = LatestFolder();
        CsvTestFiles.Write("userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,high,964981247\n", "ratings.csv", dir);
        var e = Assert.Throws<DataFormatException>(() => DatasetLoader.Load(dir));
        Assert.Equal((Path.Combine(dir, "ratings.csv"), 3L, "rating"), (e.File, e.Line, e.Field));
    }
}
