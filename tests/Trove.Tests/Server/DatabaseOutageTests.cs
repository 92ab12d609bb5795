using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Trove.Data.Stores;
using Trove.Tests.Support;

namespace Trove.Tests.Server;

/// <summary>
/// `trove serve --db` while the database goes away: event writes answer 503 with Retry-After (nothing stored,
/// so the client retries), recommendations keep coming from memory, /ready says the database is unavailable,
/// and everything recovers without a restart. Every event acknowledged with 2xx is in the database afterwards.
/// </summary>
public class DatabaseOutageTests
{
    private static string Event(string user, string item) => $$"""{"user":"{{user}}","item":"{{item}}","event":"purchase"}""";

    private static async Task<JsonElement> Ready(ServerHost host)
    {
        var response = await host.Client.GetAsync("/ready");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode); // degraded, not down: recommendations are served
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private static async Task Unavailable(ServerHost host, string user, string item)
    {
        var refused = await host.Client.SendAsync(host.Post("/events", Event(user, item)));
        var body = await refused.Content.ReadAsStringAsync();
        Assert.True(refused.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)refused.StatusCode}: {body}");
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Contains("nothing was stored", body);
        Assert.DoesNotContain("127.0.0.1", body); // the database's address is not for clients
        Assert.InRange(int.Parse(refused.Headers.GetValues("Retry-After").Single()), 1, 60);
    }

    /// <summary>Recommendations still answer, and only acknowledged events count (<paramref name="refused"/> is still recommended).</summary>
    private static async Task StillRecommends(ServerHost host, string user, string acknowledged, string refused)
    {
        var response = await host.Client.GetAsync($"/users/{user}/recommendations?k=8");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var items = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("items").EnumerateArray()
            .Select(i => i.GetProperty("item").GetString()).ToList();
        Assert.DoesNotContain(acknowledged, items);
        Assert.Contains(refused, items);
    }

    private static async Task WaitUntilAvailable(ServerHost host, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while ((await Ready(host)).GetProperty("database").GetProperty("status").GetString() != "available")
        {
            Assert.True(clock.Elapsed < limit, $"/ready did not report the database available within {limit.TotalSeconds} s");
            await Task.Delay(200);
        }
    }

    /// <summary>(user, item, event) rows of the store, ids as stored.</summary>
    private static HashSet<(string, string)> Stored(string location)
    {
        using var store = InteractionStores.Open(location, createIfMissing: false);
        var data = store.LoadDataset();
        var log = data.Interactions;
        return Enumerable.Range(0, log.Count).Select(r => (data.Users[log.Users[r]], data.Items[log.Items[r]])).ToHashSet();
    }

    [Fact]
    public async Task Sqlite_locked_by_another_writer_gives_503_then_recovers_and_keeps_every_acknowledged_event()
    {
        var dir = TestPaths.NewTempDirectory();
        var db = Path.Combine(dir, "trove.db");
        using (var store = SqliteStore.Open(db)) store.Import(ServerHost.Toy());
        // A back-off long enough for the checks below to fall inside it: each try under the lock waits the store's 5 s busy timeout.
        await using var host = await ServerHost.StartAsync(configure: o => o with { DatabasePath = db, DatabaseRetryAfter = TimeSpan.FromSeconds(4) });
        Assert.Equal(HttpStatusCode.OK, (await host.Client.SendAsync(host.Post("/events", Event("alice", "c")))).StatusCode);
        Assert.Equal("available", (await Ready(host)).GetProperty("database").GetProperty("status").GetString());

        // Another process holds the write lock (as a long migration or a backup tool would).
        using (var other = new SqliteConnection($"Data Source={db};Pooling=false"))
        {
            other.Open();
            using (var begin = other.CreateCommand()) { begin.CommandText = "BEGIN EXCLUSIVE"; begin.ExecuteNonQuery(); }

            await Unavailable(host, "alice", "d"); // waits the store's busy timeout, then 503
            await Unavailable(host, "alice", "d"); // within the back-off: 503 at once
            await StillRecommends(host, "alice", acknowledged: "c", refused: "d");
            var ready = await Ready(host);
            Assert.Equal("degraded", ready.GetProperty("status").GetString());
            Assert.Equal("unavailable", ready.GetProperty("database").GetProperty("status").GetString());
            Assert.False(string.IsNullOrEmpty(ready.GetProperty("database").GetProperty("error").GetString()));

            using var rollback = other.CreateCommand();
            rollback.CommandText = "ROLLBACK";
            rollback.ExecuteNonQuery();
        }

        await WaitUntilAvailable(host, TimeSpan.FromSeconds(15)); // no event needed to notice the recovery
        Assert.Equal("ready", (await Ready(host)).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, (await host.Client.SendAsync(host.Post("/events", Event("alice", "e")))).StatusCode);

        var stored = Stored(db);
        Assert.Contains(("alice", "c"), stored);
        Assert.Contains(("alice", "e"), stored);
        Assert.DoesNotContain(("alice", "d"), stored);
    }

    [TemporaryPostgresFact]
    public async Task Postgres_stopped_and_restarted_gives_503_meanwhile_and_keeps_every_acknowledged_event()
    {
        using var postgres = new TemporaryPostgres();
        using (var store = PostgresStore.Open(postgres.ConnectionString)) store.Import(ServerHost.Toy());
        await using var host = await ServerHost.StartAsync(configure: o => o with { DatabasePath = postgres.ConnectionString, DatabaseRetryAfter = TimeSpan.FromMilliseconds(500) });
        Assert.Equal(HttpStatusCode.OK, (await host.Client.SendAsync(host.Post("/events", Event("alice", "c")))).StatusCode);

        postgres.Stop();
        // /ready notices the outage by itself, before any write fails.
        await Task.Delay(Trove.Server.Events.InteractionStoreEvents.ProbeInterval);
        Assert.Equal("unavailable", (await Ready(host)).GetProperty("database").GetProperty("status").GetString());
        await Unavailable(host, "alice", "d");
        await StillRecommends(host, "alice", acknowledged: "c", refused: "d");
        await Task.Delay(600); // past the back-off: the next write tries (and fails to reach) the server again
        await Unavailable(host, "bob", "d");
        var ready = await Ready(host);
        Assert.Equal("degraded", ready.GetProperty("status").GetString());
        Assert.Equal("unavailable", ready.GetProperty("database").GetProperty("status").GetString());

        postgres.Start();
        await WaitUntilAvailable(host, TimeSpan.FromSeconds(15));
        Assert.Equal(HttpStatusCode.OK, (await host.Client.SendAsync(host.Post("/events", Event("alice", "e")))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.Client.SendAsync(host.Post("/events", Event("newbie", "a")))).StatusCode);

        var stored = Stored(postgres.ConnectionString);
        Assert.Contains(("alice", "c"), stored);
        Assert.Contains(("alice", "e"), stored);
        Assert.Contains(("newbie", "a"), stored);
        Assert.DoesNotContain(("alice", "d"), stored);
        Assert.DoesNotContain(("bob", "d"), stored);
    }
}
