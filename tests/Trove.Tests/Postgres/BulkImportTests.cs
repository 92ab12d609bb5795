using Trove.Data.Readers;
using Trove.Data.Stores;
using Trove.Tests.Support;

namespace Trove.Tests.Postgres;

/// <summary>
/// Every field of every row survives the bulk paths (SQLite's blocks of rows written on its writer thread, each in
/// statements of 64 rows, plus a one-row tail; PostgreSQL's COPY), in input order, with NULL score, timestamp and event
/// where the input has none, and users and items first seen in any block get their rows.
/// </summary>
public sealed class BulkImportTests(PostgresTestServer server) : IClassFixture<PostgresTestServer>
{
    private string NewLocation(string kind)
    {
        if (kind == StoresAttribute.Sqlite) return Path.Combine(TestPaths.NewTempDirectory(), "trove.db");
        server.Require();
        return server.NewSchema();
    }

    /// <summary>Row k: a mix of present and absent optional fields, so each column sees both in every batch; half the
    /// users and a third of the items are new every few rows, so every block brings new ones.</summary>
    private static InteractionRecord Row(int k) => new(
        k % 2 == 0 ? "u" + (k * 7 % 97) : "n" + (k / 10),
        k % 3 == 0 ? "j" + (k / 30) : "i" + (k * 13 % 61),
        0.25f * (k % 9),
        k % 3 == 0 ? null : k * 0.5f,
        k % 4 == 0 ? 0 : 1_700_000_000L + k,
        (k % 5) switch { 0 => null, 1 => "view", 2 => "purchase", 3 => "add_to_cart", _ => "événement" });

    [Theory, Stores, PostgresData]
    public void A_bulk_import_keeps_every_field_in_order(string kind)
    {
        const int n = 3 * InteractionWriter.BlockRows + 64 * 5 + 37; // whole blocks, whole batches and a tail
        var rows = Enumerable.Range(0, n).Select(Row).ToArray();
        long users = rows.Select(r => r.User).Distinct().Count(), items = rows.Select(r => r.Item).Distinct().Count();
        using var store = InteractionStores.Open(NewLocation(kind));
        using (var session = store.BeginImport())
        {
            Assert.Equal(n, session.AddInteractions(rows));
            var result = session.Commit();
            Assert.Equal((users, items, (long)n), (result.NewUsers, result.NewItems, result.Interactions));
        }
        Assert.Equal((users, items, (long)n), (store.Counts().Users, store.Counts().Items, store.Counts().Interactions));
        var back = store.InteractionsAfter("u0", 0);
        var expected = Enumerable.Range(0, n).Select(Row).Where(r => r.User == "u0").ToArray();
        Assert.Equal(expected.Length, back.Count);
        for (int j = 0; j < expected.Length; j++)
        {
            var (e, b) = (expected[j], back[j]);
            Assert.Equal((e.Item, e.Weight, e.Score, e.Timestamp, e.Event), (b.Item, b.Weight, b.Score, b.Timestamp, b.Event));
        }
        var d = store.LoadDataset();
        Assert.Equal(n, d.Interactions.Count);
        for (int k = 0; k < n; k++)
        {
            var e = Row(k);
            Assert.Equal((e.User, e.Item, e.Weight, e.Timestamp),
                (d.Users[d.Interactions.Users[k]], d.Items[d.Interactions.Items[k]], d.Interactions.Weights[k], d.Interactions.Timestamps[k]));
            Assert.Equal(e.Event, d.Interactions.Events[k] >= 0 ? d.Interactions.EventNames[d.Interactions.Events[k]] : null);
        }
    }
}
