using Microsoft.Data.Sqlite;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Data.Readers;
using Trove.Data.Stores;
using Trove.Tests.Support;

namespace Trove.Tests.Data;

public class SqliteStoreTests
{
    private static string NewDb() => Path.Combine(TestPaths.NewTempDirectory(), "trove.db");

    private static string Folder(string interactions, string? items = null)
    {
        var dir = TestPaths.NewTempDirectory();
        CsvTestFiles.Write(interactions, "interactions.csv", dir);
        if (items is not null) CsvTestFiles.Write(items, "items.csv", dir);
        return dir;
    }

    [Fact]
    public void Import_then_load_gives_the_same_interactions_and_features()
    {
        var original = DatasetLoader.Load(Folder(
            "user,item,score,timestamp,event\nu1,i1,2,100,view\nu2,i2,,200,purchase\nu1,i2,1,,\n",
            "item,category,price,title\ni2,books,9.5,Dune\ni1,music,,Blue\ni9,toys,3,Cold\n"));
        var db = NewDb();
        using (var store = SqliteStore.Open(db))
        {
            var result = store.Import(original);
            Assert.Equal((2L, 3L, 3L), (result.NewUsers, result.NewItems, result.Interactions));
        }
        using (var store = SqliteStore.Open(db, createIfMissing: false))
        {
            var loaded = store.LoadDataset();
            Assert.Equal(original.Users.Ids, loaded.Users.Ids);
            Assert.Equal(original.Items.Ids, loaded.Items.Ids);
            var a = original.Interactions; var b = loaded.Interactions;
            Assert.Equal(a.Users, b.Users);
            Assert.Equal(a.Items, b.Items);
            Assert.Equal(a.Weights, b.Weights);
            Assert.Equal(a.Timestamps, b.Timestamps);
            Assert.Equal(a.Events.Select(e => e < 0 ? null : a.EventNames[e]), b.Events.Select(e => e < 0 ? null : b.EventNames[e]));
            Assert.Equal(a.Scores, b.Scores);
            Assert.Equal(original.ItemFeatures.Categorical["category"], loaded.ItemFeatures.Categorical["category"]);
            Assert.Equal(original.ItemFeatures.Numeric["price"], loaded.ItemFeatures.Numeric["price"]);
            Assert.Equal(original.ItemFeatures.Text["title"], loaded.ItemFeatures.Text["title"]);
            Assert.Equal(original.Fingerprint(), loaded.Fingerprint());
        }
    }

    [Fact]
    public void A_new_store_uses_8_KB_pages_and_an_existing_store_keeps_its_own()
    {
        static long PageSize(string path)
        {
            using var c = new SqliteConnection($"Data Source={path};Pooling=False");
            c.Open();
            using var command = c.CreateCommand();
            command.CommandText = "PRAGMA page_size";
            return (long)command.ExecuteScalar()!;
        }
        var fresh = NewDb();
        using (var store = SqliteStore.Open(fresh)) store.Import(DatasetLoader.Load(Folder("user,item\nu1,i1\n")));
        Assert.Equal(8192, PageSize(fresh));

        // A database made by an earlier version (4 KB pages, tables present) opens and imports without being rewritten.
        var old = NewDb();
        using (var c = new SqliteConnection($"Data Source={old};Pooling=False"))
        {
            c.Open();
            using var command = c.CreateCommand();
            command.CommandText = "PRAGMA page_size=4096; PRAGMA journal_mode=WAL; CREATE TABLE made_before(x INTEGER);";
            command.ExecuteNonQuery();
        }
        using (var store = SqliteStore.Open(old)) store.Import(DatasetLoader.Load(Folder("user,item\nu1,i1\nu2,i1\n")));
        Assert.Equal(4096, PageSize(old));
        using (var store = SqliteStore.Open(old, createIfMissing: false)) Assert.Equal(2, store.LoadDataset().Interactions.Count);
    }

    [Fact]
    public void MovieLens_round_trips_through_the_store()
    {
        var original = DatasetLoader.Load(TestPaths.Dataset("ml-100k"));
        var db = NewDb();
        using var store = SqliteStore.Open(db);
        store.Import(original);
        var loaded = store.LoadDataset();
        Assert.Equal(100_000, loaded.Interactions.Count);
        Assert.Equal(original.Fingerprint(), loaded.Fingerprint());
        int toy = loaded.Items.IndexOf("1");
        Assert.Equal(["Animation", "Children's", "Comedy"], loaded.ItemFeatures.Labels("genre", toy));
        Assert.Equal(24f, loaded.UserFeatures.Numeric["age"][loaded.Users.IndexOf("1")]);
    }

    [Fact]
    public void A_failed_import_rolls_back_everything()
    {
        var db = NewDb();
        using var store = SqliteStore.Open(db);
        store.Import(DatasetLoader.Load(Folder("user,item,score\na,x,1\nb,y,2\n")));
        var before = store.Counts();

        // New users and items come first, then a bad weight half way through the interactions.
        var users = new IdMap(["a", "new-user-1", "new-user-2"]);
        var items = new IdMap(["x", "new-item"]);
        var log = new InteractionLog([1, 2, 0], [1, 1, 0], [1f, float.NaN, 1f], new long[3], [-1, -1, -1], []);
        var bad = new Dataset(users, items, log);
        var e = Assert.Throws<TroveException>(() => store.Import(bad));
        Assert.Contains("nothing was imported", e.Message);

        Assert.Equal(before, store.Counts());
        Assert.Equal(["a", "b"], store.LoadDataset().Users.Ids);
    }

    [Fact]
    public void A_malformed_csv_line_late_in_the_file_leaves_the_database_unchanged()
    {
        var db = NewDb();
        using var store = SqliteStore.Open(db);
        DataImporter.Import(store, Folder("user,item\na,x\nb,y\n"));
        var before = store.Counts();
        var lines = string.Join("\n", Enumerable.Range(0, 500).Select(i => $"u{i},i{i % 37},1"));
        var path = CsvTestFiles.Write("user,item,score\n" + lines + "\nbad,row,NaN\n", "late.csv");
        var e = Assert.Throws<DataFormatException>(() => DataImporter.Import(store, path));
        Assert.Equal(502, e.Line);
        Assert.Equal(before, store.Counts());
        Assert.Equal((2L, 2L, 2L), (before.Users, before.Items, before.Interactions));
    }

    [Fact]
    public void Appending_maps_existing_external_ids_to_existing_rows_and_merges_features()
    {
        var db = NewDb();
        using var store = SqliteStore.Open(db);
        store.Import(DatasetLoader.Load(Folder("user,item\na,x\nb,y\n", "item,color\nx,red\n")));
        var second = DataImporter.Import(store, Folder("user,item,event\nb,x,view\nc,z,view\n", "item,size\nx,10\nz,3\n"));
        Assert.Equal((1L, 1L, 2L), (second.NewUsers, second.NewItems, second.Interactions));
        Assert.Equal(new StoreCounts(3, 3, 4, 0, 0), store.Counts());
        var data = store.LoadDataset();
        Assert.Equal(["a", "b", "c"], data.Users.Ids);
        Assert.Equal(["x", "y", "z"], data.Items.Ids);
        Assert.Equal([0, 1, 1, 2], data.Interactions.Users);
        Assert.Equal([0, 1, 0, 2], data.Interactions.Items);
        int x = data.Items.IndexOf("x");
        Assert.Equal("red", data.ItemFeatures.Categorical["color"][x]);   // kept
        Assert.Equal(10f, data.ItemFeatures.Numeric["size"][x]);           // merged in
    }

    [Fact]
    public void Save_recommendations_replaces_only_that_model_versions_rows()
    {
        using var store = SqliteStore.Open(NewDb());
        store.SaveRecommendations("m1", [new("a", 1, "x", 0.9f), new("a", 2, "y", 0.5f), new("b", 1, "x", 0.7f)]);
        store.SaveRecommendations("m2", [new("a", 1, "z", 0.3f)]);
        store.SaveRecommendations("m1", [new("a", 1, "y", 0.8f)]);
        Assert.Equal([new RecommendationRow("a", 1, "y", 0.8f)], store.GetRecommendations("m1"));
        Assert.Equal([new RecommendationRow("a", 1, "z", 0.3f)], store.GetRecommendations("m2", "a"));
        Assert.Empty(store.GetRecommendations("m1", "b"));

        // A failing replacement leaves the previous rows in place.
        Assert.Throws<TroveException>(() => store.SaveRecommendations("m1", [new("c", 1, "x", 1f), new("c", 0, "y", 1f)]));
        Assert.Equal([new RecommendationRow("a", 1, "y", 0.8f)], store.GetRecommendations("m1"));
    }

    [Fact]
    public void Models_are_registered_updated_and_listed()
    {
        using var store = SqliteStore.Open(NewDb());
        var created = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        store.RegisterModel(new ModelRecord { Algorithm = "als", ModelVersion = "als-1", Path = "/m/als.trove", ParametersJson = "{\"factors\":64}", DataFingerprint = "sha256:ab", CreatedUtc = created });
        store.SetModelMetrics("als-1", "{\"ndcg@10\":0.4}");
        store.RegisterModel(new ModelRecord { Algorithm = "als", ModelVersion = "als-1", Path = "/m/als2.trove", CreatedUtc = created });
        var m = Assert.Single(store.ListModels());
        Assert.Equal("/m/als2.trove", m.Path);
        Assert.Equal("{\"ndcg@10\":0.4}", m.MetricsJson);   // kept when the update gives none
        Assert.Equal(created, m.CreatedUtc);
        Assert.Throws<TroveException>(() => store.SetModelMetrics("nope", "{}"));
    }

    [Fact]
    public void The_schema_is_versioned_and_the_database_uses_wal()
    {
        var db = NewDb();
        using (var store = SqliteStore.Open(db)) Assert.Equal(SqliteStore.LatestSchemaVersion, store.SchemaVersion);
        using var c = new SqliteConnection($"Data Source={db};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT max(version) FROM schema_version";
        Assert.Equal((long)SqliteStore.LatestSchemaVersion, cmd.ExecuteScalar());
        cmd.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", cmd.ExecuteScalar());
        cmd.CommandText = "INSERT INTO schema_version(version, applied_utc) VALUES (999, 'x')";
        cmd.ExecuteNonQuery();
        c.Close();
        var e = Assert.Throws<TroveException>(() => SqliteStore.Open(db));
        Assert.Contains("newer", e.Message);
    }

    [Fact]
    public void Opening_a_missing_database_without_create_and_a_non_database_file_are_errors()
    {
        Assert.Throws<TroveException>(() => SqliteStore.Open(NewDb(), createIfMissing: false));
        var notDb = CsvTestFiles.Write("user,item\na,b\n", "data.db");
        Assert.Contains("not a SQLite database", Assert.Throws<TroveException>(() => SqliteStore.Open(notDb)).Message);
    }

    [Fact]
    public void The_loader_reads_a_database_file()
    {
        var db = NewDb();
        using (var store = SqliteStore.Open(db)) store.Import(DatasetLoader.Load(Folder("user,item\na,x\n")));
        var data = DatasetLoader.Load(db);
        Assert.Equal(1, data.Interactions.Count);
        Assert.Equal("sqlite", DatasetLoader.Resolve(db).Name);
    }
}

public class SqliteReplaceTests
{
    [Fact]
    public void Replace_swaps_the_interactions_and_keeps_ids_in_one_transaction()
    {
        var dir = TestPaths.NewTempDirectory();
        var db = Path.Combine(dir, "t.db");
        var first = CsvTestFiles.Write("user,item\na,x\nb,y\n", "first.csv", dir);
        var second = CsvTestFiles.Write("user,item\nc,x\n", "second.csv", dir);
        var bad = CsvTestFiles.Write("user,item,score\nd,x,1\ne,y,zzz\n", "bad.csv", dir);
        using var store = SqliteStore.Open(db);
        DataImporter.Import(store, first);
        DataImporter.Import(store, second, replaceInteractions: true);
        Assert.Equal(new StoreCounts(3, 2, 1, 0, 0), store.Counts());
        Assert.Throws<DataFormatException>(() => DataImporter.Import(store, bad, replaceInteractions: true));
        Assert.Equal(new StoreCounts(3, 2, 1, 0, 0), store.Counts());
        var data = store.LoadDataset();
        Assert.Equal("c", data.Users[data.Interactions.Users[0]]);
    }
}

public class SqliteSparseRowIdTests
{
    [Fact]
    public void Rows_with_far_apart_ids_still_load_and_new_rows_continue_after_the_largest_id()
    {
        var db = Path.Combine(TestPaths.NewTempDirectory(), "t.db");
        using (var store = SqliteStore.Open(db)) DataImporter.Import(store, CsvTestFiles.Write("user,item\na,x\n"));
        using (var c = new SqliteConnection($"Data Source={db};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "INSERT INTO users(id, external_id) VALUES (5000000, 'far'); INSERT INTO interactions(user_id, item_id, weight) VALUES (5000000, 1, 2.5);";
            cmd.ExecuteNonQuery();
        }
        using (var store = SqliteStore.Open(db))
        {
            DataImporter.Import(store, CsvTestFiles.Write("user,item\nnext,x\n"));
            var data = store.LoadDataset();
            Assert.Equal(["a", "far", "next"], data.Users.Ids);
            Assert.Equal([0, 1, 2], data.Interactions.Users);
            Assert.Equal(2.5f, data.Interactions.Weights[1]);
        }
    }
}

public class InteractionStoresTests
{
    [Fact]
    public void File_paths_open_sqlite_and_postgres_locations_select_postgres()
    {
        using (var store = InteractionStores.Open(Path.Combine(TestPaths.NewTempDirectory(), "s.db")))
            Assert.IsType<SqliteStore>(store);
        Assert.True(InteractionStores.IsPostgres("postgres://localhost/trove"));
        Assert.True(InteractionStores.IsPostgres("Host=127.0.0.1;Port=5433;Database=x"));
        Assert.False(InteractionStores.IsPostgres("trove.db"));
        // Nothing listens on port 1: a clear error naming PostgreSQL, not a stack trace.
        var e = Assert.Throws<TroveException>(() => InteractionStores.Open("postgres://postgres@127.0.0.1:1/trove"));
        Assert.Contains("PostgreSQL", e.Message);
    }
}
