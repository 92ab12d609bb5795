using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Configuration;
using Trove.Cluster.Events;
using Trove.Cluster.Schema;
using Trove.Core.Errors;
using Trove.Server;
using Trove.Server.Events;
using Trove.Server.Models;

namespace Trove.Cluster.Hosting;

/// <summary>
/// Cluster mode for `trove serve --cluster` and host apps: <c>services.AddTrove(o => o.UseCluster(new() { Database = "postgres://..." }))</c>.
/// The replica runs an Orleans silo in its own process that joins the others through the database's membership
/// table; live events live in one grain per user; models follow the database's models table.
/// </summary>
public static class TroveClusterExtensions
{
    /// <summary>The name the registered model is served under when no model file is configured (?model=latest).</summary>
    public const string LatestModelName = "latest";

    /// <summary>
    /// Makes the server a cluster replica. Applies the cluster migrations (idempotent); without configured model files,
    /// serves the newest model registered in the database (<c>trove train --db</c> registers them) as "latest". The
    /// default model then follows every newer registration without a restart.
    /// </summary>
    public static ServerOptions UseCluster(this ServerOptions options, TroveClusterOptions cluster)
    {
        if (cluster.SiloPort is < 1 or > 65535) throw new TroveException($"The silo port must be between 1 and 65535, got {cluster.SiloPort}.");
        if (!IPAddress.TryParse(cluster.SiloAddress, out _)) throw new TroveException($"The silo address must be an IP address other silos can reach, got '{cluster.SiloAddress}'.");
        if (cluster.MaxEventsPerUser < 1) throw new TroveException($"The events kept per user must be positive, got {cluster.MaxEventsPerUser}.");
        ClusterSchema.Migrate(cluster.Database);
        var models = options.Models;
        if (models.Count == 0)
        {
            using var source = NpgsqlDataSource.Create(ClusterSchema.ConnectionString(cluster.Database));
            var newest = ClusterModelWatcher.Newest(source).GetAwaiter().GetResult()
                ?? throw new TroveException($"No model with a file is registered in '{Trove.Data.Stores.InteractionStores.Describe(cluster.Database)}': " +
                                            "register one with trove train --db DATABASE --model als --out als.trove.");
            models = [new ModelSource(LatestModelName, newest.Path)];
        }
        return options with
        {
            Models = models,
            DatabasePath = options.DatabasePath ?? cluster.Database,
            Extensions = [.. options.Extensions, new ClusterServerExtension(cluster)],
        };
    }

    /// <summary>Registers the silo, the per-user event grains behind the server's event store, and the model watcher.</summary>
    private sealed class ClusterServerExtension(TroveClusterOptions cluster) : ITroveServerExtension
    {
        public void AddServices(IServiceCollection services, ServerOptions options)
        {
            services.AddSingleton(cluster);
            services.AddSingleton(_ => new ClusterDatabase(cluster.Database, options.DatabaseWaitLimit));
            services.AddSingleton<ClusterEventStore>();
            // Registered after the server's own: the endpoints get this one.
            services.AddSingleton<IEventStore>(provider => provider.GetRequiredService<ClusterEventStore>());
            services.AddHostedService(provider => new ClusterModelWatcher(provider.GetRequiredService<ClusterDatabase>(), provider.GetRequiredService<ModelCatalog>(),
                cluster, options.Models[0].Name, provider.GetRequiredService<ILogger<ClusterModelWatcher>>()));
            // Orleans and its retry pipelines (Polly) log every placement and connection at Information.
            services.AddHostedService(provider => new Batch.ClusterBatchWorker(provider.GetRequiredService<ClusterDatabase>(), provider.GetRequiredService<ModelCatalog>(),
                cluster, provider.GetRequiredService<ILogger<Batch.ClusterBatchWorker>>()));
            services.AddLogging(l => l.AddFilter("Orleans", LogLevel.Warning).AddFilter("Polly", LogLevel.Warning));
            services.AddOrleans(silo =>
            {
                silo.Configure<ClusterOptions>(o => { o.ClusterId = cluster.ClusterId; o.ServiceId = "trove"; });
                silo.UseAdoNetClustering(o =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = ClusterSchema.ConnectionString(cluster.Database);
                });
                // No gateway: replicas are silos, and nothing outside the cluster calls grains.
                silo.ConfigureEndpoints(IPAddress.Parse(cluster.SiloAddress), cluster.SiloPort, gatewayPort: 0);
                silo.Configure<ClusterMembershipOptions>(o =>
                {
                    o.ProbeTimeout = cluster.ProbeTimeout;
                    o.NumMissedProbesLimit = cluster.MissedProbesLimit;
                    // A replica sees a dead one within seconds of the verdict instead of a minute.
                    o.TableRefreshTimeout = TimeSpan.FromSeconds(5);
                });
                silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = cluster.CallTimeout);
            });
        }
    }
}
