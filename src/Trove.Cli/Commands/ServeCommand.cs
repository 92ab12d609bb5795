using System.CommandLine;
using Trove.Cli.Infrastructure;
using Trove.Cluster;
using Trove.Cluster.Hosting;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Data.LastFm;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Trove.Server;
using Trove.Server.Hosting;
using Trove.Server.Models;

namespace Trove.Cli.Commands;

/// <summary>`trove serve`: the HTTP API, live events and the dashboard over one or more model files.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var model = new Option<string[]>("--model", "-m")
        {
            Description = "Model file written by `trove train`; repeat for several, optionally NAME=PATH (the first is the default). Default: \"Trove\": { \"Models\": {...} } in appsettings.json; with --cluster and neither, the newest model registered in --db, served as 'latest'.",
            AllowMultipleArgumentsPerToken = true,
        };
        var db = new Option<string?>("--db") { Description = "Trove database (SQLite file or PostgreSQL connection string): events are written there (for the next `trove train --db`), item titles and evaluated models are read from it." };
        var data = new Option<string?>("--data") { Description = "Data set the model was trained on (CSV file or folder, MovieLens...): item titles for responses and the dashboard." };
        var port = new Option<int>("--port", "-p") { Description = "Port to listen on.", DefaultValueFactory = _ => 8080 };
        var host = new Option<string>("--host") { Description = "Interface to bind (loopback by default; 0.0.0.0 exposes the server).", DefaultValueFactory = _ => "127.0.0.1" };
        var apiKey = new Option<string?>("--api-key") { Description = "Key for write endpoints (header X-Api-Key); default: $TROVE_API_KEY, else a generated key printed at start." };
        var maxK = new Option<int>("--max-k") { Description = "Largest k (+offset) a request may ask for.", DefaultValueFactory = _ => 1000 };
        var maxEventsInMemory = new Option<long>("--max-events-in-memory")
        {
            Description = "Bound on live events kept in memory; past it the users written to longest ago are evicted (with --db they are read back from the database when asked for).",
            DefaultValueFactory = _ => Trove.Server.Events.InMemoryEventStore.DefaultMaxEvents,
        };
        var maxBody = new Option<long>("--max-request-bytes") { Description = "Largest request body.", DefaultValueFactory = _ => 1 << 20 };
        var watch = new Option<bool>("--watch") { Description = "Reload a model when its file changes (POST /admin/reload works either way)." };
        var evaluation = new Option<string?>("--evaluation") { Description = "Evaluation report (JSON) to show on the dashboard." };
        var figures = new Option<string?>("--figures") { Description = "Folder of figures (PNG/SVG/HTML) to show on the dashboard." };
        var weights = new Option<string?>("--event-weights") { Description = "Event type weights, e.g. view=0.1,purchase=0.6 (on top of the defaults)." };
        var rateLimit = new Option<string?>("--rate-limit") { Description = "Requests per client IP to read endpoints, e.g. 100/s or 600/min (429 with Retry-After beyond it); default unlimited." };
        var writeRateLimit = new Option<string?>("--write-rate-limit") { Description = "Requests per client IP to write endpoints (POST /events, /admin/reload, PUT /items, PUT /users), counted apart from reads, e.g. 20/s; default unlimited." };
        var cors = new Option<string[]>("--cors-origin")
        {
            Description = "Browser origin allowed to call the API cross-origin, e.g. https://shop.example.com (repeatable); default: none, CORS off.",
            AllowMultipleArgumentsPerToken = true,
        };
        var retrieval = new Option<string>("--retrieval") { Description = "Top-K retrieval for dot-product models (ALS, BPR, two-tower): exact (score every item), hnsw (maximum-inner-product graph, any catalogue) or auto (hnsw from --hnsw-min-items items). Requests may override with retrieval=.", DefaultValueFactory = _ => "auto" };
        var hnswMinItems = new Option<int>("--hnsw-min-items") { Description = "Catalogue size from which embedding models get HNSW graphs (similar items; recommendations with --retrieval auto).", DefaultValueFactory = _ => 20_000 };
        var efSearch = new Option<int>("--ef-search") { Description = "HNSW candidate list size per search (at least k + offset): larger finds more of the true top-K, slower.", DefaultValueFactory = _ => 100 };
        var exactBatching = new Option<string>("--exact-batching") { Description = "on: exact scoring of dot-product models (ALS, BPR, two-tower, content) scores the requests that arrive together in one pass over the item matrix (one sgemm); off: one mat-vec per request.", DefaultValueFactory = _ => "on" };
        var retrain = new Option<string?>("--retrain") { Description = "Cron schedule (UTC) of background retraining from --db, e.g. \"0 3 * * *\" (6 fields: seconds first): the model is trained again on every interaction, written atomically over its file and hot-swapped; /ready shows the last run." };
        var retrainModel = new Option<string?>("--retrain-model") { Description = "The served model --retrain retrains (its name; default: the first --model)." };
        var cluster = new Option<bool>("--cluster") { Description = "Run as a replica of a cluster (Orleans, membership in the --db PostgreSQL database): live events are shared by every replica, and every model version registered in --db is loaded without restart." };
        var siloPort = new Option<int>("--silo-port") { Description = "With --cluster: the port replicas talk to each other on (one per replica on a machine).", DefaultValueFactory = _ => 11111 };
        var siloAddress = new Option<string>("--silo-address") { Description = "With --cluster: this machine's IP address as the other replicas reach it.", DefaultValueFactory = _ => "127.0.0.1" };
        var clusterId = new Option<string>("--cluster-id") { Description = "With --cluster: replicas with the same id and database form one cluster.", DefaultValueFactory = _ => "trove" };
        var command = new Command("serve", "Serve recommendations over HTTP: REST API (OpenAPI at /openapi/v1.json), live events, metrics and a dashboard at /dashboard/.")
        {
            model, db, data, port, host, apiKey, maxK, maxEventsInMemory, maxBody, watch, evaluation, figures, weights, rateLimit, writeRateLimit, cors, retrieval, hnswMinItems, efSearch, exactBatching,
            retrain, retrainModel, cluster, siloPort, siloAddress, clusterId,
        };
        command.SetAction(r => CommandRunner.Run(() =>
        {
            // Flags win over configuration (appsettings.json and appsettings.{Environment}.json in the current folder,
            // then environment variables such as Trove__ApiKey), which wins over the flags' defaults.
            bool Given(Option option) => r.GetResult(option) is { Implicit: false };
            var configured = ServerConfiguration.Read(Configuration().GetSection("Trove"), new ServerOptions
            {
                Retrieval = RetrievalMode.Auto, MaxK = r.GetValue(maxK), MaxEventsInMemory = r.GetValue(maxEventsInMemory), MaxRequestBytes = r.GetValue(maxBody),
                HnswMinItems = r.GetValue(hnswMinItems), ApiKey = Environment.GetEnvironmentVariable("TROVE_API_KEY"),
            });
            var specs = (r.GetValue(model) ?? []).SelectMany(s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();
            var sources = specs.Length > 0 ? specs.Select(ModelSource.Parse).ToList() : configured.Models.ToList();
            bool clustered = r.GetValue(cluster);
            if (sources.Count == 0 && !clustered) throw new TroveException("No model to serve: give --model FILE, or \"Trove\": { \"Models\": { \"NAME\": \"FILE\" } } in appsettings.json.");
            if (clustered && !Trove.Data.Stores.InteractionStores.IsPostgres(r.GetValue(db) ?? configured.DatabasePath ?? ""))
                throw new TroveException("--cluster needs --db with the cluster's PostgreSQL database, e.g. --db postgres://trove@127.0.0.1:5432/trove.");
            var duplicate = sources.GroupBy(s => s.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
            if (duplicate is not null) throw new TroveException($"Two models are named '{duplicate.Key}': name them, e.g. --model knn={duplicate.First().Path}.");
            int p = r.GetValue(port);
            if (p is < 0 or > 65535) throw new TroveException($"--port must be between 0 and 65535, got {p}.");
            int k = Given(maxK) ? r.GetValue(maxK) : configured.MaxK;
            if (k < 1) throw new TroveException($"--max-k must be positive, got {k}.");
            long eventsInMemory = Given(maxEventsInMemory) ? r.GetValue(maxEventsInMemory) : configured.MaxEventsInMemory;
            if (eventsInMemory < 1) throw new TroveException($"--max-events-in-memory must be positive, got {eventsInMemory}.");
            var retrievalMode = configured.Retrieval;
            if (Given(retrieval) && !RetrievalModes.TryParse(r.GetValue(retrieval), out retrievalMode))
                throw new TroveException($"--retrieval must be {RetrievalModes.Names}, got '{r.GetValue(retrieval)}'.");
            int minItems = Given(hnswMinItems) ? r.GetValue(hnswMinItems) : configured.HnswMinItems;
            if (minItems < 1) throw new TroveException($"--hnsw-min-items must be positive, got {minItems}.");
            int ef = r.GetValue(efSearch);
            if (ef < 1) throw new TroveException($"--ef-search must be positive, got {ef}.");
            bool batching = !Given(exactBatching) ? configured.ExactBatching : r.GetValue(exactBatching)?.Trim().ToLowerInvariant() switch
            {
                "on" => true,
                "off" => false,
                var other => throw new TroveException($"--exact-batching must be on or off, got '{other}'."),
            };
            // Requests are the parallelism: a multi-threaded BLAS call inside one request (two-tower scoring,
            // ALS fold-in) would spin threads that compete with Kestrel's for the same cores.
            Trove.Numerics.Dense.Blas.Threads = 1;
            var options = configured with
            {
                Retrieval = retrievalMode,
                HnswMinItems = minItems,
                ExactBatching = batching,
                Graph = new ServerOptions().Graph with { EfSearch = ef },
                Models = sources,
                Host = r.GetValue(host)!,
                Port = p,
                // Without --host or --port, ASPNETCORE_URLS, --urls or "Urls" in appsettings.json choose the address.
                AddressFromOptions = Given(host) || Given(port),
                ContentRoot = Directory.GetCurrentDirectory(),
                ApiKey = r.GetValue(apiKey) ?? configured.ApiKey,
                MaxK = k,
                MaxEventsInMemory = eventsInMemory,
                MaxRequestBytes = Given(maxBody) ? r.GetValue(maxBody) : configured.MaxRequestBytes,
                WatchModelFiles = r.GetValue(watch) || configured.WatchModelFiles,
                EvaluationPath = r.GetValue(evaluation) ?? configured.EvaluationPath,
                FiguresPath = r.GetValue(figures) ?? configured.FiguresPath,
                DataPath = r.GetValue(data) ?? configured.DataPath,
                DatabasePath = r.GetValue(db) ?? configured.DatabasePath,
                EventWeights = r.GetValue(weights) is { } w ? EventWeights.Parse(w) : configured.EventWeights,
                RateLimit = r.GetValue(rateLimit) is { } read ? Rate(read) : configured.RateLimit,
                WriteRateLimit = r.GetValue(writeRateLimit) is { } write ? Rate(write) : configured.WriteRateLimit,
                RetrainSchedule = r.GetValue(retrain) ?? configured.RetrainSchedule,
                RetrainModel = r.GetValue(retrainModel) ?? configured.RetrainModel,
                CorsOrigins = (r.GetValue(cors) is { Length: > 0 } given ? given : [.. configured.CorsOrigins]).Select(Origin).ToList(),
            };
            if (clustered)
                options = options.UseCluster(new TroveClusterOptions
                {
                    Database = options.DatabasePath!,
                    SiloPort = r.GetValue(siloPort),
                    SiloAddress = r.GetValue(siloAddress)!,
                    ClusterId = r.GetValue(clusterId) is { Length: > 0 } id ? id : throw new TroveException("--cluster-id must not be empty."),
                });
            var app = TroveServer.Build(options);
            app.Start();
            Console.WriteLine($"trove serve: listening on {TroveServer.Address(app)} (dashboard /dashboard/, API /openapi/v1.json); Ctrl+C stops");
            app.WaitForShutdown();
            return 0;
        }));
        return command;
    }

    /// <summary>What an ASP.NET Core app in the current folder would read: appsettings.json, appsettings.{Environment}.json, environment variables.</summary>
    private static IConfiguration Configuration()
    {
        var environment = Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") ?? Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") ?? "Production";
        return new ConfigurationBuilder()
            .SetBasePath(Directory.GetCurrentDirectory())
            .AddJsonFile("appsettings.json", optional: true)
            .AddJsonFile($"appsettings.{environment}.json", optional: true)
            .AddEnvironmentVariables()
            .Build();
    }

    /// <summary>"100/s", "600/min"... as requests per second; null (unlimited) when absent or 0.</summary>
    private static double? Rate(string? spec) => spec is null ? null : LastFmOptions.ParseRate(spec) is > 0 and var perSecond ? perSecond : null;

    /// <summary>An origin as browsers send it: scheme://host[:port], nothing after.</summary>
    private static string Origin(string spec)
    {
        if (!Uri.TryCreate(spec.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.PathAndQuery != "/" || uri.Fragment.Length > 0)
            throw new TroveException($"--cors-origin '{spec}' is not an origin: give scheme://host[:port], e.g. https://shop.example.com.");
        return uri.GetLeftPart(UriPartial.Authority);
    }
}
