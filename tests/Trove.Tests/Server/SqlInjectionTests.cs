using System.Net;
using System.Text.Json;
using Trove.Data.Stores;
using Trove.Tests.Data;
using Trove.Tests.Postgres;
using Trove.Tests.Support;

namespace Trove.Tests.Server;

/// <summary>
/// Ids that are SQL are stored verbatim and execute nothing: through POST /events and the GET endpoints of
/// `trove serve --db`, and through `trove import` into SQLite and PostgreSQL. Every statement of the stores
/// is parameterised; table and schema names come from code (or are quoted), never from data.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class SqlInjectionTests(PostgresTestServer postgres) : IClassFixture<PostgresTestServer>
{
    public static readonly string[] Hostile =
    [
        "x'); DROP TABLE interactions;--",
        "1 OR 1=1",
        "' OR '1'='1",
        "Robert\"; DELETE FROM users; --",
        "a'; UPDATE items SET features = NULL; SELECT '",
        "$1; TRUNCATE models",
    ];

    private static void AssertIntact(string location, int interactions)
    {
        using var store = InteractionStores.Open(location, createIfMissing: false);
        var counts = store.Counts();
        Assert.Equal(interactions, counts.Interactions);
        var data = store.LoadDataset();
        foreach (var id in Hostile)
        {
            Assert.True(data.Users.Contains(id), $"user '{id}' not stored verbatim");
            Assert.True(data.Items.Contains("item " + id), $"item 'item {id}' not stored verbatim");
        }
        var log = data.Interactions;
        var pairs = Enumerable.Range(0, log.Count).Select(r => (data.Users[log.Users[r]], data.Items[log.Items[r]])).ToHashSet();
        foreach (var id in Hostile) Assert.Contains((id, "item " + id), pairs);
    }

    [Fact]
    public async Task Hostile_ids_through_the_api_are_stored_verbatim_and_every_table_survives()
    {
        var dir = TestPaths.NewTempDirectory();
        var db = Path.Combine(dir, "trove.db");
        using (var store = SqliteStore.Open(db)) store.Import(ServerHost.Toy());
        await using var host = await ServerHost.StartAsync(configure: o => o with { DatabasePath = db });

        var events = Hostile.Select(id => new { user = id, item = "item " + id, @event = "purchase" }).ToArray();
        var stored = await host.Client.SendAsync(host.Post("/events", JsonSerializer.Serialize(events)));
        Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
        foreach (var id in Hostile)
        {
            var escaped = Uri.EscapeDataString(id);
            var history = await host.Client.GetAsync($"/users/{escaped}/history");
            Assert.Equal(HttpStatusCode.OK, history.StatusCode);
            var body = JsonDocument.Parse(await history.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(id, body.GetProperty("user").GetString());
            Assert.Equal("item " + id, body.GetProperty("events")[0].GetProperty("item").GetString());
            // Hostile filter values match no item: an empty list, not an error.
            Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync($"/users/{escaped}/recommendations?fallback=popular&exclude={escaped}&category={escaped}")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await host.Client.GetAsync($"/users/{escaped}/recommendations?model={escaped}")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await host.Client.GetAsync($"/items/{escaped}/similar")).StatusCode);
        }
        var stats = JsonDocument.Parse(await host.Client.GetStringAsync("/api/stats")).RootElement;
        Assert.Equal(17 + Hostile.Length, stats.GetProperty("database").GetProperty("interactions").GetInt64());
        AssertIntact(db, 17 + Hostile.Length);
    }

    [Theory, Stores, PostgresData]
    public void Hostile_ids_through_trove_import_are_stored_verbatim(string kind)
    {
        string location = kind == StoresAttribute.Sqlite ? Path.Combine(TestPaths.NewTempDirectory(), "trove.db") : NewSchema();
        // CSV quoting keeps the quotes inside the ids.
        static string Csv(string s) => "\"" + s.Replace("\"", "\"\"") + "\"";
        var csv = "user,item,score\n" + string.Join("", Hostile.Select(id => $"{Csv(id)},{Csv("item " + id)},1\n"));
        var file = CsvTestFiles.Write(csv);
        var (code, _, err) = DataCliTests.Run("import", "--data", file, "--db", location);
        Assert.True(code == 0, err);
        AssertIntact(location, Hostile.Length);
    }

    private string NewSchema()
    {
        postgres.Require();
        return postgres.NewSchema();
    }
}
