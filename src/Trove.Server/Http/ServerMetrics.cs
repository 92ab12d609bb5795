using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Trove.Server.Events;
using Trove.Server.Models;

namespace Trove.Server.Http;

/// <summary>
/// Trove's serving metrics as <see cref="System.Diagnostics.Metrics"/> instruments on the meter
/// <see cref="MeterName"/>, so any listener sees them: OpenTelemetry (<c>AddMeter("Trove.Server")</c>), dotnet-counters,
/// or the Prometheus endpoint `trove serve` and <c>MapTrove</c> expose at /metrics. Request latency per route,
/// events accepted and rejected, batch sizes, and the state of the served models and of the event store.
/// </summary>
public sealed class ServerMetrics
{
    /// <summary>The meter's name, for <c>MeterProviderBuilder.AddMeter</c>.</summary>
    public const string MeterName = "Trove.Server";

    /// <summary>Latency buckets in seconds: from 0.5 ms (an HNSW answer) to 10 s (a cold exact pass over a large model).</summary>
    private static readonly double[] LatencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>Batch-size buckets: 1 to the request caps (10,000 score pairs, 10,000 events).</summary>
    private static readonly long[] BatchBuckets = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];

    /// <summary>HTTP methods kept as tag values; any other method is counted as "OTHER".</summary>
    private static readonly HashSet<string> KnownMethods = new(StringComparer.OrdinalIgnoreCase)
        { "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH" };

    private readonly Histogram<double> _duration;
    private readonly Counter<long> _events;
    private readonly Histogram<long> _eventBatch;
    private readonly Histogram<long> _scorePairs;

    /// <param name="meters">The host's meter factory (meters are then per service provider, as ASP.NET Core's own).</param>
    /// <param name="services">Resolves the model catalog and event store when an observer reads them, not at construction.</param>
    public ServerMetrics(IMeterFactory meters, IServiceProvider services)
    {
        var meter = meters.Create(MeterName);
        _duration = meter.CreateHistogram<double>("trove.http.request.duration", "s",
            "Request latency by method, route template and status code.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _events = meter.CreateCounter<long>("trove.events", "{event}", "Events received by POST /events, by result (accepted, rejected).");
        _eventBatch = meter.CreateHistogram<long>("trove.events.batch.size", "{event}", "Events per POST /events request.",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = BatchBuckets });
        _scorePairs = meter.CreateHistogram<long>("trove.scores.batch.size", "{pair}", "User-item pairs per POST /scores request.",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = BatchBuckets });

        ModelSet Models() => services.GetRequiredService<ModelCatalog>().Current;
        IEventStore Events() => services.GetRequiredService<IEventStore>();
        meter.CreateObservableGauge("trove.model.info", () => Models().Models.Select(m => new Measurement<int>(1,
            new("name", m.Name), new("algorithm", m.Manifest.Algorithm), new("version", m.Version))),
            description: "The models being served (value 1), with their algorithm and version.");
        meter.CreateObservableGauge("trove.model.loaded", () => Models().Models.Select(m => new Measurement<long>(
            new DateTimeOffset(m.LoadedUtc).ToUnixTimeSeconds(), new KeyValuePair<string, object?>("name", m.Name))), "s",
            "When each served model was loaded (Unix seconds).");
        meter.CreateObservableGauge("trove.model.users", () => Models().Models.Select(m => new Measurement<int>(m.Trained.Users.Count,
            new KeyValuePair<string, object?>("name", m.Name))), "{user}", "Users known to each served model.");
        meter.CreateObservableGauge("trove.model.items", () => Models().Models.Select(m => new Measurement<int>(m.Trained.Items.Count,
            new KeyValuePair<string, object?>("name", m.Name))), "{item}", "Items known to each served model.");
        meter.CreateObservableGauge("trove.model.generation", () => Models().Generation, description: "Incremented by every model reload.");
        meter.CreateObservableCounter("trove.model.reloads", () =>
        {
            var catalog = services.GetRequiredService<ModelCatalog>();
            return new[]
            {
                new Measurement<long>(catalog.ReloadCount - catalog.ReloadFailures, new KeyValuePair<string, object?>("result", "ok")),
                new Measurement<long>(catalog.ReloadFailures, new KeyValuePair<string, object?>("result", "failed")),
            };
        }, "{reload}", "Model reloads by result (a failed one keeps the previous model).");
        meter.CreateObservableCounter("trove.exact.batch.passes", () => Models().Models.Where(m => m.ExactScorer is not null)
            .Select(m => new Measurement<long>(m.ExactScorer!.Passes, new KeyValuePair<string, object?>("name", m.Name))), "{pass}",
            "Batched exact scoring passes per model (--exact-batching); queries over passes is the mean batch size.");
        meter.CreateObservableCounter("trove.exact.batch.queries", () => Models().Models.Where(m => m.ExactScorer is not null)
            .Select(m => new Measurement<long>(m.ExactScorer!.Queries, new KeyValuePair<string, object?>("name", m.Name))), "{query}",
            "Queries scored by batched exact passes per model.");
        meter.CreateObservableUpDownCounter("trove.events.stored", () => Events().Count, "{event}", "Events held by the event store.");
        meter.CreateObservableGauge("trove.events.memory.limit", () => Events().MaxEventsInMemory, "{event}", "Bound on live events held in memory.");
        meter.CreateObservableCounter("trove.events.evicted", () => Events().EvictedEvents, "{event}", "Live events evicted from memory to respect the bound.");
    }

    /// <summary>Records a finished request: its method, its route template ("unmatched" when no route took it) and its status.</summary>
    public void Record(HttpContext context, double seconds) =>
        Record(context.Request.Method, (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched", context.Response.StatusCode, seconds);

    /// <summary>
    /// Records a request. Every tag comes from a closed set, so made-up methods or paths cannot grow the series:
    /// unknown methods become "OTHER", the route is a template of the app (or "unmatched"), the status is 100-599 (else 0).
    /// </summary>
    public void Record(string method, string route, int status, double seconds)
    {
        method = KnownMethods.TryGetValue(method, out var known) ? known : "OTHER";
        if (status is < 100 or > 599) status = 0;
        _duration.Record(seconds, new("method", method), new("route", route), new("status", status));
    }

    /// <summary>Counts a request's events as stored.</summary>
    public void EventsAccepted(int n)
    {
        _events.Add(n, new KeyValuePair<string, object?>("result", "accepted"));
        _eventBatch.Record(n);
    }

    /// <summary>Counts a refused request's events (none of them was stored).</summary>
    public void EventsRejected(int n) => _events.Add(n, new KeyValuePair<string, object?>("result", "rejected"));

    /// <summary>Records the number of pairs a POST /scores request asked for.</summary>
    public void ScorePairs(int n) => _scorePairs.Record(n);
}
