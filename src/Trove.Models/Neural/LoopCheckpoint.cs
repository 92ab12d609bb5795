using Trove.Core.Errors;
using Trove.Core.Training;
using Trove.Numerics.Autodiff;

namespace Trove.Models.Neural;

/// <summary>Where the shared training loop stood after an epoch: what a checkpoint restores besides the parameters.</summary>
internal sealed record LoopPosition(int Epoch, bool Complete, List<EpochRecord> History, float[][]? Best, double BestMetric, int SinceBest);

/// <summary>
/// Checkpoints of <see cref="TrainingLoop"/> (<see cref="FitContext.Checkpoints"/>): each parameter's
/// values and optimizer moments, the optimizer's step count, the epoch, the history and the best
/// weights so far. Batches, negatives and dropout masks are drawn from generators seeded by
/// (seed, epoch, batch), so a resumed run continues exactly where the saved one was.
/// </summary>
internal static class LoopCheckpoint
{
    public static void SaveIfDue(FitContext context, string phase, int epoch, int total, bool stopping, IReadOnlyList<Parameter> parameters, Optimizer optimizer, LoopPosition position)
    {
        if (context.Checkpoints is not { } checkpoints || !checkpoints.IsDue(epoch, total, stopping)) return;
        checkpoints.Save(phase, epoch, stopping || epoch >= total, w =>
        {
            w.WriteArray("loop", [optimizer.Steps, position.SinceBest, position.Best is null ? 0 : 1]);
            w.WriteArray("best_metric", [position.BestMetric]);
            var rows = position.History.SelectMany(h => new[] { h.Epoch, h.Loss, h.Validation, h.LearningRate, h.Seconds }).ToArray();
            w.WriteArray("history", rows, position.History.Count, 5);
            for (int i = 0; i < parameters.Count; i++)
            {
                var q = parameters[i];
                w.WriteArray($"p{i}.value", q.Value);
                if (q.OptimizerState.First is { } m) w.WriteArray($"p{i}.state1", m);
                if (q.OptimizerState.Second is { } v) w.WriteArray($"p{i}.state2", v);
                if (position.Best is { } best) w.WriteArray($"p{i}.best", best[i]);
            }
        });
    }

    /// <summary>With <c>--resume</c>: restores parameters and optimizer from the newest checkpoint of <paramref name="phase"/>; null when there is none.</summary>
    public static LoopPosition? TryRestore(FitContext context, string phase, IReadOnlyList<Parameter> parameters, Optimizer optimizer)
    {
        LoopPosition? position = null;
        context.Checkpoints?.TryRestore(phase, (r, header) =>
        {
            var loop = r.ReadLongs("loop");
            var values = new float[parameters.Count][];
            var first = new float[]?[parameters.Count];
            var second = new float[]?[parameters.Count];
            float[][]? best = loop[2] != 0 ? new float[parameters.Count][] : null;
            for (int i = 0; i < parameters.Count; i++)
            {
                values[i] = r.ReadFloats($"p{i}.value");
                if (values[i].Length != parameters[i].Length) throw new TroveException($"{phase}: the checkpoint's parameter {parameters[i].Name} has {values[i].Length} values, expected {parameters[i].Length}.");
                first[i] = r.Has($"p{i}.state1") ? r.ReadFloats($"p{i}.state1") : null;
                second[i] = r.Has($"p{i}.state2") ? r.ReadFloats($"p{i}.state2") : null;
                if (best is not null) best[i] = r.ReadFloats($"p{i}.best");
            }
            var rows = r.ReadDoubles("history");
            var history = new List<EpochRecord>();
            for (int k = 0; k + 4 < rows.Length; k += 5) history.Add(new EpochRecord((int)rows[k], rows[k + 1], rows[k + 2], rows[k + 3], rows[k + 4]));
            for (int i = 0; i < parameters.Count; i++)
            {
                parameters[i].Restore(values[i]);
                parameters[i].RestoreOptimizerState(first[i], second[i]);
            }
            optimizer.RestoreSteps(loop[0]);
            position = new LoopPosition(header.Epoch, header.Complete, history, best, r.ReadDoubles("best_metric")[0], (int)loop[1]);
        });
        return position;
    }
}
