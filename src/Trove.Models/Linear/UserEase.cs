using System.Numerics.Tensors;
using Trove.Core.Algorithms;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Core.Recommending;
using Trove.Core.Training;
using Trove.Models.Factorization;
using Trove.Numerics.Dense;

namespace Trove.Models.Linear;

/// <summary>Parameters of <see cref="UserEase"/>.</summary>
public sealed record UserEaseParameters
{
    /// <summary>L2 regularisation added to the diagonal of X X^T.</summary>
    [TuneRange(10, 5000, Log = true)]
    [ValidRange(0)]
    public float Lambda { get; init; } = 200f;
    /// <summary>EDLAE's emphasised dropout p (Steck 2020) on the user side: the diagonal of X X^T is divided by 1 - p. 0 is plain EASE.</summary>
    [TuneRange(0, 0.75)]
    [ValidRange(0, 1, MaxExclusive = true)]
    public float Dropout { get; init; } = 0f;
}

/// <summary>
/// EASE over users instead of items: each user's row of X is regressed on the other users' rows,
/// <code>
///   C = argmin ||X^T - X^T C||^2 + lambda ||C||^2  s.t. diag(C) = 0
///   G = X X^T + lambda I (users x users),  P = G^-1,  C = -P / diag(P) column-wise,  diag(C) = 0
///   score_u = sum_v C[v, u] x_v                                   (X_hat = C^T X)
/// </code>
/// the closed form of <see cref="Ease"/> applied to the transposed matrix. Where users are few (hundreds to some
/// thousands) it is cheap and sees what item-item models do not: which other users this one behaves like, with weights
/// learned jointly rather than by a similarity. Memory is one dense users x users matrix; it scores training users only
/// (a new history has no row in C).
/// </summary>
public sealed class UserEase(UserEaseParameters? parameters = null) : RecommenderBase<UserEaseParameters>(parameters)
{
    /// <summary>The registered algorithm name.</summary>
    public const string Name = "user-ease";

    /// <summary>C^T row-major: row u holds C[v, u] for every user v (the weights of the other users in u's scores).</summary>
    private float[] _weights = [];

    /// <inheritdoc/>
    public override string Algorithm => Name;

    /// <inheritdoc/>
    protected override void FitCore(Dataset data, FitContext context)
    {
        int n = data.UserCount;
        long need = (long)n * n * sizeof(float);
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (need > available || (long)n * n > Array.MaxLength)
            throw new TroveException($"{Name}: {n:N0} users need a dense {n:N0} x {n:N0} matrix ({need / (double)(1L << 30):F2} GiB), more than the memory available; use ease, sparse-ease or als.");
        var ui = data.UserItems; var iu = data.ItemUsers;
        float diagonalScale = 1f / (1f - Params.Dropout);
        using var task = context.Progress.Start(Name, 3);
        _weights = [];
        var g = new float[(long)n * n];
        // Upper triangle of G = X X^T (binary X), one row per user (rows split over threads, no sharing).
        Parallel.For(0, n, TrainingSupport.Parallel(context), u =>
        {
            var row = g.AsSpan((int)((long)u * n), n);
            foreach (int i in ui.RowIndices(u))
            {
                var users = iu.RowIndices(i);
                for (int b = users.BinarySearch(u); b < users.Length; b++) row[users[b]] += 1f;
            }
            row[u] = row[u] * diagonalScale + Params.Lambda;
        });
        task.Advance();
        context.Cancellation.ThrowIfCancellationRequested();
        TrainingSupport.Native(Name, () =>
        {
            int before = Blas.Threads;
            Blas.Threads = context.Threads;
            try { Lapack.CholeskyInverse(g, n); }
            finally { Blas.Threads = before; }
        });
        task.Advance();
        // C = -P / diag(P) column-wise; P is symmetric, so row u of C^T is row u of P divided by -P_uu.
        Parallel.For(0, n, TrainingSupport.Parallel(context), u =>
        {
            var row = g.AsSpan((int)((long)u * n), n);
            TensorPrimitives.Multiply(row, -1f / row[u], row);
            row[u] = 0f;
        });
        _weights = g;
        task.Advance();
    }

    /// <inheritdoc/>
    public override void ScoreAllItems(int user, Span<float> scores)
    {
        CheckUser(user);
        int n = UserCount;
        scores = scores[..ItemCount];
        scores.Clear();
        var row = _weights.AsSpan((int)((long)user * n), n);
        for (int v = 0; v < n; v++)
            if (row[v] != 0f)
                foreach (int i in UserItems.RowIndices(v)) scores[i] += row[v];
    }

    /// <inheritdoc/>
    protected override void SaveModelState(ModelArchiveWriter writer) => writer.WriteArray("weights", _weights, UserCount, UserCount);

    /// <inheritdoc/>
    protected override void LoadModelState(ModelArchiveReader reader)
    {
        _weights = reader.ReadFloats("weights");
        if (_weights.Length != (long)UserCount * UserCount) throw new TroveException($"{Name}: the model file's weight matrix does not match {UserCount} users.");
    }
}
