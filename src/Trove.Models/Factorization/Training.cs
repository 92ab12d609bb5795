using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Core.Recommending;
using Trove.Core.Training;
using Trove.Numerics.Dense;
using Trove.Numerics.Native;

namespace Trove.Models.Factorization;

/// <summary>One epoch (iteration) of an iterative model: objective, optional validation score, time.</summary>
public sealed record TrainingEpoch(int Epoch, double Loss, double? Validation, double Seconds);

/// <summary>Shared plumbing for iterative models: native-library errors, validation and early stopping.</summary>
internal static class TrainingSupport
{
    /// <summary>Runs <paramref name="action"/>, turning native-library failures into TroveExceptions the CLI prints on one line.</summary>
    public static T Native<T>(string algorithm, Func<T> action)
    {
        try { return action(); }
        catch (NativeLibraryMissingException e) { throw new TroveException($"{algorithm}: {e.Message}", e); }
        catch (LinearAlgebraException e) { throw new TroveException($"{algorithm}: {e.Message}", e); }
    }

    public static void Native(string algorithm, Action action) => Native(algorithm, () => { action(); return 0; });

    public static ParallelOptions Parallel(FitContext context) => new()
    {
        MaxDegreeOfParallelism = Math.Max(1, context.Threads),
        CancellationToken = context.Cancellation,
    };
}

/// <summary>Tracks the best validation score and decides when to stop (patience 0 = never stop early).</summary>
internal sealed class EarlyStopping(int patience)
{
    public double Best { get; private set; } = double.NegativeInfinity;
    public int BestEpoch { get; private set; } = -1;
    private int _bad;

    /// <summary>(best, best epoch, epochs since the best), for checkpoints.</summary>
    public double[] State => [Best, BestEpoch, _bad];

    public void Restore(ReadOnlySpan<double> state)
    {
        if (state.Length != 3) throw new TroveException("checkpoint: early-stopping state has the wrong length.");
        Best = state[0]; BestEpoch = (int)state[1]; _bad = (int)state[2];
    }

    /// <summary>Returns (improved, stop).</summary>
    public (bool Improved, bool Stop) Observe(int epoch, double score)
    {
        if (score > Best) { Best = score; BestEpoch = epoch; _bad = 0; return (true, false); }
        _bad++;
        return (false, patience > 0 && _bad >= patience);
    }
}

/// <summary>
/// The epoch-loop state ALS and BPR share: the history, early stopping with a copy of the best
/// factors, and checkpoints (<see cref="FitContext.Checkpoints"/>) that save and restore all of it
/// with the factors. Their random numbers come from the seed (initialisation) and from generators
/// seeded by (seed, epoch), so nothing else is needed to continue a run exactly.
/// </summary>
internal sealed class FactorTrainingRun(string name, string unit, FitContext context, int patience, int total, List<TrainingEpoch> history)
{
    private readonly EarlyStopping _early = new(patience);
    private RowChunkedMatrix? _bestUsers, _bestItems;

    /// <summary>The 0-based epoch to start from: 0, or the one after the restored checkpoint (<c>total</c> when it had finished).</summary>
    public int FirstEpoch { get; private set; }

    /// <summary>With <c>--resume</c>: overwrites the freshly initialised factors and the loop state from the newest checkpoint.</summary>
    public void Resume(RowChunkedMatrix users, RowChunkedMatrix items)
    {
        var header = context.Checkpoints?.TryRestore(name, (r, _) =>
        {
            // Read with the factors' own shape and chunking (checkpoints of earlier versions hold the same values as 1-d arrays).
            RowChunkedMatrix Read(string entry, RowChunkedMatrix like) => r.ReadMatrix(entry, like.Rows, like.Columns, like.ChunkCapacity);
            var u = Read("users", users); var i = Read("items", items);
            var early = r.ReadDoubles("early");
            var rows = r.ReadDoubles("history");
            var bestUsers = r.Has("best_users") ? Read("best_users", users) : null;
            var bestItems = r.Has("best_items") ? Read("best_items", items) : null;
            users.CopyFrom(u); items.CopyFrom(i);
            _early.Restore(early);
            (_bestUsers, _bestItems) = (bestUsers, bestItems);
            history.Clear();
            for (int k = 0; k + 3 < rows.Length; k += 4)
                history.Add(new TrainingEpoch((int)rows[k], rows[k + 1], double.IsNaN(rows[k + 2]) ? null : rows[k + 2], rows[k + 3]));
        });
        if (header is not null) FirstEpoch = header.Complete ? total : header.Epoch;
    }

    /// <summary>Records a finished epoch, applies early stopping and saves a checkpoint when due; true: stop now.</summary>
    public bool EndEpoch(TrainingEpoch record, RowChunkedMatrix users, RowChunkedMatrix items)
    {
        history.Add(record);
        bool stop = false;
        if (record.Validation is double v)
        {
            var (improved, s) = _early.Observe(record.Epoch - 1, v);
            if (improved && patience > 0) { _bestUsers = users.Clone(); _bestItems = items.Clone(); }
            if (s)
            {
                context.Progress.Info($"{name}: early stop after {unit} {record.Epoch}; best {context.ValidationMetricName} {_early.Best:F4} at {unit} {_early.BestEpoch + 1}.");
                stop = true;
            }
        }
        if (context.Checkpoints is { } checkpoints && checkpoints.IsDue(record.Epoch, total, stop))
            checkpoints.Save(name, record.Epoch, stop || record.Epoch >= total, w => Save(w, users, items));
        return stop;
    }

    private void Save(ModelArchiveWriter w, RowChunkedMatrix users, RowChunkedMatrix items)
    {
        w.WriteMatrix("users", users);
        w.WriteMatrix("items", items);
        if (_bestUsers is not null && _bestItems is not null) { w.WriteMatrix("best_users", _bestUsers); w.WriteMatrix("best_items", _bestItems); }
        w.WriteArray("early", _early.State);
        var rows = history.SelectMany(h => new[] { h.Epoch, h.Loss, h.Validation ?? double.NaN, h.Seconds }).ToArray();
        w.WriteArray("history", rows, history.Count, 4);
    }

    /// <summary>The factors to keep: the best epoch's when early stopping tracked one, else the last.</summary>
    public (RowChunkedMatrix Users, RowChunkedMatrix Items) Result(RowChunkedMatrix users, RowChunkedMatrix items) =>
        _bestUsers is not null && _bestItems is not null ? (_bestUsers, _bestItems) : (users, items);
}
