using Trove.Core.Data;
using Trove.Data.Readers;
using Trove.Data.Stores;
using Trove.Models.Neighbourhood;
using Trove.Tests.Data;
using Trove.Tests.Support;
using Xunit.Abstractions;

namespace Trove.Tests.Postgres;

public class UserSimilarityTests
{
    // a: i1=1 i2=2 i3=3; b: i1=2 i2=4 i3=6; c: i1=3 i3=1 i4=5; d: i5=1 (shares nothing).
    internal const string Csv = "user,item,score\na,i1,1\na,i2,2\na,i3,3\nb,i1,2\nb,i2,4\nb,i3,6\nc,i1,3\nc,i3,1\nc,i4,5\nd,i5,1\n";

    internal static Dataset Data()
    {
        var dir = TestPaths.NewTempDirectory();
        CsvTestFiles.Write(Csv, "interactions.csv", dir);
        return DatasetLoader.Load(dir);
    }

    private static List<(string User, int Rank, string Other, float Sim, int Shared)> Run(SimilarityMetric metric, float threshold = 0.1f, int max = 50, int minShared = 2)
    {
        var d = Data();
        return UserSimilarities.Compute(d, new UserSimilaritySettings { Similarity = metric, Threshold = threshold, Neighbours = max, MinShared = minShared })
            .Select(s => (d.Users[s.User], s.Rank, d.Users[s.Other], s.Similarity, s.SharedItems)).ToList();
    }

    private static void Equal(List<(string, int, string, float, int)> expected, List<(string User, int Rank, string Other, float Sim, int Shared)> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int k = 0; k < expected.Count; k++)
        {
            var (u, r, o, s, n) = expected[k];
            Assert.Equal((u, r, o, n), (actual[k].User, actual[k].Rank, actual[k].Other, actual[k].Shared));
            Assert.Equal(s, actual[k].Sim, 5);
        }
    }

    [Fact]
    public void Cosine_matches_hand_computed_values()
    {
        // cos(a,b) = 28 / (sqrt(14) sqrt(56)) = 1; cos(a,c) = 6 / sqrt(14*35) = 0.271052; cos(b,c) = 12 / sqrt(56*35) = 0.271052.
        float ac = 6f / MathF.Sqrt(14 * 35);
        Equal([("a", 1, "b", 1f, 3), ("a", 2, "c", ac, 2), ("b", 1, "a", 1f, 3), ("b", 2, "c", ac, 2), ("c", 1, "a", ac, 2), ("c", 2, "b", ac, 2)],
            Run(SimilarityMetric.Cosine));
    }

    [Fact]
    public void Jaccard_matches_hand_computed_values_and_ignores_weights()
    {
        // |a∩b| / |a∪b| = 3/3; |a∩c| / |a∪c| = 2/4.
        Equal([("a", 1, "b", 1f, 3), ("a", 2, "c", 0.5f, 2), ("b", 1, "a", 1f, 3), ("b", 2, "c", 0.5f, 2), ("c", 1, "a", 0.5f, 2), ("c", 2, "b", 0.5f, 2)],
            Run(SimilarityMetric.Jaccard));
    }

    [Fact]
    public void Pearson_centres_each_user_and_drops_negative_pairs()
    {
        // Centred: a (-1,0,1), b (-2,0,2), c (i1 0, i3 -2, i4 2). p(a,b) = 4/4 = 1; p(a,c) = -2/4 = -0.5 (dropped); p(b,c) = -4/8 = -0.5.
        Equal([("a", 1, "b", 1f, 3), ("b", 1, "a", 1f, 3)], Run(SimilarityMetric.Pearson));
        Equal([("a", 1, "b", 1f, 3), ("a", 2, "c", -0.5f, 2), ("b", 1, "a", 1f, 3), ("b", 2, "c", -0.5f, 2), ("c", 1, "a", -0.5f, 2), ("c", 2, "b", -0.5f, 2)],
            Run(SimilarityMetric.Pearson, threshold: -1f));
    }

    [Fact]
    public void Threshold_max_similar_and_min_shared_filter_pairs()
    {
        Equal([("a", 1, "b", 1f, 3), ("b", 1, "a", 1f, 3)], Run(SimilarityMetric.Cosine, threshold: 0.3f));
        Equal([("a", 1, "b", 1f, 3), ("b", 1, "a", 1f, 3)], Run(SimilarityMetric.Cosine, minShared: 3));
        Equal([("a", 1, "b", 1f, 3), ("b", 1, "a", 1f, 3), ("c", 1, "a", 6f / MathF.Sqrt(14 * 35), 2)], Run(SimilarityMetric.Cosine, max: 1));
    }
}

/// <summary>The CLI end to end on PostgreSQL: import, similarities, train, recommend --all --db (and the same on SQLite).</summary>
public sealed class PostgresCliTests(PostgresTestServer server, ITestOutputHelper output) : IClassFixture<PostgresTestServer>
{
    private void Pipeline(string db)
    {
        var dir = TestPaths.NewTempDirectory();
        CsvTestFiles.Write(UserSimilarityTests.Csv, "interactions.csv", dir);
        Assert.Equal(0, Trove.Cli.Program.Main(["db", "migrate", "--db", db]));
        Assert.Equal(0, Trove.Cli.Program.Main(["db", "migrate", "--db", db]));
        Assert.Equal(0, Trove.Cli.Program.Main(["import", "--data", dir, "--db", db]));
        Assert.Equal(0, Trove.Cli.Program.Main(["similarities", "--db", db, "--metric", "jaccard", "--threshold", "0.1", "--max-similar", "50", "--min-shared", "2"]));
        Assert.Equal(0, Trove.Cli.Program.Main(["similarities", "--db", db, "--metric", "cosine", "--min-shared", "3"]));
        var model = Path.Combine(dir, "m.trove");
        Assert.Equal(0, Trove.Cli.Program.Main(["train", "--db", db, "--model", "popularity", "--out", model]));
        Assert.Equal(0, Trove.Cli.Program.Main(["recommend", "--model", model, "--all", "--k", "2", "--out", Path.Combine(dir, "r.json"), "--db", db]));
        Assert.Equal(2, Trove.Cli.Program.Main(["similarities", "--db", db, "--metric", "euclid"]));

        using var store = InteractionStores.Open(db, createIfMissing: false);
        var c = store.Collaborative();
        // The cosine run is stored beside the jaccard run.
        Assert.Equal([new UserSimilarityRow("a", 1, "b", 1f, 3, "cosine"), new UserSimilarityRow("b", 1, "a", 1f, 3, "cosine")],
            c.GetUserSimilarities(metric: "cosine").Select(s => s with { Similarity = MathF.Round(s.Similarity, 5) }));
        Assert.Equal(6, c.GetUserSimilarities(metric: "jaccard").Count);
        var version = Assert.Single(store.ListModels()).ModelVersion;
        var recs = store.GetRecommendations(version);
        Assert.Equal(8, recs.Count); // 4 users x top-2 unseen items
        Assert.Equal(["a", "b", "c", "d"], recs.Select(r => r.User).Distinct());
        Assert.Contains(c.IngestLogs(), l => l.Source == "similarities:cosine" && l.Rows == 2);
        Assert.Contains(c.IngestLogs(), l => l.Source == "import" && l.Rows == 10);
    }

    [PostgresFact]
    public void Evaluation_from_postgres_and_from_sqlite_gives_identical_metrics()
    {
        server.Require(output);
        var dir = TestPaths.NewTempDirectory();
        var stores = new[] { Path.Combine(dir, "lastfm.db"), server.NewSchema() };
        var metrics = new List<string>();
        foreach (var db in stores)
        {
            Assert.Equal(0, Trove.Cli.Program.Main(["import", "--data", TestPaths.Dataset("lastfm-2k"), "--db", db]));
            var json = Path.Combine(dir, $"eval-{metrics.Count}.json");
            Assert.Equal(0, Trove.Cli.Program.Main(["evaluate", "--protocol", "holdout", "--db", db, "-m", "popularity", "-m", "itemknn", "--k", "20", "--json", json]));
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json));
            metrics.Add(string.Join(";", doc.RootElement.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("metrics").GetRawText())));
        }
        Assert.Contains("recall@20", metrics[0]);
        Assert.Equal(metrics[0], metrics[1]);
    }

    [PostgresFact]
    public void Import_similarities_train_and_recommend_all_into_postgres()
    {
        server.Require(output);
        Pipeline(server.NewSchema());
    }

    [Fact]
    public void The_same_pipeline_into_sqlite()
    {
        Pipeline(Path.Combine(TestPaths.NewTempDirectory(), "t.db"));
    }

    [Fact]
    public void Postgres_urls_are_parsed_and_described_without_password()
    {
        var b = Trove.Data.Stores.PostgresStore.ParseConnectionString("postgres://me:s%40cret@db.example:6543/music?schema=cf&sslmode=disable");
        Assert.Equal(("db.example", 6543, "me", "s@cret", "music", "cf"), (b.Host, b.Port, b.Username, b.Password, b.Database, b.SearchPath));
        Assert.Equal("postgres://me@db.example:6543/music?schema=cf", Trove.Data.Stores.PostgresStore.Describe("postgres://me:s%40cret@db.example:6543/music?schema=cf"));
        Assert.Equal(2, Trove.Cli.Program.Main(["db", "migrate", "--db", "postgres://postgres@127.0.0.1:1/x"]));
    }

    [PostgresFact]
    public void A_failed_bulk_import_into_an_empty_table_restores_its_indexes_and_foreign_keys()
    {
        server.Require(output);
        var cs = server.NewSchema();
        using (var store = PostgresStore.Open(cs))
        {
            var log = new InteractionLog([0, 1], [0, 0], [1f, -1f], new long[2], [-1, -1], []);
            Assert.Throws<Trove.Core.Errors.TroveException>(() => store.Import(new Dataset(new IdMap(["a", "b"]), new IdMap(["x"]), log)));
            Assert.Equal(new StoreCounts(0, 0, 0, 0, 0), store.Counts());
        }
        using var c = new Npgsql.NpgsqlConnection(cs);
        c.Open();
        using var cmd = new Npgsql.NpgsqlCommand("""
            SELECT (SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname IN ('ix_interactions_user', 'ix_interactions_item')),
                   (SELECT count(*) FROM pg_constraint WHERE conrelid = 'interactions'::regclass AND contype = 'f')
            """, c);
        using var r = cmd.ExecuteReader();
        Assert.True(r.Read());
        Assert.Equal((2L, 2L), (r.GetInt64(0), r.GetInt64(1)));
    }

    [PostgresFact]
    public void HetRec_gives_the_same_data_similarities_and_views_in_both_stores()
    {
        server.Require(output);
        using var pg = InteractionStores.Open(server.NewSchema());
        using var lite = InteractionStores.Open(Path.Combine(TestPaths.NewTempDirectory(), "h.db"));
        var settings = new UserSimilaritySettings { Similarity = SimilarityMetric.Cosine, Threshold = 0.1f, Neighbours = 50, MinShared = 5 };
        var results = new List<(string Fingerprint, IReadOnlyList<UserSimilarityRow> Sims, IReadOnlyList<UserStatsRow> Stats, IReadOnlyList<ItemPopularityRow> Pop)>();
        foreach (var store in new[] { lite, pg })
        {
            DataImporter.Import(store, TestPaths.Dataset("lastfm-2k"));
            var d = store.LoadDataset();
            var c = store.Collaborative();
            c.SaveUserSimilarities("cosine", UserSimilarities.Compute(d, settings, 2)
                .Select(x => new UserSimilarityRow(d.Users[x.User], x.Rank, d.Users[x.Other], x.Similarity, x.SharedItems)));
            results.Add((d.Fingerprint(), c.GetUserSimilarities(), c.UserStats().Select(u => u with { LastUpdateUtc = null }).ToList(), c.ItemPopularity(200)));
        }
        Assert.Equal(results[0].Fingerprint, results[1].Fingerprint);
        Assert.True(results[0].Sims.Count > 50_000, $"{results[0].Sims.Count} similarities");
        Assert.Equal(results[0].Sims, results[1].Sims);
        Assert.Equal(results[0].Stats, results[1].Stats);
        Assert.Equal(results[0].Pop, results[1].Pop);
        Assert.All(results[1].Sims, s => Assert.True(s.Similarity > 0.1f && s.SharedItems >= 5 && s.Rank <= 50));
    }

    [PostgresFact]
    public void Migrations_are_recorded_once_however_often_the_store_is_opened()
    {
        server.Require(output);
        var cs = server.NewSchema();
        var opens = Enumerable.Range(0, 4).Select(_ => Task.Run(() => { using var s = PostgresStore.Open(cs); return s.SchemaVersion; })).ToArray();
        Task.WaitAll(opens);
        Assert.All(opens, t => Assert.Equal(PostgresStore.LatestSchemaVersion, t.Result));
        using var store = PostgresStore.Open(cs);
        Assert.Equal([1, 2, 3], store.AppliedMigrations());
    }
}
