using Microsoft.Extensions.Diagnostics.HealthChecks;
using Trove.Server.Events;
using Trove.Server.Models;

namespace Trove.Server.Health;

/// <summary>
/// Trove's readiness as standard ASP.NET Core health checks, tagged <see cref="Tag"/>: Trove's own <c>/ready</c> runs
/// them, and a host application's <c>MapHealthChecks(...)</c> (or a Kubernetes probe on it) includes them as well.
/// </summary>
public static class TroveHealthChecks
{
    /// <summary>The tag of every Trove health check (select them with <c>Predicate = c => c.Tags.Contains(Tag)</c>).</summary>
    public const string Tag = "trove";

    /// <summary>Name of the check that a model is loaded.</summary>
    public const string Models = "trove-models";

    /// <summary>Name of the check that the event database answers.</summary>
    public const string EventStore = "trove-event-store";
}

/// <summary>Unhealthy until a model is loaded; healthy afterwards, naming the versions served (a failed reload keeps the old model serving).</summary>
public sealed class ModelsHealthCheck(ModelCatalog catalog) : IHealthCheck
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var set = catalog.Current;
        var data = new Dictionary<string, object>
        {
            ["generation"] = set.Generation,
            ["models"] = string.Join(", ", set.Models.Select(m => $"{m.Name} ({m.Version})")),
        };
        if (catalog.LastError is { } error) data["lastReloadError"] = error;
        return Task.FromResult(set.Models.Count == 0
            ? new HealthCheckResult(context.Registration.FailureStatus, "No model is loaded yet.", data: data)
            : HealthCheckResult.Healthy($"{set.Models.Count} model(s) loaded.", data));
    }
}

/// <summary>
/// Degraded while the event database does not answer (events are then refused with 503 and recommendations are served
/// without them); healthy with an in-memory event store. The database is touched at most once a second.
/// </summary>
public sealed class EventStoreHealthCheck(IEventStore events) : IHealthCheck
{
    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (events is not InteractionStoreEvents store) return HealthCheckResult.Healthy(events.Description);
        var state = await store.ProbeAsync(cancellationToken);
        var data = new Dictionary<string, object>();
        if (state.SinceUtc is { } since) data["since"] = since;
        if (state.Error is { } error) data["error"] = error;
        return state.Available
            ? HealthCheckResult.Healthy("The event database answers.", data)
            : HealthCheckResult.Degraded("The event database does not answer.", data: data);
    }
}
