using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Trove.Cluster.Events;
using Trove.Cluster.Schema;
using Trove.Server;
using Trove.Server.Models;

namespace Trove.Cluster.Hosting;

/// <summary>A model registered in the database's <c>models</c> table with its file.</summary>
public sealed record RegisteredModel(string Version, string Algorithm, string Path);

/// <summary>
/// Keeps every replica on the newest model registered in the database: it LISTENs on
/// <see cref="ClusterSchema.ModelsChannel"/> (a trigger on the models table notifies every registration), and checks
/// the table at start, after every reconnection and every <see cref="TroveClusterOptions.ModelPollInterval"/>, since
/// notifications sent while the connection was down are lost. A new version is loaded beside the served one and
/// swapped in (<see cref="ModelCatalog.Replace"/>), so requests never wait on a load and a bad file keeps the old model.
/// </summary>
internal sealed class ClusterModelWatcher(ClusterDatabase database, ModelCatalog catalog, TroveClusterOptions options, string modelName,
    ILogger<ClusterModelWatcher> log) : BackgroundService
{
    private string? _failedVersion;

    protected override Task ExecuteAsync(CancellationToken stop) =>
        database.FollowAsync(ClusterSchema.ModelsChannel, options.ModelPollInterval, CheckAsync, log, "cluster model watch", stop);

    private async Task CheckAsync(CancellationToken stop)
    {
        var newest = await Newest(database.Source, stop);
        var served = catalog.Current.Find(modelName);
        if (newest is null || newest.Version == served?.Version || newest.Version == _failedVersion) return;
        try
        {
            await Task.Run(() => catalog.Replace(new ModelSource(modelName, newest.Path)), stop);
            _failedVersion = null;
        }
        catch (Exception e) when (e is Core.Errors.TroveException or IOException or InvalidDataException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            // Not retried until another version is registered: the same file would fail the same way every poll.
            _failedVersion = newest.Version;
            log.LogError("model {Version} registered in the database cannot be loaded from {Path}, still serving {Served}: {Error}",
                newest.Version, newest.Path, served?.Version, e.Message);
        }
    }

    /// <summary>The model registered last (highest id) that has a file, or null.</summary>
    public static async Task<RegisteredModel?> Newest(NpgsqlDataSource source, CancellationToken cancel = default)
    {
        await using var command = source.CreateCommand("SELECT model_version, algorithm, path FROM models WHERE path IS NOT NULL ORDER BY id DESC LIMIT 1");
        await using var reader = await command.ExecuteReaderAsync(cancel);
        return await reader.ReadAsync(cancel) ? new RegisteredModel(reader.GetString(0), reader.GetString(1), reader.GetString(2)) : null;
    }
}
