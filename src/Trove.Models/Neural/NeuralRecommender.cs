using Trove.Core.Data;
using Trove.Core.Persistence;
using Trove.Core.Recommending;
using Trove.Core.Training;
using Trove.Numerics.Autodiff;
using Trove.Numerics.Sparse;

namespace Trove.Models.Neural;

/// <summary>
/// Shared plumbing of the neural models: the named parameter list (saved as <c>nn.NAME</c> arrays),
/// the validation set-up (caller's <see cref="FitContext.Validate"/>, else an internal hold-out with
/// HR@10 over sampled negatives), and the training history.
/// </summary>
public abstract class NeuralRecommender<TParameters>(TParameters? parameters) : RecommenderBase<TParameters>(parameters), ITrainingHistory
    where TParameters : NeuralParameters, new()
{
    private readonly List<Parameter> _parameters = [];
    private List<EpochRecord> _history = [];

    /// <summary>Loss, validation metric and learning rate of each epoch of the last Fit.</summary>
    public IReadOnlyList<EpochRecord> History => _history;
    public IReadOnlyList<Parameter> Weights => _parameters;

    protected void ClearParameters() => _parameters.Clear();

    protected Parameter AddParameter(string name, int rows, int cols, bool sparse = false)
    {
        var p = new Parameter(name, rows, cols, sparse);
        _parameters.Add(p);
        return p;
    }

    /// <summary>Registers a parameter created elsewhere (a feature encoder's).</summary>
    protected void AddParameter(Parameter p) => _parameters.Add(p);

    protected Parameter GetParameter(string name) => _parameters.First(p => p.Name == name);

    /// <summary>
    /// The matrix to train on and the per-epoch validation: the caller's Validate hook when given,
    /// else (when <see cref="NeuralParameters.Validation"/>) an internal leave-one-out hold-out.
    /// </summary>
    internal (CsrMatrix Train, Holdout? Holdout, Func<double>? Validate, string Metric) PrepareValidation(Dataset data, FitContext context)
    {
        var prepared = PrepareValidationCore(data, context);
        _aucHoldout = prepared.Holdout;
        return prepared;
    }

    // The internal hold-out whose AUC each epoch records (null when validation comes from the caller's hook or is off).
    private Holdout? _aucHoldout;

    /// <summary>The name of each epoch's validation metric.</summary>
    public string ValidationMetric { get; private set; } = "hr@10";

    private (CsrMatrix Train, Holdout? Holdout, Func<double>? Validate, string Metric) PrepareValidationCore(Dataset data, FitContext context)
    {
        if (_fixedSplit is { } fixedSplit)
        {
            // A component being pre-trained: same training matrix and hold-out as its parent.
            if (context.Validate is { } v) return (fixedSplit.Train, null, () => v(this), context.ValidationMetricName);
            return (fixedSplit.Train, fixedSplit.Holdout, fixedSplit.Holdout is { } h ? () => h.HitRate(this, 10, context.Threads) : null, "hr@10");
        }
        if (context.Validate is { } validate) return (data.UserItems, null, () => validate(this), context.ValidationMetricName);
        if (!Params.Validation) return (data.UserItems, null, null, "");
        var holdout = Holdout.Create(data, Params.ValidationNegatives, context.Seed);
        if (holdout.Users.Length == 0) return (data.UserItems, null, null, "");
        return (holdout.Train, holdout, () => holdout.HitRate(this, 10, context.Threads), "hr@10");
    }

    private (CsrMatrix Train, Holdout? Holdout)? _fixedSplit;

    /// <summary>Makes the next Fit train on this matrix with this hold-out (pre-training of components).</summary>
    internal void UseSplit(CsrMatrix train, Holdout? holdout) => _fixedSplit = (train, holdout);

    internal void RecordHistory(List<EpochRecord> history) => _history = history;

    /// <summary>Epochs of the refit on all data after the hold-out run (0 when there was none).</summary>
    public int RefitEpochs { get; private set; }

    /// <summary>
    /// When the internal hold-out chose the number of epochs and <see cref="NeuralParameters.Refit"/> is
    /// on: re-initialises (<paramref name="reset"/>, which also switches to the full training matrix) and
    /// trains on all data for the best epoch count. The hold-out run's history is kept.
    /// </summary>
    internal void RefitOnAllData(Holdout? holdout, ITrainable task, FitContext context, string name, Action reset)
    {
        RefitEpochs = 0;
        if (!Params.Refit || holdout is null || _fixedSplit is not null) return;
        var best = _history.Where(h => double.IsFinite(h.Validation)).MaxBy(h => h.Validation);
        if (best is null) return;
        var first = _history;
        reset();
        context.Progress.Info($"{name}: refit on all the data for {best.Epoch} epochs (best hold-out epoch)");
        var refit = Params with { Epochs = best.Epoch, Curves = null, Validation = false };
        TrainingLoop.Run(task, refit, context, null, name + " refit", "", 0);
        _history = first;
        RefitEpochs = best.Epoch;
    }

    protected override void SaveModelState(ModelArchiveWriter writer)
    {
        SaveMetadata(writer);
        foreach (var p in _parameters) writer.WriteArray("nn." + p.Name, p.Value, p.Rows, p.Cols);
        if (_history.Count > 0) writer.WriteJson("nn.history", _history);
    }

    protected override void LoadModelState(ModelArchiveReader reader)
    {
        LoadMetadata(reader);
        foreach (var p in _parameters)
        {
            var values = reader.ReadFloats("nn." + p.Name);
            if (values.Length != p.Length) throw new Core.Errors.TroveException($"Model file array nn.{p.Name} has {values.Length} values, expected {p.Length}.");
            p.Restore(values);
        }
        if (reader.Has("nn.history")) _history = reader.ReadJson<List<EpochRecord>>("nn.history");
    }

    /// <summary>Writes what is needed to rebuild the parameter shapes (sizes, vocabularies).</summary>
    protected abstract void SaveMetadata(ModelArchiveWriter writer);
    /// <summary>Reads the metadata and re-creates the (empty) parameters, which are then filled from the file.</summary>
    protected abstract void LoadMetadata(ModelArchiveReader reader);

    /// <summary>Runs the shared training loop and keeps its history.</summary>
    internal void Train(ITrainable task, NeuralParameters p, FitContext context, Func<double>? validate, string metric, string name, int seedOffset = 0)
    {
        if (metric.Length > 0) ValidationMetric = metric;
        var holdout = _aucHoldout;
        _history = TrainingLoop.Run(task, p, context, validate, name, metric, seedOffset, holdout is null ? null : () => holdout.Auc(this, context.Threads));
    }
}
