using Trove.Numerics.Index;

namespace Trove.Tests.Numerics;

public class ExcludedRowsTests
{
    [Fact]
    public void Passes_every_row_but_the_excluded_ones_and_forgets_them_after_dispose()
    {
        var random = new Random(5);
        for (int round = 0; round < 50; round++)
        {
            int rows = random.Next(1, 300);
            var excluded = Enumerable.Range(0, random.Next(0, 40)).Select(_ => random.Next(-5, rows + 5)).ToArray();
            var reference = excluded.ToHashSet();
            using (var set = ExcludedRows.Rent(rows, excluded))
                for (int row = 0; row < rows; row++)
                    Assert.Equal(!reference.Contains(row), set.Passes(row));
            // The thread's next filter starts clean: nothing of the previous user's items is left out.
            using var next = ExcludedRows.Rent(rows, []);
            for (int row = 0; row < rows; row++) Assert.True(next.Passes(row));
        }
    }

    [Fact]
    public void A_graph_search_with_it_returns_what_a_hash_set_filter_returns()
    {
        var random = new Random(9);
        int n = 2000, dim = 16;
        var data = Enumerable.Range(0, n * dim).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var index = HnswIndex.Build(data, dim, VectorMetric.InnerProduct, new HnswParameters { M = 8, EfConstruction = 50, Threads = 1 });
        for (int q = 0; q < 20; q++)
        {
            var query = Enumerable.Range(0, dim).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
            var seen = Enumerable.Range(0, 30).Select(_ => random.Next(n)).Distinct().Order().ToArray();
            var reference = seen.ToHashSet();
            var expected = index.Search(query, 10, i => !reference.Contains(i), 64);
            using var excluded = ExcludedRows.Rent(n, seen);
            Assert.Equal(expected, index.Search(query, 10, excluded.Passes, 64));
        }
    }
}
