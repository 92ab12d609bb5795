using Trove.Evaluation.Metrics;

namespace Trove.Tests.Evaluation;

public class MetricsTests
{
    // Ranked list 10,11,12,13,14; relevant {11, 14, 99}: 99 is not in the list, so it ranks after it.
    // 0-based ranks of the relevant items: 1, 4, 5.
    private static readonly int[] Ranks = RankingMetrics.RanksInList([10, 11, 12, 13, 14], new[] { 11, 14, 99 });

    [Fact]
    public void RanksInListFindsPositions() => Assert.Equal([1, 4, 5], Ranks);

    [Fact]
    public void HitRate()
    {
        Assert.Equal(0.0, RankingMetrics.HitRate(Ranks, 1));
        Assert.Equal(1.0, RankingMetrics.HitRate(Ranks, 2));
        Assert.Equal(0.0, RankingMetrics.HitRate([], 10));
    }

    [Fact]
    public void Precision()
    {
        Assert.Equal(0.0, RankingMetrics.Precision(Ranks, 1));
        Assert.Equal(0.5, RankingMetrics.Precision(Ranks, 2));   // 1 hit in 2
        Assert.Equal(0.4, RankingMetrics.Precision(Ranks, 5), 12); // 2 hits in 5
        Assert.Equal(0.3, RankingMetrics.Precision(Ranks, 10), 12); // 3 hits in 10
    }

    [Fact]
    public void RecallDividesByAllRelevant()
    {
        Assert.Equal(1.0 / 3, RankingMetrics.Recall(Ranks, 2), 12);
        Assert.Equal(2.0 / 3, RankingMetrics.Recall(Ranks, 5), 12);
        Assert.Equal(1.0, RankingMetrics.Recall(Ranks, 6), 12);
        // |hits| / |relevant| even when |relevant| > K: 1 hit of 3 relevant at K=1 would be 1/3, not 1.
        Assert.Equal(1.0 / 3, RankingMetrics.Recall([0, 4, 5], 1), 12);
    }

    [Fact]
    public void Ndcg()
    {
        // K=5: DCG = 1/log2(3) + 1/log2(6) = 0.630930 + 0.386853 = 1.017783 (-> 0.477624)
        //      IDCG over min(3,5)=3 positions = 1 + 0.630930 + 0.5 = 2.130930
        Assert.Equal(0.477624, RankingMetrics.Ndcg(Ranks, 5), 6);
        // K=2: DCG = 0.630930; IDCG over min(3,2)=2 positions = 1.630930 -> 0.386853
        Assert.Equal(0.386853, RankingMetrics.Ndcg(Ranks, 2), 6);
        Assert.Equal(0.0, RankingMetrics.Ndcg(Ranks, 1));
        // A single relevant item at rank 0 is perfect; at rank 3: 1/log2(5) = 0.430677.
        Assert.Equal(1.0, RankingMetrics.Ndcg([0], 10), 12);
        Assert.Equal(0.430677, RankingMetrics.Ndcg([3], 10), 6);
    }

    [Fact]
    public void MapDividesByMinOfRelevantAndK()
    {
        // K=5: precisions at the hits: 1/2 (rank 1), 2/5 (rank 4) -> 0.9 / min(3,5) = 0.3
        Assert.Equal(0.3, RankingMetrics.AveragePrecision(Ranks, 5), 12);
        // K=2: 1/2 / min(3,2) = 0.25
        Assert.Equal(0.25, RankingMetrics.AveragePrecision(Ranks, 2), 12);
        // K=10: (1/2 + 2/5 + 3/6) / 3 = 1.4/3
        Assert.Equal(1.4 / 3, RankingMetrics.AveragePrecision(Ranks, 10), 12);
    }

    [Fact]
    public void Mrr()
    {
        Assert.Equal(0.5, RankingMetrics.ReciprocalRank(Ranks));
        Assert.Equal(0.25, RankingMetrics.ReciprocalRank([3]));
        Assert.Equal(0.0, RankingMetrics.ReciprocalRank([]));
    }

    [Fact]
    public void TiesCountAgainstTheRelevantItemAndHalfInAuc()
    {
        // Relevant 0.5 vs candidates 0.9, 0.5, 0.5, 0.1: one above and two ties -> rank 3 (0-based).
        Span<int> ranks = stackalloc int[1];
        double auc = RankingMetrics.RankRelevant([0.5f], [0.9f, 0.5f, 0.5f, 0.1f], ranks);
        Assert.Equal(3, ranks[0]);
        // AUC: wins against 0.1 (1), ties with two 0.5 (2 x 0.5) -> 2 / 4
        Assert.Equal(0.5, auc, 12);
    }

    [Fact]
    public void SeveralRelevantItemsRankAndAuc()
    {
        // Relevant 0.3 and 0.8; candidates 0.9, 0.8, 0.3, 0.1, 0.0.
        // 0.8: beaten by 0.9 and tied with 0.8 -> rank 2. 0.3: 0.9, 0.8, 0.3 (tie) and the relevant 0.8 ahead -> rank 4.
        Span<int> ranks = stackalloc int[2];
        double auc = RankingMetrics.RankRelevant([0.3f, 0.8f], [0.9f, 0.8f, 0.3f, 0.1f, 0f], ranks);
        Assert.Equal([2, 4], ranks.ToArray());
        // AUC 0.8: (3 wins + 0.5 tie) / 5 = 0.7; 0.3: (2 wins + 0.5) / 5 = 0.5; mean 0.6.
        Assert.Equal(0.6, auc, 12);
    }

    [Fact]
    public void PerfectAndWorstAuc()
    {
        Span<int> ranks = stackalloc int[1];
        Assert.Equal(1.0, RankingMetrics.RankRelevant([2f], [1f, 0f], ranks));
        Assert.Equal(0, ranks[0]);
        Assert.Equal(0.0, RankingMetrics.RankRelevant([-1f], [1f, 0f], ranks));
        Assert.Equal(2, ranks[0]);
    }

    [Fact]
    public void NaNScoresRankLast()
    {
        Span<int> ranks = stackalloc int[1];
        double auc = RankingMetrics.RankRelevant([float.NaN], [1f, float.NegativeInfinity], ranks);
        Assert.Equal(2, ranks[0]); // ties with -inf count against it
        Assert.Equal(0.25, auc, 12); // one loss, one tie
    }

    [Fact]
    public void ManyRelevantItemsUseTheSortPath()
    {
        // 100 relevant items scored 0..99, 50 candidates scored 0.5, 1.5, ... 49.5.
        var rel = Enumerable.Range(0, 100).Select(i => (float)i).ToArray();
        var cand = Enumerable.Range(0, 50).Select(i => i + 0.5f).ToArray();
        var ranks = new int[100];
        double auc = RankingMetrics.RankRelevant(rel, cand, ranks);
        // The top 50 relevant items (99..50) beat every candidate: ranks 0..49. Then 49 loses to 49.5: rank 51.
        Assert.Equal(49, ranks[49]);
        Assert.Equal(51, ranks[50]);
        Assert.Equal(149, ranks[99]);
        // Pairs won: items 50..99 win 50 each (2500); item i < 50 wins i (0..49 -> 1225). Total 3725 / 5000.
        Assert.Equal(3725.0 / 5000, auc, 12);
    }

    [Fact]
    public void MetricNamesAndKParsing()
    {
        Assert.Equal([5, 10, 20], MetricNames.ParseKs("20, 5,10,10"));
        Assert.Throws<Trove.Core.Errors.TroveException>(() => MetricNames.ParseKs("5,x"));
        Assert.Throws<Trove.Core.Errors.TroveException>(() => MetricNames.ParseKs("0"));
        var names = MetricNames.All([10]);
        Assert.Equal(["hr@10", "ndcg@10", "recall@10", "precision@10", "map@10", "mrr", "auc", "coverage@10"], names);
    }
}

public class RankingPathsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(24)]
    [InlineData(40)]
    public void ScanAndBinarySearchAgreeWithTiesNaNAndInfinities(int relevant)
    {
        var rng = new Random(relevant);
        for (int round = 0; round < 50; round++)
        {
            float Pick() => rng.Next(20) switch { 0 => float.NaN, 1 => float.NegativeInfinity, 2 => float.PositiveInfinity, var v => v % 6 };
            var rel = Enumerable.Range(0, relevant).Select(_ => Pick()).ToArray();
            var cand = Enumerable.Range(0, rng.Next(0, 70)).Select(_ => Pick()).ToArray();
            var a = new int[relevant]; var b = new int[relevant];
            double aucScan = RankingMetrics.RankRelevant(rel, cand, a, scan: true);
            double aucSearch = RankingMetrics.RankRelevant(rel, cand, b, scan: false);
            Assert.Equal(b, a);
            Assert.Equal(aucSearch, aucScan, 12);
            // Brute force: NaN is -inf; ties with candidates count against; relevant items ahead by sorted order.
            float C(float x) => float.IsNaN(x) ? float.NegativeInfinity : x;
            var sorted = rel.Select(C).OrderByDescending(x => x).ToArray();
            for (int m = 0; m < relevant; m++)
                Assert.Equal(cand.Count(c => C(c) >= sorted[m]) + m, a[m]);
        }
    }
}
