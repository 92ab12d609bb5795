using Trove.Core.Training;

namespace Trove.Core.Recommending;

/// <summary>Top-K for many users at once, in parallel, results in user order.</summary>
public static class BatchRecommendations
{
    /// <summary>
    /// Recommendations for users 0..count-1 (the model's users), computed in parallel blocks and
    /// yielded in user order so writers can stream them.
    /// </summary>
    public static IEnumerable<(int User, IReadOnlyList<Scored> Items)> ForAllUsers(
        IRecommender model, int userCount, int k, ItemFilter filter, int threads, IProgressTask? progress = null, CancellationToken cancel = default)
    {
        const int block = 1024;
        for (int start = 0; start < userCount; start += block)
        {
            int end = Math.Min(userCount, start + block);
            var results = new IReadOnlyList<Scored>[end - start];
            Parallel.For(start, end, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads), CancellationToken = cancel },
                u => results[u - start] = model.Recommend(u, k, filter));
            progress?.Advance(end - start);
            for (int u = start; u < end; u++) yield return (u, results[u - start]);
        }
    }
}
