using Trove.Core.Algorithms;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Core.Recommending;
using Trove.Core.Training;
using Trove.Models.Factorization;
using Trove.Numerics.Dense;
using Trove.Numerics.Selection;
using Trove.Numerics.Sparse;

namespace Trove.Models.Linear;

/// <summary>Parameters of <see cref="SparseEase"/>.</summary>
public sealed record SparseEaseParameters
{
    /// <summary>L2 regularisation added to the diagonal of X^T X, as in EASE (sparse catalogues such as Gowalla want tens, with dropout).</summary>
    [TuneRange(1, 5000, Log = true)]
    [ValidRange(0)]
    public float Lambda { get; init; } = 500f;
    /// <summary>EDLAE's emphasised-dropout probability p (Steck 2020): the diagonal penalty becomes lambda + p/(1-p) (X^T X)_ii; 0 is EASE.</summary>
    [TuneRange(0, 0.9)]
    [ValidRange(0, 1, MaxExclusive = true)]
    public float Dropout { get; init; } = 0f;
    /// <summary>Items each item is predicted from: its most co-occurring items. The fit costs about items x neighbours^3 / 3 flops.</summary>
    [TuneRange(32, 256, Log = true)]
    [ValidRange(1)]
    public int Neighbours { get; init; } = 128;
    /// <summary>Treat every stored weight as 1.</summary>
    public bool BinaryWeights { get; init; } = true;
}

/// <summary>
/// EASE for large catalogues: the same regression, with each item predicted only from its most co-occurring items, so
/// no dense items x items matrix is ever formed.
/// <code>
///   G = X^T X (sparse: only co-occurring pairs),  Lambda_ii = lambda + p/(1-p) G_ii  (p = 0: EASE; p > 0: EDLAE)
///   EASE, column j:   B[-j, j] = argmin_b ||X_j - X_{-j} b||^2 + b^T Lambda_{-j} b = (G_{-j,-j} + Lambda_{-j})^-1 G_{-j, j}
///   here:             B[S_j, j] = (G_{S_j S_j} + Lambda_{S_j})^-1 G_{S_j, j},   S_j = the m items with the largest G_ij (i != j, G_ij > 0)
/// </code>
/// EASE's zero-diagonal constraint separates its columns into exactly these ridge regressions (Steck 2019, eq. 4 with
/// the Lagrangian), so when S_j holds every other item the result is EASE's B; restricting S_j to the m strongest
/// co-occurrences is the neighbourhood restriction of fsSLIM (Ning and Karypis 2011) applied to EASE's closed form. Each
/// column is one m x m Cholesky solve (independent, parallel); B keeps m weights per column, stored by rows so a user's
/// scores x_u B are a sum of the user's items' sparse rows. Memory: nnz(G) + items x m weights, never items^2 (Gowalla's
/// 40,981 items: see bench/RESULTS.md). Any history can be scored (fold-in).
/// </summary>
public sealed class SparseEase(SparseEaseParameters? parameters = null) : RecommenderBase<SparseEaseParameters>(parameters), IHistoryScorer
{
    /// <summary>The registered algorithm name.</summary>
    public const string Name = "sparse-ease";

    private CsrMatrix _b = new(0, 0, [0], [], []);

    /// <inheritdoc/>
    public override string Algorithm => Name;
    /// <summary>The learned sparse items x items weights: row i holds the items that item i predicts, score of j = sum_i x_ui B[i, j].</summary>
    public CsrMatrix Weights => _b;

    /// <inheritdoc/>
    protected override void FitCore(Dataset data, FitContext context)
    {
        // lambda >= 0, dropout in [0, 1) and neighbours >= 1 hold: the parameters' ValidRange was checked at creation.
        var p = Params;
        int n = data.ItemCount;
        int m = Math.Min(p.Neighbours, Math.Max(1, n - 1));
        using var task = context.Progress.Start(Name, 3);
        var g = Gram(data, m, context);
        task.Advance(); task.Status($"gram: {g.NonZeros:N0} co-occurring pairs");
        var diagonalScale = 1f / (1f - p.Dropout);
        var diagonal = new float[n];
        for (int i = 0; i < n; i++)
        {
            int at = g.RowIndices(i).BinarySearch(i);
            diagonal[i] = (at >= 0 ? g.RowValues(i)[at] : 0f) * diagonalScale + p.Lambda;
        }
        var colIdx = new int[n][]; var colVal = new float[n][];
        int failed = -1;
        Parallel.For(0, n, TrainingSupport.Parallel(context), () => new ColumnScratch(n, m), (j, state, s) =>
        {
            int k = Neighbourhood(g, j, m, s);
            var neighbours = s.Neighbours.AsSpan(0, k);
            if (k == 0) { colIdx[j] = []; colVal[j] = []; return s; }
            // A = G_SS + Lambda_S (upper triangle; row-major k x k), from the sorted rows of G.
            var a = s.System.AsSpan(0, k * k);
            for (int r = 0; r < k; r++) s.Slot[neighbours[r]] = r;
            for (int r = 0; r < k; r++)
            {
                int i = neighbours[r];
                var row = a.Slice(r * k, k);
                row[r..].Clear();
                var cols = g.RowIndices(i); var vals = g.RowValues(i);
                if (cols.Length <= 4 * (k - r))
                {
                    for (int t = 0; t < cols.Length; t++)
                        if (s.Slot[cols[t]] is int c and >= 0 && c > r) row[c] = vals[t];
                }
                else
                    for (int c = r + 1; c < k; c++)
                        if (cols.BinarySearch(neighbours[c]) is int at and >= 0) row[c] = vals[at];
                row[r] = diagonal[i];
            }
            for (int r = 0; r < k; r++) s.Slot[neighbours[r]] = -1;
            var b = s.Rhs.AsSpan(0, k).ToArray();
            if (!SmallCholesky.TrySolve(a, k, b)) { Interlocked.CompareExchange(ref failed, j, -1); state.Stop(); return s; }
            colIdx[j] = neighbours.ToArray(); colVal[j] = b;
            return s;
        }, _ => { });
        if (failed >= 0)
            throw new TroveException($"sparse-ease: the system of item {failed} is not positive definite; raise lambda (now {p.Lambda}).");
        task.Advance();
        // Columns were solved independently: collect them as the rows of B^T, then transpose to B's rows.
        _b = CsrMatrix.FromRows(n, colIdx, colVal).Transpose();
        task.Advance();
    }

    /// <summary>Per-thread buffers of the column solves.</summary>
    private sealed class ColumnScratch(int n, int m)
    {
        public readonly int[] Slot = Enumerable.Repeat(-1, n).ToArray();
        public readonly float[] System = new float[m * m];
        public readonly float[] Candidates = new float[n];
        public readonly int[] Neighbours = new int[m];
        public readonly float[] Rhs = new float[m];
    }

    /// <summary>
    /// Puts S_j (the m items other than j with the largest G_ij &gt; 0, ties to the lower index), sorted by index, in
    /// s.Neighbours and G_{S_j, j} in s.Rhs; returns |S_j|.
    /// </summary>
    private static int Neighbourhood(CsrMatrix g, int j, int m, ColumnScratch s)
    {
        var cols = g.RowIndices(j); var vals = g.RowValues(j);
        var scores = s.Candidates.AsSpan(0, cols.Length);
        for (int t = 0; t < cols.Length; t++) scores[t] = cols[t] == j || vals[t] <= 0 ? float.NegativeInfinity : vals[t];
        var (positions, _) = TopK.Select(scores, Math.Min(m, cols.Length));
        int k = 0;
        foreach (int t in positions.Order())
            if (float.IsFinite(scores[t])) { s.Neighbours[k] = cols[t]; s.Rhs[k] = vals[t]; k++; }
        return k;
    }

    /// <summary>
    /// G = X^T X over co-occurring pairs only, rows sorted: a first pass counts each row's pairs (and checks the memory),
    /// a second fills them.
    /// </summary>
    private CsrMatrix Gram(Dataset data, int m, FitContext context)
    {
        var ui = data.UserItems; var iu = data.ItemUsers;
        int n = data.ItemCount;
        bool binary = Params.BinaryWeights;
        var length = new long[n + 1];
        Parallel.For(0, n, TrainingSupport.Parallel(context), () => new SparseAccumulator(n), (i, _, acc) =>
        {
            foreach (int u in iu.RowIndices(i))
                foreach (int j in ui.RowIndices(u)) acc.Add(j, 1f);
            length[i + 1] = acc.Count;
            acc.Clear();
            return acc;
        }, _ => { });
        long pairs = 0;
        for (int i = 0; i < n; i++) pairs += length[i + 1];
        CheckMemory(n, pairs, m, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);
        for (int i = 0; i < n; i++) length[i + 1] += length[i];
        // Pairs may pass 2^31 (64-bit pointers, chunked storage); each row is filled through its own span.
        var gram = new CsrMatrixBuilder(n, n, length);
        Parallel.For(0, n, TrainingSupport.Parallel(context), () => new SparseAccumulator(n), (i, _, acc) =>
        {
            var users = iu.RowIndices(i); var wi = iu.RowValues(i);
            for (int a = 0; a < users.Length; a++)
            {
                var items = ui.RowIndices(users[a]); var wu = ui.RowValues(users[a]);
                for (int b = 0; b < items.Length; b++) acc.Add(items[b], binary ? 1f : wi[a] * wu[b]);
            }
            var idx = gram.RowIndices(i); var vals = gram.RowValues(i);
            acc.Touched.AsSpan(0, acc.Count).CopyTo(idx);
            idx.Sort();
            for (int t = 0; t < idx.Length; t++) vals[t] = acc.Values[idx[t]];
            acc.Clear();
            return acc;
        }, _ => { });
        return gram.Build();
    }

    /// <summary>
    /// Throws a one-line TroveException when the sparse Gram matrix (8 bytes a pair) and the weights (m per item, held
    /// twice while B is transposed) do not fit in <paramref name="available"/> bytes.
    /// </summary>
    internal static void CheckMemory(int items, long pairs, int neighbours, long available)
    {
        long need = pairs * 8 + (long)items * neighbours * 8 * 2;
        if (need > available)
            throw new TroveException(
                $"sparse-ease: {items:N0} items have {pairs:N0} co-occurring pairs; the Gram matrix and {neighbours} weights per item need {need / (double)(1L << 30):F2} GiB, " +
                $"but only {available / (double)(1L << 30):F2} GiB of memory is available. Drop rare items or heavy users, or use fewer neighbours.");
    }

    /// <inheritdoc/>
    public override void ScoreAllItems(int user, Span<float> scores)
    {
        CheckUser(user);
        ScoreHistory(UserItems.RowIndices(user), UserItems.RowValues(user), scores);
    }

    /// <summary>Scores of every item for an arbitrary history (new users, fresh events), no retraining: sum_k w_k B[i_k, :].</summary>
    public void ScoreHistory(ReadOnlySpan<int> items, ReadOnlySpan<float> weights, Span<float> scores) =>
        SumItemRows(_b, Params.BinaryWeights, items, weights, scores);

    /// <summary>
    /// The items with the largest weights B[item, j]: the items this one most predicts. Row i of B never holds i itself
    /// (S_j leaves j out).
    /// </summary>
    public override IReadOnlyList<Scored> SimilarItems(int item, int k) => TopOfRow(_b, CheckItem(item), k);

    /// <inheritdoc/>
    protected override void SaveModelState(ModelArchiveWriter writer) => writer.WriteCsr("weights", _b);

    /// <inheritdoc/>
    protected override void LoadModelState(ModelArchiveReader reader)
    {
        _b = reader.ReadCsr("weights");
        if (_b.Rows != ItemCount || _b.Columns != ItemCount) throw new TroveException($"sparse-ease: the model file's weights are {_b.Rows} x {_b.Columns}, expected {ItemCount} x {ItemCount}.");
    }
}
