using Trove.Core.Errors;
using Trove.Core.Recommending;
using Trove.Core.Training;
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

    /// <summary>Returns (improved, stop).</summary>
    public (bool Improved, bool Stop) Observe(int epoch, double score)
    {
        if (score > Best) { Best = score; BestEpoch = epoch; _bad = 0; return (true, false); }
        _bad++;
        return (false, patience > 0 && _bad >= patience);
    }
}
