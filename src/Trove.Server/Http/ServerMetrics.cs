using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Trove.Server.Events;
using Trove.Server.Models;

namespace Trove.Server.Http;

/// <summary>
/// Request counters and latency histograms in the Prometheus text format (version 0.0.4), without
/// a client library: counts per method, route template and status; latency buckets per route;
/// which model versions are served; events stored; reloads.
/// </summary>
public sealed class ServerMetrics
{
    private static readonly double[] Buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    private readonly ConcurrentDictionary<(string Method, string Route, int Status), long> _requests = new();
    private readonly ConcurrentDictionary<string, Histogram> _latency = new();
    private long _eventsAccepted;
    private long _eventsRejected;

    /// <summary>Counts a finished request: its method, its route template ("unmatched" when no route took it) and its status.</summary>
    public void Record(Microsoft.AspNetCore.Http.HttpContext context, double seconds) =>
        Record(context.Request.Method, (Microsoft.AspNetCore.Http.EndpointHttpContextExtensions.GetEndpoint(context) as Microsoft.AspNetCore.Routing.RouteEndpoint)?.RoutePattern.RawText ?? "unmatched",
            context.Response.StatusCode, seconds);

    /// <summary>HTTP methods kept as label values; any other method is counted as "OTHER".</summary>
    private static readonly HashSet<string> KnownMethods = new(StringComparer.OrdinalIgnoreCase)
        { "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH" };

    /// <summary>
    /// Counts a request. Every label comes from a closed set, so made-up methods or paths cannot grow the series:
    /// unknown methods become "OTHER", the route is a template of the app (or "unmatched"), the status is 100-599.
    /// </summary>
    public void Record(string method, string route, int status, double seconds)
    {
        method = KnownMethods.TryGetValue(method, out var known) ? known : "OTHER";
        if (status is < 100 or > 599) status = 0;
        _requests.AddOrUpdate((method, route, status), 1, (_, n) => n + 1);
        _latency.GetOrAdd(route, _ => new Histogram()).Observe(seconds);
    }

    public void EventsAccepted(int n) => Interlocked.Add(ref _eventsAccepted, n);
    public void EventsRejected(int n) => Interlocked.Add(ref _eventsRejected, n);

    public string Render(ModelCatalog catalog, IEventStore events)
    {
        var s = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        s.AppendLine("# HELP trove_http_requests_total HTTP requests by method, route template and status code.");
        s.AppendLine("# TYPE trove_http_requests_total counter");
        foreach (var ((method, route, status), n) in _requests.OrderBy(p => p.Key.Route).ThenBy(p => p.Key.Status))
            s.Append(inv, $"trove_http_requests_total{{method=\"{method}\",route=\"{Escape(route)}\",status=\"{status}\"}} {n}\n");
        s.AppendLine("# HELP trove_http_request_duration_seconds Request latency by route template.");
        s.AppendLine("# TYPE trove_http_request_duration_seconds histogram");
        foreach (var (route, h) in _latency.OrderBy(p => p.Key))
        {
            var (counts, sum, total) = h.Snapshot();
            long cumulative = 0;
            for (int b = 0; b < Buckets.Length; b++)
            {
                cumulative += counts[b];
                s.Append(inv, $"trove_http_request_duration_seconds_bucket{{route=\"{Escape(route)}\",le=\"{Buckets[b]}\"}} {cumulative}\n");
            }
            s.Append(inv, $"trove_http_request_duration_seconds_bucket{{route=\"{Escape(route)}\",le=\"+Inf\"}} {total}\n");
            s.Append(inv, $"trove_http_request_duration_seconds_sum{{route=\"{Escape(route)}\"}} {sum:G9}\n");
            s.Append(inv, $"trove_http_request_duration_seconds_count{{route=\"{Escape(route)}\"}} {total}\n");
        }
        s.AppendLine("# HELP trove_model_info The models being served (value 1), with their version.");
        s.AppendLine("# TYPE trove_model_info gauge");
        var set = catalog.Current;
        foreach (var m in set.Models)
            s.Append(inv, $"trove_model_info{{name=\"{Escape(m.Name)}\",algorithm=\"{Escape(m.Manifest.Algorithm)}\",version=\"{Escape(m.Version)}\"}} 1\n");
        s.AppendLine("# HELP trove_model_loaded_timestamp_seconds When each served model was loaded (Unix seconds).");
        s.AppendLine("# TYPE trove_model_loaded_timestamp_seconds gauge");
        foreach (var m in set.Models)
            s.Append(inv, $"trove_model_loaded_timestamp_seconds{{name=\"{Escape(m.Name)}\"}} {new DateTimeOffset(m.LoadedUtc).ToUnixTimeSeconds()}\n");
        s.AppendLine("# HELP trove_model_users Users known to each served model.");
        s.AppendLine("# TYPE trove_model_users gauge");
        foreach (var m in set.Models) s.Append(inv, $"trove_model_users{{name=\"{Escape(m.Name)}\"}} {m.Trained.Users.Count}\n");
        s.AppendLine("# HELP trove_model_items Items known to each served model.");
        s.AppendLine("# TYPE trove_model_items gauge");
        foreach (var m in set.Models) s.Append(inv, $"trove_model_items{{name=\"{Escape(m.Name)}\"}} {m.Trained.Items.Count}\n");
        s.AppendLine("# HELP trove_exact_batch_passes_total Batched exact scoring passes per model (--exact-batching); queries over passes is the mean batch size.");
        s.AppendLine("# TYPE trove_exact_batch_passes_total counter");
        foreach (var m in set.Models)
            if (m.ExactScorer is { } scorer) s.Append(inv, $"trove_exact_batch_passes_total{{name=\"{Escape(m.Name)}\"}} {scorer.Passes}\n");
        s.AppendLine("# HELP trove_exact_batch_queries_total Queries scored by batched exact passes per model.");
        s.AppendLine("# TYPE trove_exact_batch_queries_total counter");
        foreach (var m in set.Models)
            if (m.ExactScorer is { } scorer) s.Append(inv, $"trove_exact_batch_queries_total{{name=\"{Escape(m.Name)}\"}} {scorer.Queries}\n");
        s.AppendLine("# HELP trove_model_generation Incremented by every model reload.");
        s.AppendLine("# TYPE trove_model_generation gauge");
        s.Append(inv, $"trove_model_generation {set.Generation}\n");
        s.AppendLine("# HELP trove_model_reloads_total Model reloads (failed ones keep the previous model).");
        s.AppendLine("# TYPE trove_model_reloads_total counter");
        s.Append(inv, $"trove_model_reloads_total{{result=\"ok\"}} {catalog.ReloadCount - catalog.ReloadFailures}\n");
        s.Append(inv, $"trove_model_reloads_total{{result=\"failed\"}} {catalog.ReloadFailures}\n");
        s.AppendLine("# HELP trove_events_total Events received by POST /events.");
        s.AppendLine("# TYPE trove_events_total counter");
        s.Append(inv, $"trove_events_total{{result=\"accepted\"}} {Interlocked.Read(ref _eventsAccepted)}\n");
        s.Append(inv, $"trove_events_total{{result=\"rejected\"}} {Interlocked.Read(ref _eventsRejected)}\n");
        s.AppendLine("# HELP trove_events_stored Events held by the event store.");
        s.AppendLine("# TYPE trove_events_stored gauge");
        s.Append(inv, $"trove_events_stored {events.Count}\n");
        s.AppendLine("# HELP trove_events_in_memory_limit Bound on live events held in memory.");
        s.AppendLine("# TYPE trove_events_in_memory_limit gauge");
        s.Append(inv, $"trove_events_in_memory_limit {events.MaxEventsInMemory}\n");
        s.AppendLine("# HELP trove_events_evicted_total Live events evicted from memory to respect the bound.");
        s.AppendLine("# TYPE trove_events_evicted_total counter");
        s.Append(inv, $"trove_events_evicted_total {events.EvictedEvents}\n");
        return s.ToString();
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");

    /// <summary>Latency buckets updated with interlocked adds: every request of a route records here, so a lock would serialise them.</summary>
    private sealed class Histogram
    {
        private readonly long[] _counts = new long[Buckets.Length];
        private long _total;
        private double _sum;

        public void Observe(double seconds)
        {
            int b = Array.FindIndex(Buckets, le => seconds <= le);
            if (b >= 0) Interlocked.Increment(ref _counts[b]);
            Interlocked.Increment(ref _total);
            double seen = Volatile.Read(ref _sum);
            while (true)
            {
                double found = Interlocked.CompareExchange(ref _sum, seen + seconds, seen);
                if (found.Equals(seen)) break;
                seen = found;
            }
        }

        /// <summary>The counters as of now; the total is never below the buckets' sum (a request recorded meanwhile may show in its bucket first).</summary>
        public (long[] Counts, double Sum, long Total) Snapshot()
        {
            var counts = new long[_counts.Length];
            for (int b = 0; b < counts.Length; b++) counts[b] = Interlocked.Read(ref _counts[b]);
            return (counts, Volatile.Read(ref _sum), Math.Max(Interlocked.Read(ref _total), counts.Sum()));
        }
    }
}
