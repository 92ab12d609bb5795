using System.Buffers;
using Trove.Numerics.Vectors;

namespace Trove.Numerics.Dense;

/// <summary>
/// Dot products of several queries with every row of one matrix (item vectors): the kernel of batched exact
/// top-K serving. One call reads the matrix once for all queries instead of once per query, which is what
/// bounds a mat-vec over a large catalogue (100k x 64 floats = 25.6 MB, memory bandwidth).
/// </summary>
public static class BatchScoring
{
    /// <summary>Rows per sgemm block: 1,024 rows of 64 floats (256 KB) and their scores for 32 queries (128 KB) stay in L2 between the product and the copy out.</summary>
    public const int BlockRows = 1024;

    /// <summary>Without panels, from this many queries on <see cref="Score"/> uses sgemm; below, one SIMD mat-vec per query (bench/RESULTS.md, "Serving load").</summary>
    public const int MinGemmBatch = 3;

    /// <summary>From this many queries on, <see cref="Score"/> uses <see cref="ItemPanels"/> when given them and 256-bit SIMD is hardware-accelerated (one query: the mat-vec is as fast).</summary>
    public const int MinPanelBatch = 2;

    /// <summary>
    /// outputs[j][i] = rows[i] · queries[j] for i &lt; <paramref name="count"/>, j &lt; <paramref name="batch"/>.
    /// <paramref name="rows"/> is count x d and <paramref name="queries"/> batch x d, both row-major;
    /// <paramref name="panels"/>, when given, holds the same rows. The panel kernel from <see cref="MinPanelBatch"/> queries
    /// when there are panels; else sgemm from <see cref="MinGemmBatch"/> (with OpenBLAS); else one SIMD mat-vec per query
    /// (bench/RESULTS.md, "Serving load").
    /// </summary>
    public static void Score(ReadOnlySpan<float> rows, int count, int d, ReadOnlySpan<float> queries, int batch, ReadOnlySpan<float[]> outputs, ItemPanels? panels = null)
    {
        if (panels is not null && (panels.Count != count || panels.Dimensions != d)) throw new ArgumentException($"The panels hold {panels.Count} x {panels.Dimensions}, not {count} x {d}.");
        if (batch >= MinPanelBatch && panels is not null && System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated) panels.Score(queries, batch, outputs);
        else if (batch >= MinGemmBatch && MathBackend.IsNative) ScoreGemm(rows, count, d, queries, batch, outputs);
        else ScoreMatVec(rows, count, d, queries, batch, outputs);
    }

    /// <summary>Like <see cref="Score"/>, one sgemm per block of <see cref="BlockRows"/> rows (queries x block) into a scratch buffer, then copied into each output.</summary>
    public static void ScoreGemm(ReadOnlySpan<float> rows, int count, int d, ReadOnlySpan<float> queries, int batch, ReadOnlySpan<float[]> outputs, int blockRows = BlockRows)
    {
        Check(rows, count, d, queries, batch, outputs);
        if (blockRows < 1) throw new ArgumentException($"blockRows must be positive, got {blockRows}.");
        if (batch == 0 || count == 0) return;
        int block = Math.Min(blockRows, count);
        var scratch = ArrayPool<float>.Shared.Rent(batch * block);
        try
        {
            for (int start = 0; start < count; start += block)
            {
                int n = Math.Min(block, count - start);
                // scratch (batch x n) = queries (batch x d) * rows[start..start+n]^T (d x n)
                Blas.Gemm(false, true, batch, n, d, 1f, queries, d, rows.Slice(start * d, n * d), d, 0f, scratch, n);
                for (int j = 0; j < batch; j++) scratch.AsSpan(j * n, n).CopyTo(outputs[j].AsSpan(start, n));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>Like <see cref="Score"/>, one <see cref="VectorKernels.MatVec"/> per query (the matrix is read once per query).</summary>
    public static void ScoreMatVec(ReadOnlySpan<float> rows, int count, int d, ReadOnlySpan<float> queries, int batch, ReadOnlySpan<float[]> outputs)
    {
        Check(rows, count, d, queries, batch, outputs);
        for (int j = 0; j < batch; j++) VectorKernels.MatVec(rows, count, d, queries.Slice(j * d, d), outputs[j]);
    }

    private static void Check(ReadOnlySpan<float> rows, int count, int d, ReadOnlySpan<float> queries, int batch, ReadOnlySpan<float[]> outputs)
    {
        if (rows.Length < (long)count * d) throw new ArgumentException($"rows has {rows.Length} floats, needs {(long)count * d}.");
        Check(count, d, queries, batch, outputs);
    }

    internal static void Check(int count, int d, ReadOnlySpan<float> queries, int batch, ReadOnlySpan<float[]> outputs)
    {
        if (count < 0 || d < 1 || batch < 0) throw new ArgumentException($"Invalid sizes: {count} rows, {d} dimensions, {batch} queries.");
        if (queries.Length < (long)batch * d) throw new ArgumentException($"queries has {queries.Length} floats, needs {(long)batch * d}.");
        if (outputs.Length < batch) throw new ArgumentException($"{outputs.Length} outputs for {batch} queries.");
        for (int j = 0; j < batch; j++)
            if (outputs[j] is null || outputs[j].Length < count) throw new ArgumentException($"outputs[{j}] is shorter than {count}.");
    }
}
