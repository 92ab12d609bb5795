using Trove.Numerics.Dense;
using Trove.Numerics.Vectors;

namespace Trove.Tests.Numerics;

/// <summary>
/// Dense matrices past one array (factor matrices of more than 33.5M users at 64 factors): row-aligned chunks. The
/// arithmetic is tested at sizes past 2^31 values without allocating them; the storage on small matrices split into
/// many small chunks, against the same matrix in one chunk and against plain loops.
/// </summary>
public sealed class RowChunkedMatrixTests
{
    private const long TwoPow31 = 1L << 31;

    [Fact]
    public void Forty_million_rows_of_64_floats_need_two_chunks_and_every_row_has_an_int_offset()
    {
        // 40M x 64 = 2.56e9 values: one array stops at Array.MaxLength, and 40M * 64 wraps to a negative int.
        const int rows = 40_000_000, columns = 64;
        Assert.True((long)rows * columns > TwoPow31);
        Assert.True(unchecked(rows * columns) < 0);
        long capacity = RowChunkedMatrix.DefaultCapacity;
        int perChunk = RowChunkedMatrix.RowsPerChunkFor(columns, capacity);
        Assert.Equal(33_554_431, perChunk);
        Assert.Equal(2, RowChunkedMatrix.ChunkCountFor(rows, columns, capacity));
        Assert.Equal((0, 0), RowChunkedMatrix.Locate(0, columns, capacity));
        Assert.Equal((0, (perChunk - 1) * columns), RowChunkedMatrix.Locate(perChunk - 1, columns, capacity));
        Assert.Equal((1, 0), RowChunkedMatrix.Locate(perChunk, columns, capacity));
        var (chunk, offset) = RowChunkedMatrix.Locate(rows - 1, columns, capacity);
        Assert.Equal(1, chunk);
        Assert.Equal((long)(rows - 1) * columns, (long)chunk * perChunk * columns + offset); // the global 64-bit offset, recovered
        Assert.InRange(offset + columns, 0, capacity);
    }

    [Fact]
    public void The_largest_int_row_count_at_256_factors_fits_in_chunks_with_every_offset_in_range()
    {
        const int columns = 256;
        long capacity = RowChunkedMatrix.DefaultCapacity;
        int chunks = RowChunkedMatrix.ChunkCountFor(int.MaxValue, columns, capacity);
        int perChunk = RowChunkedMatrix.RowsPerChunkFor(columns, capacity);
        Assert.True((long)chunks * perChunk >= int.MaxValue);
        Assert.True((long)(chunks - 1) * perChunk < int.MaxValue);
        foreach (int row in new[] { int.MaxValue - 1, int.MaxValue / 2, perChunk, perChunk - 1 })
        {
            var (c, offset) = RowChunkedMatrix.Locate(row, columns, capacity);
            Assert.Equal((long)row * columns, (long)c * perChunk * columns + offset);
            Assert.InRange(offset, 0, capacity - columns);
        }
    }

    [Fact]
    public void One_chunk_whenever_the_matrix_fits_one_array()
    {
        Assert.Equal(1, RowChunkedMatrix.ChunkCountFor(33_554_431, 64, RowChunkedMatrix.DefaultCapacity));
        Assert.Equal(1, RowChunkedMatrix.ChunkCountFor(0, 64, RowChunkedMatrix.DefaultCapacity));
        var m = new RowChunkedMatrix(1000, 64);
        Assert.Equal(1, m.ChunkCount);
        Assert.Equal(64_000, m.Chunk(0).Length);
    }

    [Fact]
    public void A_row_longer_than_a_chunk_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => new RowChunkedMatrix(3, 10, chunkCapacity: 8));
        Assert.Contains("a row of 10 floats is longer than one storage chunk (8)", e.Message);
    }

    private static RowChunkedMatrix Random(int rows, int columns, long capacity, int seed)
    {
        var rng = new Random(seed);
        var m = new RowChunkedMatrix(rows, columns, capacity);
        for (int r = 0; r < rows; r++)
            foreach (ref float v in m.Row(r)) v = (float)(rng.NextDouble() * 2 - 1);
        return m;
    }

    [Fact]
    public void Rows_of_a_matrix_in_many_chunks_are_the_rows_of_the_same_matrix_in_one()
    {
        var whole = Random(23, 5, RowChunkedMatrix.DefaultCapacity, seed: 1);
        var chunked = new RowChunkedMatrix(23, 5, chunkCapacity: 12); // 2 rows per chunk, the last chunk holds 1
        chunked.CopyFrom(whole);
        Assert.Equal(12, chunked.ChunkCount);
        Assert.Equal(1, chunked.RowsInChunk(11));
        Assert.Equal(whole.ToArray(), chunked.ToArray());
        for (int r = 0; r < 23; r++)
        {
            Assert.Equal(whole.Row(r).ToArray(), chunked.Row(r).ToArray());
            var (c, offset) = RowChunkedMatrix.Locate(r, 5, 12);
            Assert.Equal(whole.Row(r).ToArray(), chunked.Chunk(c).Slice(offset, 5).ToArray());
        }
        chunked.Row(22)[4] = 42f;
        Assert.Equal(42f, chunked.ToArray()[22 * 5 + 4]);
        Assert.Equal(chunked.ToArray(), chunked.Clone().ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => chunked.Row(23));
    }

    [Fact]
    public void Matrix_vector_product_and_gram_over_chunks_match_the_scalar_reference()
    {
        const int rows = 37, columns = 9;
        var chunked = Random(rows, columns, capacity: 40, seed: 2); // 4 rows per chunk
        Assert.True(chunked.ChunkCount > 1);
        var flat = chunked.ToArray();
        var x = Enumerable.Range(0, columns).Select(i => (float)Math.Sin(i + 1)).ToArray();
        var y = new float[rows]; var expected = new float[rows];
        chunked.MultiplyVector(x, y);
        ScalarKernels.MatVec(flat, rows, columns, x, expected);
        for (int r = 0; r < rows; r++) Assert.Equal(expected[r], y[r], 5);

        var g = new float[columns * columns];
        chunked.Gram(g);
        for (int a = 0; a < columns; a++)
            for (int b = 0; b < columns; b++)
            {
                double sum = 0;
                for (int r = 0; r < rows; r++) sum += (double)flat[r * columns + a] * flat[r * columns + b];
                Assert.Equal(sum, g[a * columns + b], 4);
            }
        var empty = new RowChunkedMatrix(0, columns, chunkCapacity: 40);
        Array.Fill(g, 1f);
        empty.Gram(g);
        Assert.All(g, v => Assert.Equal(0f, v));
    }
}
