using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Trove.Server.Http;
using Trove.Server.Models;

namespace Trove.Server.Hosting;

/// <summary>
/// Trove inside any ASP.NET Core application: <c>builder.Services.AddTrove(...)</c> registers the models and services,
/// <c>app.MapTrove("/recs")</c> maps the whole API and the dashboard under that prefix only. Nothing is added to the
/// host's middleware pipeline, so its own routes, authentication and middleware order stay as they are: the checks
/// `trove serve` does in middleware (ids, errors as problem details, metrics) run as a filter on Trove's routes.
/// </summary>
public static class TroveHostingExtensions
{
    /// <summary>Registers Trove with the given options (models to serve, database, API key, retrieval...).</summary>
    public static IServiceCollection AddTrove(this IServiceCollection services, ServerOptions options)
    {
        TroveServer.AddServices(services, options);
        return services;
    }

    /// <summary>Registers Trove with options built from the defaults, e.g. <c>AddTrove(o => o with { Models = ... }.UseCluster(...))</c>.</summary>
    public static IServiceCollection AddTrove(this IServiceCollection services, Func<ServerOptions, ServerOptions> configure) =>
        services.AddTrove(configure(new ServerOptions()));

    /// <summary>
    /// Registers Trove from a configuration section, e.g. appsettings.json <c>"Trove": { "Models": { "als": "als.trove" },
    /// "ApiKey": "...", "Database": "trove.db", "Retrieval": "auto" }</c> (all keys: <see cref="ServerConfiguration.Read"/>;
    /// an unknown key is an error); <paramref name="configure"/> adjusts the result.
    /// </summary>
    public static IServiceCollection AddTrove(this IServiceCollection services, IConfiguration section, Func<ServerOptions, ServerOptions>? configure = null)
    {
        var options = ServerConfiguration.Read(section);
        return services.AddTrove(configure?.Invoke(options) ?? options);
    }

    /// <summary>
    /// Loads the configured models (a bad file fails here, at start-up) and maps Trove's API and dashboard under
    /// <paramref name="prefix"/>. Returns the route group, for the host's own conventions (authorization, CORS...).
    /// </summary>
    public static RouteGroupBuilder MapTrove(this IEndpointRouteBuilder routes, string prefix = "/trove")
    {
        var services = routes.ServiceProvider;
        var catalog = services.GetRequiredService<ModelCatalog>();
        if (catalog.Current.Models.Count == 0) catalog.LoadInitial();
        services.GetRequiredService<Events.IEventStore>(); // opens the database now
        var items = services.GetRequiredService<Catalogue.ItemCatalogue>();
        if (items.Current.Version == 0) items.LoadAsync().GetAwaiter().GetResult(); // items hidden or added before this start
        var metrics = services.GetRequiredService<ServerMetrics>();
        var group = routes.MapGroup(prefix);
        group.AddEndpointFilterFactory((factory, next) =>
        {
            // Which handler arguments are ids taken from the path: they are decoded and checked as `trove serve` does.
            var ids = factory.MethodInfo.GetParameters()
                .Select((p, i) => (p.Name, Index: i, p.ParameterType))
                .Where(p => p.Name is "user" or "item" && p.ParameterType == typeof(string)).ToArray();
            return async context =>
            {
                long started = Stopwatch.GetTimestamp();
                var http = context.HttpContext;
                try
                {
                    var raw = Hardening.RawIds(http);
                    foreach (var (name, index, _) in ids)
                    {
                        var value = raw.TryGetValue(name!, out var decoded) ? decoded : context.Arguments[index] as string;
                        context.Arguments[index] = value;
                        if (IdRules.Problem(value, name!) is { } problem) return Endpoints.Invalid(name!, problem);
                    }
                    return await next(context);
                }
                catch (Exception e) when (e is not OperationCanceledException || !http.RequestAborted.IsCancellationRequested)
                {
                    var (status, title, detail) = TroveServer.ProblemFor(e);
                    return Results.Problem(detail, statusCode: status, title: title);
                }
                finally { metrics.Record(http, Stopwatch.GetElapsedTime(started).TotalSeconds); }
            };
        });
        Endpoints.Map(group, prefix);
        return group;
    }
}
