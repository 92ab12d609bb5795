using Npgsql;
using Trove.Data.Readers;
using Trove.Data.Stores;

namespace Trove.Tests.Postgres;

/// <summary>
/// A bulk import into an empty interactions table drops the primary key, the foreign keys and the indexes and rebuilds
/// them at commit: they must all be back after a commit, still there after a rollback, and enforced afterwards.
/// </summary>
public sealed class ImportKeysTests(PostgresTestServer server) : IClassFixture<PostgresTestServer>
{
    private static readonly string[] Expected =
        ["index ix_interactions_item", "index ix_interactions_user", "key interactions_item_id_fkey", "key interactions_pkey", "key interactions_user_id_fkey"];

    private static string[] KeysAndIndexes(string connectionString)
    {
        using var c = new NpgsqlConnection(connectionString);
        c.Open();
        using var cmd = new NpgsqlCommand("""
            SELECT 'key ' || conname FROM pg_constraint WHERE conrelid = 'interactions'::regclass AND contype IN ('p', 'f')
            UNION ALL
            SELECT 'index ' || indexname FROM pg_indexes WHERE tablename = 'interactions' AND schemaname = current_schema() AND indexname LIKE 'ix_%'
            ORDER BY 1
            """, c);
        using var r = cmd.ExecuteReader();
        var list = new List<string>();
        while (r.Read()) list.Add(r.GetString(0));
        return list.ToArray();
    }

    private static IEnumerable<InteractionRecord> Rows(int n, string prefix = "u") =>
        Enumerable.Range(0, n).Select(k => new InteractionRecord(prefix + (k % 50), "i" + (k % 30), 1f, null, k + 1, "view"));

    [PostgresFact]
    public void Keys_and_indexes_are_rebuilt_at_commit_and_enforced()
    {
        server.Require();
        var location = server.NewSchema();
        using (var store = PostgresStore.Open(location))
        {
            using var session = store.BeginImport();
            session.AddInteractions(Rows(1000));
            session.Commit();
        }
        Assert.Equal(Expected, KeysAndIndexes(location));
        using var c = new NpgsqlConnection(location);
        c.Open();
        using (var duplicate = new NpgsqlCommand("INSERT INTO interactions(id, user_id, item_id, weight) SELECT id, user_id, item_id, 1 FROM interactions LIMIT 1", c))
            Assert.Equal(PostgresErrorCodes.UniqueViolation, Assert.Throws<PostgresException>(() => duplicate.ExecuteNonQuery()).SqlState);
        using (var dangling = new NpgsqlCommand("INSERT INTO interactions(user_id, item_id, weight) VALUES (999999, 1, 1)", c))
            Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, Assert.Throws<PostgresException>(() => dangling.ExecuteNonQuery()).SqlState);
        // Every new user carries the import's time; ids follow first appearance.
        using (var times = new NpgsqlCommand("SELECT count(*) FILTER (WHERE updated_utc IS NULL), min(id), max(id), count(DISTINCT updated_utc) FROM users", c))
        using (var r = times.ExecuteReader())
        {
            Assert.True(r.Read());
            Assert.Equal((0L, 1L, 50L, 1L), (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3)));
        }
    }

    [PostgresFact]
    public void A_rolled_back_import_into_an_empty_table_leaves_keys_and_indexes()
    {
        server.Require();
        var location = server.NewSchema();
        using (var store = PostgresStore.Open(location))
        using (var session = store.BeginImport())
            session.AddInteractions(Rows(1000)); // disposed without commit
        Assert.Equal(Expected, KeysAndIndexes(location));
        using var again = PostgresStore.Open(location);
        Assert.Equal(new StoreCounts(0, 0, 0, 0, 0), again.Counts());
    }

    [PostgresFact]
    public void A_second_import_touches_existing_users_and_keeps_the_keys()
    {
        server.Require();
        var location = server.NewSchema();
        using var store = PostgresStore.Open(location);
        using (var first = store.BeginImport())
        {
            first.AddInteractions(Rows(100));
            first.Commit();
        }
        DateTime Time(string user)
        {
            using var c = new NpgsqlConnection(location);
            c.Open();
            using var cmd = new NpgsqlCommand("SELECT updated_utc FROM users WHERE external_id = @u", c);
            cmd.Parameters.AddWithValue("u", user);
            return (DateTime)cmd.ExecuteScalar()!;
        }
        var before = (u0: Time("u0"), u1: Time("u1"));
        Thread.Sleep(20);
        using (var second = store.BeginImport())
        {
            second.AddInteractions([new InteractionRecord("u0", "i1", 1f), new InteractionRecord("new", "i1", 1f)]);
            second.Commit();
        }
        Assert.True(Time("u0") > before.u0);
        Assert.Equal(before.u1, Time("u1"));
        Assert.Equal(Time("u0"), Time("new"));
        Assert.Equal(Expected, KeysAndIndexes(location));
        Assert.Equal(102, store.Counts().Interactions);
    }
}
