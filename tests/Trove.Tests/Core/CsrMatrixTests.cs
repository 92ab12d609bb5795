using Trove.Numerics.Sparse;

namespace Trove.Tests.Core;

public class CsrMatrixTests
{
    [Fact]
    public void FromCoordinates_sorts_rows_and_sums_duplicate_pairs()
    {
        // (0,2)=1 twice, (0,0)=3, (2,1)=5; row 1 empty.
        var m = CsrMatrix.FromCoordinates(3, 3, [0, 2, 0, 0], [2, 1, 0, 2], [1f, 5f, 3f, 1f]);
        Assert.Equal([0, 2, 2, 3], m.RowPointers);
        Assert.Equal([0, 2, 1], m.IndexChunk(0).ToArray());
        Assert.Equal([3f, 2f, 5f], m.ValueChunk(0).ToArray());
        Assert.Equal(2f, m[0, 2]);
        Assert.Equal(0f, m[1, 1]);
    }

    [Fact]
    public void Transpose_swaps_rows_and_columns()
    {
        var m = CsrMatrix.FromCoordinates(2, 3, [0, 0, 1], [0, 2, 2], [1f, 2f, 3f]);
        var t = m.Transpose();
        Assert.Equal(3, t.Rows);
        Assert.Equal(2, t.Columns);
        for (int r = 0; r < 2; r++)
            for (int c = 0; c < 3; c++)
                Assert.Equal(m[r, c], t[c, r]);
    }

    [Fact]
    public void FromCoordinates_rejects_indices_outside_the_shape()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CsrMatrix.FromCoordinates(2, 2, [0], [5], [1f]));
    }

    [Fact]
    public void AddScaledRow_adds_weight_times_the_row_to_what_the_target_holds()
    {
        var m = CsrMatrix.FromCoordinates(3, 4, [0, 1, 1, 2], [3, 0, 2, 1], [2f, 1f, -3f, 5f]);
        var target = new float[] { 1f, 1f, 1f, 1f };
        m.AddScaledRow(1, 0.5f, target);
        for (int c = 0; c < 4; c++) Assert.Equal(1f + 0.5f * m[1, c], target[c]);
        m.AddScaledRow(0, 2f, target);
        Assert.Equal(1f - 1.5f + 0f, target[2]);
        Assert.Equal(1f + 4f, target[3]);
    }
}
