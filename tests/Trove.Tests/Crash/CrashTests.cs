using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Npgsql;
using Trove.Core.Persistence;
using Trove.Models;
using Trove.Models.Factorization;
using Trove.Tests.Postgres;
using Trove.Tests.Support;
using Xunit.Abstractions;

namespace Trove.Tests.Crash;

/// <summary>
/// Kills the real `trove` process (SIGKILL) at seeded random moments while it imports, trains with
/// checkpoints, exports recommendations and stores events, then checks what a restart finds: the
/// database passes its integrity check, each import / export / event batch is all there or not at
/// all, nothing acknowledged is lost, no half-written file is read as valid, and training resumes
/// from its last checkpoint. The assertions hold wherever the kill lands (before, during or after
/// the write), so they need no retries; the test output says how many kills hit a running process.
/// </summary>
public sealed class CrashTests(ITestOutputHelper output, PostgresTestServer postgres) : IClassFixture<PostgresTestServer>
{
    private const int BaseUsers = 200, BigUsers = 4000, PerUser = 25;

    [Fact]
    public void Killed_sqlite_import_leaves_the_database_intact_and_the_import_all_or_nothing()
    {
        var dir = TestPaths.NewTempDirectory();
        var db = Path.Combine(dir, "x.db");
        KilledImport(dir, db, new Random(101), kills: 4, () => SqliteCounts(db), () => AssertSqliteIntact(db));
    }

    [Fact]
    public void A_database_whose_creating_import_was_killed_is_empty_or_complete_and_usable()
    {
        var dir = TestPaths.NewTempDirectory();
        var db = Path.Combine(dir, "fresh.db");
        var data = WriteInteractions(dir, "data.csv", "b", BigUsers, PerUser, seed: 6);
        var rng = new Random(606);
        ChildCli.RunAndKill(dir, rng.Next(200, 1500), ["import", "--data", data, "--db", db]);
        long rows = 0;
        if (File.Exists(db) && new FileInfo(db).Length > 0)
        {
            AssertSqliteIntact(db);
            using var c = OpenSqlite(db);
            bool hasTable = Scalar(c, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'interactions'") > 0;
            rows = hasTable ? Scalar(c, "SELECT COUNT(*) FROM interactions") : 0;
            Assert.Contains(rows, new long[] { 0, BigUsers * PerUser });
        }
        Succeeds(dir, "import", "--data", data, "--db", db); // the next run migrates and imports as usual
        AssertSqliteIntact(db);
        Assert.Equal(rows + BigUsers * PerUser, SqliteCounts(db).Interactions);
    }

    [PostgresFact]
    public void Killed_postgres_import_leaves_the_database_intact_and_the_import_all_or_nothing()
    {
        Assert.True(postgres.Require(output));
        var db = postgres.NewSchema();
        var schema = new NpgsqlConnectionStringBuilder(db).SearchPath!;
        KilledImport(TestPaths.NewTempDirectory(), db, new Random(202), kills: 3, () => PostgresCounts(db), () => AssertPostgresIntact(db, schema));
    }

    private void KilledImport(string dir, string db, Random rng, int kills, Func<(long BaseUsers, long BigUsers, long Interactions)> counts, Action intact)
    {
        var small = WriteInteractions(dir, "base.csv", "a", BaseUsers, PerUser, seed: 1);
        var big = WriteInteractions(dir, "big.csv", "b", BigUsers, PerUser, seed: 2);
        long baseRows = BaseUsers * PerUser, bigRows = BigUsers * PerUser;
        Succeeds(dir, "import", "--data", small, "--db", db);
        int committed = 0, running = 0;
        for (int kill = 0; kill < kills; kill++)
        {
            if (ChildCli.RunAndKill(dir, rng.Next(300, 2500), ["import", "--data", big, "--db", db])) running++;
            intact();
            var (a, b, interactions) = counts();
            Assert.Equal(BaseUsers, a); // the earlier import is untouched
            bool present = interactions == baseRows + (committed + 1) * bigRows;
            Assert.True(present || interactions == baseRows + committed * bigRows, $"after kill {kill + 1}: {interactions} interactions, a partial import");
            if (present) committed++;
            Assert.Equal(committed > 0 ? BigUsers : 0, b);
        }
        Succeeds(dir, "import", "--data", big, "--db", db);
        intact();
        Assert.Equal(baseRows + (committed + 1) * bigRows, counts().Interactions);
        output.WriteLine($"import into {InteractionStoresDescribe(db)}: {kills} kills, {running} while running, {committed} had committed");
    }

    [Fact]
    public void Killed_training_resumes_from_its_last_checkpoint_and_never_reads_a_partial_file()
    {
        var dir = TestPaths.NewTempDirectory();
        var data = WriteInteractions(dir, "train.csv", "u", 3000, 20, seed: 3, items: 600);
        string[] train = ["train", "--data", data, "--model", "als", "--param", "iterations=25", "--param", "factors=32", "--seed", "7"];
        var reference = Path.Combine(dir, "reference.trove");
        Succeeds(dir, [.. train, "--out", reference]);

        var ck = Path.Combine(dir, "ck");
        var model = Path.Combine(dir, "m.trove");
        string[] checkpointed = [.. train, "--out", model, "--checkpoint-dir", ck];
        var rng = new Random(303);
        int newest = 0, running = 0;
        for (int kill = 0; kill < 3; kill++)
        {
            // First a fresh run, then resumed runs; each killed a random moment after it has written a checkpoint.
            int before = newest;
            bool wasRunning = ChildCli.RunAndKill(dir, rng.Next(0, 600), kill == 0 ? checkpointed : [.. checkpointed, "--resume"],
                ready: () => NewestCheckpoint(ck) > before);
            if (wasRunning) running++;
            foreach (var file in Directory.GetFiles(ck, "*.ckpt")) AssertCompleteZip(file); // every file that looks like a checkpoint is whole
            int now = NewestCheckpoint(ck);
            Assert.True(now > before, $"kill {kill + 1}: the newest checkpoint went from epoch {before} to {now}");
            newest = now;
            if (File.Exists(model)) ModelFile.Load(model, BuiltInAlgorithms.Registry); // the model file is only ever complete
        }
        var (code, log) = ChildCli.Run(dir, [.. checkpointed, "--resume"]);
        Assert.True(code == 0, log);
        Assert.Matches($@"als: resuming after epoch ({newest}|{newest + 1}|{newest + 2})\b", log);
        Assert.Empty(Directory.GetFiles(ck, "*.tmp")); // temporaries of killed writers were removed...
        Assert.Empty(Directory.GetFiles(dir, ".m.trove.*.tmp"));
        var resumed = (Als)ModelFile.Load(model, BuiltInAlgorithms.Registry).Model;
        var expected = (Als)ModelFile.Load(reference, BuiltInAlgorithms.Registry).Model;
        Assert.Equal(expected.UserFactors.ToArray(), resumed.UserFactors.ToArray()); // ...and the result is that of one uninterrupted run
        Assert.Equal(expected.ItemFactors.ToArray(), resumed.ItemFactors.ToArray());

        // A half-written model file (what a non-atomic writer would leave) is refused with one line, exit code 2.
        var partial = Path.Combine(dir, "partial.trove");
        var bytes = File.ReadAllBytes(model);
        File.WriteAllBytes(partial, bytes[..(bytes.Length * 2 / 3)]);
        var (refused, message) = ChildCli.Run(dir, "recommend", "--model", partial, "--user", "u1");
        Assert.Equal(2, refused);
        Assert.StartsWith("error: ", message);
        Assert.Contains("not a Trove model file", message);
        Assert.DoesNotContain('\n', message.Trim());
        output.WriteLine($"training: 3 kills, {running} while running, resumed after epoch {newest}");
    }

    [Fact]
    public void Killed_recommendation_export_leaves_the_old_or_the_new_complete_file_and_rows()
    {
        var dir = TestPaths.NewTempDirectory();
        var db = Path.Combine(dir, "x.db");
        KilledRecommend(dir, db, new Random(404), kills: 4, () => AssertSqliteIntact(db));
    }

    [PostgresFact]
    public void Killed_recommendation_write_back_to_postgres_keeps_all_old_or_all_new_rows()
    {
        Assert.True(postgres.Require(output));
        var db = postgres.NewSchema();
        var schema = new NpgsqlConnectionStringBuilder(db).SearchPath!;
        KilledRecommend(TestPaths.NewTempDirectory(), db, new Random(505), kills: 2, () => AssertPostgresIntact(db, schema));
    }

    private void KilledRecommend(string dir, string db, Random rng, int kills, Action intact)
    {
        const int users = 3000, k = 50;
        var data = WriteInteractions(dir, "data.csv", "u", users, 10, seed: 4, items: 1000);
        Succeeds(dir, "import", "--data", data, "--db", db);
        Succeeds(dir, "train", "--db", db, "--model", "popularity", "--out", "old.trove");
        Succeeds(dir, "train", "--db", db, "--model", "itemknn", "--out", "new.trove");
        var oldVersion = ModelFile.Load(Path.Combine(dir, "old.trove"), BuiltInAlgorithms.Registry).Manifest.ModelVersion;
        var newVersion = ModelFile.Load(Path.Combine(dir, "new.trove"), BuiltInAlgorithms.Registry).Manifest.ModelVersion;
        var recs = Path.Combine(dir, "recommendations.json");
        Succeeds(dir, "recommend", "--model", "old.trove", "--all", "--k", "50", "--out", recs, "--db", db);

        int running = 0, replaced = 0, midFile = 0;
        for (int kill = 0; kill < kills; kill++)
        {
            // Even kills: while the new file is being written (its temporary exists); odd kills: at a random time.
            Func<bool>? writing = kill % 2 == 0 ? () => Directory.GetFiles(dir, ".recommendations.json.*.tmp").Length > 0 : null;
            if (ChildCli.RunAndKill(dir, writing is null ? rng.Next(300, 2500) : rng.Next(0, 20), ["recommend", "--model", "new.trove", "--all", "--k", "50", "--out", recs, "--db", db], writing)) running++;
            if (Directory.GetFiles(dir, ".recommendations.json.*.tmp").Length > 0) midFile++; // killed while writing the file
            using (var doc = JsonDocument.Parse(File.ReadAllBytes(recs))) // complete JSON, never truncated
            {
                var version = doc.RootElement.GetProperty("model_version").GetString();
                Assert.Contains(version, new[] { oldVersion, newVersion });
                if (version == newVersion) replaced++;
                Assert.Equal(users, doc.RootElement.GetProperty("recommendations").EnumerateObject().Count());
            }
            intact();
            Assert.Equal(users * k, RecommendationRows(db, oldVersion));
            Assert.Contains(RecommendationRows(db, newVersion), new long[] { 0, users * k });
            Assert.True(RecommendationBatches(db, newVersion) <= 1, "rows of two runs of the same model version are mixed");
        }
        Succeeds(dir, "recommend", "--model", "new.trove", "--all", "--k", "50", "--out", recs, "--db", db);
        Assert.Equal(users * k, RecommendationRows(db, newVersion));
        Assert.Equal(1, RecommendationBatches(db, newVersion));
        Assert.Empty(Directory.GetFiles(dir, ".recommendations.json.*.tmp"));
        output.WriteLine($"recommend --all --db {Trove.Data.Stores.InteractionStores.Describe(db)}: {kills} kills, {running} while running, {midFile} while writing the JSON file, {replaced} found the new file");
    }

    [Fact]
    public async Task Killed_server_keeps_every_acknowledged_event()
    {
        var dir = TestPaths.NewTempDirectory();
        var db = Path.Combine(dir, "x.db");
        Succeeds(dir, "import", "--data", WriteInteractions(dir, "base.csv", "a", BaseUsers, PerUser, seed: 5), "--db", db);
        Succeeds(dir, "train", "--db", db, "--model", "popularity", "--out", "pop.trove");
        var rng = new Random(505);
        var acknowledged = new List<string>();
        var sent = new List<string>();
        const int perBatch = 5;
        for (int kill = 0; kill < 3; kill++)
        {
            using var server = ChildCli.Start(dir, "serve", "--model", "pop.trove", "--db", db, "--port", "0", "--api-key", "crash-test");
            var address = WaitForAddress(server);
            using var http = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.Add("X-Api-Key", "crash-test");
            using var stop = new CancellationTokenSource();
            var posting = Task.Run(async () =>
            {
                for (int batch = 0; !stop.IsCancellationRequested; batch++)
                {
                    var user = $"ev-{kill}-{batch}";
                    lock (sent) sent.Add(user);
                    var events = Enumerable.Range(0, perBatch).Select(i => new { user, item = $"i{(batch * 7 + i) % 300}", @event = "purchase" }).ToArray();
                    try
                    {
                        using var response = await http.PostAsJsonAsync("/events", events);
                        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"POST /events: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                        lock (acknowledged) acknowledged.Add(user);
                    }
                    catch (HttpRequestException) { return; } // the server died with this request in flight
                }
            });
            await Task.Delay(rng.Next(100, 1200));
            Assert.True(server.Kill(), "the server had stopped before the kill:\n" + server.Output);
            stop.Cancel();
            await posting;
        }
        AssertSqliteIntact(db);
        var stored = EventCounts(db);
        Assert.NotEmpty(acknowledged);
        foreach (var user in acknowledged) Assert.Equal(perBatch, stored.GetValueOrDefault(user)); // nothing acknowledged is lost
        foreach (var user in sent) Assert.Contains(stored.GetValueOrDefault(user), new long[] { 0, perBatch }); // no batch half-stored
        output.WriteLine($"events: 3 kills, {acknowledged.Count} acknowledged batches of {perBatch}, {sent.Count - acknowledged.Count} in flight at a kill, {stored.Count} stored");
    }

    // ---- helpers --------------------------------------------------------------------------------

    private static string WriteInteractions(string dir, string name, string userPrefix, int users, int perUser, int seed, int items = 300)
    {
        var path = Path.Combine(dir, name);
        var rng = new Random(seed);
        string[] events = ["view", "add_to_cart", "purchase"];
        using var w = new StreamWriter(path);
        w.WriteLine("user,item,event");
        for (int u = 0; u < users; u++)
            for (int j = 0; j < perUser; j++)
                w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{userPrefix}{u},i{(int)(items * Math.Pow(rng.NextDouble(), 2))},{events[rng.Next(events.Length)]}"));
        return path;
    }

    private static void Succeeds(string dir, params string[] args)
    {
        var (code, log) = ChildCli.Run(dir, args);
        Assert.True(code == 0, $"trove {string.Join(' ', args)} exited with {code}:\n{log}");
    }

    private static string InteractionStoresDescribe(string db) => Trove.Data.Stores.InteractionStores.Describe(db);

    private static string WaitForAddress(ChildCli server)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(1))
        {
            foreach (var line in server.Lines)
                if (Regex.Match(line, @"listening on (http://\S+)") is { Success: true } m) return m.Groups[1].Value;
            if (server.HasExited) break;
            Thread.Sleep(20);
        }
        throw new InvalidOperationException("trove serve did not start:\n" + server.Output);
    }

    /// <summary>Highest epoch among the checkpoint files (0 when none).</summary>
    private static int NewestCheckpoint(string dir) =>
        !Directory.Exists(dir) ? 0 : Directory.GetFiles(dir, "als.*.ckpt")
            .Select(f => int.Parse(Path.GetFileName(f).Split('.')[1], CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();

    private static void AssertCompleteZip(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        Assert.NotNull(zip.GetEntry("checkpoint.json"));
        foreach (var entry in zip.Entries)
        {
            using var s = entry.Open();
            s.CopyTo(Stream.Null); // throws on a truncated or damaged entry
        }
    }

    private static SqliteConnection OpenSqlite(string db)
    {
        var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Pooling = false }.ToString());
        c.Open();
        return c;
    }

    private static void AssertSqliteIntact(string db)
    {
        using var c = OpenSqlite(db);
        using var check = new SqliteCommand("PRAGMA integrity_check", c);
        Assert.Equal("ok", check.ExecuteScalar());
        using var keys = new SqliteCommand("PRAGMA foreign_key_check", c);
        using var r = keys.ExecuteReader();
        Assert.False(r.Read(), "foreign_key_check found rows that point nowhere");
    }

    private static long Scalar(SqliteConnection c, string sql, params (string, object)[] args)
    {
        using var cmd = new SqliteCommand(sql, c);
        foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value);
        return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static (long BaseUsers, long BigUsers, long Interactions) SqliteCounts(string db)
    {
        using var c = OpenSqlite(db);
        return (Scalar(c, "SELECT COUNT(*) FROM users WHERE external_id LIKE 'a%'"), Scalar(c, "SELECT COUNT(*) FROM users WHERE external_id LIKE 'b%'"),
            Scalar(c, "SELECT COUNT(*) FROM interactions"));
    }

    private static long RecommendationRows(string db, string version) =>
        CountForVersion(db, "SELECT COUNT(*) FROM recommendations WHERE model_version = @v", version);

    /// <summary>How many different runs (created_utc) the rows of a model version come from.</summary>
    private static long RecommendationBatches(string db, string version) =>
        CountForVersion(db, "SELECT COUNT(DISTINCT created_utc) FROM recommendations WHERE model_version = @v", version);

    private static long CountForVersion(string db, string sql, string version)
    {
        using System.Data.Common.DbConnection c = Trove.Data.Stores.InteractionStores.IsPostgres(db) ? new NpgsqlConnection(db) : OpenSqlite(db);
        if (c.State != System.Data.ConnectionState.Open) c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        var p = cmd.CreateParameter();
        p.ParameterName = "@v";
        p.Value = version;
        cmd.Parameters.Add(p);
        return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static Dictionary<string, long> EventCounts(string db)
    {
        using var c = OpenSqlite(db);
        using var cmd = new SqliteCommand("SELECT u.external_id, COUNT(*) FROM interactions i JOIN users u ON u.id = i.user_id WHERE u.external_id LIKE 'ev-%' GROUP BY u.external_id", c);
        using var r = cmd.ExecuteReader();
        var counts = new Dictionary<string, long>();
        while (r.Read()) counts[r.GetString(0)] = r.GetInt64(1);
        return counts;
    }

    private static (long BaseUsers, long BigUsers, long Interactions) PostgresCounts(string db)
    {
        using var c = new NpgsqlConnection(db);
        c.Open();
        long Count(string sql) { using var cmd = new NpgsqlCommand(sql, c); return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture); }
        return (Count("SELECT COUNT(*) FROM users WHERE external_id LIKE 'a%'"), Count("SELECT COUNT(*) FROM users WHERE external_id LIKE 'b%'"),
            Count("SELECT COUNT(*) FROM interactions"));
    }

    /// <summary>PostgreSQL's integrity check: amcheck's bt_index_check (with heap verification) over every B-tree index of the schema.</summary>
    private static void AssertPostgresIntact(string db, string schema)
    {
        using var c = new NpgsqlConnection(db);
        c.Open();
        using (var ext = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS amcheck SCHEMA public", c)) ext.ExecuteNonQuery();
        using var cmd = new NpgsqlCommand("""
            SELECT COUNT(public.bt_index_check(ci.oid, true))
            FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid JOIN pg_namespace n ON n.oid = ci.relnamespace JOIN pg_am a ON a.oid = ci.relam
            WHERE n.nspname = @schema AND a.amname = 'btree'
            """, c);
        cmd.Parameters.AddWithValue("schema", schema);
        Assert.True(Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture) > 0, "no indexes were checked");
    }
}
