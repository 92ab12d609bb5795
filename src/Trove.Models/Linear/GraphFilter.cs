using System.Numerics.Tensors;
using Trove.Core.Algorithms;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Core.Recommending;
using Trove.Core.Training;
using Trove.Models.Factorization;
using Trove.Numerics.Dense;
using Trove.Numerics.Sparse;

namespace Trove.Models.Linear;

public sealed record GraphFilterParameters
{
    /// <summary>Rank k of the ideal low-pass filter: the top right singular vectors of the normalised matrix (GF-CF: 256). 0: linear filter only.</summary>
    [TuneRange(64, 768, Log = true)]
    public int Factors { get; init; } = 256;
    /// <summary>Weight of the ideal low-pass term against the linear filter (GF-CF: 0.3).</summary>
    [TuneRange(0, 1.5)]
    public float Alpha { get; init; } = 0.3f;
    /// <summary>Exponent a of the user-degree normalisation D_u^-a (GF-CF: 0.5).</summary>
    [TuneRange(0.2, 0.8)]
    public float UserExponent { get; init; } = 0.5f;
    /// <summary>Exponent b of the item-degree normalisation D_i^-b, and of the low-pass term's D_i^-b ... D_i^b (GF-CF: 0.5).</summary>
    [TuneRange(0.2, 0.8)]
    public float ItemExponent { get; init; } = 0.5f;
    /// <summary>
    /// Sharpening time T_s (BSPM, Choi et al. 2023): one Euler step of the reverse heat equation dS/dt = -S P~ applied to
    /// the blurred (GF-CF) scores, s &lt;- s - T_s s P~. 0: plain GF-CF.
    /// </summary>
    [TuneRange(0, 0.6)]
    public float Sharpen { get; init; } = 0f;
    /// <summary>Extra random directions of the randomised SVD beyond <see cref="Factors"/> (Halko et al.: 5-20).</summary>
    public int Oversampling { get; init; } = 16;
    /// <summary>Subspace (power) iterations of the randomised SVD; more: closer to the exact singular vectors.</summary>
    public int PowerIterations { get; init; } = 4;
    /// <summary>Treat every stored weight as 1.</summary>
    public bool BinaryWeights { get; init; } = true;
}

/// <summary>
/// Graph filtering for collaborative filtering, GF-CF (Shen et al. 2021, "How Powerful is Graph Convolution
/// for Recommendation?"). No training loop: scores are a fixed function of the user's row r_u.
/// <code>
///   R~ = D_u^-a R D_i^-b                         (a = b = 1/2: the symmetric normalisation of the bipartite graph)
///   P~ = R~^T R~                                 (normalised item-item graph; never formed)
///   s_u = r_u P~  +  alpha * r_u D_i^-b V_k V_k^T D_i^b
/// </code>
/// The first term is a linear low-pass filter on the item graph; the second the ideal low-pass filter that
/// keeps the k smoothest graph frequencies, V_k the top-k right singular vectors of R~ (eigenvectors of P~),
/// computed by a randomised truncated SVD over the sparse matrix (<see cref="RandomizedSvd"/>).
/// r_u P~ is two sparse hops, item -> users -> items (cost: the users who share an item with u and their
/// rows), so memory stays O(nnz + n k). The low-pass term is a k-dimensional user vector p = r_u D_i^-b V_k
/// dotted with every item's D_i^b V_k: one mat-vec per user, or one sgemm per batch of users
/// (<see cref="IBatchScorer"/>). Because scores depend only on r_u, any history can be scored (fold-in).
/// <para>
/// With <c>sharpen</c> = T_s &gt; 0 the GF-CF scores are then sharpened as in BSPM (Choi et al. 2023, "Blurring-Sharpening
/// Process Models for Collaborative Filtering"): blurring (here: the GF-CF filters) smooths r_u over the item graph, and
/// one Euler step of the reverse heat equation dS/dt = -S P~ over time T_s gives s_u &lt;- s_u - T_s s_u P~, which
/// takes back some of the smoothing towards popular, well-connected items. s_u is dense, so s_u P~ = (s_u R~^T) R~ costs
/// two passes over the non-zeros of R~ per user; for a batch it is two sparse x (items x batch) products.
/// </para>
/// </summary>
public sealed class GraphFilter(GraphFilterParameters? parameters = null)
    : RecommenderBase<GraphFilterParameters>(parameters), IHistoryScorer, IBatchScorer
{
    public const string Name = "gfcf";

    private NormalisedItemGraph _graph = NormalisedItemGraph.Empty;

    public override string Algorithm => Name;
    /// <summary>Rank of the ideal low-pass term actually used (Factors capped by the matrix size).</summary>
    public int Rank => _graph.Rank;
    /// <summary>The top singular values of R~, descending.</summary>
    public ReadOnlySpan<float> SingularValues => _graph.Sigma;

    protected override void FitCore(Dataset data, FitContext context)
    {
        var p = Params;
        if (p.Factors < 0) throw new TroveException("gfcf: factors must be 0 or more.");
        if (!float.IsFinite(p.Alpha) || !float.IsFinite(p.UserExponent) || !float.IsFinite(p.ItemExponent))
            throw new TroveException("gfcf: alpha, user_exponent and item_exponent must be finite numbers.");
        if (!float.IsFinite(p.Sharpen) || p.Sharpen < 0) throw new TroveException("gfcf: sharpen must be a finite number, 0 or more.");
        if (p.Oversampling < 0 || p.PowerIterations < 0) throw new TroveException("gfcf: oversampling and power_iterations must be 0 or more.");
        using var task = context.Progress.Start("gfcf", 2);
        _graph = NormalisedItemGraph.Fit(Name, UserItems, p.BinaryWeights, p.UserExponent, p.ItemExponent, p.Factors, p.Oversampling, p.PowerIterations, context, task);
    }

    public override void ScoreAllItems(int user, Span<float> scores)
    {
        CheckUser(user);
        ScoreHistory(UserItems.RowIndices(user), UserItems.RowValues(user), scores);
    }

    /// <summary>Scores of every item for an arbitrary history (new users, fresh events), no retraining.</summary>
    public void ScoreHistory(ReadOnlySpan<int> items, ReadOnlySpan<float> weights, Span<float> scores)
    {
        int n = ItemCount;
        scores = scores[..n];
        _graph.Blur(items, weights, Scratch.For(UserCount).Users, scores);
        if (_graph.Rank > 0)
        {
            var q = new float[_graph.Rank];
            _graph.UserVector(items, weights, q);
            Blas.Gemv(false, n, _graph.Rank, Params.Alpha, _graph.Right, _graph.Rank, q, 1f, scores);
        }
        if (Params.Sharpen > 0) Sharpen(scores, 1);
    }

    /// <summary>S &lt;- S - T_s S P~ for the row-major batch x items block S: S^T is gathered so both sparse products run over contiguous batch-wide rows.</summary>
    private void Sharpen(Span<float> scores, int batch)
    {
        int n = ItemCount, m = UserCount;
        var s = Scratch.For(UserCount);
        s.EnsureDense(n * batch, m * batch);
        var st = s.ItemsByBatch; var t = s.UsersByBatch;
        for (int j = 0; j < batch; j++)
        {
            var row = scores.Slice(j * n, n);
            for (int i = 0; i < n; i++) st[i * batch + j] = row[i];
        }
        SparseDense.Multiply(_graph.Norm, st, batch, t);      // T = R~ S^T       (users x batch)
        SparseDense.Multiply(_graph.NormT, t, batch, st);     // S^T P~ = R~^T T  (items x batch)
        float ts = Params.Sharpen;
        for (int j = 0; j < batch; j++)
        {
            var row = scores.Slice(j * n, n);
            for (int i = 0; i < n; i++) row[i] -= ts * st[i * batch + j];
        }
    }

    public void ScoreAllItems(ReadOnlySpan<int> users, Span<float> scores)
    {
        int n = ItemCount, b = users.Length;
        if (scores.Length < (long)b * n) throw new ArgumentException($"scores has {scores.Length} floats, needs {(long)b * n}.");
        var q = _graph.Rank > 0 ? new float[b * _graph.Rank] : [];
        for (int j = 0; j < b; j++)
        {
            int u = CheckUser(users[j]);
            _graph.Blur(UserItems.RowIndices(u), UserItems.RowValues(u), Scratch.For(UserCount).Users, scores.Slice(j * n, n));
            if (_graph.Rank > 0) _graph.UserVector(UserItems.RowIndices(u), UserItems.RowValues(u), q.AsSpan(j * _graph.Rank, _graph.Rank));
        }
        // scores (b x n) += alpha * Q (b x k) * right^T (k x n)
        if (_graph.Rank > 0) Blas.Gemm(false, true, b, n, _graph.Rank, Params.Alpha, q, _graph.Rank, _graph.Right, _graph.Rank, 1f, scores, n);
        if (Params.Sharpen > 0 && b > 0) Sharpen(scores[..(b * n)], b);
    }

    /// <summary>The items item i's filter row scores highest: the history {i} scored, i itself left out.</summary>
    public override IReadOnlyList<Scored> SimilarItems(int item, int k)
    {
        CheckItem(item);
        var scores = new float[ItemCount];
        ScoreHistory([item], [1f], scores);
        scores[item] = float.NegativeInfinity;
        return SelectTop(scores, k);
    }

    /// <summary>Per-thread scratch: a sparse accumulator over users and the dense blocks of the sharpening step.</summary>
    private sealed class Scratch
    {
        [ThreadStatic] private static Scratch? _current;
        public readonly SparseAccumulator Users = new();
        public float[] ItemsByBatch = [];
        public float[] UsersByBatch = [];

        /// <summary>Dense blocks for sharpening, grown as needed (the sparse products read only the leading part).</summary>
        public void EnsureDense(int items, int users)
        {
            if (ItemsByBatch.Length < items) ItemsByBatch = new float[items];
            if (UsersByBatch.Length < users) UsersByBatch = new float[users];
        }

        public static Scratch For(int size)
        {
            var s = _current ??= new Scratch();
            s.Users.EnsureSize(size);
            return s;
        }
    }

    /// <inheritdoc/>
    protected override void SaveModelState(ModelArchiveWriter writer) => _graph.Save(writer);

    /// <inheritdoc/>
    protected override void LoadModelState(ModelArchiveReader reader) =>
        _graph = NormalisedItemGraph.Load(Name, UserItems, Params.BinaryWeights, Params.UserExponent, Params.ItemExponent, reader);
}
