using Trove.Core.Algorithms;
namespace Trove.Models.Neural;

public enum OptimizerKind { Adam, Adagrad }
public enum LearningRateSchedule { Constant, Exponential, Cosine }

/// <summary>Training settings shared by the neural models (the shared training loop reads these).</summary>
public abstract record NeuralParameters
{
    /// <summary>Maximum passes over the training data.</summary>
    [ValidRange(1)]
    public int Epochs { get; init; } = 20;
    [ValidRange(1)]
    public int BatchSize { get; init; } = 256;
    [TuneRange(1e-4, 1e-2, Log = true)]
    [ValidRange(0, MinExclusive = true)]
    public float LearningRate { get; init; } = 1e-3f;
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Adam;
    /// <summary>L2 penalty (decoupled from the loss; on embedding rows only when they are used).</summary>
    [ValidRange(0)]
    public float WeightDecay { get; init; } = 0f;
    /// <summary>How the learning rate changes per epoch: constant, exponential (times lr_decay each epoch), cosine (to 0 at the last epoch).</summary>
    public LearningRateSchedule LrSchedule { get; init; } = LearningRateSchedule.Constant;
    [ValidRange(0, 1, MinExclusive = true)]
    public float LrDecay { get; init; } = 0.9f;
    /// <summary>
    /// Hold out each user's latest interaction (random if there are no timestamps) for validation
    /// when the caller supplies none, and stop early on HR@10 over sampled negatives.
    /// </summary>
    public bool Validation { get; init; } = true;
    /// <summary>Epochs without validation improvement before stopping (0: never stop early). The best weights are kept.</summary>
    [ValidRange(0)]
    public int Patience { get; init; } = 3;
    /// <summary>
    /// After early stopping on the internal hold-out, train again from the same initialisation on all
    /// the data (hold-out included) for the best number of epochs. The hold-out holds each user's most
    /// recent interaction, the most informative one; refitting costs a second training run.
    /// Not used with a caller's validation hook or with NeuMF pre-training.
    /// </summary>
    public bool Refit { get; init; } = true;
    /// <summary>Sampled negatives per validation user (internal hold-out only).</summary>
    [ValidRange(1)]
    public int ValidationNegatives { get; init; } = 99;
    /// <summary>
    /// When set, a PNG with loss, validation metric and learning rate per epoch is written there
    /// (drawn by the drawer that Trove.Reports registers: see <see cref="TrainingCurves"/>).
    /// </summary>
    public string? Curves { get; init; }
    /// <summary>
    /// Gradient shards per mini-batch. Shards run in parallel, each on its own tape, and their
    /// gradients are summed in shard order, so the result depends on the seed and this number,
    /// never on the thread count.
    /// </summary>
    [ValidRange(1)]
    public int Shards { get; init; } = 2;
}
