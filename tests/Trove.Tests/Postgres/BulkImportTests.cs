using Trove.Data.Readers;
using Trove.Data.Stores;
using Trove.Tests.Support;

namespace Trove.Tests.Postgres;

/// <summary>
/// Every field of every row survives the bulk paths (SQLite's batched statement of 64 rows plus its one-row tail,
/// PostgreSQL's COPY), in input order, with NULL score, timestamp and event where the input has none.
/// </summary>
public sealed class BulkImportTests(PostgresTestServer server) : IClassFixture<PostgresTestServer>
{
    private string NewLocation(string kind)
    {
        if (kind == StoresAttribute.Sqlite) return Path.Combine(TestPaths.NewTempDirectory(), "trove.db");
        server.Require();
        return server.NewSchema();
    }

    /// <summary>Row k: a mix of present and absent optional fields, so each column sees both in every batch.</summary>
    private static InteractionRecord Row(int k) => new(
        "u" + (k * 7 % 97), "i" + (k * 13 % 61), 0.25f * (k % 9),
        k % 3 == 0 ? null : k * 0.5f,
        k % 4 == 0 ? 0 : 1_700_000_000L + k,
        (k % 5) switch { 0 => null, 1 => "view", 2 => "purchase", 3 => "add_to_cart", _ => "événement" });

    [Theory, Stores, PostgresData]
    public void A_bulk_import_keeps_every_field_in_order(string kind)
    {
        const int n = 64 * 5 + 37; // whole batches and a tail
        using var store = InteractionStores.Open(NewLocation(kind));
        using (var session = store.BeginImport())
        {
            Assert.Equal(n, session.AddInteractions(Enumerable.Range(0, n).Select(Row)));
            var result = session.Commit();
            Assert.Equal((97L, 61L, (long)n), (result.NewUsers, result.NewItems, result.Interactions));
        }
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
