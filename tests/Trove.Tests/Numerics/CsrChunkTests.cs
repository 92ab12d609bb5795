using Trove.Core.Persistence;
using Trove.Models.Factorization;
using Trove.Numerics.Sparse;

namespace Trove.Tests.Numerics;

/// <summary>
/// CSR matrices past 2^31 entries: 64-bit row pointers and row-aligned storage chunks. The arithmetic is tested at
/// offsets past 2^31 from row lengths alone (nothing of that size is allocated); the storage paths are tested on small
/// matrices split into many small chunks, against the same matrix in one chunk. A matrix that really holds more than
/// 2^31 entries is built only in a benchmark (bench/Trove.Benchmarks big-csr), not here: it needs gigabytes.
/// </summary>
public sealed class CsrChunkTests
{
    private const long TwoPow31 = 1L << 31;

    [Fact]
    public void Row_pointers_summed_from_lengths_pass_2_pow_31_exactly()
    {
        // Three rows of 1.5e9 entries: 32-bit sums would wrap after the second row.
        var pointers = CsrChunkLayout.RowPointersFromLengths([1_500_000_000, 1_500_000_000, 1_500_000_000]);
        Assert.Equal([0L, 1_500_000_000L, 3_000_000_000L, 4_500_000_000L], pointers);
        Assert.True(unchecked(1_500_000_000 + 1_500_000_000) < 0); // what an int sum would have given
    }

    [Fact]
    public void A_layout_past_2_pow_31_puts_each_row_in_one_chunk_and_locates_offset_3e9()
    {
        // 3 rows of 1.5e9 entries with the real chunk capacity (Array.MaxLength): each row needs its own chunk.
        var pointers = CsrChunkLayout.RowPointersFromLengths([1_500_000_000, 1_500_000_000, 1_500_000_000]);
        var layout = CsrChunkLayout.Plan(pointers, CsrChunkLayout.DefaultCapacity);
        Assert.Equal(3, layout.ChunkCount);
        Assert.Equal(4_500_000_000L, layout.NonZeros);
        Assert.Equal(3_000_000_000L, layout.ChunkStart(2));
        Assert.Equal(2, layout.ChunkOfRow(2));
        Assert.Equal((2, 0), layout.Locate(3_000_000_000L));
        Assert.Equal((1, 1_499_999_999), layout.Locate(2_999_999_999L));
        Assert.Equal((1, (int)(TwoPow31 - 1_500_000_000)), layout.Locate(TwoPow31));
        Assert.Equal(2, CsrChunkLayout.RowOfEntry(pointers, 3_000_000_000L));
        Assert.Equal(1, CsrChunkLayout.RowOfEntry(pointers, TwoPow31));
    }

    [Fact]
    public void Many_small_rows_fill_a_chunk_before_the_next_one_opens()
    {
        // 3,000 rows of 1,000,000 entries = 3e9 entries: the first chunk takes as many whole rows as fit in Array.MaxLength.
        var lengths = Enumerable.Repeat(1_000_000, 3_000).ToArray();
        var pointers = CsrChunkLayout.RowPointersFromLengths(lengths);
        var layout = CsrChunkLayout.Plan(pointers, CsrChunkLayout.DefaultCapacity);
        int perChunk = (int)(Array.MaxLength / 1_000_000);
        Assert.Equal(2, layout.ChunkCount);
        Assert.Equal(perChunk, layout.FirstRow(1));
        Assert.Equal((long)perChunk * 1_000_000, layout.ChunkStart(1));
        Assert.Equal(1, layout.ChunkOfRow(perChunk));
        Assert.Equal(0, layout.ChunkOfRow(perChunk - 1));
        long offset = 2_500_000_000L;
        var (chunk, inChunk) = layout.Locate(offset);
        Assert.Equal(1, chunk);
        Assert.Equal(offset - (long)perChunk * 1_000_000, inChunk);
        Assert.Equal(2_500, CsrChunkLayout.RowOfEntry(pointers, offset));
        Assert.Equal(2_999, CsrChunkLayout.RowOfEntry(pointers, 2_999_999_999L));
    }

    [Fact]
    public void A_row_longer_than_a_chunk_and_decreasing_pointers_are_refused_with_the_row_named()
    {
        var e = Assert.Throws<ArgumentException>(() => CsrChunkLayout.Plan([0, 2, 9], 5));
        Assert.Contains("row 1 has 7 entries", e.Message);
        e = Assert.Throws<ArgumentException>(() => CsrChunkLayout.Plan([0, 4, 3], 5));
        Assert.Contains("decrease at row 1", e.Message);
    }

    [Fact]
    public void Empty_rows_at_chunk_boundaries_find_the_row_that_holds_an_entry()
    {
        long[] pointers = [0, 2, 2, 2, 5, 5, 7];
        for (long offset = 0; offset < 7; offset++)
        {
            int row = CsrChunkLayout.RowOfEntry(pointers, offset);
            Assert.True(pointers[row] <= offset && offset < pointers[row + 1], $"entry {offset} -> row {row}");
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => CsrChunkLayout.RowOfEntry(pointers, 7));
    }

    private static CsrMatrix RandomMatrix(int rows, int columns, int seed, double density = 0.3)
    {
        var rng = new Random(seed);
        var r = new List<int>(); var c = new List<int>(); var v = new List<float>();
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++)
                if (rng.NextDouble() < density) { r.Add(i); c.Add(j); v.Add((float)rng.NextDouble() + 0.5f); }
        return CsrMatrix.FromCoordinates(rows, columns, r.ToArray(), c.ToArray(), v.ToArray());
    }

    private static void AssertSameEntries(CsrMatrix expected, CsrMatrix actual)
    {
        Assert.Equal(expected.Rows, actual.Rows);
        Assert.Equal(expected.Columns, actual.Columns);
        Assert.Equal(expected.RowPointers, actual.RowPointers);
        for (int r = 0; r < expected.Rows; r++)
        {
            Assert.Equal(expected.RowIndices(r).ToArray(), actual.RowIndices(r).ToArray());
            Assert.Equal(expected.RowValues(r).ToArray(), actual.RowValues(r).ToArray());
        }
    }

    [Fact]
    public void A_matrix_in_many_chunks_reads_transposes_and_maps_as_the_same_matrix_in_one()
    {
        var whole = RandomMatrix(40, 25, seed: 1);
        var chunked = whole.Rechunk(capacity: 30);
        Assert.Equal(1, whole.Layout.ChunkCount);
        Assert.True(chunked.Layout.ChunkCount >= 5, $"{chunked.Layout.ChunkCount} chunks");
        AssertSameEntries(whole, chunked);
        for (int r = 0; r < whole.Rows; r++)
            for (int c = 0; c < whole.Columns; c++)
            {
                Assert.Equal(whole[r, c], chunked[r, c]);
                Assert.Equal(whole.Contains(r, c), chunked.Contains(r, c));
            }
        var transposed = chunked.Transpose();
        Assert.True(transposed.Layout.ChunkCount > 1);
        AssertSameEntries(whole.Transpose(), transposed);
        AssertSameEntries(whole.MapValues(x => 2 * x + 1), chunked.MapValues(x => 2 * x + 1));
        Assert.Equal(whole.ColumnCounts(), chunked.ColumnCounts());
        var a = new float[25]; var b = new float[25];
        for (int r = 0; r < 40; r += 7) { whole.AddScaledRow(r, 0.5f, a); chunked.AddScaledRow(r, 0.5f, b); }
        Assert.Equal(a, b);
        var centred = chunked.WithRowValues((_, _, values, into) => { for (int k = 0; k < values.Length; k++) into[k] = values[k] - 1; });
        AssertSameEntries(whole.MapValues(x => x - 1), centred);
    }

    [Fact]
    public void Rows_built_from_parts_match_coordinates_built_rows()
    {
        var whole = RandomMatrix(30, 20, seed: 2);
        var indices = new int[whole.Rows][]; var values = new float[whole.Rows][];
        for (int r = 0; r < whole.Rows; r++) { indices[r] = whole.RowIndices(r).ToArray(); values[r] = whole.RowValues(r).ToArray(); }
        AssertSameEntries(whole, CsrMatrix.FromRows(whole.Columns, indices, values));
    }

    [Fact]
    public void A_chunked_matrix_saved_and_loaded_through_a_model_file_keeps_every_entry()
    {
        var whole = RandomMatrix(50, 30, seed: 3);
        var chunked = whole.Rechunk(capacity: 40);
        using var ms = new MemoryStream();
        using (var w = new ModelArchiveWriter(ms)) w.WriteCsr("m", chunked);
        ms.Position = 0;
        using var reader = new ModelArchiveReader(ms, "mem");
        AssertSameEntries(whole, reader.ReadCsr("m"));
        var intoChunks = reader.ReadCsr("m", chunkCapacity: 40);
        Assert.True(intoChunks.Layout.ChunkCount > 1);
        AssertSameEntries(whole, intoChunks);
    }

    [Fact]
    public void Bpr_draws_by_global_offset_give_the_same_user_item_pairs_as_the_packed_array()
    {
        // Past 2^31 interactions BPR draws a 64-bit offset and finds its user by binary search; below it packs an array.
        var ui = RandomMatrix(30, 12, seed: 4, density: 0.4).Rechunk(capacity: 20);
        var packed = Bpr.PackEntries(ui);
        Assert.Equal(ui.NonZeros, packed.Length);
        for (long e = 0; e < packed.Length; e++) Assert.Equal(packed[e], Bpr.EntryAt(ui, e));
    }

    [Fact]
    public void Bpr_64_bit_draws_stay_in_range_and_cover_offsets_past_2_pow_31()
    {
        var r = new Bpr.XorShift(7);
        long n = 3_000_000_000L, max = 0;
        for (int i = 0; i < 10_000; i++)
        {
            long x = r.NextLong(n);
            Assert.InRange(x, 0, n - 1);
            max = Math.Max(max, x);
        }
        Assert.True(max > TwoPow31, $"largest of 10,000 draws in [0, 3e9): {max}");
    }
}
