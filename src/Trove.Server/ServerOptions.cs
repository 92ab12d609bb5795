using Trove.Core.Data;
using Trove.Numerics.Index;
using Trove.Server.Models;

namespace Trove.Server;

/// <summary>Everything `trove serve` can be told; the defaults are safe for a laptop.</summary>
public sealed record ServerOptions
{
    /// <summary>Model files by name (an unnamed file is named after its file name). The first is the default model.</summary>
    public IReadOnlyList<ModelSource> Models { get; init; } = [];
    /// <summary>Interface to bind; loopback unless told otherwise.</summary>
    public string Host { get; init; } = "127.0.0.1";
    /// <summary>Port; 0 picks a free one (tests).</summary>
    public int Port { get; init; } = 8080;
    /// <summary>
    /// When false, ASP.NET Core's own address settings (ASPNETCORE_URLS, <c>--urls</c>, "Urls" in appsettings.json) win
    /// over <see cref="Host"/> and <see cref="Port"/> if present: `trove serve` sets it when neither --host nor --port is given.
    /// </summary>
    public bool AddressFromOptions { get; init; } = true;
    /// <summary>Folder whose appsettings.json (and appsettings.{Environment}.json) the web host reads; null: the application's folder.</summary>
    public string? ContentRoot { get; init; }
    /// <summary>Key required in the X-Api-Key header by write endpoints (events, reload). Null: a random key is generated and logged.</summary>
    public string? ApiKey { get; init; }
    /// <summary>Largest k (plus offset) a caller may ask for.</summary>
    public int MaxK { get; init; } = 1000;
    /// <summary>Largest accepted request body in bytes.</summary>
    public long MaxRequestBytes { get; init; } = 1 << 20;
    /// <summary>Most events accepted in one POST /events.</summary>
    public int MaxEventsPerRequest { get; init; } = 10_000;
    /// <summary>
    /// Bound on live events held in memory (--max-events-in-memory). Past it the users written to longest ago are
    /// evicted; with --db their events are read back from the database when asked for, without it they are gone.
    /// </summary>
    public long MaxEventsInMemory { get; init; } = Events.InMemoryEventStore.DefaultMaxEvents;
    /// <summary>Most user-item pairs in one POST /scores request.</summary>
    public int MaxScorePairs { get; init; } = 10_000;
    /// <summary>Most distinct users in one POST /scores request: each costs a full scoring pass over the catalogue.</summary>
    public int MaxScoreUsers { get; init; } = 100;
    /// <summary>Weight of each event type when events join a user's history.</summary>
    public EventWeights EventWeights { get; init; } = EventWeights.Default;
    /// <summary>Reload a model when its file changes.</summary>
    public bool WatchModelFiles { get; init; }
    /// <summary>An evaluation report (JSON) shown on the dashboard.</summary>
    public string? EvaluationPath { get; init; }
    /// <summary>A folder of figures (PNG/SVG/HTML, e.g. from `trove eda`) served under /figures/ and listed on the dashboard.</summary>
    public string? FiguresPath { get; init; }
    /// <summary>Data set (--data: a file or folder the loader reads) whose item titles are shown in responses and on the dashboard.</summary>
    public string? DataPath { get; init; }
    /// <summary>Database (--db: a SQLite file or a PostgreSQL connection string) where events are stored; the evaluated models registered there feed the dashboard.</summary>
    public string? DatabasePath { get; init; }
    /// <summary>Build an HNSW index over item vectors of embedding models with at least this many items (exact search below).</summary>
    public int HnswMinItems { get; init; } = 20_000;
    /// <summary>Requests per second each client IP may make to read endpoints (--rate-limit); null: unlimited.</summary>
    public double? RateLimit { get; init; }
    /// <summary>Requests per second each client IP may make to write endpoints, POST /events and /admin/reload (--write-rate-limit); null: unlimited.</summary>
    public double? WriteRateLimit { get; init; }
    /// <summary>Browser origins allowed to call the API cross-origin (--cors-origin); empty: CORS off, no Access-Control-* headers.</summary>
    public IReadOnlyList<string> CorsOrigins { get; init; } = [];
    /// <summary>How long an event write answers 503 without trying the database again after it failed (also the Retry-After).</summary>
    public TimeSpan DatabaseRetryAfter { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>Longest a database call may wait (another writer's lock, a connection, a statement) before the request gets 503.</summary>
    public TimeSpan DatabaseWaitLimit { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>How top-K recommendations of dot-product models are retrieved by default (requests may override with retrieval=).</summary>
    public RetrievalMode Retrieval { get; init; } = RetrievalMode.Auto;
    /// <summary>HNSW construction and search settings of the item graphs.</summary>
    public HnswParameters Graph { get; init; } = new() { EfConstruction = 100, EfSearch = 100, Threads = 1 };
    /// <summary>Score the exact requests of dot-product models that arrive together in one pass over the item matrix (--exact-batching on|off).</summary>
    public bool ExactBatching { get; init; } = true;
    /// <summary>
    /// Cron schedule of background retraining from the --db database (--retrain "0 3 * * *"; 6 fields: seconds first), in UTC;
    /// null: no retraining. See <see cref="Retraining.ScheduledRetraining"/>.
    /// </summary>
    public string? RetrainSchedule { get; init; }
    /// <summary>The served model that scheduled retraining retrains (--retrain-model NAME); null: the default (first) model.</summary>
    public string? RetrainModel { get; init; }
    /// <summary>Save built graphs next to each model file (MODEL.index) so the next start loads them.</summary>
    public bool PersistIndexes { get; init; } = true;
    /// <summary>
    /// Packages that plug into the server (cluster mode: <c>UseCluster</c> from Trove.Cluster), each given the services
    /// after Trove's own are registered, so it may replace one (e.g. the event store) without the server knowing it.
    /// </summary>
    public IReadOnlyList<ITroveServerExtension> Extensions { get; init; } = [];
}

/// <summary>A package that adds to, or replaces, the services <c>AddTrove</c> and `trove serve` register.</summary>
public interface ITroveServerExtension
{
    /// <summary>Called once, after Trove's services are registered.</summary>
    void AddServices(Microsoft.Extensions.DependencyInjection.IServiceCollection services, ServerOptions options);
}

/// <summary>A model file and the name clients choose it by (?model=NAME).</summary>
public sealed record ModelSource(string Name, string Path)
{
    /// <summary>"PATH" or "NAME=PATH".</summary>
    public static ModelSource Parse(string spec, int position)
    {
        int eq = spec.IndexOf('=');
        if (eq > 0 && !File.Exists(spec)) return new ModelSource(spec[..eq].Trim(), spec[(eq + 1)..].Trim());
        return new ModelSource(System.IO.Path.GetFileNameWithoutExtension(spec), spec);
    }
}
