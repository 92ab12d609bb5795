using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Trove.Data.Stores;

// Load and soak generator for `trove serve` (see bench/soak/README.md):
//   trove-soak run --url URL --data interactions.csv --duration 300s --rate 200 --mix recommendations=0.8,similar=0.1,events=0.1
//                  [--concurrency 32] [--api-key KEY] [--server-pid PID] [--acks acks.tsv] [--out summary.json]
//   trove-soak verify --db LOCATION --acks acks.tsv
// `run` sends a fixed number of requests (rate x duration) on a fixed schedule, and reports throughput, latency
// percentiles and status counts per kind of request, and the server's RSS (/proc/PID/status) over the run.
// Every event answered 2xx is logged to --acks with a unique timestamp; `verify` checks each one is in the database.
return args.FirstOrDefault() switch
{
    "run" => await Soak.Run(Soak.Options(args[1..])),
    "verify" => Soak.Verify(Soak.Options(args[1..])),
    _ => Soak.Usage(),
};

static class Soak
{
    /// <summary>Event timestamps start here and grow by one per event: (user, item, timestamp) identifies an event.</summary>
    private const long FirstTimestamp = 1_800_000_000;

    public static int Usage()
    {
        Console.Error.WriteLine("usage: trove-soak run --url URL --data interactions.csv --duration 300s --rate N [--mix recommendations=0.8,similar=0.1,events=0.1] [--concurrency 32] [--api-key KEY] [--server-pid PID] [--acks FILE] [--out FILE]\n" +
                                "       trove-soak verify --db LOCATION --acks FILE");
        return 2;
    }

    public static Dictionary<string, string> Options(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--")) throw new ArgumentException($"expected --option value, got '{args[i]}'");
            options[args[i][2..]] = args[i + 1];
        }
        return options;
    }

    private static string Get(Dictionary<string, string> o, string name, string? fallback = null) =>
        o.TryGetValue(name, out var v) ? v : fallback ?? throw new ArgumentException($"--{name} is required");

    public static async Task<int> Run(Dictionary<string, string> o)
    {
        var url = Get(o, "url").TrimEnd('/');
        var duration = TimeSpan.FromSeconds(double.Parse(Get(o, "duration", "60s").TrimEnd('s'), CultureInfo.InvariantCulture));
        double rate = double.Parse(Get(o, "rate", "100"), CultureInfo.InvariantCulture);
        int concurrency = int.Parse(Get(o, "concurrency", "32"), CultureInfo.InvariantCulture);
        var mix = Get(o, "mix", "recommendations=0.8,similar=0.1,events=0.1").Split(',')
            .Select(p => p.Split('=')).Select(p => (Kind: p[0].Trim(), Share: double.Parse(p[1], CultureInfo.InvariantCulture))).ToArray();
        int? pid = o.TryGetValue("server-pid", out var p) ? int.Parse(p, CultureInfo.InvariantCulture) : null;
        var (users, items) = Ids(Get(o, "data"));
        long total = (long)Math.Round(rate * duration.TotalSeconds);
        Console.WriteLine($"{total:N0} requests over {duration.TotalSeconds:F0} s at {rate}/s, {concurrency} connections; mix {string.Join(", ", mix.Select(m => $"{m.Kind} {m.Share:P0}"))}; {users.Length:N0} users, {items.Length:N0} items");

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
            { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
        var key = o.GetValueOrDefault("api-key");
        using var acks = o.TryGetValue("acks", out var ackPath) ? new StreamWriter(ackPath, append: false) { AutoFlush = true } : null;
        var stats = new ConcurrentDictionary<string, Kind>();
        var rss = new List<(double Seconds, long Kb)>();
        long next = -1, late = 0, eventCounter = 0;
        var clock = Stopwatch.StartNew();
        if (pid is { } id0) rss.Add((0, Rss(id0)));
        using var sampling = new CancellationTokenSource();
        var sampler = pid is { } id ? Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                try { await Task.Delay(TimeSpan.FromSeconds(10), sampling.Token); } catch (OperationCanceledException) { break; }
                lock (rss) rss.Add((clock.Elapsed.TotalSeconds, Rss(id)));
            }
        }) : Task.CompletedTask;

        async Task Worker(int seed)
        {
            var random = new Random(seed);
            while (true)
            {
                long i = Interlocked.Increment(ref next);
                if (i >= total) return;
                var due = TimeSpan.FromSeconds(i / rate);
                var wait = due - clock.Elapsed;
                if (wait > TimeSpan.Zero) await Task.Delay(wait);
                else if (wait < TimeSpan.FromMilliseconds(-100)) Interlocked.Increment(ref late);
                var kind = Pick(mix, random.NextDouble());
                HttpRequestMessage request;
                (string User, string Item, long Timestamp)? sent = null;
                switch (kind)
                {
                    case "events":
                        sent = (users[random.Next(users.Length)], items[random.Next(items.Length)], FirstTimestamp + Interlocked.Increment(ref eventCounter));
                        request = new HttpRequestMessage(HttpMethod.Post, "/events")
                        {
                            Content = new StringContent(JsonSerializer.Serialize(new { user = sent.Value.User, item = sent.Value.Item, @event = "view", timestamp = sent.Value.Timestamp }), Encoding.UTF8, "application/json"),
                        };
                        if (key is not null) request.Headers.Add("X-Api-Key", key);
                        break;
                    case "similar":
                        request = new HttpRequestMessage(HttpMethod.Get, $"/items/{Uri.EscapeDataString(items[random.Next(items.Length)])}/similar?k=10");
                        break;
                    default:
                        request = new HttpRequestMessage(HttpMethod.Get, $"/users/{Uri.EscapeDataString(users[random.Next(users.Length)])}/recommendations?k=10");
                        break;
                }
                var k = stats.GetOrAdd(kind, _ => new Kind());
                var started = Stopwatch.GetTimestamp();
                string status;
                try
                {
                    using var response = await http.SendAsync(request);
                    await response.Content.ReadAsByteArrayAsync();
                    status = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
                    if (sent is { } e && response.IsSuccessStatusCode)
                        lock (acks ?? (object)stats) acks?.WriteLine($"{e.User}\t{e.Item}\t{e.Timestamp}");
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    status = ex is TaskCanceledException ? "timeout" : "connection error";
                }
                finally { request.Dispose(); }
                k.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds, status);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(() => Worker(1000 + w))));
        var elapsed = clock.Elapsed;
        sampling.Cancel();
        await sampler;
        if (pid is { } id1) rss.Add((elapsed.TotalSeconds, Rss(id1)));

        long requests = stats.Values.Sum(s => s.Count), errors = stats.Values.Sum(s => s.Errors);
        Console.WriteLine($"sent {requests:N0} requests in {elapsed.TotalSeconds:F1} s: {requests / elapsed.TotalSeconds:F1} req/s; errors (non-2xx or no answer): {errors:N0}; started >100 ms late: {late:N0}");
        foreach (var (name, s) in stats.OrderBy(s => s.Key))
            Console.WriteLine($"  {name,-16} {s.Count,8:N0}  p50 {s.Percentile(0.50),7:F2} ms  p99 {s.Percentile(0.99),7:F2} ms  max {s.Percentile(1),8:F2} ms  status {string.Join(", ", s.Statuses.OrderBy(x => x.Key).Select(x => $"{x.Key}: {x.Value:N0}"))}");
        if (rss.Count > 0)
            Console.WriteLine($"  server RSS: start {rss[0].Kb / 1024.0:F1} MiB, end {rss[^1].Kb / 1024.0:F1} MiB, max {rss.Max(r => r.Kb) / 1024.0:F1} MiB; every 10 s: {string.Join(" ", rss.Select(r => (r.Kb / 1024).ToString(CultureInfo.InvariantCulture)))}");
        if (o.TryGetValue("out", out var outPath))
            File.WriteAllText(outPath, JsonSerializer.Serialize(new
            {
                url, durationSeconds = elapsed.TotalSeconds, rate, concurrency, requests, errors, throughput = requests / elapsed.TotalSeconds, late,
                kinds = stats.ToDictionary(s => s.Key, s => new { s.Value.Count, s.Value.Errors, p50 = s.Value.Percentile(0.5), p99 = s.Value.Percentile(0.99), max = s.Value.Percentile(1), statuses = s.Value.Statuses }),
                rssKb = rss.Select(r => new { seconds = r.Seconds, kb = r.Kb }),
            }, new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    /// <summary>Checks that every acknowledged event (user, item, timestamp) is a row of the database.</summary>
    public static int Verify(Dictionary<string, string> o)
    {
        var acked = File.ReadLines(Get(o, "acks")).Select(l => l.Split('\t')).Select(f => (f[0], f[1], long.Parse(f[2], CultureInfo.InvariantCulture))).ToList();
        using var store = InteractionStores.Open(Get(o, "db"), createIfMissing: false);
        var data = store.LoadDataset();
        var log = data.Interactions;
        var stored = new HashSet<(string, string, long)>();
        for (int r = 0; r < log.Count; r++)
            if (log.Timestamps[r] >= FirstTimestamp) stored.Add((data.Users[log.Users[r]], data.Items[log.Items[r]], log.Timestamps[r]));
        var missing = acked.Where(a => !stored.Contains(a)).ToList();
        Console.WriteLine($"acknowledged events: {acked.Count:N0}; in the database: {acked.Count - missing.Count:N0}; missing: {missing.Count:N0}; " +
                          $"soak events in the database: {stored.Count:N0} ({stored.Count - (acked.Count - missing.Count):N0} stored but not acknowledged, e.g. a commit whose answer was lost)");
        foreach (var m in missing.Take(10)) Console.WriteLine($"  missing: {m}");
        return missing.Count == 0 ? 0 : 1;
    }

    private static string Pick((string Kind, double Share)[] mix, double x)
    {
        double sum = mix.Sum(m => m.Share), at = 0;
        foreach (var (kind, share) in mix)
            if (x * sum < (at += share)) return kind;
        return mix[^1].Kind;
    }

    /// <summary>Distinct user and item ids of a CSV whose first two columns are user and item (header skipped).</summary>
    private static (string[] Users, string[] Items) Ids(string csv)
    {
        var users = new HashSet<string>(); var items = new HashSet<string>();
        foreach (var line in File.ReadLines(csv).Skip(1))
        {
            int a = line.IndexOf(','), b = line.IndexOf(',', a + 1);
            users.Add(line[..a]); items.Add(b < 0 ? line[(a + 1)..] : line[(a + 1)..b]);
        }
        return (users.Order().ToArray(), items.Order().ToArray());
    }

    private static long Rss(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith("VmRSS:")) return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        return 0;
    }
}

/// <summary>Latencies and statuses of one kind of request.</summary>
sealed class Kind
{
    private readonly List<double> _ms = new();
    public ConcurrentDictionary<string, long> Statuses { get; } = new();
    public long Count { get { lock (_ms) return _ms.Count; } }
    public long Errors => Statuses.Where(s => !s.Key.StartsWith('2')).Sum(s => s.Value);

    public void Add(double ms, string status)
    {
        lock (_ms) _ms.Add(ms);
        Statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
    }

    public double Percentile(double q)
    {
        lock (_ms)
        {
            if (_ms.Count == 0) return double.NaN;
            var sorted = _ms.Order().ToArray();
            return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1 < 0 ? 0 : (int)Math.Ceiling(q * sorted.Length) - 1)];
        }
    }
}
