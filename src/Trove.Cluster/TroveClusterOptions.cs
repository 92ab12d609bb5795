namespace Trove.Cluster;

/// <summary>
/// How a serving replica joins its cluster: the PostgreSQL database that holds the data, the models table and the
/// Orleans membership table, and the address other silos reach this one at. Failure detection defaults are tuned for
/// a handful of replicas on a fast network: a silo killed without warning is declared dead within a few seconds, so
/// its users' grains come back on the survivors quickly.
/// </summary>
public sealed record TroveClusterOptions
{
    /// <summary>The cluster's database (postgres://user@host:port/database or Npgsql key=value pairs).</summary>
    public required string Database { get; init; }
    /// <summary>Replicas with the same id (and database) form one cluster.</summary>
    public string ClusterId { get; init; } = "trove";
    /// <summary>The address other silos connect to (this machine's address on the cluster network).</summary>
    public string SiloAddress { get; init; } = "127.0.0.1";
    /// <summary>The port silos talk to each other on (one per replica on a machine).</summary>
    public int SiloPort { get; init; } = 11111;
    /// <summary>Newest events of one user kept in that user's grain (older ones are in the database and the model).</summary>
    public int MaxEventsPerUser { get; init; } = 1000;
    /// <summary>How long a silo waits for a probe answer from another; missing <see cref="MissedProbesLimit"/> in a row makes it a suspect.</summary>
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Missed probes before a silo votes another dead.</summary>
    public int MissedProbesLimit { get; init; } = 2;
    /// <summary>Longest a call to a grain may take before it fails (and the request answers 503 or serves without live events).</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>How often a replica checks the models table even without a notification (a LISTEN connection that dropped misses them).</summary>
    public TimeSpan ModelPollInterval { get; init; } = TimeSpan.FromSeconds(10);
}
