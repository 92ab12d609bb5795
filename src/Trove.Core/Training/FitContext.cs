using Trove.Core.Recommending;

namespace Trove.Core.Training;

/// <summary>What a model's Fit may use besides the data: seed, threads, progress, cancellation, validation.</summary>
public sealed record FitContext
{
    public static FitContext Default { get; } = new();

    /// <summary>Seed for every random choice, so the same seed gives the same model.</summary>
    public int Seed { get; init; } = 42;
    /// <summary>Worker threads; defaults to the processor count.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;
    public IProgressReporter Progress { get; init; } = NullProgress.Instance;
    public CancellationToken Cancellation { get; init; }
    /// <summary>
    /// Optional validation score (higher is better) that iterative models call after each epoch,
    /// for early stopping and training curves. Null when no validation split was requested.
    /// </summary>
    public Func<IRecommender, double>? Validate { get; init; }
    public string ValidationMetricName { get; init; } = "ndcg@10";
    /// <summary>Where iterative models save and resume their training state; null: no checkpoints.</summary>
    public TrainingCheckpoints? Checkpoints { get; init; }
    /// <summary>
    /// A bare catalogue is expected (`trove index --data items.csv`): a model that means something without
    /// interactions (popularity: every item equal) fits on it. Off by default, so empty training data (e.g. test
    /// files given without their training file) stays an error rather than a model of zeros.
    /// </summary>
    public bool CatalogueOnly { get; init; }
}

/// <summary>Progress of long steps. The CLI draws a bar on a terminal and plain lines when redirected.</summary>
public interface IProgressReporter
{
    IProgressTask Start(string description, long total);
    void Info(string message);
}

public interface IProgressTask : IDisposable
{
    void Advance(long amount = 1);
    /// <summary>Extra status shown beside the bar (e.g. "loss 0.41").</summary>
    void Status(string status);
}

public sealed class NullProgress : IProgressReporter, IProgressTask
{
    public static NullProgress Instance { get; } = new();
    public IProgressTask Start(string description, long total) => this;
    public void Info(string message) { }
    public void Advance(long amount = 1) { }
    public void Status(string status) { }
    public void Dispose() { }
}
