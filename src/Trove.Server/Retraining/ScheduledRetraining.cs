using System.Diagnostics;
using Cronos;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Core.Training;
using Trove.Data.Stores;
using Trove.Models;
using Trove.Server.Models;

namespace Trove.Server.Retraining;

/// <summary>The last retraining run, as /ready and the dashboard show it.</summary>
/// <param name="Outcome">"running", "succeeded" or "failed".</param>
/// <param name="DurationSeconds">From start to finish (null while running).</param>
/// <param name="Error">Why it failed (the old model is still served).</param>
/// <param name="ModelVersion">The version it trained and now serves (succeeded runs).</param>
public sealed record RetrainingRun(DateTime StartedUtc, DateTime? FinishedUtc, double? DurationSeconds, string Outcome, string? Error, string? ModelVersion);

/// <summary>The retraining schedule and its last run.</summary>
/// <param name="Schedule">The cron expression (5 fields, or 6 with seconds first).</param>
/// <param name="Model">The served model it retrains (its serving name).</param>
/// <param name="NextRunUtc">When it runs next.</param>
/// <param name="LastRun">The last run, null before the first.</param>
/// <param name="Runs">Runs since start.</param>
public sealed record RetrainingStatus(string Schedule, string Model, DateTime? NextRunUtc, RetrainingRun? LastRun, long Runs);

/// <summary>
/// Scheduled retraining (<c>trove serve --retrain "0 3 * * *" --retrain-model als</c>, or <c>"Retrain"</c> and
/// <c>"RetrainModel"</c> in the "Trove" configuration section): at each time of the cron schedule, in the background,
/// reads every interaction, item and user from the --db database (events received since the last training and the
/// catalogue's writes included), trains the served model's algorithm with its parameters and seed, writes the model
/// file atomically over the served one and hot-swaps it through <see cref="ModelCatalog.Reload"/> (requests in flight
/// finish on the old model). A failed run keeps the old model and reports the error in /ready. Runs never overlap: a
/// time that comes while a run is still going is skipped.
/// </summary>
public sealed class ScheduledRetraining : BackgroundService
{
    private readonly ServerOptions _options;
    private readonly ModelCatalog _catalog;
    private readonly ILogger _log;
    private readonly TimeProvider _clock;
    private readonly CronExpression _schedule;
    private readonly ModelSource _source;
    private volatile RetrainingRun? _last;
    private DateTime? _next;
    private long _runs;

    public ScheduledRetraining(ServerOptions options, ModelCatalog catalog, ILogger<ScheduledRetraining> log, TimeProvider clock)
    {
        _options = options; _catalog = catalog; _log = log; _clock = clock;
        (_schedule, _source) = Check(options);
    }

    /// <summary>
    /// The parsed schedule and the model it retrains; a one-line <see cref="TroveException"/> when the options cannot work
    /// (a bad cron expression, no --db to train from, a model name that is not served).
    /// </summary>
    public static (CronExpression Schedule, ModelSource Model) Check(ServerOptions options)
    {
        var text = options.RetrainSchedule?.Trim() ?? throw new TroveException("No retraining schedule: give --retrain \"0 3 * * *\".");
        CronExpression schedule;
        try { schedule = CronExpression.Parse(text, text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard); }
        catch (CronFormatException e)
        {
            throw new TroveException($"--retrain '{text}' is not a cron schedule ({e.Message}); use 5 fields (minute hour day month weekday, e.g. \"0 3 * * *\") or 6 with seconds first.");
        }
        if (options.DatabasePath is null)
            throw new TroveException("--retrain retrains from the database: give --db (a SQLite file or PostgreSQL connection string) too.");
        if (options.Models.Count == 0) throw new TroveException("--retrain needs a served model file (--model) to retrain.");
        var model = options.RetrainModel is { Length: > 0 } name
            ? options.Models.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase))
              ?? throw new TroveException($"--retrain-model '{name}' is not a served model. Served: {string.Join(", ", options.Models.Select(m => m.Name))}.")
            : options.Models[0];
        return (schedule, model);
    }

    /// <summary>The schedule, the next time and the last run.</summary>
    public RetrainingStatus Status => new(_options.RetrainSchedule!.Trim(), _source.Name, _next, _last, Interlocked.Read(ref _runs));

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            var now = _clock.GetUtcNow().UtcDateTime;
            _next = _schedule.GetNextOccurrence(now, TimeZoneInfo.Utc);
            if (_next is not { } next) return; // a schedule with no future time (e.g. a date that has passed)
            try
            {
                // In steps of at most a day: Task.Delay takes at most ~49 days, and a long wait should see a changed clock.
                while (next > (now = _clock.GetUtcNow().UtcDateTime))
                    await Task.Delay(TimeSpan.FromTicks(Math.Min((next - now).Ticks, TimeSpan.TicksPerDay)), _clock, stopping);
            }
            catch (OperationCanceledException) { return; }
            await RunOnceAsync(stopping);
        }
    }

    /// <summary>One retraining now (also what a scheduled time runs). Never throws: the outcome is in <see cref="Status"/>.</summary>
    public async Task RunOnceAsync(CancellationToken cancel = default)
    {
        var started = _clock.GetUtcNow().UtcDateTime;
        var clock = Stopwatch.StartNew();
        _last = new RetrainingRun(started, null, null, "running", null, null);
        Interlocked.Increment(ref _runs);
        _log.LogInformation("retraining {Model} from the database started", _source.Name);
        try
        {
            // Training is CPU work of minutes: off the thread that runs the schedule, and cancelled at shutdown.
            var version = await Task.Run(() => Retrain(cancel), cancel);
            _last = new RetrainingRun(started, _clock.GetUtcNow().UtcDateTime, clock.Elapsed.TotalSeconds, "succeeded", null, version);
            _log.LogInformation("retraining {Model} succeeded in {Seconds:F1} s: now serving {Version}", _source.Name, clock.Elapsed.TotalSeconds, version);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
        {
            var message = e is TroveException ? e.Message : $"{e.GetType().Name}: {e.Message}";
            _last = new RetrainingRun(started, _clock.GetUtcNow().UtcDateTime, clock.Elapsed.TotalSeconds, "failed", message, null);
            _log.LogWarning("retraining {Model} failed, the previous model is still served: {Error}", _source.Name, message);
        }
        catch (OperationCanceledException)
        {
            _last = new RetrainingRun(started, _clock.GetUtcNow().UtcDateTime, clock.Elapsed.TotalSeconds, "failed", "cancelled: the server stopped", null);
        }
    }

    private string Retrain(CancellationToken cancel)
    {
        var served = _catalog.Current.Models.FirstOrDefault(m => m.Name == _source.Name)
            ?? throw new TroveException($"Model '{_source.Name}' is not loaded.");
        Trove.Core.Data.Dataset data;
        // A connection of its own: the event writes keep theirs while the data is read.
        using (var store = InteractionStores.Open(_options.DatabasePath!, createIfMissing: false, waitLimit: _options.DatabaseWaitLimit))
            data = store.LoadDataset();
        if (data.Interactions.Count == 0) throw new TroveException($"The database has no interactions to train {served.Manifest.Algorithm} on.");
        cancel.ThrowIfCancellationRequested();
        var model = BuiltInAlgorithms.Registry.Create(served.Manifest.Algorithm, served.Manifest.Parameters);
        var context = FitContext.Default with { Seed = served.Manifest.Seed, Cancellation = cancel };
        var clock = Stopwatch.StartNew();
        model.Fit(data, context);
        // Written next to the served file and renamed over it (AtomicFile): a reader never sees half a model.
        var trained = ModelFile.Save(served.Path, model, data, clock.Elapsed.TotalSeconds, served.Manifest.Seed);
        _catalog.Reload(_source.Name);
        return trained.Manifest.ModelVersion;
    }
}
