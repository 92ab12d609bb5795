using System.Diagnostics;
using Trove.Core.Errors;
using Trove.Core.Recommending;
using Trove.Core.Training;
using Trove.Evaluation.Metrics;
using Trove.Numerics.Selection;

namespace Trove.Evaluation;

/// <summary>Settings of an evaluation run.</summary>
public sealed record EvaluationOptions
{
    public static EvaluationOptions Default { get; } = new();

    /// <summary>Cut-offs; defaults to 5, 10, 20.</summary>
    public IReadOnlyList<int> Ks { get; init; } = MetricNames.DefaultKs;
    /// <summary>Worker threads over users; defaults to the processor count.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;
    public IProgressReporter Progress { get; init; } = NullProgress.Instance;
    public CancellationToken Cancellation { get; init; }
}

/// <summary>The averaged metrics of one model on one test set.</summary>
public sealed class EvaluationResult
{
    public required IReadOnlyList<int> Ks { get; init; }
    /// <summary>Metric key ("hr@10", "ndcg@10", "mrr", "auc", "coverage@10"...) to its mean over test cases.</summary>
    public required IReadOnlyDictionary<string, double> Metrics { get; init; }
    /// <summary>Test cases evaluated (users).</summary>
    public int Cases { get; init; }
    public bool Sampled { get; init; }
    public double Seconds { get; init; }
    /// <summary>
    /// Each case's (user's) value of the per-user metrics (hr@k, ndcg@k, recall@k, precision@k, map@k, mrr), in case order:
    /// what a paired significance test between two models on the same test set needs. Null when not recorded.
    /// </summary>
    public IReadOnlyDictionary<string, double[]>? PerCase { get; init; }

    public double this[string metric] => Metrics.TryGetValue(metric, out var v) ? v
        : throw new TroveException($"No metric '{metric}'. Available: {string.Join(", ", Metrics.Keys)}.");
}

/// <summary>
/// Computes ranking metrics of a fitted model on a <see cref="TestSet"/>, in parallel over users.
/// Full ranking scores every item with <see cref="IRecommender.ScoreAllItems"/> and ranks each
/// held-out item against all items the user has not interacted with in training; sampled ranking
/// (NCF) ranks it against its sampled negatives only, scored with <see cref="IRecommender.Score"/>.
/// A test set with shared candidates (cold-start items) ranks each case's relevant items against the
/// other candidates only, scored the same way.
/// Ties between a held-out item and another candidate count against the held-out item (AUC: half).
/// The model's scoring methods must be safe to call from several threads at once.
/// Results are deterministic: per-case values are summed in case order.
/// </summary>
public static partial class Evaluator
{
    private const int ChunkSize = 32;

    public static EvaluationResult Evaluate(IRecommender model, TestSet test, EvaluationOptions? options = null)
    {
        options ??= EvaluationOptions.Default;
        var ks = options.Ks.Count > 0 ? options.Ks.Distinct().Order().ToArray() : MetricNames.DefaultKs.ToArray();
        if (ks[0] <= 0) throw new TroveException("K values must be positive.");
        int maxK = ks[^1];
        int nk = ks.Length;
        int perCase = 5 * nk + 2; // hr, ndcg, recall, precision, map per K; mrr; auc
        int cases = test.Count;
        if (cases == 0) throw new TroveException($"The {test.Name} set has no users to evaluate.");
        var values = new double[cases * perCase];
        var aucValid = new bool[cases];
        int itemCount = test.ItemCount;
        var bestRank = new int[itemCount];
        Array.Fill(bestRank, int.MaxValue);
        var mergeLock = new object();
        var clock = Stopwatch.StartNew();
        int chunks = (cases + ChunkSize - 1) / ChunkSize;

        using var progress = options.Progress.Start($"evaluate {model.Algorithm} ({test.Name})", cases);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Threads), CancellationToken = options.Cancellation };
        try
        {
            Parallel.For(0, chunks, parallel,
                () => new Worker(itemCount, maxK),
                (chunk, _, w) =>
                {
                    int end = Math.Min(cases, (chunk + 1) * ChunkSize);
                    bool batched = model is IBatchScorer && !test.IsSampled && !test.IsRestricted;
                    if (batched) w.ScoreBatch((IBatchScorer)model, test.Users.AsSpan(chunk * ChunkSize, end - chunk * ChunkSize));
                    for (int c = chunk * ChunkSize; c < end; c++)
                    {
                        options.Cancellation.ThrowIfCancellationRequested();
                        var rel = test.Relevant[c];
                        Span<int> ranks = w.Ranks(rel.Length);
                        double auc = test.IsSampled ? w.Sampled(model, test.Users[c], rel, test.Negatives![c], ranks, maxK)
                                     : test.IsRestricted ? w.Sampled(model, test.Users[c], rel, w.NonRelevant(test.Candidates!, rel), ranks, maxK)
                                     : w.Full(model, test.Users[c], rel, test.Excluded?[c], ranks, maxK, batched ? c - chunk * ChunkSize : -1);
                        var v = values.AsSpan(c * perCase, perCase);
                        for (int j = 0; j < nk; j++)
                        {
                            int k = ks[j];
                            v[j] = RankingMetrics.HitRate(ranks, k);
                            v[nk + j] = RankingMetrics.Ndcg(ranks, k);
                            v[2 * nk + j] = RankingMetrics.Recall(ranks, k);
                            v[3 * nk + j] = RankingMetrics.Precision(ranks, k);
                            v[4 * nk + j] = RankingMetrics.AveragePrecision(ranks, k);
                        }
                        v[5 * nk] = RankingMetrics.ReciprocalRank(ranks);
                        aucValid[c] = !double.IsNaN(auc);
                        v[5 * nk + 1] = aucValid[c] ? auc : 0;
                    }
                    progress.Advance(end - chunk * ChunkSize);
                    return w;
                },
                w => { lock (mergeLock) for (int i = 0; i < itemCount; i++) if (w.BestRank[i] < bestRank[i]) bestRank[i] = w.BestRank[i]; });
        }
        catch (AggregateException e) when (e.InnerExceptions.FirstOrDefault(x => x is TroveException or OperationCanceledException) is { } inner)
        {
            // A user error from the model (e.g. a user index it does not know) surfaces as itself, not wrapped.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(inner).Throw();
        }

        var sums = new double[perCase];
        int aucCases = 0;
        for (int c = 0; c < cases; c++)
        {
            for (int j = 0; j < perCase; j++) sums[j] += values[c * perCase + j];
            if (aucValid[c]) aucCases++;
        }
        var metrics = new Dictionary<string, double>();
        var names = new[] { MetricNames.HitRate, MetricNames.Ndcg, MetricNames.Recall, MetricNames.Precision, MetricNames.Map };
        for (int m = 0; m < names.Length; m++)
            for (int j = 0; j < nk; j++) metrics[MetricNames.At(names[m], ks[j])] = sums[m * nk + j] / cases;
        metrics[MetricNames.Mrr] = sums[5 * nk] / cases;
        var perCaseValues = new Dictionary<string, double[]>();
        double[] Column(int j) { var a = new double[cases]; for (int c = 0; c < cases; c++) a[c] = values[c * perCase + j]; return a; }
        for (int m = 0; m < names.Length; m++)
            for (int j = 0; j < nk; j++) perCaseValues[MetricNames.At(names[m], ks[j])] = Column(m * nk + j);
        perCaseValues[MetricNames.Mrr] = Column(5 * nk);
        metrics[MetricNames.Auc] = aucCases > 0 ? sums[5 * nk + 1] / aucCases : double.NaN;
        // Coverage is the share of the items that could be recommended: the shared candidates when the ranking is restricted to them.
        int catalogue = test.Candidates?.Length ?? itemCount;
        foreach (int k in ks)
            metrics[MetricNames.At(MetricNames.Coverage, k)] = catalogue == 0 ? 0 : (double)bestRank.Count(r => r < k) / catalogue;

        return new EvaluationResult { Ks = ks, Metrics = metrics, Cases = cases, Sampled = test.IsSampled, Seconds = clock.Elapsed.TotalSeconds, PerCase = perCaseValues };
    }

    /// <summary>Per-thread buffers.</summary>
    private sealed class Worker(int itemCount, int maxK)
    {
        public readonly int[] BestRank = CreateBestRank(itemCount);
        private readonly float[] _scores = new float[itemCount];
        private readonly float[] _candidates = new float[itemCount];
        private readonly byte[] _flags = new byte[itemCount];
        private float[] _relScores = new float[16];
        private int[] _ranks = new int[16];
        private int[] _items = new int[128];
        private float[] _itemScores = new float[128];
        private readonly int[] _topIdx = new int[maxK];
        private readonly float[] _topScores = new float[maxK];

        private static int[] CreateBestRank(int n) { var a = new int[n]; Array.Fill(a, int.MaxValue); return a; }

        public Span<int> Ranks(int n)
        {
            if (_ranks.Length < n) _ranks = new int[Math.Max(n, _ranks.Length * 2)];
            return _ranks.AsSpan(0, n);
        }

        private Span<float> RelScores(int n)
        {
            if (_relScores.Length < n) _relScores = new float[Math.Max(n, _relScores.Length * 2)];
            return _relScores.AsSpan(0, n);
        }

        private float[] _batchScores = [];

        /// <summary>Scores a chunk's users in one call; <see cref="Full"/> then reads row <c>batchRow</c>.</summary>
        public void ScoreBatch(IBatchScorer model, ReadOnlySpan<int> users)
        {
            long need = (long)users.Length * itemCount;
            if (_batchScores.Length < need) _batchScores = new float[need];
            model.ScoreAllItems(users, _batchScores.AsSpan(0, (int)need));
        }

        public double Full(IRecommender model, int user, int[] relevant, int[]? excluded, Span<int> ranks, int maxK, int batchRow = -1)
        {
            var scores = _scores.AsSpan();
            if (batchRow >= 0) _batchScores.AsSpan(batchRow * itemCount, itemCount).CopyTo(scores);
            else model.ScoreAllItems(user, scores);
            const byte Excluded = 1, Relevant = 2;
            if (excluded is not null) foreach (int i in excluded) _flags[i] = Excluded;
            var rel = RelScores(relevant.Length);
            for (int m = 0; m < relevant.Length; m++) { _flags[relevant[m]] = Relevant; rel[m] = scores[relevant[m]]; }
            int c = 0;
            for (int i = 0; i < scores.Length; i++) if (_flags[i] == 0) _candidates[c++] = scores[i];
            double auc = RankingMetrics.RankRelevant(rel, _candidates.AsSpan(0, c), ranks);
            // Top-K over the candidates and relevant items, for catalogue coverage.
            if (excluded is not null) foreach (int i in excluded) if (_flags[i] == Excluded) scores[i] = float.NegativeInfinity;
            int n = TopK.Select(scores, maxK, _topIdx, _topScores);
            for (int p = 0; p < n; p++) if (p < BestRank[_topIdx[p]]) BestRank[_topIdx[p]] = p;
            if (excluded is not null) foreach (int i in excluded) _flags[i] = 0;
            foreach (int i in relevant) _flags[i] = 0;
            return auc;
        }

        private int[] _nonRelevant = [];

        /// <summary>The shared candidates without this case's relevant items (both sorted), in a per-worker buffer.</summary>
        public ReadOnlySpan<int> NonRelevant(int[] candidates, int[] relevant)
        {
            if (_nonRelevant.Length < candidates.Length) _nonRelevant = new int[candidates.Length];
            int n = 0, r = 0;
            foreach (int i in candidates)
            {
                while (r < relevant.Length && relevant[r] < i) r++;
                if (r < relevant.Length && relevant[r] == i) continue;
                _nonRelevant[n++] = i;
            }
            return _nonRelevant.AsSpan(0, n);
        }

        public double Sampled(IRecommender model, int user, int[] relevant, ReadOnlySpan<int> negatives, Span<int> ranks, int maxK)
        {
            int n = relevant.Length + negatives.Length;
            if (_items.Length < n) { _items = new int[n]; _itemScores = new float[n]; }
            var items = _items.AsSpan(0, n); var s = _itemScores.AsSpan(0, n);
            relevant.CopyTo(items); negatives.CopyTo(items[relevant.Length..]);
            model.Score(user, items, s);
            double auc = RankingMetrics.RankRelevant(s[..relevant.Length], s[relevant.Length..], ranks);
            int top = TopK.Select(s, maxK, _topIdx, _topScores);
            for (int p = 0; p < top; p++) { int item = items[_topIdx[p]]; if (p < BestRank[item]) BestRank[item] = p; }
            return auc;
        }
    }
}
