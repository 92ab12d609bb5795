using System.Numerics.Tensors;
using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Core.Training;
using Trove.Models.Factorization;
using Trove.Numerics.Dense;
using Trove.Numerics.Sparse;

namespace Trove.Models.Linear;

/// <summary>
/// The normalised item graph the graph-filter models (gfcf, bspm) are built on, and the two products every one of
/// their scores starts from:
/// <code>
///   R~ = D_u^-a R D_i^-b                          (kept with its transpose; P~ = R~^T R~ is never formed)
///   left = D_i^-b V_k,  right = D_i^b V_k         (V_k: top-k right singular vectors of R~, randomised SVD)
///   blur:         r P~ = (r R~^T) R~              (two sparse hops: item -> users -> items)
///   user vector:  q = r D_i^-b V_k                (the ideal low-pass term is then q . right_i for every item i)
/// </code>
/// Only the singular vectors and values are saved: R~ is recomputed from the training matrix at load, which the
/// model file already holds.
/// </summary>
internal sealed class NormalisedItemGraph
{
    /// <summary>An unfitted graph (no users, no items).</summary>
    public static NormalisedItemGraph Empty { get; } = new(new CsrMatrix(0, 0, [0], [], []), [], binary: true, itemExponent: 0.5f);

    private readonly float _itemExponent;

    private NormalisedItemGraph(CsrMatrix norm, double[] itemDegree, bool binary, float itemExponent)
    {
        Norm = norm;
        NormT = norm.Transpose();
        ItemDegree = itemDegree;
        Binary = binary;
        _itemExponent = itemExponent;
    }

    /// <summary>R~, users x items.</summary>
    public CsrMatrix Norm { get; }
    /// <summary>R~^T, items x users.</summary>
    public CsrMatrix NormT { get; }
    /// <summary>Each item's degree (users, or summed weights without binary weights).</summary>
    public double[] ItemDegree { get; }
    /// <summary>Every stored weight counts as 1.</summary>
    public bool Binary { get; }
    /// <summary>Rank k of the low-pass basis actually used (0: none).</summary>
    public int Rank { get; private set; }
    /// <summary>V_k, items x k.</summary>
    public float[] V { get; private set; } = [];
    /// <summary>The top singular values of R~, descending.</summary>
    public float[] Sigma { get; private set; } = [];
    /// <summary>D_i^-b V_k, items x k.</summary>
    public float[] Left { get; private set; } = [];
    /// <summary>D_i^b V_k, items x k.</summary>
    public float[] Right { get; private set; } = [];

    private int Items => NormT.Rows;

    /// <summary>R~ of the training matrix and, with <paramref name="factors"/> &gt; 0, its low-pass basis from a randomised SVD.</summary>
    public static NormalisedItemGraph Fit(string algorithm, CsrMatrix userItems, bool binary, float userExponent, float itemExponent,
        int factors, int oversampling, int powerIterations, FitContext context, IProgressTask task)
    {
        var graph = Normalise(userItems, binary, userExponent, itemExponent);
        task.Advance();
        if (factors > 0)
        {
            var svd = TrainingSupport.Native(algorithm, () =>
            {
                int before = Blas.Threads;
                Blas.Threads = context.Threads;
                try { return RandomizedSvd.RightSingularVectors(graph.Norm, factors, oversampling, powerIterations, context.Seed, context.Threads, graph.NormT); }
                finally { Blas.Threads = before; }
            });
            graph.SetLowPass(svd.Vectors, svd.Rank, svd.Values);
        }
        task.Advance();
        return graph;
    }

    /// <summary>The graph of a saved model: R~ again from the training matrix, the basis from the file.</summary>
    public static NormalisedItemGraph Load(string algorithm, CsrMatrix userItems, bool binary, float userExponent, float itemExponent, ModelArchiveReader reader)
    {
        var graph = Normalise(userItems, binary, userExponent, itemExponent);
        var v = reader.ReadFloats("singular_vectors");
        var sigma = reader.ReadFloats("singular_values");
        int rank = sigma.Length;
        if (v.Length != (long)graph.Items * rank)
            throw new TroveException($"{algorithm}: the model file's singular vectors do not match {graph.Items} items x {rank}.");
        graph.SetLowPass(v, rank, sigma);
        return graph;
    }

    /// <summary>Writes the low-pass basis (what <see cref="Load"/> reads).</summary>
    public void Save(ModelArchiveWriter writer)
    {
        writer.WriteArray("singular_vectors", V, Items, Rank);
        writer.WriteArray("singular_values", Sigma);
    }

    /// <summary>R~ = D_u^-a R D_i^-b from the training matrix (zero degrees stay zero rows/columns).</summary>
    private static NormalisedItemGraph Normalise(CsrMatrix r, bool binary, float userExponent, float itemExponent)
    {
        var itemDegree = new double[r.Columns];
        for (int u = 0; u < r.Rows; u++)
        {
            var idx = r.RowIndices(u); var val = r.RowValues(u);
            for (int t = 0; t < idx.Length; t++) itemDegree[idx[t]] += binary ? 1 : val[t];
        }
        var itemScale = new float[r.Columns];
        for (int i = 0; i < r.Columns; i++) itemScale[i] = itemDegree[i] > 0 ? (float)Math.Pow(itemDegree[i], -itemExponent) : 0f;
        var normalised = r.WithRowValues((u, idx, val, values) =>
        {
            double degree = 0;
            for (int t = 0; t < val.Length; t++) degree += binary ? 1 : val[t];
            float userScale = degree > 0 ? (float)Math.Pow(degree, -userExponent) : 0f;
            for (int t = 0; t < val.Length; t++) values[t] = (binary ? 1f : val[t]) * userScale * itemScale[idx[t]];
        });
        return new NormalisedItemGraph(normalised, itemDegree, binary, itemExponent);
    }

    /// <summary>left = D_i^-b V_k and right = D_i^b V_k (items never seen in training get zero rows).</summary>
    private void SetLowPass(float[] v, int rank, float[] sigma)
    {
        int n = Items;
        Rank = rank;
        V = v;
        Sigma = sigma;
        Left = new float[(long)n * rank];
        Right = new float[(long)n * rank];
        for (int i = 0; i < n; i++)
        {
            if (ItemDegree[i] <= 0) continue;
            float down = (float)Math.Pow(ItemDegree[i], -_itemExponent), up = (float)Math.Pow(ItemDegree[i], _itemExponent);
            var row = v.AsSpan(i * rank, rank);
            TensorPrimitives.Multiply(row, down, Left.AsSpan(i * rank, rank));
            TensorPrimitives.Multiply(row, up, Right.AsSpan(i * rank, rank));
        }
    }

    /// <summary>scores = r P~ = (r R~^T) R~: scatter r over the items' users, then those users' rows over the items.</summary>
    public void Blur(ReadOnlySpan<int> items, ReadOnlySpan<float> weights, SparseAccumulator users, Span<float> scores)
    {
        scores.Clear();
        for (int k = 0; k < items.Length; k++)
        {
            int i = CheckItem(items[k]);
            float w = Binary ? 1f : weights[k];
            var us = NormT.RowIndices(i); var vs = NormT.RowValues(i);
            for (int t = 0; t < us.Length; t++) users.Add(us[t], w * vs[t]);
        }
        for (int t = 0; t < users.Count; t++)
        {
            int v = users.Touched[t];
            float c = users.Values[v];
            var idx = Norm.RowIndices(v); var val = Norm.RowValues(v);
            for (int j = 0; j < idx.Length; j++) scores[idx[j]] += c * val[j];
        }
        users.Clear();
    }

    /// <summary>q = r D_i^-b V_k.</summary>
    public void UserVector(ReadOnlySpan<int> items, ReadOnlySpan<float> weights, Span<float> q)
    {
        q.Clear();
        for (int k = 0; k < items.Length; k++)
            TensorPrimitives.MultiplyAdd(Left.AsSpan(CheckItem(items[k]) * Rank, Rank), Binary ? 1f : weights[k], q, q);
    }

    private int CheckItem(int item) =>
        (uint)item < (uint)Items ? item : throw new TroveException($"Item index {item} is outside the model's {Items} items.");
}
