using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using Trove.Tests.Postgres;
using Trove.Tests.Support;

namespace Trove.Tests.LastFm;

/// <summary>
/// Seed 004's collaborative-filtering guide, followed as its user would: after `trove db migrate`, `trove lastfm fetch`,
/// `trove similarities` and `trove recommend --all --db`, the guide's debug queries run unchanged and return rows,
/// and the relations it names have the columns their names promise (in both stores).
/// </summary>
public sealed class SeedGuideQueriesTests(PostgresTestServer server) : IClassFixture<PostgresTestServer>
{
    private string NewLocation(string kind)
    {
        if (kind == StoresAttribute.Sqlite) return Path.Combine(TestPaths.NewTempDirectory(), "guide.db");
        server.Require();
        return server.NewSchema();
    }

    private static DbConnection Connect(string kind, string location)
    {
        DbConnection c = kind == StoresAttribute.Sqlite ? new SqliteConnection($"Data Source={location};Pooling=False") : new NpgsqlConnection(location);
        c.Open();
        return c;
    }

    /// <summary>The rows of <paramref name="sql"/> as column -> value maps.</summary>
    private static List<Dictionary<string, object?>> Query(DbConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        using var r = cmd.ExecuteReader();
        var rows = new List<Dictionary<string, object?>>();
        while (r.Read())
        {
            var row = new Dictionary<string, object?>(StringComparer.Ordinal);
            for (int k = 0; k < r.FieldCount; k++) row[r.GetName(k)] = r.IsDBNull(k) ? null : r.GetValue(k);
            rows.Add(row);
        }
        return rows;
    }

    private static double Number(object? v) => Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture);

    [Theory, Stores, PostgresData]
    public void The_guides_debug_queries_run_unchanged_after_migrate_fetch_similarities_and_recommend(string kind)
    {
        var db = NewLocation(kind);
        var dir = TestPaths.NewTempDirectory();
        using var s = new FakeLastFmServer();
        LastFmFixtures.AddRj(s);
        // anna shares Airbag, OK Computer, Radiohead and (through her tags) Teardrop with rj, and also plays Karma Police.
        LastFmFixtures.AddRj(s, "anna");
        s.Set("user.getTopTracks", "anna", 1, LastFmFixtures.TopTracksPage("anna", 1, 1, 2, ("Airbag", "Radiohead", 4, 1), ("Karma Police", "Radiohead", 6, 2)));
        s.Set("user.getInfo", "anna", 1, LastFmFixtures.Info("anna", "Anna Berg", "Sweden", 900, 1300000000));

        Assert.Equal(0, Trove.Cli.Program.Main(["db", "migrate", "--db", db]));
        Assert.Equal(0, Trove.Cli.Program.Main(["lastfm", "fetch", "--users", "rj,anna", "--db", db, "--api-url", s.ApiUrl, "--api-key", "k", "--rate", "0", "--delay", "0", "--page-size", "2"]));
        foreach (var metric in new[] { "cosine", "jaccard", "pearson" })
            Assert.Equal(0, Trove.Cli.Program.Main(["similarities", "--db", db, "--metric", metric, "--threshold", "-1", "--min-shared", "2"]));
        var model = Path.Combine(dir, "pop.trove");
        Assert.Equal(0, Trove.Cli.Program.Main(["train", "--db", db, "--model", "popularity", "--out", model]));
        Assert.Equal(0, Trove.Cli.Program.Main(["recommend", "--model", model, "--all", "--k", "3", "--out", Path.Combine(dir, "r.json"), "--db", db]));

        using var c = Connect(kind, db);
        // The guide's four debug queries, verbatim.
        var stats = Query(c, "SELECT * FROM user_listening_stats;");
        var logs = Query(c, "SELECT * FROM data_fetch_logs ORDER BY started_at DESC LIMIT 10;");
        var sims = Query(c, "SELECT * FROM user_similarities ORDER BY similarity_score DESC LIMIT 10;");
        var recs = Query(c, "SELECT * FROM collaborative_recommendations ORDER BY recommendation_score DESC LIMIT 10;");

        var rj = stats.Single(r => (string)r["username"]! == "rj");
        Assert.Equal(("Richard Jones", "United Kingdom", 150316.0), ((string?)rj["real_name"], (string?)rj["country"], Number(rj["lastfm_playcount"])));
        Assert.Equal((5.0, 1.0, 1.0), (Number(rj["total_tracks"]), Number(rj["total_albums"]), Number(rj["total_artists"])));
        Assert.Equal((36.0, 36.0 + 40 + 120), (Number(rj["total_track_plays"]), Number(rj["total_plays"])));
        Assert.Equal((1.0, 3.0), (Number(rj["loved_tracks"]), Number(rj["tagged_items"])));
        Assert.NotNull(rj["last_updated"]);
        Assert.NotNull(rj["last_fetched"]);
        Assert.Equal("Anna Berg", stats.Single(r => (string)r["username"]! == "anna")["real_name"]);

        Assert.Equal(10, logs.Count);
        Assert.All(logs, l => Assert.True(l.ContainsKey("username") && l.ContainsKey("fetch_type") && l.ContainsKey("items_fetched") && l.ContainsKey("error_message") && l.ContainsKey("completed_at")));
        Assert.Contains(Query(c, "SELECT * FROM data_fetch_logs"), l => (string?)l["fetch_type"] == "lastfm:user.getInfo" && (string?)l["username"] == "anna" && (string)l["status"]! == "ok");

        // Three metrics side by side; rj and anna are each other's only neighbour in each.
        Assert.Equal(6, sims.Count);
        Assert.Equal(["cosine", "jaccard", "pearson"], sims.Select(r => (string)r["metric"]!).Distinct().Order());
        Assert.All(sims, r => Assert.Contains((string)r["username"]!, new[] { "rj", "anna" }));
        Assert.True(Number(sims[0]["similarity_score"]) >= Number(sims[^1]["similarity_score"]));
        Assert.Equal(4.0, Number(sims.First(r => (string)r["metric"]! == "jaccard")["shared_items"]));

        Assert.NotEmpty(recs);
        Assert.Contains(recs, r => (string)r["username"]! == "rj" && (string)r["item"]! == "track:Radiohead - Karma Police"
                                   && (string?)r["item_name"] == "Karma Police" && (string?)r["artist_name"] == "Radiohead" && (string?)r["algorithm"] == "popularity");
        Assert.True(Number(recs[0]["recommendation_score"]) >= Number(recs[^1]["recommendation_score"]));

        // The other relations the guide names, with plays, loves, tags and fetch times.
        var tracks = Query(c, "SELECT username, track_id, track, track_name, artist_name, mbid, play_count, loved, loved_at, tags, fetched_at FROM user_track_interactions WHERE username = 'rj'");
        var airbag = tracks.Single(r => (string?)r["track_name"] == "Airbag");
        Assert.Equal((12.0, 1.0, "90s,rock"), (Number(airbag["play_count"]), Convert.ToDouble(airbag["loved"]), (string?)airbag["tags"]));
        Assert.NotNull(airbag["loved_at"]);
        Assert.NotNull(airbag["fetched_at"]);
        Assert.Equal(5, tracks.Count);
        var album = Assert.Single(Query(c, "SELECT username, album_id, album, album_name, artist_name, play_count, loved, tags, fetched_at FROM user_album_interactions WHERE username = 'rj'"));
        Assert.Equal(("OK Computer", 40.0), ((string?)album["album_name"], Number(album["play_count"])));
        var artist = Assert.Single(Query(c, "SELECT username, artist_id, artist, artist_name, play_count, loved, tags, fetched_at FROM user_artist_interactions WHERE username = 'rj'"));
        Assert.Equal(("Radiohead", 120.0, "rock"), ((string?)artist["artist_name"], Number(artist["play_count"]), (string?)artist["tags"]));
        var users = Query(c, "SELECT user_id, username, real_name, country, playcount, registered_at, profile_url, fetched_at FROM lastfm_users ORDER BY username");
        Assert.Equal(["anna", "rj"], users.Select(u => (string)u["username"]!));
        Assert.Equal("Sweden", users[0]["country"]);
        var popular = Query(c, "SELECT track_id, track, track_name, artist_name, listeners, total_plays, avg_plays_per_user, total_loves, users_tagged FROM track_popularity_across_users ORDER BY listeners DESC, total_plays DESC");
        var top = popular.Single(p => (string?)p["track_name"] == "Airbag");
        Assert.Equal((2.0, 16.0, 8.0, 2.0, 2.0), (Number(top["listeners"]), Number(top["total_plays"]), Number(top["avg_plays_per_user"]), Number(top["total_loves"]), Number(top["users_tagged"])));
        Assert.Equal("Airbag", popular[0]["track_name"]);
    }
}
