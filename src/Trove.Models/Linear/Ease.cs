using Trove.Core.Algorithms;
using System.Diagnostics;
using System.Numerics.Tensors;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Core.Recommending;
using Trove.Core.Training;
using Trove.Models.Factorization;
using Trove.Numerics.Dense;

namespace Trove.Models.Linear;

public sealed record EaseParameters
{
    /// <summary>L2 regularisation added to the diagonal of X^T X (Steck 2019 uses hundreds on MovieLens-sized data).</summary>
    [TuneRange(10, 5000, Log = true)]
    [ValidRange(0)]
    public float Lambda { get; init; } = 500f;
    /// <summary>
    /// Emphasised-denoising dropout probability p of EDLAE (Steck 2020): adds p/(1-p) x diag(X^T X) to the diagonal
    /// penalty, so popular items are regularised more. 0 is plain EASE.
    /// </summary>
    [TuneRange(0, 0.75)]
    [ValidRange(0, 1, MaxExclusive = true)]
    public float Dropout { get; init; } = 0f;
    /// <summary>
    /// Recency weighting of a user's history when scoring (not when fitting B): the user's k-th latest item (k = 0 the
    /// latest, by timestamp) counts 2^(-k / half-life). 0 turns it off (every history item counts the same). It pays when
    /// the next item is what is predicted (leave-latest-out, as the NCF protocol); it needs timestamps.
    /// </summary>
    [TuneRange(1, 300, Log = true)]
    [ValidRange(0)]
    public float RecencyHalfLife { get; init; } = 0f;
    /// <summary>Treat every stored weight as 1.</summary>
    public bool BinaryWeights { get; init; } = true;
}

/// <summary>
/// EASE (Steck 2019, "Embarrassingly Shallow Autoencoders"): a closed-form item-item model.
/// G = X^T X + lambda I, P = G^-1 (Cholesky inverse, LAPACK), B = -P / diag(P) column-wise with
/// diag(B) = 0; a user's scores are x_u B.
/// <para>
/// With <see cref="EaseParameters.Dropout"/> p > 0 it is the full-rank EDLAE of Steck (2020, "Autoencoders that don't
/// overfit towards the identity"): training a linear autoencoder on inputs with dropout p while emphasising the dropped
/// coordinates has, in expectation, the closed form of EASE with the diagonal penalty
/// Lambda = lambda I + p/(1-p) dMat(diag(X^T X)), i.e. G_ii = (X^T X)_ii / (1-p) + lambda. The diagonal constraint
/// diag(B) = 0 comes out of the emphasised denoising itself; the item-dependent penalty shrinks popular items' weights
/// more than lambda alone, which Steck reports beats EASE on ML-20M, Netflix and MSD.
/// </para>
/// Memory is one dense items x items float matrix (G is
/// inverted and turned into B in place), so it suits catalogues up to some tens of thousands of items.
/// </summary>
public sealed class Ease(EaseParameters? parameters = null) : RecommenderBase<EaseParameters>(parameters), IHistoryScorer
{
    public const string Name = "ease";
    /// <summary>Dense items x items float matrices alive at the peak (G, inverted and turned into B in place).</summary>
    public const int DenseMatrices = 1;

    /// <summary>Test seam: overrides the available-memory figure (bytes).</summary>
    internal static Func<long>? AvailableMemoryOverride { get; set; }

    private float[] _b = [];
    /// <summary>Per training entry (UserItems order) the recency factor 2^(-k / half-life); empty when recency is off.</summary>
    private float[] _recency = [];

    public override string Algorithm => Name;
    /// <summary>The learned items x items weights, row-major: score of item j = sum_i x_ui B[i, j].</summary>
    public ReadOnlySpan<float> Weights => _b;

    /// <summary>Bytes of dense memory EASE needs for <paramref name="items"/> items.</summary>
    public static long RequiredBytes(int items) => (long)items * items * sizeof(float) * DenseMatrices;

    /// <summary>Throws a TroveException saying how much memory is needed when it exceeds what is available.</summary>
    public static void CheckMemory(int items)
    {
        long need = RequiredBytes(items);
        long available = AvailableMemoryOverride?.Invoke() ?? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (need > available)
            throw new TroveException(
                $"ease: {items:N0} items need a dense {items:N0} x {items:N0} matrix: {items:N0}^2 x 4 bytes x {DenseMatrices} = {Size(need)}, " +
                $"but only {Size(available)} of memory is available. Reduce the catalogue (e.g. drop rare items) or use als or itemknn.");
        if ((long)items * items > Array.MaxLength)
            throw new TroveException($"ease: {items:N0} items exceed the largest dense matrix Trove can allocate ({(int)Math.Sqrt(Array.MaxLength):N0} items); use als or itemknn.");
    }

    private static string Size(long bytes) => bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):F2} GiB" : $"{bytes / (double)(1L << 20):F1} MiB";

    protected override void FitCore(Dataset data, FitContext context)
    {
        // lambda >= 0, recency_half_life >= 0 and dropout in [0, 1) hold: the parameters' ValidRange was checked at creation.
        if (Params.RecencyHalfLife > 0 && !data.Interactions.HasTimestamps)
            throw new TroveException("ease: recency_half_life needs interaction timestamps, and this data set has none; set it to 0.");
        // (X^T X)_ii + p/(1-p) (X^T X)_ii = (X^T X)_ii / (1-p): EDLAE's emphasised-dropout penalty (0: plain EASE).
        float diagonalScale = 1f / (1f - Params.Dropout);
        int n = data.ItemCount;
        CheckMemory(n);
        var ui = data.UserItems; var iu = data.ItemUsers;
        bool binary = Params.BinaryWeights;
        using var task = context.Progress.Start("ease", 3);
        var sw = Stopwatch.StartNew();
        _b = []; // release a previous model first
        _recency = Params.RecencyHalfLife > 0 ? RecencyFactors(data, Params.RecencyHalfLife) : [];
        var g = new float[(long)n * n];
        // Upper triangle of G = X^T X, one row of G per item (rows split over threads, no sharing).
        Parallel.For(0, n, TrainingSupport.Parallel(context), i =>
        {
            var row = g.AsSpan(i * n, n);
            var users = iu.RowIndices(i); var wi = iu.RowValues(i);
            for (int a = 0; a < users.Length; a++)
            {
                float w = binary ? 1f : wi[a];
                var items = ui.RowIndices(users[a]); var wu = ui.RowValues(users[a]);
                int start = items.BinarySearch(i); // i is in the row; only j >= i
                for (int b = start; b < items.Length; b++) row[items[b]] += binary ? 1f : w * wu[b];
            }
            row[i] = row[i] * diagonalScale + Params.Lambda;
        });
        task.Advance(); task.Status($"gram {sw.Elapsed.TotalSeconds:F2}s");
        int before = 0;
        TrainingSupport.Native(Name, () =>
        {
            before = Blas.Threads;
            Blas.Threads = context.Threads;
            try { Lapack.CholeskyInverse(g, n); }
            finally { Blas.Threads = before; }
        });
        task.Advance(); task.Status($"inverse {sw.Elapsed.TotalSeconds:F2}s");
        // B = -P / diag(P) (column j divided by P_jj), diag(B) = 0.
        var scale = new float[n];
        for (int j = 0; j < n; j++) scale[j] = -1f / g[(long)j * n + j];
        Parallel.For(0, n, TrainingSupport.Parallel(context), i =>
        {
            var row = g.AsSpan(i * n, n);
            TensorPrimitives.Multiply(row, scale, row);
            row[i] = 0f;
        });
        _b = g;
        task.Advance(); task.Status($"done {sw.Elapsed.TotalSeconds:F2}s");
    }

    public override void ScoreAllItems(int user, Span<float> scores)
    {
        CheckUser(user);
        int n = ItemCount;
        scores = scores[..n];
        scores.Clear();
        var idx = UserItems.RowIndices(user);
        for (int k = 0; k < idx.Length; k++)
            TensorPrimitives.MultiplyAdd(_b.AsSpan(idx[k] * n, n), HistoryWeight(user, k), scores, scores);
    }

    /// <summary>The weight of the user's k-th training entry in a score: its stored weight (or 1), times its recency factor.</summary>
    private float HistoryWeight(int user, int k)
    {
        long entry = UserItems.RowPointers[user] + k;
        float w = Params.BinaryWeights ? 1f : UserItems.RowValues(user)[k];
        return _recency.Length > 0 ? w * _recency[entry] : w;
    }

    /// <summary>
    /// Per entry of <c>data.UserItems</c>: 2^(-k / halfLife), k the entry's rank among the user's items by their latest
    /// timestamp, newest first (ties by item index).
    /// </summary>
    internal static float[] RecencyFactors(Dataset data, float halfLife)
    {
        var m = data.UserItems; var log = data.Interactions;
        var latest = new long[m.NonZeros];
        Array.Fill(latest, long.MinValue);
        for (int r = 0; r < log.Count; r++)
        {
            int u = log.Users[r];
            long entry = m.RowPointers[u] + m.RowIndices(u).BinarySearch(log.Items[r]);
            latest[entry] = Math.Max(latest[entry], log.Timestamps[r]);
        }
        var factors = new float[m.NonZeros];
        for (int u = 0; u < m.Rows; u++)
        {
            long start = m.RowPointers[u];
            var order = Enumerable.Range(0, m.RowLength(u)).OrderByDescending(j => latest[start + j]).ThenBy(j => j).ToArray();
            for (int k = 0; k < order.Length; k++) factors[start + order[k]] = MathF.Pow(2f, -k / halfLife);
        }
        return factors;
    }

    /// <summary>
    /// Scores of every item for an arbitrary history (a new user, or a user with new events), no retraining. With
    /// recency weighting the history is taken as given oldest first: the last item is the latest.
    /// </summary>
    public void ScoreHistory(ReadOnlySpan<int> items, ReadOnlySpan<float> weights, Span<float> scores)
    {
        int n = ItemCount;
        scores[..n].Clear();
        for (int k = 0; k < items.Length; k++)
        {
            float w = Params.BinaryWeights ? 1f : weights[k];
            if (Params.RecencyHalfLife > 0) w *= MathF.Pow(2f, -(items.Length - 1 - k) / Params.RecencyHalfLife);
            TensorPrimitives.MultiplyAdd(_b.AsSpan(CheckItem(items[k]) * n, n), w, scores[..n], scores[..n]);
        }
    }

    public override void Score(int user, ReadOnlySpan<int> items, Span<float> scores)
    {
        CheckUser(user);
        int n = ItemCount;
        var idx = UserItems.RowIndices(user);
        for (int t = 0; t < items.Length; t++)
        {
            int j = CheckItem(items[t]);
            float s = 0;
            for (int k = 0; k < idx.Length; k++) s += HistoryWeight(user, k) * _b[(long)idx[k] * n + j];
            scores[t] = s;
        }
    }

    /// <summary>Items with the largest weights B[item, j]: the items this one most predicts.</summary>
    public override IReadOnlyList<Scored> SimilarItems(int item, int k)
    {
        CheckItem(item);
        var row = _b.AsSpan(item * ItemCount, ItemCount).ToArray();
        row[item] = float.NegativeInfinity;
        return SelectTop(row, k);
    }

    protected override void SaveModelState(ModelArchiveWriter writer)
    {
        writer.WriteArray("b", _b, ItemCount, ItemCount);
        if (_recency.Length > 0) writer.WriteArray("recency", _recency);
    }

    protected override void LoadModelState(ModelArchiveReader reader)
    {
        CheckMemory(ItemCount);
        _b = reader.ReadFloats("b");
        if (_b.Length != (long)ItemCount * ItemCount) throw new TroveException($"ease: the model file's weight matrix does not match {ItemCount} items.");
        _recency = Params.RecencyHalfLife > 0 ? reader.ReadFloats("recency") : [];
        if (_recency.Length is not 0 && _recency.Length != UserItems.NonZeros) throw new TroveException($"ease: the model file's recency factors do not match its {UserItems.NonZeros} training entries.");
    }
}
