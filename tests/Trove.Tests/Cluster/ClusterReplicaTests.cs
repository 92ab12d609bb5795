using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Npgsql;
using Trove.Cluster;
using Trove.Cluster.Hosting;
using Trove.Cluster.Schema;
using Trove.Server.Hosting;
using Trove.Tests.Crash;
using Trove.Tests.Postgres;
using Xunit.Abstractions;

namespace Trove.Tests.Cluster;

/// <summary>
/// Cluster mode on one machine as on several: three `trove serve --cluster` replicas as separate processes on
/// loopback, joined through the test PostgreSQL (TROVE_TEST_POSTGRES; CI's instance on 5433). An event acknowledged
/// by one replica is in the next answers of the others, a newly registered model reaches every replica, and a replica
/// killed with SIGKILL during a write load loses no acknowledged event.
/// </summary>
[Collection(Support.AloneCollection.Name)] // three servers and a write load: timing bounds must not share the cores with other classes
public sealed class ClusterReplicaTests(PostgresTestServer server, ITestOutputHelper output) : IClassFixture<PostgresTestServer>
{
    private const string ApiKey = "cluster-test-key";

    [PostgresFact]
    public void Migrate_creates_the_queries_orleans_requires_and_is_idempotent()
    {
        if (!server.Require(output)) return;
        var db = server.NewSchema();
        Assert.Equal(ClusterSchema.LatestVersion, ClusterSchema.Migrate(db));
        Assert.Equal(ClusterSchema.LatestVersion, ClusterSchema.Migrate(db)); // again: nothing to do, no error

        using var connection = new NpgsqlConnection(ClusterSchema.ConnectionString(db));
        connection.Open();
        var keys = Strings(connection, "SELECT querykey FROM orleansquery");
        Assert.Empty(ClusterSchema.OrleansClusteringQueries.Except(keys));
        Assert.Equal(Enumerable.Range(1, ClusterSchema.LatestVersion).Select(v => v.ToString()), Strings(connection, "SELECT version::text FROM cluster_schema_version ORDER BY version"));

        // The membership protocol's optimistic concurrency: an insert with a stale table version changes nothing.
        Exec(connection, "SELECT * FROM insert_membership_version('t')");
        int Insert(int version, int port) => Convert.ToInt32(Scalar(connection,
            $"SELECT row_count FROM insert_membership('t', '127.0.0.1', {port}, 1, 's', 'h', 3, 0, now(), now(), {version})"));
        Assert.Equal(1, Insert(version: 0, port: 1));
        Assert.Equal(0, Insert(version: 0, port: 2)); // version is 1 now
        Assert.Equal("1", Strings(connection, "SELECT count(*)::text FROM orleansmembershiptable WHERE deploymentid = 't'").Single());
    }

    [PostgresFact]
    public async Task Replicas_share_events_follow_new_models_and_lose_no_acknowledged_event_when_one_is_killed()
    {
        if (!server.Require(output)) return;
        var total = Stopwatch.StartNew();
        var db = server.NewSchema();
        var dir = Directory.CreateTempSubdirectory("trove-cluster-").FullName;
        var replicas = new List<ChildCli>();
        try
        {
            Cli(dir, "simulate", "--users", "200", "--items", "120", "--seed", "7", "--out", "data");
            Cli(dir, "import", "--data", "data", "--db", db);
            Cli(dir, "train", "--db", db, "--model", "als", "--out", "als.trove");

            var ports = Enumerable.Range(0, 3).Select(_ => (Http: FreePort(), Silo: FreePort())).ToList();
            foreach (var (http, silo) in ports)
                replicas.Add(ChildCli.Start(dir, "serve", "--cluster", "--db", db, "--port", http.ToString(), "--silo-port", silo.ToString(), "--api-key", ApiKey));
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
            client.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
            var urls = ports.Select(p => $"http://127.0.0.1:{p.Http}").ToArray();
            foreach (var (url, i) in urls.Select((u, i) => (u, i))) await WaitReady(client, url, replicas[i]);
            output.WriteLine($"3 replicas ready after {total.Elapsed.TotalSeconds:F1} s");

            // 1. An event acknowledged by replica 0 changes replica 1's and 2's answers within a second.
            string user = File.ReadLines(Path.Combine(dir, "data", "interactions.csv")).Skip(1).First().Split(',')[0];
            string top = (await Recommend(client, urls[1], user))[0];
            var post = await client.PostAsJsonAsync($"{urls[0]}/events", new { user, item = top, @event = "purchase" });
            Assert.Equal(HttpStatusCode.OK, post.StatusCode);
            var acknowledged = Stopwatch.StartNew();
            foreach (var url in urls[1..])
            {
                while ((await Recommend(client, url, user)).Contains(top))
                {
                    Assert.True(acknowledged.Elapsed < TimeSpan.FromSeconds(1), $"{url} still recommends {top} to {user} 1 s after another replica acknowledged the purchase");
                    await Task.Delay(50);
                }
            }
            output.WriteLine($"event visible on the other replicas {acknowledged.Elapsed.TotalMilliseconds:F0} ms after its acknowledgement");

            // 2. A model registered in the database reaches every replica without a restart; /ready names it.
            var trained = Cli(dir, "train", "--db", db, "--model", "itemknn", "--out", "knn.trove");
            string version = trained.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("model version ")).Split(' ')[2];
            var registered = Stopwatch.StartNew();
            foreach (var url in urls)
                while (!(await ServedVersions(client, url)).Contains(version))
                {
                    Assert.True(registered.Elapsed < TimeSpan.FromSeconds(20), $"{url} does not serve {version} 20 s after its registration");
                    await Task.Delay(100);
                }
            output.WriteLine($"model {version} served by every replica {registered.Elapsed.TotalMilliseconds:F0} ms after registration");

            // 3. A write load on all three; replica 2 is SIGKILLed in the middle. Every event carries a unique item id, so
            //    the database can be checked against the acknowledgements one by one.
            var acked = new ConcurrentBag<(string User, string Item)>();
            long ackedAfterKill = 0, failed = 0;
            bool killed = false;
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
            {
                for (int n = 0; !stop.IsCancellationRequested; n++)
                {
                    string u = $"load-u{w}-{n % 10}", item = $"load-{w}-{n}";
                    string url = urls[(w + n) % urls.Length];
                    try
                    {
                        using var response = await client.PostAsJsonAsync($"{url}/events", new { user = u, item, @event = "view" });
                        if (response.StatusCode == HttpStatusCode.OK)
                        {
                            acked.Add((u, item));
                            if (Volatile.Read(ref killed)) Interlocked.Increment(ref ackedAfterKill);
                        }
                        else Interlocked.Increment(ref failed);
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { Interlocked.Increment(ref failed); }
                }
            })).ToList();
            // The kill lands once the load is running (at least 3 s and 20 acknowledgements: a loaded CI machine may be
            // slow to start it), and the load goes on until the survivors have acknowledged 10 more (or 30 s passed).
            var loadClock = Stopwatch.StartNew();
            while ((loadClock.Elapsed < TimeSpan.FromSeconds(3) || acked.Count < 20) && loadClock.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(100);
            Assert.True(replicas[2].Kill(), "replica 2 had exited before the kill:\n" + replicas[2].Output);
            Volatile.Write(ref killed, true);
            int beforeKill = acked.Count;
            var afterClock = Stopwatch.StartNew();
            while ((afterClock.Elapsed < TimeSpan.FromSeconds(4) || Interlocked.Read(ref ackedAfterKill) < 10) && afterClock.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(100);
            stop.Cancel();
            await Task.WhenAll(writers);
            output.WriteLine($"write load: {acked.Count} acknowledged ({beforeKill} before the kill, {ackedAfterKill} after), {failed} refused or failed");
            Assert.True(beforeKill >= 10, $"only {beforeKill} events acknowledged before the kill: the load did not run");
            Assert.True(ackedAfterKill >= 10, $"only {ackedAfterKill} events acknowledged after replica 2 was killed: the survivors stopped answering");

            using (var connection = new NpgsqlConnection(ClusterSchema.ConnectionString(db)))
            {
                connection.Open();
                var stored = Strings(connection, "SELECT i.external_id FROM interactions x JOIN items i ON i.id = x.item_id WHERE i.external_id LIKE 'load-%'").ToHashSet();
                var lost = acked.Select(a => a.Item).Where(i => !stored.Contains(i)).ToList();
                output.WriteLine($"database: {stored.Count} load events stored, {acked.Count} acknowledged, {lost.Count} acknowledged but missing");
                Assert.True(lost.Count == 0, $"{lost.Count} acknowledged events are not in the database, e.g. {string.Join(", ", lost.Take(5))}");
            }

            // 4. Every user's grain, including those that lived in the killed silo, comes back (from the database) with
            //    every acknowledged event, on both survivors.
            foreach (var group in acked.GroupBy(a => a.User))
                foreach (var url in urls[..2])
                {
                    var history = await client.GetFromJsonAsync<JsonElement>($"{url}/users/{group.Key}/history");
                    var items = history.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("item").GetString()).ToHashSet();
                    var missing = group.Select(a => a.Item).Where(i => !items.Contains(i)).ToList();
                    Assert.True(missing.Count == 0, $"{url}: user {group.Key} lacks acknowledged events {string.Join(", ", missing.Take(5))}");
                }
            output.WriteLine($"total {total.Elapsed.TotalSeconds:F1} s");
        }
        finally
        {
            foreach (var r in replicas)
            {
                if (!r.HasExited) output.WriteLine(r.Output.Split('\n').TakeLast(5).Aggregate("", (a, l) => a + l + "\n"));
                r.Dispose();
            }
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>The batch tests' cluster: simulated data imported into the schema, ALS trained on it (als.trove in
    /// <paramref name="dir"/>), and two replicas started (added to <paramref name="replicas"/>, so the caller's cleanup
    /// stops them) and ready.</summary>
    private async Task<List<(int Http, int Silo)>> StartTwoReplicasOverAls(string dir, string db, int seed, List<ChildCli> replicas)
    {
        Cli(dir, "simulate", "--users", "10000", "--items", "1500", "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture), "--mean-interactions", "8", "--out", "data");
        Cli(dir, "import", "--data", "data", "--db", db);
        Cli(dir, "train", "--db", db, "--model", "als", "--out", "als.trove");
        var ports = Enumerable.Range(0, 2).Select(_ => (Http: FreePort(), Silo: FreePort())).ToList();
        foreach (var (http, silo) in ports)
            replicas.Add(ChildCli.Start(dir, "serve", "--cluster", "--db", db, "--port", http.ToString(), "--silo-port", silo.ToString(), "--api-key", ApiKey));
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        for (int i = 0; i < 2; i++) await WaitReady(client, $"http://127.0.0.1:{ports[i].Http}", replicas[i]);
        return ports;
    }

    [PostgresFact]
    public async Task Recommend_all_in_cluster_writes_every_user_once_when_a_replica_dies_holding_a_block()
    {
        if (!server.Require(output)) return;
        var total = Stopwatch.StartNew();
        var db = server.NewSchema();
        var dir = Directory.CreateTempSubdirectory("trove-cluster-batch-").FullName;
        var replicas = new List<ChildCli>();
        try
        {
            var ports = await StartTwoReplicasOverAls(dir, db, seed: 3, replicas);

            using var connection = new NpgsqlConnection(ClusterSchema.ConnectionString(db));
            connection.Open();
            string victim = $"silo{ports[0].Silo}";
            using var job = ChildCli.Start(dir, "recommend", "--all", "--cluster", "--db", db, "--model", "als.trove", "--block-size", "100", "--lease", "2");
            // Kill replica 0 the moment it holds a lease on a block it has not finished.
            List<string> held = [];
            var clock = Stopwatch.StartNew();
            while (held.Count == 0 && !job.HasExited && clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                held = Strings(connection, $"SELECT block::text FROM batch_blocks WHERE lease_owner LIKE '%:{victim}' AND NOT done AND lease_expires > now()");
                if (held.Count == 0) await Task.Delay(5);
            }
            Assert.True(held.Count > 0, $"replica 0 never held a block:\n{job.Output}\n{replicas[0].Output}");
            Assert.True(replicas[0].Kill(), "replica 0 had exited before the kill");
            var unfinished = Strings(connection, $"SELECT block::text FROM batch_blocks WHERE lease_owner LIKE '%:{victim}' AND NOT done");
            Assert.Equal(0, job.WaitForExit(TimeSpan.FromMinutes(2)));
            output.WriteLine(job.Output);

            int users = int.Parse(Strings(connection, "SELECT count(DISTINCT user_id)::text FROM interactions").Single());
            Assert.Equal("0", Strings(connection, "SELECT count(*)::text FROM batch_blocks WHERE NOT done").Single());
            Assert.Equal(users.ToString(), Strings(connection, "SELECT count(DISTINCT \"user\")::text FROM recommendations").Single());
            // Exactly once: every user's ranks are 1..10 with no gap and no repeat (the key forbids repeats; a block written twice would fail).
            Assert.Equal("0", Strings(connection, "SELECT count(*)::text FROM (SELECT \"user\" FROM recommendations GROUP BY 1 HAVING count(*) <> 10 OR max(rank) <> 10) x").Single());
            // The block(s) the dead replica held were redone by another worker after the lease expired.
            foreach (var block in unfinished)
            {
                var row = Strings(connection, $"SELECT done_by || ' ' || attempts FROM batch_blocks WHERE block = {block}").Single();
                Assert.DoesNotContain(victim, row);
                Assert.True(int.Parse(row.Split(' ')[1]) >= 2, $"block {block}: {row}");
            }
            output.WriteLine($"{users} users, {unfinished.Count} block(s) held by the killed replica redone elsewhere; total {total.Elapsed.TotalSeconds:F1} s");
        }
        finally
        {
            foreach (var r in replicas) r.Dispose();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    [PostgresFact]
    public async Task Similarities_in_cluster_write_every_row_once_when_a_replica_dies_and_replace_the_published_set_atomically()
    {
        if (!server.Require(output)) return;
        var total = Stopwatch.StartNew();
        var db = server.NewSchema();
        var dir = Directory.CreateTempSubdirectory("trove-cluster-similar-").FullName;
        var replicas = new List<ChildCli>();
        try
        {
            var ports = await StartTwoReplicasOverAls(dir, db, seed: 4, replicas);

            using var connection = new NpgsqlConnection(ClusterSchema.ConnectionString(db));
            connection.Open();
            int users = int.Parse(Strings(connection, "SELECT count(DISTINCT user_id)::text FROM interactions").Single());
            int items = int.Parse(Strings(connection, "SELECT count(*)::text FROM items").Single()); // the catalogue: the model knows items nobody touched
            const string Published = "SELECT count(*)::text || ' ' || count(DISTINCT job_id)::text || ' ' || coalesce(min(job_id), 0)::text FROM model_similarities WHERE kind = 'similar-users'";

            // A first set, published whole.
            var first = ChildCli.Run(dir, "similarities", "--cluster", "--of", "users", "--db", db, "--model", "als.trove", "--k", "10", "--block-size", "500");
            Assert.True(first.Code == 0, first.Output);
            var before = Strings(connection, Published).Single().Split(' ');
            Assert.Equal([(users * 10).ToString(), "1"], before[..2]);
            long firstJob = long.Parse(before[2]);

            // While the second job runs (and a replica dies in it), a reader sees the first set whole, then the second
            // whole: never a mix, never a part.
            using var reader = new NpgsqlConnection(ClusterSchema.ConnectionString(db));
            reader.Open();
            var seen = new ConcurrentBag<string>();
            using var stopReading = new CancellationTokenSource();
            var reading = Task.Run(async () =>
            {
                while (!stopReading.IsCancellationRequested)
                {
                    seen.Add(Strings(reader, Published).Single());
                    await Task.Delay(10);
                }
            });
            string victim = $"silo{ports[0].Silo}";
            using var job = ChildCli.Start(dir, "similarities", "--cluster", "--of", "users", "--db", db, "--model", "als.trove", "--k", "10", "--block-size", "100", "--lease", "2");
            List<string> held = [];
            var clock = Stopwatch.StartNew();
            while (held.Count == 0 && !job.HasExited && clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                held = Strings(connection, $"SELECT block::text FROM batch_blocks b JOIN batch_jobs j ON j.id = b.job_id WHERE j.id > {firstJob} AND lease_owner LIKE '%:{victim}' AND NOT done AND lease_expires > now()");
                if (held.Count == 0) await Task.Delay(5);
            }
            Assert.True(held.Count > 0, $"replica 0 never held a block:\n{job.Output}\n{replicas[0].Output}");
            Assert.True(replicas[0].Kill(), "replica 0 had exited before the kill");
            var unfinished = Strings(connection, $"SELECT block::text FROM batch_blocks WHERE job_id > {firstJob} AND lease_owner LIKE '%:{victim}' AND NOT done");
            Assert.Equal(0, job.WaitForExit(TimeSpan.FromMinutes(2)));
            output.WriteLine(job.Output);
            stopReading.Cancel();
            await reading;

            long secondJob = long.Parse(Strings(connection, $"SELECT max(id)::text FROM batch_jobs").Single());
            Assert.True(secondJob > firstJob);
            Assert.Equal("0", Strings(connection, $"SELECT count(*)::text FROM batch_blocks WHERE job_id = {secondJob} AND NOT done").Single());
            Assert.Equal($"{users * 10} 1 {secondJob}", Strings(connection, Published).Single());
            // Exactly once: every user's ranks are 1..10 with no gap and no repeat; the replaced set's rows are gone.
            Assert.Equal(users.ToString(), Strings(connection, "SELECT count(DISTINCT subject)::text FROM model_similarities WHERE kind = 'similar-users'").Single());
            Assert.Equal("0", Strings(connection, "SELECT count(*)::text FROM (SELECT subject FROM model_similarities WHERE kind = 'similar-users' GROUP BY 1 HAVING count(*) <> 10 OR max(rank) <> 10) x").Single());
            Assert.Equal("0", Strings(connection, $"SELECT count(*)::text FROM similarity_rows WHERE job_id = {firstJob}").Single());
            foreach (var block in unfinished)
            {
                var row = Strings(connection, $"SELECT done_by || ' ' || attempts FROM batch_blocks WHERE job_id = {secondJob} AND block = {block}").Single();
                Assert.DoesNotContain(victim, row);
                Assert.True(int.Parse(row.Split(' ')[1]) >= 2, $"block {block}: {row}");
            }
            var views = seen.Distinct().ToList();
            Assert.Contains($"{users * 10} 1 {firstJob}", views);
            Assert.Empty(views.Except([$"{users * 10} 1 {firstJob}", $"{users * 10} 1 {secondJob}"]));

            // Item-item beside it: a set of its own kind, every item's 10 most similar.
            var itemJob = ChildCli.Run(dir, "similarities", "--cluster", "--of", "items", "--db", db, "--model", "als.trove", "--k", "10", "--block-size", "200");
            Assert.True(itemJob.Code == 0, itemJob.Output);
            Assert.Equal($"{items * 10} {items}", Strings(connection, "SELECT count(*)::text || ' ' || count(DISTINCT subject)::text FROM model_similarities WHERE kind = 'similar-items'").Single());
            Assert.Equal($"{users * 10} 1 {secondJob}", Strings(connection, Published).Single());
            output.WriteLine($"{users} users, {items} items; {unfinished.Count} block(s) held by the killed replica redone elsewhere; the reader saw {views.Count} state(s) in {seen.Count} reads; total {total.Elapsed.TotalSeconds:F1} s");
        }
        finally
        {
            foreach (var r in replicas) r.Dispose();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    [PostgresFact]
    public async Task A_host_app_with_UseCluster_joins_the_replicas_of_trove_serve()
    {
        if (!server.Require(output)) return;
        var db = server.NewSchema();
        var dir = Directory.CreateTempSubdirectory("trove-cluster-host-").FullName;
        ChildCli? replica = null;
        try
        {
            Cli(dir, "simulate", "--users", "200", "--items", "120", "--seed", "5", "--out", "data");
            Cli(dir, "import", "--data", "data", "--db", db);
            Cli(dir, "train", "--db", db, "--model", "als", "--out", "als.trove");
            var (http, silo) = (FreePort(), FreePort());
            replica = ChildCli.Start(dir, "serve", "--cluster", "--db", db, "--port", http.ToString(), "--silo-port", silo.ToString(), "--api-key", ApiKey);
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
            string url = $"http://127.0.0.1:{http}";
            await WaitReady(client, url, replica);

            // The host: its own route, Trove under /recs, and a silo of the same cluster in its process.
            var builder = WebApplication.CreateBuilder();
            builder.WebHost.UseTestServer();
            builder.Services.AddTrove(o => (o with { ApiKey = ApiKey }).UseCluster(new TroveClusterOptions { Database = db, SiloPort = FreePort() }));
            await using var app = builder.Build();
            app.MapGet("/", () => "our shop");
            app.MapTrove("/recs");
            await app.StartAsync();
            var host = app.GetTestClient();
            host.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
            Assert.Equal("our shop", await host.GetStringAsync("/"));

            string user = File.ReadLines(Path.Combine(dir, "data", "interactions.csv")).Skip(1).First().Split(',')[0];
            string top = (await Recommend(client, url, user))[0];
            var post = await host.PostAsJsonAsync("/recs/events", new { user, item = top, @event = "purchase" });
            Assert.Equal(HttpStatusCode.OK, post.StatusCode);
            Assert.Contains("cluster", await post.Content.ReadAsStringAsync());
            var clock = Stopwatch.StartNew();
            while ((await Recommend(client, url, user)).Contains(top))
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"the trove serve replica still recommends {top} 1 s after the host app acknowledged the purchase");
                await Task.Delay(50);
            }
            await app.StopAsync();
        }
        finally
        {
            replica?.Dispose();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    [Theory]
    [InlineData("--cluster needs --db", "serve", "--cluster")]
    [InlineData("--cluster needs --db", "serve", "--cluster", "--db", "shop.db")]
    [InlineData("--cluster works with --all", "recommend", "--model", "m.trove", "--cluster", "--db", "postgres://postgres@127.0.0.1:1/x")]
    [InlineData("--cluster needs --db", "recommend", "--model", "m.trove", "--all", "--cluster")]
    [InlineData("--block-size must be positive", "recommend", "--model", "m.trove", "--all", "--cluster", "--db", "postgres://postgres@127.0.0.1:1/x", "--block-size", "0")]
    [InlineData("give --model", "similarities", "--cluster", "--db", "postgres://postgres@127.0.0.1:1/x")]
    [InlineData("--of must be items or users", "similarities", "--cluster", "--db", "postgres://postgres@127.0.0.1:1/x", "--model", "m.trove", "--of", "tags")]
    [InlineData("--cluster needs --db", "similarities", "--cluster", "--db", "shop.db", "--model", "m.trove")]
    public void Bad_cluster_options_fail_with_one_line_and_a_non_zero_exit(string message, params string[] args)
    {
        var dir = Directory.CreateTempSubdirectory("trove-cluster-args-").FullName;
        try
        {
            var (code, text) = ChildCli.Run(dir, args);
            Assert.NotEqual(0, code);
            var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(lines.Length == 1 && lines[0].Contains(message), $"expected one line with '{message}', got:\n{text}");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    private string Cli(string dir, params string[] args)
    {
        var (code, text) = ChildCli.Run(dir, args);
        Assert.True(code == 0, $"trove {string.Join(' ', args)} exited {code}:\n{text}");
        return text;
    }

    private static async Task WaitReady(HttpClient client, string url, ChildCli replica)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            Assert.False(replica.HasExited, $"{url} exited:\n{replica.Output}");
            try
            {
                using var response = await client.GetAsync($"{url}/ready");
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException) { }
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), $"{url} not ready after 90 s:\n{replica.Output}");
            await Task.Delay(200);
        }
    }

    private static async Task<List<string>> Recommend(HttpClient client, string url, string user)
    {
        var body = await client.GetFromJsonAsync<JsonElement>($"{url}/users/{user}/recommendations?k=10");
        return body.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()!).ToList();
    }

    private static async Task<List<string>> ServedVersions(HttpClient client, string url)
    {
        var body = await client.GetFromJsonAsync<JsonElement>($"{url}/ready");
        return body.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("version").GetString()!).ToList();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static List<string> Strings(NpgsqlConnection connection, string sql)
    {
        using var cmd = new NpgsqlCommand(sql, connection);
        using var r = cmd.ExecuteReader();
        var list = new List<string>();
        while (r.Read()) list.Add(r.GetString(0));
        return list;
    }

    private static object Scalar(NpgsqlConnection connection, string sql)
    {
        using var cmd = new NpgsqlCommand(sql, connection);
        return cmd.ExecuteScalar()!;
    }

    private static void Exec(NpgsqlConnection connection, string sql)
    {
        using var cmd = new NpgsqlCommand(sql, connection);
        cmd.ExecuteNonQuery();
    }
}
