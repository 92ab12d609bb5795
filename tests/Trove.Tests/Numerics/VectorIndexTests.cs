using Trove.Numerics.Index;

namespace Trove.Tests.Numerics;

public class VectorIndexTests
{
    /// <summary>n vectors around 20 gaussian centres (the shape of real embeddings), plus some queries.</summary>
    private static (float[] Data, float[] Queries) Clustered(int n, int queries, int dim, int seed = 1)
    {
        var random = new Random(seed);
        float Gaussian() => (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        var centres = Enumerable.Range(0, 20 * dim).Select(_ => Gaussian()).ToArray();
        float[] Make(int count)
        {
            var v = new float[count * dim];
            for (int i = 0; i < count; i++)
            {
                int c = random.Next(20);
                for (int d = 0; d < dim; d++) v[i * dim + d] = centres[c * dim + d] + 0.6f * Gaussian();
            }
            return v;
        }
        return (Make(n), Make(queries));
    }

    private static double Recall(IVectorIndex approximate, IVectorIndex exact, float[] queries, int dim, int k, Func<int, bool>? filter = null)
    {
        int count = queries.Length / dim;
        double hits = 0;
        for (int q = 0; q < count; q++)
        {
            var truth = exact.Search(queries.AsSpan(q * dim, dim), k, filter).Select(m => m.Index).ToHashSet();
            hits += approximate.Search(queries.AsSpan(q * dim, dim), k, filter).Count(m => truth.Contains(m.Index));
        }
        return hits / (count * (double)k);
    }

    [Theory]
    [InlineData(VectorMetric.Cosine)]
    [InlineData(VectorMetric.InnerProduct)]
    [InlineData(VectorMetric.Euclidean)]
    public void Hnsw_recall_at_10_against_exact_search_is_at_least_095(VectorMetric metric)
    {
        const int dim = 16;
        var (data, queries) = Clustered(3000, 100, dim);
        var exact = new ExactIndex(data, dim, metric);
        var hnsw = HnswIndex.Build(data, dim, metric, new HnswParameters { M = 12, EfConstruction = 100, EfSearch = 64 });
        double recall = Recall(hnsw, exact, queries, dim, 10);
        Assert.True(recall >= 0.95, $"recall@10 {recall:F3}");
    }

    [Fact]
    public void A_search_answers_the_same_whatever_was_searched_before()
    {
        // Searches reuse pooled visited marks (a new generation per search, not a cleared array); a mark left by an
        // earlier search would hide nodes. The reference is each query's first search on a freshly loaded copy, whose
        // scratch is new.
        const int dim = 16;
        var (data, queries) = Clustered(3000, 60, dim, seed: 4);
        var hnsw = HnswIndex.Build(data, dim, VectorMetric.InnerProduct, new HnswParameters { M = 8, EfConstruction = 64 });
        int count = queries.Length / dim;
        using var saved = new MemoryStream();
        hnsw.Save(saved);
        VectorMatch[] Fresh(int q) { saved.Position = 0; return HnswIndex.Load(saved).Search(queries.AsSpan(q * dim, dim), 10, null, 200); }
        var reference = Enumerable.Range(0, count).Select(Fresh).ToArray();
        for (int q = 0; q < count; q++)
        {
            int other = count - 1 - q; // searches of other sizes in between mark other nodes
            hnsw.Search(queries.AsSpan(other * dim, dim), 5, i => i % 3 != 0, 16 + q);
            Assert.Equal(reference[q], hnsw.Search(queries.AsSpan(q * dim, dim), 10, null, 200));
        }
    }

    [Fact]
    public void Visited_marks_forget_every_node_at_each_reset_across_the_generation_counter_wrapping()
    {
        // The marks are 16-bit generations, cleared when the counter wraps: without the clear, a node marked in one
        // search would look visited again 65,535 searches later and the walk would skip it.
        var marks = new HnswIndex.VisitedSet(4);
        marks.Reset();
        Assert.True(marks.Add(3));
        Assert.False(marks.Add(3));
        for (int search = 0; search < 200_000; search++)
        {
            marks.Reset();
            Assert.False(marks.Contains(3));
            Assert.True(marks.Add(search % 3));
            Assert.True(marks.Contains(search % 3));
        }
    }

    [Fact]
    public void Concurrent_searches_give_the_answers_of_sequential_ones()
    {
        // Concurrent searches take separate scratch sets from the pool; two searches sharing one would corrupt each
        // other's marks and heaps.
        const int dim = 16;
        var (data, queries) = Clustered(3000, 200, dim, seed: 5);
        var hnsw = HnswIndex.Build(data, dim, VectorMetric.Cosine, new HnswParameters { M = 8, EfConstruction = 64 });
        int count = queries.Length / dim;
        var reference = Enumerable.Range(0, count).Select(q => hnsw.Search(queries.AsSpan(q * dim, dim), 10, null, 64)).ToArray();
        var parallel = new VectorMatch[20 * count][];
        Parallel.For(0, parallel.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 },
            s => parallel[s] = hnsw.Search(queries.AsSpan(s % count * dim, dim), 10, null, 64));
        for (int s = 0; s < parallel.Length; s++) Assert.Equal(reference[s % count], parallel[s]);
    }

    [Fact]
    public void A_filter_predicate_is_respected_and_recall_stays_high()
    {
        const int dim = 16;
        var (data, queries) = Clustered(3000, 100, dim, seed: 2);
        var exact = new ExactIndex(data, dim);
        var hnsw = HnswIndex.Build(data, dim, parameters: new HnswParameters { EfConstruction = 100 });
        Func<int, bool> even = i => i % 2 == 0;
        Assert.All(hnsw.Search(queries.AsSpan(0, dim), 20, even), m => Assert.Equal(0, m.Index % 2));
        double recall = Recall(hnsw, exact, queries, dim, 10, even);
        Assert.True(recall >= 0.95, $"filtered recall@10 {recall:F3}");
        Assert.Empty(hnsw.Search(queries.AsSpan(0, dim), 5, _ => false));
    }

    [Fact]
    public void Inner_product_search_finds_the_largest_dot_products_when_item_norms_vary_widely()
    {
        // Like ALS item factors: a few long (popular) vectors, a long tail of short ones.
        const int dim = 16;
        var (data, queries) = Clustered(3000, 100, dim, seed: 5);
        var random = new Random(3);
        for (int i = 0; i < 3000; i++)
        {
            float scale = (float)Math.Pow(random.NextDouble(), 3);
            for (int d = 0; d < dim; d++) data[i * dim + d] *= scale;
        }
        var exact = new ExactIndex(data, dim, VectorMetric.InnerProduct);
        var hnsw = HnswIndex.Build(data, dim, VectorMetric.InnerProduct, new HnswParameters { EfSearch = 64, Threads = 1 });
        Assert.True(Recall(hnsw, exact, queries, dim, 10) >= 0.95);
        var top = hnsw.Search(queries.AsSpan(0, dim), 1)[0];
        Assert.Equal(System.Numerics.Tensors.TensorPrimitives.Dot(queries.AsSpan(0, dim), data.AsSpan(top.Index * dim, dim)), top.Score, 1e-4f);
    }

    [Fact]
    public void A_damaged_index_fails_to_load_instead_of_failing_searches()
    {
        var (data, _) = Clustered(500, 1, 8);
        var index = HnswIndex.Build(data, 8, VectorMetric.Cosine, new HnswParameters { Threads = 1 });
        using var buffer = new MemoryStream();
        index.Save(buffer);
        var bytes = buffer.ToArray();
        // The layer-0 links follow the header (11 ints), the levels and the link counts (500 ints each).
        int firstLink = (11 + 500 + 500) * 4;
        BitConverter.GetBytes(1_000_000).CopyTo(bytes, firstLink);
        Assert.Throws<InvalidDataException>(() => HnswIndex.Load(new MemoryStream(bytes)));
        Assert.ThrowsAny<IOException>(() => HnswIndex.Load(new MemoryStream(buffer.ToArray()[..(bytes.Length / 2)])));
    }

    [Fact]
    public void A_saved_index_loads_with_identical_results()
    {
        const int dim = 8;
        var (data, queries) = Clustered(1000, 20, dim, seed: 3);
        var hnsw = HnswIndex.Build(data, dim, VectorMetric.Euclidean, new HnswParameters { Threads = 1, EfConstruction = 50 });
        var path = Path.Combine(Support.TestPaths.NewTempDirectory(), "items.hnsw");
        hnsw.Save(path);
        var loaded = HnswIndex.Load(path);
        Assert.Equal(hnsw.Count, loaded.Count);
        Assert.Equal(VectorMetric.Euclidean, loaded.Metric);
        for (int q = 0; q < 20; q++)
            Assert.Equal(hnsw.Search(queries.AsSpan(q * dim, dim), 10), loaded.Search(queries.AsSpan(q * dim, dim), 10));
        File.WriteAllText(path, "garbage!");
        Assert.Throws<InvalidDataException>(() => HnswIndex.Load(path));
    }

    [Fact]
    public void Exact_search_returns_the_true_neighbours_with_their_scores()
    {
        float[] data = [1, 0, 0, 1, 1, 1, -1, 0];
        var cosine = new ExactIndex(data, 2, VectorMetric.Cosine);
        var best = cosine.Search([2, 0], 2);
        Assert.Equal(0, best[0].Index);
        Assert.Equal(1f, best[0].Score, 5);
        Assert.Equal(2, best[1].Index);
        Assert.Equal(MathF.Sqrt(0.5f), best[1].Score, 5);
        var dot = new ExactIndex(data, 2, VectorMetric.InnerProduct);
        Assert.Equal(2, dot.Search([1, 1], 1)[0].Index);
        var euclid = new ExactIndex(data, 2, VectorMetric.Euclidean);
        var near = euclid.Search([-0.9f, 0.1f], 1)[0];
        Assert.Equal(3, near.Index);
        Assert.Equal(-MathF.Sqrt(0.02f), near.Score, 4);
        Assert.Equal(new[] { 1, 2 }, cosine.Search([0, 1], 2, i => i != 0 && i != 3).Select(m => m.Index));
    }

    [Fact]
    public void Tiny_and_empty_indexes_work()
    {
        var empty = HnswIndex.Build([], 4);
        Assert.Empty(empty.Search([1, 2, 3, 4], 3));
        var one = HnswIndex.Build([1, 2, 3, 4], 4);
        Assert.Equal(0, Assert.Single(one.Search([1, 2, 3, 4], 3)).Index);
        Assert.Throws<ArgumentException>(() => one.Search([1, 2], 1));
    }
}
