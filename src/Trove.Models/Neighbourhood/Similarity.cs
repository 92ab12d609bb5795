using Trove.Numerics.Sparse;

namespace Trove.Models.Neighbourhood;

public enum SimilarityMetric
{
    /// <summary>dot(a,b) / (|a| |b| + shrink).</summary>
    Cosine,
    /// <summary>shared / (n_a + n_b - shared + shrink), on the sparsity pattern only.</summary>
    Jaccard,
    /// <summary>Cosine of the vectors after subtracting each vector's mean over its stored entries (adjusted cosine).</summary>
    Pearson,
}

/// <summary>How interaction weights are transformed before similarities are computed.</summary>
public enum InteractionWeighting
{
    /// <summary>Weights as stored (event weights, ratings, play counts).</summary>
    None,
    /// <summary>Every interaction counts 1.</summary>
    Binary,
    /// <summary>sqrt(weight) x idf of the other side (heavy users / very popular items count less).</summary>
    TfIdf,
    /// <summary>Okapi BM25 saturation of weights with idf and length normalisation.</summary>
    Bm25,
}

/// <summary>Settings shared by item- and user-based neighbourhood models.</summary>
public interface INeighbourhoodSettings
{
    int Neighbours { get; }
    SimilarityMetric Similarity { get; }
    float Shrink { get; }
    float Threshold { get; }
    int MinShared { get; }
    InteractionWeighting Weighting { get; }
    float Bm25K1 { get; }
    float Bm25B { get; }
}

/// <summary>
/// Computes, for every row of a sparse matrix, its most similar other rows. Co-occurrences are
/// accumulated through the transpose (row a -> its columns -> the other rows in those columns),
/// so the cost is the number of co-occurring pairs, not rows squared.
/// </summary>
public static class SimilarityBuilder
{
    /// <summary>
    /// Applies <paramref name="weighting"/> to a rows x columns matrix. Idf is computed over
    /// columns: a column present in many rows counts less.
    /// </summary>
    public static CsrMatrix Weight(CsrMatrix m, InteractionWeighting weighting, float k1 = 100f, float b = 0.8f)
    {
        if (weighting == InteractionWeighting.None) return m;
        if (weighting == InteractionWeighting.Binary) return m.MapValues(_ => 1f);
        var columnCounts = m.ColumnCounts();
        var idf = new float[m.Columns];
        double logRows = Math.Log(Math.Max(1, m.Rows));
        for (int c = 0; c < idf.Length; c++) idf[c] = (float)(logRows - Math.Log(1 + columnCounts[c]));
        double averageLength = 0;
        var rowSums = new double[m.Rows];
        for (int r = 0; r < m.Rows; r++) { foreach (var v in m.RowValues(r)) rowSums[r] += v; averageLength += rowSums[r]; }
        averageLength = m.Rows > 0 ? averageLength / m.Rows : 1;
        return m.WithRowValues((r, idx, val, values) =>
        {
            double lengthNorm = (1 - b) + b * rowSums[r] / Math.Max(averageLength, 1e-12);
            for (int k = 0; k < idx.Length; k++)
            {
                float v = val[k], w = idf[idx[k]];
                values[k] = weighting == InteractionWeighting.TfIdf
                    ? MathF.Sqrt(v) * w
                    : (float)(v * (k1 + 1) / (k1 * lengthNorm + v)) * w;
            }
        });
    }

    /// <summary>Subtracts each row's mean over its stored entries (for Pearson).</summary>
    public static CsrMatrix CentreRows(CsrMatrix m)
    {
        return m.WithRowValues((_, _, row, values) =>
        {
            if (row.Length == 0) return;
            float mean = 0; foreach (var v in row) mean += v; mean /= row.Length;
            for (int k = 0; k < row.Length; k++) values[k] = row[k] - mean;
        });
    }

    /// <summary>
    /// Top-<c>Neighbours</c> similar rows of every row of <paramref name="rows"/> (rows x features),
    /// as a rows x rows CSR matrix whose row r lists r's neighbours (self excluded).
    /// </summary>
    public static CsrMatrix Neighbours(CsrMatrix rows, INeighbourhoodSettings s, int threads, Action<int>? rowsDone = null, CancellationToken cancel = default)
    {
        var prepared = Prepare(rows, s);
        var columns = prepared.Transpose();
        var norms = Norms(prepared);
        int n = prepared.Rows, k = Math.Max(1, s.Neighbours);
        var lists = new (int[] Index, float[] Score)[n];
        Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads), CancellationToken = cancel },
            () => new Accumulator(n),
            (row, _, acc) =>
            {
                acc.Similarities(prepared, columns, norms, row, s);
                lists[row] = acc.Top(k);
                if ((row & 255) == 0) rowsDone?.Invoke(256);
                return acc;
            },
            _ => { });
        // CSR rows are kept sorted by column; the score order is recovered by sorting when needed.
        for (int r = 0; r < n; r++) Array.Sort(lists[r].Index, lists[r].Score);
        return CsrMatrix.FromRows(n, lists.Select(l => l.Index).ToArray(), lists.Select(l => l.Score).ToArray());
    }

    /// <summary>Row <paramref name="row"/> of a neighbour matrix as dense scores: its neighbours' similarities, -inf elsewhere.</summary>
    public static float[] NeighbourScores(CsrMatrix neighbours, int row)
    {
        var scores = new float[neighbours.Columns];
        scores.AsSpan().Fill(float.NegativeInfinity);
        var nb = neighbours.RowIndices(row); var sim = neighbours.RowValues(row);
        for (int q = 0; q < nb.Length; q++) scores[nb[q]] = sim[q];
        return scores;
    }

    /// <summary>Similarity of one row to every row (for on-demand similar users/items), self set to -inf.</summary>
    public static float[] Row(CsrMatrix rows, CsrMatrix? preparedColumns, INeighbourhoodSettings s, int row)
    {
        var prepared = Prepare(rows, s);
        var columns = preparedColumns ?? prepared.Transpose();
        var acc = new Accumulator(prepared.Rows);
        acc.Similarities(prepared, columns, Norms(prepared), row, s);
        var dense = new float[prepared.Rows];
        dense.AsSpan().Fill(float.NegativeInfinity);
        foreach (int j in acc.Touched) dense[j] = acc.Score[j];
        dense[row] = float.NegativeInfinity;
        return dense;
    }

    public static CsrMatrix Prepare(CsrMatrix rows, INeighbourhoodSettings s)
    {
        var weighted = Weight(rows, s.Weighting, s.Bm25K1, s.Bm25B);
        return s.Similarity == SimilarityMetric.Pearson ? CentreRows(weighted) : weighted;
    }

    private static float[] Norms(CsrMatrix m)
    {
        var norms = new float[m.Rows];
        for (int r = 0; r < m.Rows; r++)
        {
            double sum = 0; foreach (var v in m.RowValues(r)) sum += (double)v * v;
            norms[r] = (float)Math.Sqrt(sum);
        }
        return norms;
    }

    /// <summary>Per-thread dense scratch space for one row's co-occurrences.</summary>
    private sealed class Accumulator(int size)
    {
        private readonly float[] _dot = new float[size];
        private readonly int[] _shared = new int[size];
        public readonly float[] Score = new float[size];
        public readonly List<int> Touched = new();

        public void Similarities(CsrMatrix m, CsrMatrix columns, float[] norms, int a, INeighbourhoodSettings s)
        {
            foreach (int j in Touched) { _dot[j] = 0; _shared[j] = 0; }
            Touched.Clear();
            var aCols = m.RowIndices(a); var aVals = m.RowValues(a);
            for (int p = 0; p < aCols.Length; p++)
            {
                int c = aCols[p]; float va = aVals[p];
                var others = columns.RowIndices(c); var otherVals = columns.RowValues(c);
                for (int q = 0; q < others.Length; q++)
                {
                    int b = others[q];
                    if (b == a) continue;
                    if (_shared[b] == 0) Touched.Add(b);
                    _shared[b]++;
                    _dot[b] += va * otherVals[q];
                }
            }
            int nA = aCols.Length;
            foreach (int b in Touched)
            {
                float sim;
                if (_shared[b] < s.MinShared) sim = float.NegativeInfinity;
                else sim = s.Similarity switch
                {
                    SimilarityMetric.Jaccard => _shared[b] / (nA + m.RowLength(b) - _shared[b] + s.Shrink),
                    _ => norms[a] * norms[b] + s.Shrink > 0 ? _dot[b] / (norms[a] * norms[b] + s.Shrink) : 0f,
                };
                // Pairs at or below the threshold are not neighbours (threshold 0 drops negative and empty overlaps).
                if (sim <= s.Threshold) sim = float.NegativeInfinity;
                Score[b] = sim;
            }
        }

        public (int[] Index, float[] Score) Top(int k)
        {
            // Select among touched rows only: gather, then top-k.
            var scores = new float[Touched.Count];
            for (int t = 0; t < scores.Length; t++) scores[t] = Score[Touched[t]];
            var (pos, top) = Trove.Numerics.Selection.TopK.Select(scores, k);
            var index = new int[pos.Length];
            for (int t = 0; t < pos.Length; t++) index[t] = Touched[pos[t]];
            return (index, top);
        }
    }
}
