namespace Trove.Models.Neural;

/// <summary>One epoch of training: mean loss, validation metric (NaN when none), learning rate, wall time, and the AUC on the internal hold-out.</summary>
/// <param name="Auc">Share of (held-out item, sampled negative) pairs the model orders correctly, ties counting half, averaged over the
/// hold-out users (NaN without the internal hold-out, and in model files written before it was recorded).</param>
/// <remarks>NaN is written as "NaN" in the model file's history (plain JSON numbers cannot hold it).</remarks>
[System.Text.Json.Serialization.JsonNumberHandling(System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals)]
public sealed record EpochRecord(int Epoch, double Loss, double Validation, double LearningRate, double Seconds, double Auc = double.NaN);

/// <summary>A model trained in epochs that keeps their history (loss, validation metric, AUC, learning rate per epoch), for training curves in reports.</summary>
public interface ITrainingHistory
{
    /// <summary>One record per epoch of the last training (empty before training).</summary>
    IReadOnlyList<EpochRecord> History { get; }
    /// <summary>The name of <see cref="EpochRecord.Validation"/> (e.g. "hr@10" on the internal hold-out, or the evaluator's metric).</summary>
    string ValidationMetric { get; }
}

/// <summary>
/// Where the <c>curves</c> parameter's picture comes from. Training curves are data here (each model's
/// <c>History</c>); drawing them is the job of Trove.Reports, which plugs its drawer in with
/// <c>Trove.Reports.Plotting.TrainingCurvesPanels.Register()</c> (the trove command does this at startup).
/// Models thus carry no plotting library.
/// </summary>
public static class TrainingCurves
{
    /// <summary>Writes <paramref name="history"/> as a picture at <paramref name="path"/>.</summary>
    public delegate void Drawer(string path, IReadOnlyList<EpochRecord> history, string title, string metricName);

    private static volatile Drawer? _drawer;

    /// <summary>Sets the drawer used for <c>curves=PATH</c> (the last call wins).</summary>
    public static void UseDrawer(Drawer drawer) => _drawer = drawer ?? throw new ArgumentNullException(nameof(drawer));

    /// <summary>Whether a drawer is plugged in.</summary>
    public static bool CanDraw => _drawer is not null;

    /// <summary>Fails before training, not after it, when curves are asked for but nothing can draw them.</summary>
    internal static void CheckDrawable(string name)
    {
        if (_drawer is null)
            throw new Core.Errors.TroveException($"{name}: curves=PATH needs a drawer: reference Trove.Reports and call Trove.Reports.Plotting.TrainingCurvesPanels.Register() at startup (the trove command does); the per-epoch numbers are also in the model's History.");
    }

    internal static void Save(string path, IReadOnlyList<EpochRecord> history, string title, string metricName)
    {
        var drawer = _drawer ?? throw new InvalidOperationException("No training-curves drawer is registered.");
        drawer(path, history, title, metricName);
    }
}
