using Trove.Core.Algorithms;
using System.Numerics.Tensors;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Core.Recommending;
using Trove.Core.Training;
using Trove.Models.Factorization;
using Trove.Numerics.Selection;
using Trove.Numerics.Sparse;

namespace Trove.Models.Linear;

public sealed record Rp3BetaParameters
{
    /// <summary>Exponent on the transition probabilities (1 = plain random walk, P3).</summary>
    [TuneRange(0.3, 1.5)]
    [ValidRange(0)]
    public float Alpha { get; init; } = 1f;
    /// <summary>
    /// Popularity penalty: the similarity to item j is divided by popularity(j)^beta. 0.3 ranks well in
    /// full ranking (lastfm-2k, Gowalla, ml-100k: bench/RESULTS.md "Full ranking"); 0.7 is best on the
    /// sampled NCF protocol (0.559 vs 0.514 HR@10) but pushes long-tail items to the top of real lists.
    /// </summary>
    [TuneRange(0, 0.8)]
    [ValidRange(0)]
    public float Beta { get; init; } = 0.3f;
    /// <summary>Neighbours kept per item.</summary>
    [TuneRange(20, 1000, Log = true)]
    [ValidRange(1)]
    public int Neighbours { get; init; } = 100;
    /// <summary>Rescale each item's kept similarities to sum to 1.</summary>
    [TuneChoice(false, true)]
    public bool NormalizeSimilarity { get; init; } = false;
    /// <summary>Treat every stored weight as 1.</summary>
    public bool BinaryWeights { get; init; } = true;
}

/// <summary>
/// RP3beta (Paudel et al. 2017; Christoffel et al. 2015): item-item weights from a three-step random
/// walk item -> user -> item, W_ij = sum_u P(u|i)^alpha P(j|u)^alpha / pop(j)^beta, sparsified to the
/// top neighbours of each item. Scores are x_u W.
/// </summary>
public sealed class Rp3Beta(Rp3BetaParameters? parameters = null) : RecommenderBase<Rp3BetaParameters>(parameters), IHistoryScorer
{
    public const string Name = "rp3beta";
    private CsrMatrix _w = new(0, 0, [0], [], []);

    public override string Algorithm => Name;
    /// <summary>Items x items sparse weights (row i: the items i leads to).</summary>
    public CsrMatrix Weights => _w;

    protected override void FitCore(Dataset data, FitContext context)
    {
        var p = Params;
        if (p.Neighbours < 1) throw new TroveException("rp3beta: neighbours must be at least 1.");
        var ui = data.UserItems; var iu = data.ItemUsers;
        int n = data.ItemCount;
        // Row-normalised transition probabilities, raised to alpha.
        var userRowSum = new float[ui.Rows];
        for (int u = 0; u < ui.Rows; u++) userRowSum[u] = p.BinaryWeights ? ui.RowLength(u) : TensorPrimitives.Sum(ui.RowValues(u));
        var popularity = new float[n];
        for (int i = 0; i < n; i++) popularity[i] = p.BinaryWeights ? iu.RowLength(i) : TensorPrimitives.Sum(iu.RowValues(i));
        var penalty = new float[n];
        for (int j = 0; j < n; j++) penalty[j] = popularity[j] > 0 ? MathF.Pow(popularity[j], -p.Beta) : 0f;
        int keep = Math.Min(p.Neighbours, Math.Max(1, n - 1));
        var rowIdx = new int[n][]; var rowVal = new float[n][];
        using var task = context.Progress.Start("rp3beta", n);
        // Sparse accumulation per item: only the items reachable in two steps are touched, so the cost
        // is the number of walks, not items^2.
        Parallel.For(0, n, TrainingSupport.Parallel(context), () => (Sum: new SparseAccumulator(n), Compact: new float[n]), (i, _, local) =>
        {
            var acc = local.Sum;
            var users = iu.RowIndices(i); var wi = iu.RowValues(i);
            float itemSum = popularity[i];
            for (int a = 0; a < users.Length; a++)
            {
                int u = users[a];
                float pIu = Pow((p.BinaryWeights ? 1f : wi[a]) / itemSum, p.Alpha);
                var items = ui.RowIndices(u); var wu = ui.RowValues(u);
                float inv = 1f / userRowSum[u];
                for (int b = 0; b < items.Length; b++)
                    acc.Add(items[b], pIu * Pow((p.BinaryWeights ? 1f : wu[b]) * inv, p.Alpha));
            }
            int count = acc.Count;
            var cand = acc.Touched.AsSpan(0, count);
            var vals = local.Compact.AsSpan(0, count);
            for (int t = 0; t < count; t++)
            {
                int j = cand[t];
                float v = acc.Values[j] * penalty[j];
                vals[t] = j == i || v <= 0f ? float.NegativeInfinity : v;
            }
            var (pos, sc) = TopK.Select(vals, keep);
            var idx = new int[pos.Length];
            for (int t = 0; t < pos.Length; t++) idx[t] = cand[pos[t]];
            if (p.NormalizeSimilarity && sc.Length > 0)
            {
                float s = TensorPrimitives.Sum(sc);
                if (s > 0) TensorPrimitives.Divide(sc, s, sc);
            }
            Array.Sort(idx, sc);
            rowIdx[i] = idx; rowVal[i] = sc;
            acc.Clear();
            return local;
        }, _ => { });
        task.Advance(n);
        _w = CsrMatrix.FromRows(n, rowIdx, rowVal);
    }


    private static float Pow(float x, float a) => a == 1f ? x : MathF.Pow(x, a);

    public override void ScoreAllItems(int user, Span<float> scores)
    {
        CheckUser(user);
        ScoreHistory(UserItems.RowIndices(user), UserItems.RowValues(user), scores);
    }

    /// <summary>Scores of every item for an arbitrary history (new users, fresh events), no retraining.</summary>
    public void ScoreHistory(ReadOnlySpan<int> items, ReadOnlySpan<float> weights, Span<float> scores) =>
        SumItemRows(_w, Params.BinaryWeights, items, weights, scores);

    /// <summary>The item's kept neighbours, strongest first (the fit never keeps an item as its own neighbour).</summary>
    public override IReadOnlyList<Scored> SimilarItems(int item, int k) => TopOfRow(_w, CheckItem(item), k);

    protected override void SaveModelState(ModelArchiveWriter writer) => writer.WriteCsr("weights", _w);
    protected override void LoadModelState(ModelArchiveReader reader) => _w = reader.ReadCsr("weights");
}
