using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
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

/// <summary>Parameters of <see cref="Bspm"/>. Defaults: the BSPM paper's Gowalla configuration (BSPM-EM, Choi et al. 2023).</summary>
public sealed record BspmParameters
{
    /// <summary>Rank k of the ideal low-pass filter: the top right singular vectors of the normalised matrix (paper, Gowalla: 448). 0: no ideal low-pass term.</summary>
    [TuneRange(128, 1024, Log = true)]
    [ValidRange(0)]
    public int Factors { get; init; } = 448;
    /// <summary>Weight beta of the ideal low-pass term added to the blurred scores before sharpening (paper: 0.2).</summary>
    [TuneRange(0, 0.6)]
    [ValidRange(0)]
    public float IdealWeight { get; init; } = 0.2f;
    /// <summary>Sharpening time T_s: how far the reverse heat equation dS/dt = -S P~ is integrated (paper, Gowalla: 2.5).</summary>
    [TuneRange(0.5, 4)]
    [ValidRange(0)]
    public float SharpenTime { get; init; } = 2.5f;
    /// <summary>Classical Runge-Kutta (RK4) steps K_s over [0, T_s] (paper: 1); each step costs four sparse passes per user batch.</summary>
    [TuneChoice(1, 2)]
    [ValidRange(1, 16)]
    public int SharpenSteps { get; init; } = 1;
    /// <summary>Average the blurred scores and the state at every sharpening step instead of taking the last state (the paper's "t-point combination", on for Gowalla).</summary>
    [TuneChoice(false, true)]
    public bool CombineSteps { get; init; } = true;
    /// <summary>Exponent a of the user-degree normalisation D_u^-a (paper: 0.5).</summary>
    [TuneRange(0.3, 0.7)]
    [ValidRange(0, 2)]
    public float UserExponent { get; init; } = 0.5f;
    /// <summary>Exponent b of the item-degree normalisation D_i^-b, and of the low-pass term's D_i^-b ... D_i^b (paper: 0.5).</summary>
    [TuneRange(0.3, 0.7)]
    [ValidRange(0, 2)]
    public float ItemExponent { get; init; } = 0.5f;
    /// <summary>Extra random directions of the randomised SVD beyond <see cref="Factors"/> (Halko et al.: 5-20).</summary>
    [ValidRange(0)]
    public int Oversampling { get; init; } = 16;
    /// <summary>Subspace (power) iterations of the randomised SVD; more: closer to the exact singular vectors.</summary>
    [ValidRange(0)]
    public int PowerIterations { get; init; } = 4;
    /// <summary>Treat every stored weight as 1.</summary>
    public bool BinaryWeights { get; init; } = true;
}

/// <summary>
/// BSPM, the blurring-sharpening process model (Choi et al., SIGIR 2023, "Blurring-Sharpening Process Models for
/// Collaborative Filtering"; the "BSPM-EM" variant with the ideal low-pass term added before sharpening). No training
/// loop: scores are a fixed function of the user's row r_u, computed by integrating two ODEs on the item graph.
/// <code>
///   R~ = D_u^-a R D_i^-b,   P~ = R~^T R~                (normalised item-item graph; never formed)
///   blur:     dB/dt = B P~ - B,  B(0) = r_u;  one Euler step of length 1:  B = r_u P~      (GF-CF's linear filter)
///   ideal:    I = r_u D_i^-b V_k V_k^T D_i^b                (V_k: top-k right singular vectors of R~, randomised SVD)
///   sharpen:  dS/dt = -S P~,  S(0) = B + beta I,  K_s RK4 steps of h = T_s / K_s
///             (for this linear ODE one RK4 step is exactly S &lt;- S T4(-h P~), T4(x) = 1 + x + x^2/2 + x^3/6 + x^4/24,
///              evaluated by Horner's rule: Z = S; Z = S - (h/4) Z P~; Z = S - (h/3) Z P~; Z = S - (h/2) Z P~; Z = S - h Z P~)
///   score:    s_u = mean(B, S(h), S(2h), ..., S(T_s))  with combine_steps,  else  S(T_s)
/// </code>
/// Blurring spreads the user's items over the graph (a low-pass filter); sharpening runs the heat equation backwards,
/// restoring some of the contrast that blurring removed, which mostly demotes items that are popular only because they
/// are well connected. In the graph's eigenbasis (eigenvalues lambda of P~ in [0, 1]) the result is a fixed polynomial
/// filter, so it is exact with sparse products: every Z P~ = (Z R~^T) R~ is two passes over the non-zeros of R~ for a
/// batch of users (items x batch dense blocks), memory O(nnz + items x (k + batch)). With the defaults that is 4 passes
/// per batch on top of GF-CF. The paper forms P~ densely on a GPU; here it is never formed.
/// </summary>
public sealed class Bspm(BspmParameters? parameters = null)
    : RecommenderBase<BspmParameters>(parameters), IHistoryScorer, IBatchScorer
{
    /// <summary>The registered algorithm name.</summary>
    public const string Name = "bspm";

    private NormalisedItemGraph _graph = NormalisedItemGraph.Empty;

    /// <inheritdoc/>
    public override string Algorithm => Name;
    /// <summary>Rank of the ideal low-pass term actually used (Factors capped by the matrix size).</summary>
    public int Rank => _graph.Rank;

    /// <inheritdoc/>
    protected override void FitCore(Dataset data, FitContext context)
    {
        var p = Params;
        using var task = context.Progress.Start(Name, 2);
        _graph = NormalisedItemGraph.Fit(Name, UserItems, p.BinaryWeights, p.UserExponent, p.ItemExponent, p.Factors, p.Oversampling, p.PowerIterations, context, task);
    }

    /// <inheritdoc/>
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
        _graph.Blur(items, weights, Scratch.For(UserCount).Accumulator, scores);
        var q = new float[Math.Max(_graph.Rank, 1)];
        if (_graph.Rank > 0) _graph.UserVector(items, weights, q);
        Sharpen(scores, q, 1);
    }

    /// <inheritdoc/>
    public void ScoreAllItems(ReadOnlySpan<int> users, Span<float> scores)
    {
        int n = ItemCount, b = users.Length;
        if (scores.Length < (long)b * n) throw new ArgumentException($"scores has {scores.Length} floats, needs {(long)b * n}.");
        if (b == 0) return;
        var q = new float[b * Math.Max(_graph.Rank, 1)];
        for (int j = 0; j < b; j++)
        {
            int u = CheckUser(users[j]);
            _graph.Blur(UserItems.RowIndices(u), UserItems.RowValues(u), Scratch.For(UserCount).Accumulator, scores.Slice(j * n, n));
            if (_graph.Rank > 0) _graph.UserVector(UserItems.RowIndices(u), UserItems.RowValues(u), q.AsSpan(j * _graph.Rank, _graph.Rank));
        }
        Sharpen(scores[..(b * n)], q, b);
    }

    /// <summary>
    /// On entry <paramref name="scores"/> (batch x items, row-major) holds the blurred scores B and q the users' k-dimensional
    /// low-pass coordinates; on exit the BSPM scores. The ODE state lives transposed (items x batch) so that both sparse
    /// products of Z P~ run over contiguous batch-wide rows.
    /// </summary>
    private void Sharpen(Span<float> scores, ReadOnlySpan<float> q, int batch)
    {
        var p = Params;
        int n = ItemCount, m = UserCount;
        var s = Scratch.For(m);
        s.EnsureDense(n * batch, m * batch);
        var state = s.State; var z = s.Z; var zp = s.ZP; var users = s.Users;
        int len = n * batch;
        // S(0) = B + beta I, transposed; I = q right^T (one sgemm for the batch).
        var ideal = s.Ideal;
        if (_graph.Rank > 0 && p.IdealWeight != 0)
            Blas.Gemm(false, true, batch, n, _graph.Rank, p.IdealWeight, q, _graph.Rank, _graph.Right, _graph.Rank, 0f, ideal, n);
        else ideal.AsSpan(0, len).Clear();
        for (int j = 0; j < batch; j++)
        {
            var row = scores.Slice(j * n, n); var id = ideal.AsSpan(j * n, n);
            for (int i = 0; i < n; i++) state[i * batch + j] = row[i] + id[i];
        }
        bool combine = p.CombineSteps;
        var sum = s.Sum;
        if (combine)
            for (int j = 0; j < batch; j++)
            {
                var row = scores.Slice(j * n, n);
                for (int i = 0; i < n; i++) sum[i * batch + j] = row[i];
            }
        float h = p.SharpenTime / p.SharpenSteps;
        Span<float> horner = [h / 4, h / 3, h / 2, h];
        for (int step = 0; step < p.SharpenSteps; step++)
        {
            // One RK4 step of dS/dt = -S P~ is S T4(-h P~); Horner: Z = S, then Z = S - c Z P~ for c = h/4, h/3, h/2, h.
            state.AsSpan(0, len).CopyTo(z);
            foreach (float c in horner)
            {
                MultiplyWide(_graph.Norm, z, batch, users);    // R~ Z^T   (users x batch)
                MultiplyWide(_graph.NormT, users, batch, zp);  // (Z P~)^T (items x batch)
                TensorPrimitives.MultiplyAdd(zp.AsSpan(0, len), -c, state.AsSpan(0, len), z.AsSpan(0, len));
            }
            z.AsSpan(0, len).CopyTo(state);
            if (combine) TensorPrimitives.Add(sum.AsSpan(0, len), state.AsSpan(0, len), sum.AsSpan(0, len));
        }
        var result = combine ? sum : state;
        float scale = combine ? 1f / (p.SharpenSteps + 1) : 1f;
        for (int j = 0; j < batch; j++)
        {
            var row = scores.Slice(j * n, n);
            for (int i = 0; i < n; i++) row[i] = scale * result[i * batch + j];
        }
    }

    /// <summary>
    /// C = A B for B with <paramref name="cols"/> columns (the batch), as <see cref="SparseDense.Multiply"/>, but each row of C
    /// is accumulated in up to four SIMD registers across the row's non-zeros instead of being loaded and stored per
    /// non-zero: the sharpening passes are almost all of BSPM's scoring time, and this halves them on 32-user batches.
    /// </summary>
    private static void MultiplyWide(CsrMatrix a, float[] b, int cols, float[] c)
    {
        if (!Vector256.IsHardwareAccelerated || cols % 8 != 0) { SparseDense.Multiply(a, b, cols, c); return; }
        ref float bRef = ref MemoryMarshal.GetArrayDataReference(b);
        ref float cRef = ref MemoryMarshal.GetArrayDataReference(c);
        for (int r = 0; r < a.Rows; r++)
        {
            var col = a.RowIndices(r); var val = a.RowValues(r);
            for (int j0 = 0; j0 < cols; j0 += 32)
            {
                int width = Math.Min(32, cols - j0);
                Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
                for (int t = 0; t < col.Length; t++)
                {
                    var v = Vector256.Create(val[t]);
                    ref float src = ref Unsafe.Add(ref bRef, (nint)col[t] * cols + j0);
                    s0 = Vector256.FusedMultiplyAdd(v, Vector256.LoadUnsafe(ref src), s0);
                    if (width > 8) s1 = Vector256.FusedMultiplyAdd(v, Vector256.LoadUnsafe(ref src, 8), s1);
                    if (width > 16) s2 = Vector256.FusedMultiplyAdd(v, Vector256.LoadUnsafe(ref src, 16), s2);
                    if (width > 24) s3 = Vector256.FusedMultiplyAdd(v, Vector256.LoadUnsafe(ref src, 24), s3);
                }
                ref float dst = ref Unsafe.Add(ref cRef, (nint)r * cols + j0);
                s0.StoreUnsafe(ref dst);
                if (width > 8) s1.StoreUnsafe(ref dst, 8);
                if (width > 16) s2.StoreUnsafe(ref dst, 16);
                if (width > 24) s3.StoreUnsafe(ref dst, 24);
            }
        }
    }

    /// <summary>The items the history {item} scores highest, the item itself left out.</summary>
    public override IReadOnlyList<Scored> SimilarItems(int item, int k)
    {
        CheckItem(item);
        var scores = new float[ItemCount];
        ScoreHistory([item], [1f], scores);
        scores[item] = float.NegativeInfinity;
        return SelectTop(scores, k);
    }

    /// <summary>Per-thread scratch: the sparse accumulator of the blur and the dense items x batch blocks of the sharpening ODE.</summary>
    private sealed class Scratch
    {
        [ThreadStatic] private static Scratch? _current;
        public readonly SparseAccumulator Accumulator = new();
        public float[] State = [], Z = [], ZP = [], Sum = [], Ideal = [], Users = [];

        public void EnsureDense(int items, int users)
        {
            if (State.Length < items) { State = new float[items]; Z = new float[items]; ZP = new float[items]; Sum = new float[items]; Ideal = new float[items]; }
            if (Users.Length < users) Users = new float[users];
        }

        public static Scratch For(int size)
        {
            var s = _current ??= new Scratch();
            s.Accumulator.EnsureSize(size);
            return s;
        }
    }

    /// <inheritdoc/>
    protected override void SaveModelState(ModelArchiveWriter writer) => _graph.Save(writer);

    /// <inheritdoc/>
    protected override void LoadModelState(ModelArchiveReader reader) =>
        _graph = NormalisedItemGraph.Load(Name, UserItems, Params.BinaryWeights, Params.UserExponent, Params.ItemExponent, reader);
}
