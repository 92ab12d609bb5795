using System.Diagnostics;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Training;
using Trove.Numerics.Autodiff;
using Trove.Numerics.Sparse;

namespace Trove.Models.Neural;

/// <summary>What the shared training loop needs from a model: its parameters, the epoch's samples, and a loss over a range of them.</summary>
internal interface ITrainable
{
    IReadOnlyList<Parameter> Parameters { get; }
    /// <summary>Builds (and shuffles) this epoch's training samples; returns how many there are.</summary>
    int PrepareEpoch(int epoch, Random rng);
    /// <summary>Mean loss over samples [start, end) of the current epoch, recorded on the tape.</summary>
    Tensor Loss(Tape tape, int start, int end);
}

/// <summary>
/// The shared mini-batch loop. Parallelism is data-parallel within each mini-batch: the batch is cut
/// into a fixed number of shards, each shard's loss and gradients are computed on its own tape on a
/// worker thread, and the gradients are summed in shard order before one optimizer step. This keeps
/// runs bit-for-bit reproducible with the seed (unlike Hogwild, whose unsynchronised updates depend
/// on thread timing) while both cores work on every batch; embedding gradients stay sparse (only the
/// looked-up rows are summed and updated).
/// </summary>
internal static class TrainingLoop
{
    /// <param name="auc">The AUC on the internal hold-out after each epoch (after <paramref name="validate"/>, which brings vectors up to date); null: none.</param>
    public static List<EpochRecord> Run(ITrainable task, NeuralParameters p, FitContext context, Func<double>? validate,
        string name, string metricName, int seedOffset = 0, Func<double>? auc = null)
    {
        if (p.Epochs <= 0) throw new TroveException($"{name}: epochs must be positive.");
        if (p.BatchSize <= 0) throw new TroveException($"{name}: batch_size must be positive.");
        if (!(p.LearningRate > 0) || float.IsInfinity(p.LearningRate)) throw new TroveException($"{name}: learning_rate must be a positive number, got {p.LearningRate}.");
        if (!(p.WeightDecay >= 0)) throw new TroveException($"{name}: weight_decay must be 0 or more, got {p.WeightDecay}.");
        if (!(p.LrDecay > 0 && p.LrDecay <= 1)) throw new TroveException($"{name}: lr_decay must be in (0, 1], got {p.LrDecay}.");
        if (p.Patience < 0) throw new TroveException($"{name}: patience must be 0 (never stop early) or more, got {p.Patience}.");
        if (!string.IsNullOrWhiteSpace(p.Curves)) TrainingCurves.CheckDrawable(name);
        Optimizer optimizer = p.Optimizer == OptimizerKind.Adagrad
            ? new Adagrad(p.LearningRate, weightDecay: p.WeightDecay)
            : new Adam(p.LearningRate, weightDecay: p.WeightDecay);
        var history = new List<EpochRecord>();
        var parameters = task.Parameters;
        foreach (var q in parameters) q.ResetOptimizerState(); // a new optimizer starts from fresh moments
        float[][]? best = null;
        double bestMetric = double.NegativeInfinity;
        int sinceBest = 0;
        int firstEpoch = 1;
        if (LoopCheckpoint.TryRestore(context, name, parameters, optimizer) is { } resumed)
        {
            (history, best, bestMetric, sinceBest) = (resumed.History, resumed.Best, resumed.BestMetric, resumed.SinceBest);
            firstEpoch = resumed.Complete ? p.Epochs + 1 : resumed.Epoch + 1;
        }
        int shards = Math.Max(1, p.Shards);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, context.Threads), CancellationToken = context.Cancellation };
        int savedBlasThreads = TrySetBlasThreads(1);
        try
        {
            using var progress = context.Progress.Start($"train {name}", p.Epochs);
            progress.Advance(Math.Min(firstEpoch, p.Epochs + 1) - 1);
            for (int epoch = firstEpoch; epoch <= p.Epochs; epoch++)
            {
                context.Cancellation.ThrowIfCancellationRequested();
                var clock = Stopwatch.StartNew();
                optimizer.LearningRate = LearningRate(p, epoch);
                var rng = new Random(SeedMix.Of(context.Seed, seedOffset, epoch));
                int n = task.PrepareEpoch(epoch, rng);
                double lossSum = 0;
                var tapes = new Tape[shards];
                var losses = new float[shards];
                int batchIndex = 0;
                for (int start = 0; start < n; start += p.BatchSize, batchIndex++)
                {
                    int end = Math.Min(n, start + p.BatchSize), size = end - start;
                    int used = Math.Min(shards, size);
                    int b = batchIndex, s0 = start;
                    void Shard(int s)
                    {
                        int a = s0 + (int)((long)size * s / used), z = s0 + (int)((long)size * (s + 1) / used);
                        var tape = new Tape(training: true, seed: SeedMix.Of(context.Seed, seedOffset, epoch, b, s));
                        var loss = task.Loss(tape, a, z);
                        tape.Backward(loss, (float)(z - a) / size);
                        tapes[s] = tape; losses[s] = loss.Scalar * (z - a);
                    }
                    if (used == 1 || parallel.MaxDegreeOfParallelism == 1) for (int s = 0; s < used; s++) Shard(s);
                    else Parallel.For(0, used, parallel, Shard);
                    for (int s = 0; s < used; s++) { tapes[s].AccumulateGradients(); lossSum += losses[s]; tapes[s] = null!; }
                    optimizer.Step(parameters);
                }
                double meanLoss = lossSum / Math.Max(1, n);
                if (!double.IsFinite(meanLoss)) throw new TroveException($"{name}: the loss diverged at epoch {epoch} (try a smaller learning_rate).");
                double metric = validate?.Invoke() ?? double.NaN;
                double areaUnderCurve = auc?.Invoke() ?? double.NaN;
                history.Add(new EpochRecord(epoch, meanLoss, metric, optimizer.LearningRate, clock.Elapsed.TotalSeconds, areaUnderCurve));
                string line = $"epoch {epoch}/{p.Epochs} loss {meanLoss:F4}" + (double.IsNaN(metric) ? "" : $" {metricName} {metric:F4}")
                    + (double.IsNaN(areaUnderCurve) ? "" : $" auc {areaUnderCurve:F4}") + $" lr {optimizer.LearningRate:G3} ({clock.Elapsed.TotalSeconds:F1}s)";
                progress.Status(line);
                progress.Advance();
                context.Progress.Info($"{name} {line}");

                bool stop = false;
                if (!double.IsNaN(metric))
                {
                    if (metric > bestMetric)
                    {
                        bestMetric = metric; sinceBest = 0;
                        best = parameters.Select(q => q.Snapshot()).ToArray();
                    }
                    else if (p.Patience > 0 && ++sinceBest >= p.Patience)
                    {
                        context.Progress.Info($"{name}: early stop at epoch {epoch}; best {metricName} {bestMetric:F4} at epoch {epoch - sinceBest}");
                        stop = true;
                    }
                }
                LoopCheckpoint.SaveIfDue(context, name, epoch, p.Epochs, stop, parameters, optimizer, new LoopPosition(epoch, stop, history, best, bestMetric, sinceBest));
                if (stop) break;
            }
            if (best is not null) for (int i = 0; i < parameters.Count; i++) parameters[i].Restore(best[i]);
        }
        finally
        {
            if (savedBlasThreads > 0) TrySetBlasThreads(savedBlasThreads);
        }
        if (!string.IsNullOrWhiteSpace(p.Curves)) TrainingCurves.Save(p.Curves, history, name, metricName);
        return history;
    }

    /// <summary>
    /// Samples in one epoch's arrays: each positive plus <paramref name="negatives"/> sampled negatives, counted in 64 bits
    /// (500M interactions x 5 negatives would wrap an int); more than one array holds is a one-line error.
    /// </summary>
    internal static int EpochSamples(string name, long positives, int negatives)
    {
        long samples = positives * (1L + negatives);
        if (samples > Array.MaxLength)
            throw new TroveException($"{name}: {positives:N0} interactions x {1 + negatives} (with negatives) = {samples:N0} samples per epoch, more than one array holds ({Array.MaxLength:N0}); use fewer negatives or sample the data.");
        return (int)samples;
    }

    internal static float LearningRate(NeuralParameters p, int epoch) => p.LrSchedule switch
    {
        LearningRateSchedule.Exponential => p.LearningRate * MathF.Pow(p.LrDecay, epoch - 1),
        LearningRateSchedule.Cosine => p.LearningRate * 0.5f * (1 + MathF.Cos(MathF.PI * (epoch - 1) / Math.Max(1, p.Epochs))),
        _ => p.LearningRate,
    };

    /// <summary>Our shards already use the cores; small GEMMs are fastest single-threaded in OpenBLAS.</summary>
    private static int TrySetBlasThreads(int threads)
    {
        try { int old = Numerics.Dense.Blas.Threads; Numerics.Dense.Blas.Threads = threads; return old; }
        catch (Exception) { return 0; }
    }
}

/// <summary>
/// Uniform negative sampling: items the user never interacted with (rejection sampling against the
/// user's sorted CSR row), for training pairs and validation candidates.
/// </summary>
public static class NegativeSampler
{
    /// <summary>An item not in <paramref name="positives"/> (sorted), or -1 when the user has every item.</summary>
    public static int Sample(ReadOnlySpan<int> positives, int itemCount, Random rng)
    {
        if (positives.Length >= itemCount) return -1;
        if (positives.Length * 2 < itemCount)
        {
            while (true)
            {
                int j = rng.Next(itemCount);
                if (positives.BinarySearch(j) < 0) return j;
            }
        }
        // Dense row: pick the k-th unseen item directly.
        int k = rng.Next(itemCount - positives.Length);
        int item = 0, p = 0;
        while (true)
        {
            while (p < positives.Length && positives[p] < item) p++;
            if (p < positives.Length && positives[p] == item) { item++; continue; }
            if (k == 0) return item;
            k--; item++;
        }
    }
}

/// <summary>Per-user held-out interaction with sampled negatives, and the training matrix without it.</summary>
internal sealed class Holdout
{
    public required int[] Users { get; init; }
    public required int[] Items { get; init; }
    public required int[][] Negatives { get; init; }
    public required CsrMatrix Train { get; init; }

    /// <summary>
    /// Holds out one item per user with at least 3 items: the latest interaction when the log has
    /// timestamps, else a random one. Negatives are items the user never interacted with.
    /// </summary>
    public static Holdout Create(Dataset data, int negatives, int seed)
    {
        var m = data.UserItems;
        var log = data.Interactions;
        var rng = new Random(SeedMix.Of(seed, 0x5eed));
        var held = new int[data.UserCount];
        Array.Fill(held, -1);
        if (log.HasTimestamps)
        {
            var latest = new long[data.UserCount];
            Array.Fill(latest, long.MinValue);
            for (int r = 0; r < log.Count; r++)
            {
                int u = log.Users[r];
                if (log.Timestamps[r] >= latest[u]) { latest[u] = log.Timestamps[r]; held[u] = log.Items[r]; }
            }
        }
        else
            for (int u = 0; u < data.UserCount; u++) if (m.RowLength(u) > 0) held[u] = m.RowIndices(u)[rng.Next(m.RowLength(u))];

        var users = new List<int>(); var items = new List<int>(); var negs = new List<int[]>();
        var pointers = new int[m.Rows + 1];
        // Neural models train on one machine from in-memory lists: their interactions must fit one array.
        if (m.NonZeros > Array.MaxLength)
            throw new TroveException($"neural training: {m.NonZeros:N0} interactions, more than one array holds ({Array.MaxLength:N0}); sample users or items first.");
        var columns = new List<int>((int)m.NonZeros); var values = new List<float>((int)m.NonZeros);
        for (int u = 0; u < m.Rows; u++)
        {
            var row = m.RowIndices(u); var vals = m.RowValues(u);
            bool hold = held[u] >= 0 && row.Length >= 3 && row.Length < data.ItemCount;
            if (hold)
            {
                users.Add(u); items.Add(held[u]);
                var chosen = new HashSet<int>();
                int want = Math.Min(negatives, data.ItemCount - row.Length);
                while (chosen.Count < want) chosen.Add(NegativeSampler.Sample(row, data.ItemCount, rng));
                var list = chosen.ToArray(); Array.Sort(list);
                negs.Add(list);
            }
            for (int k = 0; k < row.Length; k++)
                if (!(hold && row[k] == held[u])) { columns.Add(row[k]); values.Add(vals[k]); }
            pointers[u + 1] = columns.Count;
        }
        return new Holdout
        {
            Users = users.ToArray(), Items = items.ToArray(), Negatives = negs.ToArray(),
            Train = new CsrMatrix(m.Rows, m.Columns, pointers, columns.ToArray(), values.ToArray()),
        };
    }

    /// <summary>
    /// AUC: for each hold-out user, the share of their sampled negatives scored below the held-out item (a tie counts
    /// half), averaged over users; 0.5 is a random order, 1 a perfect one. The per-epoch AUC of the NCF recipe.
    /// </summary>
    public double Auc(Core.Recommending.IRecommender model, int threads)
    {
        var perUser = new double[Users.Length];
        Parallel.For(0, Users.Length, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, c =>
        {
            if (Negatives[c].Length == 0) { perUser[c] = double.NaN; return; }
            var candidates = new int[Negatives[c].Length + 1];
            candidates[0] = Items[c];
            Negatives[c].CopyTo(candidates, 1);
            var scores = new float[candidates.Length];
            model.Score(Users[c], candidates, scores);
            double below = 0;
            for (int j = 1; j < scores.Length; j++) below += scores[j] < scores[0] ? 1 : scores[j] == scores[0] ? 0.5 : 0;
            perUser[c] = below / (scores.Length - 1);
        });
        var finite = perUser.Where(double.IsFinite).ToArray();
        return finite.Length == 0 ? double.NaN : finite.Average();
    }

    /// <summary>HR@k: share of users whose held-out item ranks in the top k among itself and its negatives (ties count against it).</summary>
    public double HitRate(Core.Recommending.IRecommender model, int k, int threads)
    {
        int hits = 0;
        Parallel.For(0, Users.Length, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) },
            () => 0,
            (c, _, local) =>
            {
                var candidates = new int[Negatives[c].Length + 1];
                candidates[0] = Items[c];
                Negatives[c].CopyTo(candidates, 1);
                var scores = new float[candidates.Length];
                model.Score(Users[c], candidates, scores);
                int better = 0;
                for (int j = 1; j < scores.Length; j++) if (scores[j] >= scores[0]) better++;
                return better < k ? local + 1 : local;
            },
            local => Interlocked.Add(ref hits, local));
        return Users.Length == 0 ? double.NaN : (double)hits / Users.Length;
    }
}
