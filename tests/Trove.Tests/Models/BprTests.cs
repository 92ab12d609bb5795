using Trove.Core.Persistence;
using Trove.Core.Training;
using Trove.Models;
using Trove.Models.Factorization;
using Trove.Tests.Support;

namespace Trove.Tests.Models;

public class BprTests
{
    [Theory]
    [InlineData(NegativeSampling.Uniform)]
    [InlineData(NegativeSampling.Popularity)]
    public void Two_user_groups_get_items_of_their_own_group(NegativeSampling sampling)
    {
        var data = ToyData.TwoGroups(60, 40, 8, 5);
        var bpr = new Bpr(new BprParameters { Factors = 8, Epochs = 60, LearningRate = 0.1f, Sampling = sampling });
        bpr.Fit(data, new FitContext { Seed = 2, Threads = 2 });
        int correct = 0, total = 0;
        for (int u = 0; u < 60; u++)
            foreach (var r in bpr.Recommend(u, 5))
            {
                total++;
                if (ToyData.Group(u, 60) == ToyData.Group(r.Index, 40)) correct++;
            }
        Assert.True(correct >= 0.97 * total, $"{correct}/{total} in the user's group");
        Assert.True(bpr.History[^1].Loss < bpr.History[0].Loss, "BPR loss should fall");
        Assert.True(bpr.SamplesPerSecond > 0);
    }

    [Fact]
    public void Negative_samples_are_never_positives()
    {
        int items = 50;
        var positives = Enumerable.Range(0, 45).Where(i => i % 10 != 3).ToArray(); // 40 positives, 10 negatives
        var rng = new Bpr.XorShift(7);
        var popularity = new Bpr.PopularitySampler(Enumerable.Range(1, items).ToArray(), 0.75f);
        var seen = new HashSet<int>();
        for (int s = 0; s < 20000; s++)
        {
            foreach (var sampler in new[] { null, popularity })
            {
                int j = Bpr.SampleNegative(positives, items, sampler, ref rng);
                if (j < 0) continue; // allowed (64 misses) but must then be skipped
                Assert.DoesNotContain(j, positives);
                seen.Add(j);
            }
        }
        Assert.Equal(10, seen.Count);

        // The bit-set variant (user 1 of a 2-user bit set) behaves the same.
        var bits = new ulong[(2 * items + 63) / 64];
        foreach (int i in positives) { long b = items + i; bits[b >> 6] |= 1UL << (int)(b & 63); }
        var seenBits = new HashSet<int>();
        for (int s = 0; s < 20000; s++)
        {
            int j = Bpr.SampleNegative(bits, items, items, s % 2 == 0 ? null : popularity, ref rng);
            if (j < 0) continue;
            Assert.DoesNotContain(j, positives);
            seenBits.Add(j);
        }
        Assert.Equal(10, seenBits.Count);
        Assert.Equal(-1, Bpr.SampleNegative(Enumerable.Range(0, items).ToArray(), items, null, ref rng));
    }

    [Fact]
    public void Popularity_sampler_follows_count_power()
    {
        var counts = new[] { 1, 16, 0, 81 }; // ^0.75 -> 1, 8, 0, 27
        var sampler = new Bpr.PopularitySampler(counts, 0.75f);
        var rng = new Bpr.XorShift(3);
        var hist = new int[4];
        for (int s = 0; s < 360_000; s++) hist[sampler.Sample(ref rng)]++;
        Assert.Equal(0, hist[2]);
        Assert.Equal(1 / 36.0, hist[0] / 360_000.0, 2);
        Assert.Equal(8 / 36.0, hist[1] / 360_000.0, 2);
        Assert.Equal(27 / 36.0, hist[3] / 360_000.0, 2);
    }

    [Fact]
    public void Single_thread_training_is_reproducible_and_embeddings_give_scores()
    {
        var data = ToyData.Random(50, 30, 8, 9);
        var p = new BprParameters { Factors = 4, Epochs = 5 };
        var a = new Bpr(p); var b = new Bpr(p);
        a.Fit(data, new FitContext { Seed = 4, Threads = 1 }); b.Fit(data, new FitContext { Seed = 4, Threads = 1 });
        var sa = new float[30]; var sb = new float[30];
        a.ScoreAllItems(3, sa); b.ScoreAllItems(3, sb);
        Assert.Equal(sa, sb);
        Assert.Equal(5, a.Dimensions);
        Assert.Equal(1f, a.UserVector(3)[4]); // bias slot
        Assert.Equal(System.Numerics.Tensors.TensorPrimitives.Dot(a.UserVector(3), a.ItemVector(7)), sa[7], 5);
    }

    [Fact]
    public void Saved_and_loaded_model_scores_identically()
    {
        var data = ToyData.Random(50, 30, 8, 9);
        var bpr = new Bpr(new BprParameters { Factors = 4, Epochs = 3, Sampling = NegativeSampling.Popularity });
        bpr.Fit(data, FitContext.Default);
        var path = Path.Combine(TestPaths.NewTempDirectory(), "bpr.trove");
        ModelFile.Save(path, bpr, data);
        var loaded = (Bpr)ModelFile.Load(path, BuiltInAlgorithms.Registry).Model;
        Assert.Equal(NegativeSampling.Popularity, loaded.Params.Sampling);
        var s1 = new float[30]; var s2 = new float[30];
        bpr.ScoreAllItems(1, s1); loaded.ScoreAllItems(1, s2);
        Assert.Equal(s1, s2);
    }
}
