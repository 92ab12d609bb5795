using Microsoft.Data.Sqlite;
using Trove.Data.Stores;
using Trove.Tests.Support;

namespace Trove.Tests.Data;

/// <summary>
/// The SQLite import writes full blocks of rows on a writer thread: a statement that fails there must fail the import
/// (at the next block or at the flush before commit), never hang the caller or be lost, and the writes that go with a
/// block run before its rows.
/// </summary>
public class SqliteInteractionWriterTests
{
    private static SqliteConnection OpenWithInteractions(string check)
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(TestPaths.NewTempDirectory(), "w.db")};Pooling=false");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = $"""
            CREATE TABLE interactions (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, item_id INTEGER NOT NULL,
                weight REAL NOT NULL {check}, score REAL, timestamp INTEGER, event TEXT);
            CREATE TABLE log (block INTEGER);
            """;
        cmd.ExecuteNonQuery();
        return connection;
    }

    private static long Scalar(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return (long)cmd.ExecuteScalar()!;
    }

    [Fact]
    public void With_the_bundled_e_sqlite3_rows_are_bound_directly()
    {
        // The direct binds are a tenth of the import's writer time; if the probe stopped resolving the library in Trove's
        // own build, imports would still pass every other test, only slower.
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open(); // sets SQLitePCLRaw's provider, as every store does before it writes
        Assert.True(InteractionWriter.BindsDirectly);
    }

    [Fact]
    public void A_row_rejected_on_the_writer_thread_fails_the_flush_and_nothing_hangs()
    {
        using var connection = OpenWithInteractions("CHECK (weight < 5)");
        using var tx = connection.BeginTransaction();
        using var writer = new InteractionWriter(connection, () => null);
        int bad = InteractionWriter.BlockRows + 17; // in the second block, written by the writer thread
        var error = Record.Exception(() =>
        {
            for (int k = 0; k < 6 * InteractionWriter.BlockRows; k++)
                writer.Add(1, 2, k == bad ? 9f : 1f, null, 1_700_000_000 + k, "view");
            writer.Flush();
        });
        var sqlite = Assert.IsType<SqliteException>(error);
        Assert.Contains("CHECK constraint failed", sqlite.Message);
    }

    [Fact]
    public void Rows_of_every_block_and_the_tail_are_written_in_order_after_the_writes_that_go_with_them()
    {
        using var connection = OpenWithInteractions("");
        using var tx = connection.BeginTransaction();
        int block = 0;
        var log = connection.CreateCommand();
        log.CommandText = "INSERT INTO log(block) SELECT count(*) FROM interactions";
        using var writer = new InteractionWriter(connection, () => { block++; return () => log.ExecuteNonQuery(); });
        int n = 2 * InteractionWriter.BlockRows + 3 * InteractionWriter.Batch + 5;
        for (int k = 0; k < n; k++) writer.Add(k, k % 7, 0.5f, k % 2 == 0 ? null : k, k, k % 3 == 0 ? null : "view");
        writer.Flush();
        Assert.Equal(n, Scalar(connection, "SELECT count(*) FROM interactions"));
        Assert.Equal(0, Scalar(connection, "SELECT count(*) FROM interactions WHERE id != user_id + 1 OR timestamp IS NOT user_id AND user_id != 0"));
        Assert.Equal(n / 2, Scalar(connection, "SELECT count(*) FROM interactions WHERE score IS NOT NULL"));
        // Each block's writes ran before its rows: they saw 0, one block, then two blocks of rows (the flush).
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT block FROM log ORDER BY rowid";
        using var r = cmd.ExecuteReader();
        var seen = new List<long>();
        while (r.Read()) seen.Add(r.GetInt64(0));
        Assert.Equal([0L, InteractionWriter.BlockRows, 2L * InteractionWriter.BlockRows], seen);
    }
}
