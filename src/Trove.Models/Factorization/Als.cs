using Trove.Core.Algorithms;
using System.Diagnostics;
using System.Numerics.Tensors;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Core.Recommending;
using Trove.Core.Training;
using Trove.Numerics.Dense;
using Trove.Numerics.Sparse;
using Trove.Numerics.Vectors;

namespace Trove.Models.Factorization;

public enum AlsSolver
{
    /// <summary>A few conjugate-gradient steps per user/item, warm-started (Takacs et al. 2011; implicit's cg_steps).</summary>
    ConjugateGradient,
    /// <summary>Exact solve of each (factors x factors) system by Cholesky.</summary>
    Cholesky,
}

public sealed record AlsParameters
{
    /// <summary>Latent dimensions.</summary>
    [TuneRange(16, 256, Log = true)]
    [ValidRange(1)]
    public int Factors { get; init; } = 64;
    /// <summary>Alternating passes (each solves all users, then all items).</summary>
    [TuneRange(5, 30)]
    [ValidRange(0)]
    public int Iterations { get; init; } = 15;
    /// <summary>Confidence of an observed pair is 1 + alpha * weight (Hu, Koren, Volinsky 2008).</summary>
    [TuneRange(0.5, 50, Log = true)]
    [ValidRange(0)]
    public float Alpha { get; init; } = 8f;
    /// <summary>L2 regularisation lambda.</summary>
    [TuneRange(0.01, 500, Log = true)]
    [ValidRange(0)]
    public float Regularization { get; init; } = 40f;
    /// <summary>
    /// Frequency scaling of the regularisation (Rendle et al. 2022): a row with n observations uses
    /// lambda * (n + 1)^exponent. 0 gives the classic constant lambda, 1 is ALS-WR style.
    /// </summary>
    public float FrequencyExponent { get; init; } = 0f;
    /// <summary>Treat every stored weight as 1 (all interactions equally positive).</summary>
    public bool BinaryWeights { get; init; } = true;
    public AlsSolver Solver { get; init; } = AlsSolver.ConjugateGradient;
    /// <summary>Conjugate-gradient steps per row and iteration (Solver = conjugate_gradient).</summary>
    [ValidRange(1)]
    public int CgSteps { get; init; } = 3;
    /// <summary>Standard deviation of the normal random initial factors.</summary>
    [ValidRange(0)]
    public float InitScale { get; init; } = 0.01f;
    /// <summary>Stop after this many iterations without improving the validation score (0: never; needs a validation split).</summary>
    [ValidRange(0)]
    public int EarlyStoppingPatience { get; init; } = 0;
    /// <summary>Compute the training objective each iteration (shown in progress and <see cref="Als.History"/>).</summary>
    public bool ComputeLoss { get; init; } = false;
}

/// <summary>
/// Implicit-feedback alternating least squares (Hu, Koren, Volinsky 2008): minimises
/// sum over all (u,i) of c_ui (p_ui - x_u . y_i)^2 + regularisation, with p = 1 for observed pairs,
/// 0 otherwise, and c_ui = 1 + alpha * w_ui. Each half-iteration solves all user (item) vectors in
/// parallel, using the Gram-matrix trick so the cost is linear in the number of interactions.
/// </summary>
public sealed class Als(AlsParameters? parameters = null) : RecommenderBase<AlsParameters>(parameters), IEmbeddingModel, IHistoryScorer, IHistoryEmbedder
{
    public const string Name = "als";
    private RowChunkedMatrix _userFactors = new(0, 1);
    private RowChunkedMatrix _itemFactors = new(0, 1);
    private float[]? _itemGram; // Y^T Y, cached for fold-in
    private readonly List<TrainingEpoch> _history = new();

    public override string Algorithm => Name;
    public int Dimensions => Params.Factors;
    public ReadOnlySpan<float> UserVector(int user) => _userFactors.Row(CheckUser(user));
    public ReadOnlySpan<float> ItemVector(int item) => _itemFactors.Row(CheckItem(item));
    /// <summary>Users x factors, in row-aligned chunks past one array (read it; writing to it changes the model).</summary>
    public RowChunkedMatrix UserFactors => _userFactors;
    /// <summary>Items x factors, in row-aligned chunks past one array (read it; writing to it changes the model).</summary>
    public RowChunkedMatrix ItemFactors => _itemFactors;
    /// <summary>
    /// The most floats one chunk of a factor matrix holds: the longest array, so a matrix is one array whenever it fits.
    /// Tests set it small to train and load through several chunks on small data.
    /// </summary>
    internal long FactorChunkCapacity { get; set; } = RowChunkedMatrix.DefaultCapacity;
    /// <summary>Per-iteration loss, validation score and time of the last Fit.</summary>
    public IReadOnlyList<TrainingEpoch> History => _history;

    protected override void FitCore(Dataset data, FitContext context)
    {
        var p = Params;
        if (p.Factors < 1) throw new TroveException("als: factors must be at least 1.");
        if (p.Iterations < 0) throw new TroveException("als: iterations must be >= 0.");
        if (p.Regularization < 0 || p.Alpha < 0) throw new TroveException("als: alpha and regularization must be non-negative.");
        if (p.Regularization == 0 && p.FrequencyExponent == 0 && p.Solver == AlsSolver.Cholesky)
            context.Progress.Info("als: regularization 0 may make the per-user systems singular.");
        int k = p.Factors;
        var ui = data.UserItems; var iu = data.ItemUsers;
        _history.Clear();
        var rng = new Random(context.Seed);
        _userFactors = RandomFactors(ui.Rows, k, p.InitScale, rng, FactorChunkCapacity);
        _itemFactors = RandomFactors(ui.Columns, k, p.InitScale, rng, FactorChunkCapacity);
        var run = new FactorTrainingRun(Name, "iteration", context, p.EarlyStoppingPatience, p.Iterations, _history);
        run.Resume(_userFactors, _itemFactors);
        var gram = new float[k * k];
        using var task = context.Progress.Start("als", p.Iterations);
        task.Advance(run.FirstEpoch);
        for (int it = run.FirstEpoch; it < p.Iterations; it++)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            var sw = Stopwatch.StartNew();
            ComputeGram(_itemFactors, gram);
            SolveSide(ui, _itemFactors, gram, _userFactors, context);
            ComputeGram(_userFactors, gram);
            SolveSide(iu, _userFactors, gram, _itemFactors, context);
            double loss = p.ComputeLoss ? Loss(ui, gram) : double.NaN;
            double seconds = sw.Elapsed.TotalSeconds;
            _itemGram = null;
            double? validation = context.Validate?.Invoke(this);
            task.Advance();
            // The loss is only computed with ComputeLoss (it costs a pass over the data): show the iteration time rather than "loss NaN".
            string lossText = double.IsNaN(loss) ? $"{seconds * 1000:F0} ms/iteration" : $"loss {loss:G4}";
            task.Status(validation is double v0 ? $"{lossText} {context.ValidationMetricName} {v0:F4}" : lossText);
            if (run.EndEpoch(new TrainingEpoch(it + 1, loss, validation, seconds), _userFactors, _itemFactors)) break;
        }
        (_userFactors, _itemFactors) = run.Result(_userFactors, _itemFactors);
        _itemGram = null;
    }

    private static RowChunkedMatrix RandomFactors(int rows, int k, float scale, Random rng, long chunkCapacity)
    {
        var f = new RowChunkedMatrix(rows, k, chunkCapacity);
        // Chunk by chunk in row order: the same draws land in the same places whatever the chunking.
        for (int c = 0; c < f.ChunkCount; c++)
        {
            var chunk = f.Chunk(c);
            for (int i = 0; i < chunk.Length; i++)
            {
                // Box-Muller normal
                double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
                chunk[i] = (float)(scale * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
            }
        }
        return f;
    }

    /// <summary>G = X^T X of the rows x k factors: syrk on whichever dense backend is in use (OpenBLAS or the managed kernels).</summary>
    private static void ComputeGram(RowChunkedMatrix factors, float[] gram) => TrainingSupport.Native(Name, () => factors.Gram(gram));

    private float Confidence(float w) => 1f + Params.Alpha * (Params.BinaryWeights ? 1f : w);
    private float RowRegularization(int n) =>
        Params.FrequencyExponent == 0 ? Params.Regularization : Params.Regularization * MathF.Pow(n + 1, Params.FrequencyExponent);

    /// <summary>Solves every row of <paramref name="target"/> given the fixed <paramref name="other"/> factors and their Gram matrix.</summary>
    private void SolveSide(CsrMatrix m, RowChunkedMatrix other, float[] gram, RowChunkedMatrix target, FitContext context)
    {
        int k = Params.Factors;
        bool cg = Params.Solver == AlsSolver.ConjugateGradient;
        Parallel.For(0, m.Rows, TrainingSupport.Parallel(context),
            () => new Workspace(k),
            (row, _, ws) =>
            {
                var x = target.Row(row);
                if (cg) SolveCg(m.RowIndices(row), m.RowValues(row), other, gram, x, ws);
                else SolveExact(m.RowIndices(row), m.RowValues(row), other, gram, x, ws);
                return ws;
            },
            _ => { });
    }

    /// <summary>
    /// Observed rows gathered per pass of the Cholesky path. A multiple of 4, so the rank-4 updates group the rows as one
    /// pass over all of them would (the sums are the same bits); bounded, so a row with millions of observations (an item
    /// of a popular catalogue) never needs a gather buffer of n x factors floats, which could pass one array.
    /// </summary>
    private const int GatherRows = 256;

    private sealed class Workspace(int k)
    {
        public readonly float[] A = new float[k * k];
        public readonly float[] B = new float[k];
        public readonly float[] R = new float[k];
        public readonly float[] P = new float[k];
        public readonly float[] Ap = new float[k];
        public readonly float[] Rows = new float[GatherRows * k];
        public float[] Weights = new float[GatherRows];

        public void Ensure(int n)
        {
            if (Weights.Length < n) Weights = new float[Math.Max(n, Weights.Length * 2)];
        }
    }

    /// <summary>Exact: (G + reg I + sum (c-1) y y^T) x = sum c y, by Cholesky.</summary>
    private void SolveExact(ReadOnlySpan<int> idx, ReadOnlySpan<float> vals, RowChunkedMatrix other, float[] gram, Span<float> x, Workspace ws)
    {
        int k = Params.Factors, n = idx.Length;
        if (n == 0) { x.Clear(); return; }
        var a = ws.A; var b = ws.B.AsSpan();
        gram.CopyTo(a, 0);
        float reg = RowRegularization(n);
        for (int d = 0; d < k; d++) a[d * k + d] += reg;
        AddObservations(idx, vals, other, a, b, ws);
        if (!SmallCholesky.TrySolve(a, k, b))
        {
            // Not positive definite (regularisation 0 and too few observations): add a small ridge and retry.
            gram.CopyTo(a, 0);
            for (int d = 0; d < k; d++) a[d * k + d] += reg + 1e-3f * (1 + a[d * k + d]);
            AddObservations(idx, vals, other, a, b, ws);
            if (!SmallCholesky.TrySolve(a, k, b)) { x.Clear(); return; }
        }
        b.CopyTo(x);
    }

    /// <summary>a += sum (c-1) y y^T (upper triangle) and b = sum c y over the row's observations, <see cref="GatherRows"/> at a time.</summary>
    private void AddObservations(ReadOnlySpan<int> idx, ReadOnlySpan<float> vals, RowChunkedMatrix other, float[] a, Span<float> b, Workspace ws)
    {
        int k = Params.Factors, n = idx.Length;
        b.Clear();
        for (int start = 0; start < n; start += GatherRows)
        {
            int count = Math.Min(GatherRows, n - start);
            for (int j = 0; j < count; j++)
            {
                var y = other.Row(idx[start + j]);
                y.CopyTo(ws.Rows.AsSpan(j * k, k));
                float c = Confidence(vals[start + j]);
                ws.Weights[j] = c - 1f;
                TensorPrimitives.MultiplyAdd(y, c, b, b);
            }
            VectorKernels.AddWeightedOuterProducts(a, k, ws.Rows, ws.Weights, count, upperOnly: true);
        }
    }

    /// <summary>Conjugate gradient on the same system, warm-started from the current x (implicit's _solve_cg).</summary>
    private void SolveCg(ReadOnlySpan<int> idx, ReadOnlySpan<float> vals, RowChunkedMatrix other, float[] gram, Span<float> x, Workspace ws)
    {
        int k = Params.Factors, n = idx.Length;
        if (n == 0) { x.Clear(); return; }
        float reg = RowRegularization(n);
        var r = ws.R.AsSpan(); var p = ws.P.AsSpan(); var ap = ws.Ap.AsSpan();
        ws.Ensure(n);
        var conf = ws.Weights.AsSpan(0, n);
        for (int j = 0; j < n; j++) conf[j] = Confidence(vals[j]);
        // r = b - A x, with b = sum c y, A x = G x + reg x + sum (c-1)(y.x) y
        VectorKernels.MatVecSymmetric(gram, k, x, r);
        TensorPrimitives.MultiplyAdd(x, reg, r, r);
        TensorPrimitives.Negate(r, r);
        AccumulateRows(idx, other, x, conf, r, residual: true);
        r.CopyTo(p);
        float rsOld = VectorKernels.DotShort(r, r);
        for (int step = 0; step < Params.CgSteps; step++)
        {
            if (rsOld < 1e-20f) break;
            VectorKernels.MatVecSymmetric(gram, k, p, ap);
            TensorPrimitives.MultiplyAdd(p, reg, ap, ap);
            AccumulateRows(idx, other, p, conf, ap, residual: false);
            float pAp = VectorKernels.DotShort(p, ap);
            if (!(pAp > 0)) break;
            float alpha = rsOld / pAp;
            TensorPrimitives.MultiplyAdd(p, alpha, x, x);
            TensorPrimitives.MultiplyAdd(ap, -alpha, r, r);
            float rsNew = VectorKernels.DotShort(r, r);
            TensorPrimitives.MultiplyAdd(p, rsNew / rsOld, r, p); // p = r + beta p
            rsOld = rsNew;
        }
    }

    /// <summary>
    /// dst += sum_j coef_j y_j over the row's items, four rows per pass, where coef_j is
    /// (c_j - 1)(y_j . v) for the A v product, or c_j - (c_j - 1)(y_j . v) for the residual b - A v.
    /// </summary>
    private static void AccumulateRows(ReadOnlySpan<int> idx, RowChunkedMatrix other, ReadOnlySpan<float> v, ReadOnlySpan<float> conf, Span<float> dst, bool residual)
    {
        int n = idx.Length, j = 0;
        for (; j + 4 <= n; j += 4)
        {
            var y0 = other.Row(idx[j]); var y1 = other.Row(idx[j + 1]);
            var y2 = other.Row(idx[j + 2]); var y3 = other.Row(idx[j + 3]);
            VectorKernels.Rank4Row(dst, y0, y1, y2, y3,
                Coef(conf[j], VectorKernels.DotShort(y0, v), residual), Coef(conf[j + 1], VectorKernels.DotShort(y1, v), residual),
                Coef(conf[j + 2], VectorKernels.DotShort(y2, v), residual), Coef(conf[j + 3], VectorKernels.DotShort(y3, v), residual));
        }
        for (; j < n; j++)
        {
            var y = other.Row(idx[j]);
            TensorPrimitives.MultiplyAdd(y, Coef(conf[j], VectorKernels.DotShort(y, v), residual), dst, dst);
        }
    }

    private static float Coef(float c, float dot, bool residual) => residual ? c - (c - 1f) * dot : (c - 1f) * dot;

    /// <summary>
    /// The full objective, normalised by users x items: sum over all pairs c (p - s)^2 plus the
    /// regularisation (computed with the Gram matrix X^T X of the current user factors).
    /// </summary>
    public double Loss()
    {
        int k = Params.Factors;
        var g = new float[k * k];
        ComputeGram(_userFactors, g);
        return Loss(UserItems, g);
    }

    private double Loss(CsrMatrix ui, float[] userGram)
    {
        int k = Params.Factors;
        var itemCounts = ui.ColumnCounts();
        double total = 0;
        // sum over all pairs of s^2 = sum_i y_i^T (X^T X) y_i
        var tmp = new float[k];
        for (int i = 0; i < ui.Columns; i++)
        {
            var y = _itemFactors.Row(i);
            VectorKernels.MatVecSymmetric(userGram, k, y, tmp);
            total += TensorPrimitives.Dot(y, tmp);
            total += RowRegularization(itemCounts[i]) * TensorPrimitives.Dot(y, y);
        }
        for (int u = 0; u < ui.Rows; u++)
        {
            var x = _userFactors.Row(u);
            var idx = ui.RowIndices(u); var vals = ui.RowValues(u);
            double part = 0;
            for (int j = 0; j < idx.Length; j++)
            {
                double s = TensorPrimitives.Dot(x, _itemFactors.Row(idx[j]));
                double c = Confidence(vals[j]);
                part += c * (1 - s) * (1 - s) - s * s;
            }
            total += part + RowRegularization(idx.Length) * TensorPrimitives.Dot(x, x);
        }
        return total / Math.Max(1.0, (double)ui.Rows * ui.Columns);
    }

    public override void ScoreAllItems(int user, Span<float> scores) => ScoreVector(UserVector(user), scores);

    public override void Score(int user, ReadOnlySpan<int> items, Span<float> scores)
    {
        var x = UserVector(user);
        for (int j = 0; j < items.Length; j++) scores[j] = TensorPrimitives.Dot(x, ItemVector(items[j]));
    }

    /// <summary>Scores of every item for an arbitrary user vector (e.g. from <see cref="FoldIn"/>).</summary>
    public void ScoreVector(ReadOnlySpan<float> userVector, Span<float> scores)
    {
        int k = Params.Factors;
        if (userVector.Length != k) throw new TroveException($"als: user vector has {userVector.Length} dimensions, the model {k}.");
        _itemFactors.MultiplyVector(userVector, scores);
    }

    /// <summary>
    /// The vector of a new or updated user from their interactions, without retraining: the exact
    /// least-squares solve of one ALS user step against the trained item factors. Items may repeat
    /// (weights add up); unknown item indices are an error. An empty history gives the zero vector.
    /// </summary>
    public float[] FoldIn(ReadOnlySpan<int> items, ReadOnlySpan<float> weights)
    {
        if (items.Length != weights.Length) throw new TroveException($"als: fold-in got {items.Length} items but {weights.Length} weights.");
        if (_itemFactors.Rows == 0) throw new TroveException("als: the model is not trained.");
        var map = new SortedDictionary<int, float>();
        for (int j = 0; j < items.Length; j++)
        {
            CheckItem(items[j]);
            map[items[j]] = map.GetValueOrDefault(items[j]) + weights[j];
        }
        int k = Params.Factors;
        var gram = _itemGram;
        if (gram is null)
        {
            gram = new float[k * k];
            ComputeGram(_itemFactors, gram);
            _itemGram = gram;
        }
        var x = new float[k];
        SolveExact(map.Keys.ToArray(), map.Values.ToArray(), _itemFactors, gram, x, new Workspace(k));
        return x;
    }

    /// <summary>
    /// Scores of every item for any history: the fold-in vector (one exact user step; with binary weights every
    /// listed item counts 1, as in training) times the item factors.
    /// </summary>
    public void ScoreHistory(ReadOnlySpan<int> items, ReadOnlySpan<float> weights, Span<float> scores) =>
        ScoreVector(EmbedHistory(items, weights), scores);

    /// <summary>The fold-in vector of any history, weighted as in training (every item counts 1 with binary weights).</summary>
    public float[] EmbedHistory(ReadOnlySpan<int> items, ReadOnlySpan<float> weights)
    {
        var w = weights.ToArray();
        if (Params.BinaryWeights) Array.Fill(w, 1f);
        return FoldIn(items, w);
    }

    /// <summary>Top-k items for a folded-in history (items in the history excluded, then <paramref name="filter"/>'s lists and predicate).</summary>
    public IReadOnlyList<Scored> RecommendForHistory(ReadOnlySpan<int> items, ReadOnlySpan<float> weights, int k, ItemFilter? filter = null)
    {
        var x = FoldIn(items, weights);
        var scores = new float[ItemCount];
        ScoreVector(x, scores);
        foreach (int i in items) scores[i] = float.NegativeInfinity;
        ApplyFilter(-1, scores, (filter ?? ItemFilter.Default) with { ExcludeSeen = false });
        return SelectTop(scores, k);
    }

    /// <summary>Replaces a known user's vector by the fold-in of <paramref name="items"/> (e.g. after new events). Not thread-safe with concurrent scoring of that user.</summary>
    public void UpdateUser(int user, ReadOnlySpan<int> items, ReadOnlySpan<float> weights)
    {
        CheckUser(user);
        FoldIn(items, weights).CopyTo(_userFactors.Row(user));
    }

    protected override void SaveModelState(ModelArchiveWriter writer)
    {
        // One (rows, factors) .npy per side, streamed chunk by chunk: the same bytes as the one-array files of earlier versions.
        writer.WriteMatrix("user_factors", _userFactors);
        writer.WriteMatrix("item_factors", _itemFactors);
    }

    protected override void LoadModelState(ModelArchiveReader reader)
    {
        _userFactors = reader.ReadMatrix("user_factors", UserCount, Params.Factors, FactorChunkCapacity);
        _itemFactors = reader.ReadMatrix("item_factors", ItemCount, Params.Factors, FactorChunkCapacity);
        _itemGram = null;
    }
}
