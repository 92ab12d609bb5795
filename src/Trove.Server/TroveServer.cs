using System.Diagnostics;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Data.Stores;
using Trove.Server.Events;
using Trove.Server.Http;
using Trove.Server.Models;

namespace Trove.Server;

/// <summary>
/// Builds the `trove serve` web application: models loaded (fail fast on a bad file), endpoints,
/// problem details for every error, metrics, OpenAPI at /openapi/v1.json and the dashboard.
/// </summary>
public static class TroveServer
{
    /// <summary>Name of the API-key security scheme in the OpenAPI document.</summary>
    public const string ApiKeyScheme = "ApiKey";

    /// <summary>What each tag of the OpenAPI document groups.</summary>
    private static readonly Dictionary<string, string> TagDescriptions = new()
    {
        ["operations"] = "Liveness and readiness of the server.",
        ["models"] = "The models served, and their reload without restart.",
        ["recommendations"] = "Top-k items, similar items and users, and pair scores.",
        ["users"] = "What the server knows of a user, and users written with their features.",
        ["items"] = "The catalogue: items with their features, hidden or shown, added without retraining; popular and latest items.",
        ["embeddings"] = "User and item vectors of embedding models.",
        ["events"] = "Live events that count for the next request.",
        ["search"] = "Items found by a text query: embeddings, BM25 keywords or both, optionally personalised.",
    };

    /// <param name="configure">Last say over the builder (tests switch to the in-memory test server here).</param>
    /// <param name="events">The event store; in memory when null.</param>
    public static WebApplication Build(ServerOptions options, Action<WebApplicationBuilder>? configure = null, IEventStore? events = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = options.ContentRoot ?? AppContext.BaseDirectory });
        // The address: the options' host and port, unless they were not chosen and ASP.NET Core's settings name one.
        if (options.AddressFromOptions || string.IsNullOrWhiteSpace(builder.Configuration["urls"]))
            builder.WebHost.UseUrls($"http://{(options.Host.Contains(':') ? $"[{options.Host}]" : options.Host)}:{options.Port}");
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = options.MaxRequestBytes;
            // Twice the limits Hardening enforces, so those refusals come from Trove with their numbers in the detail.
            k.Limits.MaxRequestLineSize = 2 * Hardening.MaxRequestTarget + 64;
            k.Limits.MaxRequestHeadersTotalSize = 2 * Hardening.MaxRequestHeaders;
            k.AddServerHeader = false;
            // What Kestrel refuses itself (past those limits, or unparsable) gets problem details too.
            k.UseProblemDetailsForRejectedRequests();
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        string apiKey = AddServices(builder.Services, options, events);
        builder.Services.AddOpenApi(o =>
        {
            o.AddDocumentTransformer((doc, _, _) =>
            {
                doc.Info.Title = "Trove recommendations API";
                doc.Info.Description = "Recommendations, similar items and users, scores, embeddings and live events from trained Trove models.";
                doc.Info.License = new Microsoft.OpenApi.OpenApiLicense { Name = "MIT", Identifier = "MIT" };
                // Relative to the document's own address, so the document holds for any host, port or path base.
                doc.Servers = [new Microsoft.OpenApi.OpenApiServer { Url = "/", Description = "The server that serves this document." }];
                foreach (var tag in doc.Tags ?? (IEnumerable<Microsoft.OpenApi.OpenApiTag>)[])
                    if (tag.Name is { } name && TagDescriptions.TryGetValue(name, out var text)) tag.Description = text;
                doc.Components ??= new Microsoft.OpenApi.OpenApiComponents();
                doc.Components.SecuritySchemes ??= new Dictionary<string, Microsoft.OpenApi.IOpenApiSecurityScheme>();
                doc.Components.SecuritySchemes[ApiKeyScheme] = new Microsoft.OpenApi.OpenApiSecurityScheme
                {
                    Type = Microsoft.OpenApi.SecuritySchemeType.ApiKey,
                    In = Microsoft.OpenApi.ParameterLocation.Header,
                    Name = Endpoints.ApiKeyHeader,
                    Description = "The key given with --api-key (or generated at start); required by the write operations.",
                };
                return Task.CompletedTask;
            });
            // The write operations (those behind the API-key filter) declare the scheme; the others say explicitly
            // that they need nothing (an empty requirement), so a linter and a client generator need not guess.
            o.AddOperationTransformer((operation, context, _) =>
            {
                operation.Security ??= [];
                operation.Security.Add(context.Description.ActionDescriptor.EndpointMetadata.OfType<ApiKeyRequired>().Any()
                    ? new Microsoft.OpenApi.OpenApiSecurityRequirement { [new Microsoft.OpenApi.OpenApiSecuritySchemeReference(ApiKeyScheme, context.Document)] = [] }
                    : new Microsoft.OpenApi.OpenApiSecurityRequirement());
                return Task.CompletedTask;
            });
        });
        configure?.Invoke(builder);

        var app = builder.Build();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Trove.Server");
        app.Services.GetRequiredService<ModelCatalog>().LoadInitial();
        app.Services.GetRequiredService<IEventStore>(); // opens the database now: a wrong --db fails at start, not at the first event
        app.Services.GetRequiredService<Catalogue.ItemCatalogue>().LoadAsync().GetAwaiter().GetResult(); // items hidden or added before this start
        // The generated key goes to the console once, never into a log that may be shipped elsewhere.
        if (options.ApiKey is not { Length: > 0 })
            Console.Error.WriteLine($"no --api-key given: write endpoints (POST /events, /admin/reload, PUT /items, PUT /users) need this generated key in the X-Api-Key header: {apiKey}");

        var metrics = app.Services.GetRequiredService<ServerMetrics>();
        app.Use(async (context, next) =>
        {
            long started = Stopwatch.GetTimestamp();
            try { await next(context); }
            finally { metrics.Record(context, Stopwatch.GetElapsedTime(started).TotalSeconds); }
        });
        app.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandler = WriteProblem });
        app.UseStatusCodePages();
        Hardening.Use(app, options);
        if (options.FiguresPath is { } figures && Directory.Exists(figures))
            app.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(Path.GetFullPath(figures)), RequestPath = "/figures" });
        app.MapOpenApi();
        Endpoints.Map(app);
        return app;
    }

    /// <summary>
    /// Registers what the endpoints need (options, key, model catalog, event store, titles, scoring engine, metrics,
    /// problem details, rate limits, JSON settings): shared by `trove serve` and by <c>AddTrove</c> in a host app.
    /// Returns the API key in force (the given one, or a generated one).
    /// </summary>
    internal static string AddServices(IServiceCollection services, ServerOptions options, IEventStore? events = null)
    {
        var apiKey = options.ApiKey is { Length: > 0 } given ? given : Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
        services.AddSingleton(options);
        services.AddSingleton(new ApiKey(apiKey));
        services.AddSingleton<ModelCatalog>();
        services.AddSingleton(provider => events ?? OpenEvents(options, provider.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton(_ => ItemTitles.From(LoadData(options)));
        services.AddSingleton<ServingEngine>();
        // Catalogue writes persist where events do when that store can hold them (the --db database), else in memory. The store
        // is not registered as a service of its own: it is the event store, which the container already disposes once.
        services.AddSingleton(provider => new Catalogue.ItemCatalogue(
            provider.GetRequiredService<IEventStore>() as Catalogue.ICatalogueStore ?? new Catalogue.MemoryCatalogueStore()));
        if (options.RetrainSchedule is not null)
        {
            Retraining.ScheduledRetraining.Check(options); // a bad schedule or a missing --db fails at start, in one line
            services.TryAddSingleton(TimeProvider.System);
            services.AddSingleton<Retraining.ScheduledRetraining>();
            services.AddHostedService(provider => provider.GetRequiredService<Retraining.ScheduledRetraining>());
        }
        services.AddMetrics();
        services.AddSingleton<ServerMetrics>();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(ServerMetrics.MeterName)
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        // Meters are process-wide: take Trove's instruments from this application's meter factory only, so two Trove
        // hosts in one process (or tests) never mix their series.
        services.ConfigureOpenTelemetryMeterProvider((provider, builder) =>
        {
            var own = provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
            builder.AddView(instrument => instrument.Meter.Name == ServerMetrics.MeterName && !ReferenceEquals(instrument.Meter.Scope, own)
                ? MetricStreamConfiguration.Drop : null);
        });
        services.AddHealthChecks()
            .AddCheck<Health.ModelsHealthCheck>(Health.TroveHealthChecks.Models, tags: [Health.TroveHealthChecks.Tag])
            .AddCheck<Health.EventStoreHealthCheck>(Health.TroveHealthChecks.EventStore, tags: [Health.TroveHealthChecks.Tag]);
        services.AddProblemDetails();
        Hardening.AddServices(services, options);
        services.ConfigureHttpJsonOptions(j =>
        {
            j.SerializerOptions.Converters.Add(new JsonStringEnumConverter());
            // Scores are plain JSON numbers: strict handling makes the OpenAPI document say "type: number" (the web
            // default also reads numbers from strings, documented as number-or-string, which breaks generated clients).
            // Every score served is finite.
            j.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
        });
        foreach (var extension in options.Extensions) extension.AddServices(services, options);
        return apiKey;
    }

    /// <summary>The problem details for an exception: user errors 4xx with their message, the rest a 500 without internals.</summary>
    internal static (int Status, string Title, string Detail) ProblemFor(Exception? error) => error switch
    {
        UnknownIdException e => (StatusCodes.Status404NotFound, $"Unknown {e.Kind}", e.Message),
        TroveException e => (StatusCodes.Status400BadRequest, "Request cannot be served", e.Message),
        BadHttpRequestException e => (e.StatusCode, "Bad request", e.Message),
        System.Text.Json.JsonException e => (StatusCodes.Status400BadRequest, "Invalid JSON", e.Message),
        OperationCanceledException => (499, "Cancelled", "The request was cancelled."),
        _ => (StatusCodes.Status500InternalServerError, "Internal error", "The server failed to handle the request; see its log."),
    };

    /// <summary>Every exception becomes RFC 7807 problem details: user errors 4xx with their message, the rest a 500 without internals.</summary>
    private static async Task WriteProblem(HttpContext context)
    {
        var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        var (status, title, detail) = ProblemFor(error);
        if (status >= 500)
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Trove.Server").LogError(error, "request failed");
        await Results.Problem(detail, statusCode: status, title: title).ExecuteAsync(context);
    }

    /// <summary>Events go to the --db database (reopened by itself after an outage), else stay in memory.</summary>
    private static IEventStore OpenEvents(ServerOptions options, ILoggerFactory logs) =>
        options.DatabasePath is { } db
            ? new InteractionStoreEvents(InteractionStores.Open(db, waitLimit: options.DatabaseWaitLimit), () => InteractionStores.Open(db, waitLimit: options.DatabaseWaitLimit),
                options.DatabaseRetryAfter, logs.CreateLogger("Trove.Server.Events"), options.MaxEventsInMemory)
            : new InMemoryEventStore(maxEvents: options.MaxEventsInMemory);

    /// <summary>The data set of --data (any format the loader knows) or --db, for item titles; null when neither is given.</summary>
    private static Trove.Core.Data.Dataset? LoadData(ServerOptions options)
    {
        if (options.DataPath is { } data)
            return Trove.Data.Readers.DatasetLoader.Load(data, new Trove.Data.Readers.LoadOptions { RequireInteractions = false });
        if (options.DatabasePath is { } db && Trove.Data.Stores.InteractionStores.Exists(db))
        {
            using var store = Trove.Data.Stores.InteractionStores.Open(db, createIfMissing: false);
            return store.LoadDataset();
        }
        return null;
    }

    /// <summary>The address the server listens on once started (useful with port 0).</summary>
    public static string Address(WebApplication app) =>
        app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? app.Urls.First();
}
