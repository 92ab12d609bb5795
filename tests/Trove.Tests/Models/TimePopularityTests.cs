using System.Globalization;
using Trove.Core.Data;
using Trove.Core.Training;
using Trove.Models.Baselines;

namespace Trove.Tests.Models;

public class TimePopularityTests
{
    /// <summary>Random users rating random items at random times over 60 days, some in bursts (several events in one hour).</summary>
    private static Dataset TimedData(int seed)
    {
        var rng = new Random(seed);
        var users = new List<int>(); var items = new List<int>(); var times = new List<long>();
        const int userCount = 30, itemCount = 25;
        for (int u = 0; u < userCount; u++)
        {
            long session = 1_000_000_000L + rng.Next(60 * 86_400);
            foreach (int i in Enumerable.Range(0, itemCount).OrderBy(_ => rng.Next()).Take(2 + rng.Next(8)))
            {
                if (rng.NextDouble() < 0.3) session = 1_000_000_000L + rng.Next(60 * 86_400);
                users.Add(u); items.Add(i); times.Add(session + rng.Next(3_600));
            }
        }
        var log = new InteractionLog(users.ToArray(), items.ToArray(), Enumerable.Repeat(1f, users.Count).ToArray(), times.ToArray(),
            Enumerable.Repeat((short)-1, users.Count).ToArray(), []);
        return new Dataset(new IdMap(Enumerable.Range(0, userCount).Select(i => "u" + i.ToString(CultureInfo.InvariantCulture))),
            new IdMap(Enumerable.Range(0, itemCount).Select(i => "i" + i.ToString(CultureInfo.InvariantCulture))), log, source: "timed");
    }

    /// <summary>The definition, summed pair by pair in double: pop(i)^-beta sum_(e of i) sum_(s of u) a(s)^-gamma exp(-|t_e - s|/h).</summary>
    private static double[] Reference(Dataset data, TimePopularityParameters p, int user)
    {
        var log = data.Interactions;
        double h = p.BandwidthDays * 86_400.0;
        double Kernel(long a, long b) => Math.Exp(-Math.Abs(a - b) / h);
        var scores = new double[data.ItemCount];
        for (int s = 0; s < log.Count; s++)
        {
            if (log.Users[s] != user) continue;
            double activity = 0;
            for (int e = 0; e < log.Count; e++) activity += Kernel(log.Timestamps[e], log.Timestamps[s]);
            double weight = Math.Pow(activity, -p.ActivityExponent);
            for (int e = 0; e < log.Count; e++) scores[log.Items[e]] += weight * Kernel(log.Timestamps[e], log.Timestamps[s]);
        }
        for (int i = 0; i < scores.Length; i++)
        {
            int popularity = log.Items.Count(x => x == i);
            scores[i] = popularity > 0 ? scores[i] * Math.Pow(popularity, -p.PopularityExponent) : 0;
        }
        return scores;
    }

    [Theory]
    [InlineData(0.02f, 1f, 0f)]
    [InlineData(1f, 0.5f, 0.7f)]
    [InlineData(30f, 0f, 1f)]
    public void Scores_match_the_pairwise_kernel_sum(float bandwidthDays, float activityExponent, float popularityExponent)
    {
        var data = TimedData(5);
        var p = new TimePopularityParameters { BandwidthDays = bandwidthDays, ActivityExponent = activityExponent, PopularityExponent = popularityExponent };
        var model = new TimePopularity(p);
        model.Fit(data, FitContext.Default);
        var scores = new float[data.ItemCount];
        for (int u = 0; u < data.UserCount; u++)
        {
            model.ScoreAllItems(u, scores);
            var expected = Reference(data, p, u);
            for (int i = 0; i < scores.Length; i++)
                Assert.True(Math.Abs(scores[i] - expected[i]) <= 1e-4 * Math.Max(1, Math.Abs(expected[i])),
                    $"user {u} item {i}: {scores[i]} vs reference {expected[i]}");
        }
    }

    [Fact]
    public void A_user_gets_what_was_rated_in_the_same_session_first()
    {
        // Items 0-2 are rated by everyone in week 1, items 3-5 in week 10; item 6 is the most popular overall but rated in
        // week 5. A user rating in week 10 is recommended the week-10 items before the globally popular one.
        var users = new List<int>(); var items = new List<int>(); var times = new List<long>();
        void Add(int u, int i, int week) { users.Add(u); items.Add(i); times.Add(week * 7L * 86_400 + u * 60); }
        for (int u = 0; u < 6; u++) { Add(u, u % 3, 1); Add(u, 6, 5); }
        for (int u = 6; u < 10; u++) { Add(u, 3 + u % 3, 10); Add(u, 6, 5); }
        Add(10, 3, 10);
        var log = new InteractionLog(users.ToArray(), items.ToArray(), Enumerable.Repeat(1f, users.Count).ToArray(), times.ToArray(),
            Enumerable.Repeat((short)-1, users.Count).ToArray(), []);
        var data = new Dataset(new IdMap(Enumerable.Range(0, 11).Select(i => "u" + i)), new IdMap(Enumerable.Range(0, 7).Select(i => "i" + i)), log);
        var model = new TimePopularity(new TimePopularityParameters { BandwidthDays = 2 });
        model.Fit(data, FitContext.Default);
        var top = model.Recommend(10, 3).Select(r => r.Index).ToArray();
        Assert.Equal([4, 5], top[..2].Order());
        Assert.Equal(6, top[2]);
    }

    [Fact]
    public void The_logarithm_keeps_each_users_order_and_stays_finite()
    {
        var data = TimedData(8);
        var plain = new TimePopularity(new TimePopularityParameters { BandwidthDays = 0.05f });
        var logarithm = new TimePopularity(new TimePopularityParameters { BandwidthDays = 0.05f, Logarithm = true });
        plain.Fit(data, FitContext.Default);
        logarithm.Fit(data, FitContext.Default);
        var a = new float[data.ItemCount]; var b = new float[data.ItemCount];
        for (int u = 0; u < data.UserCount; u++)
        {
            plain.ScoreAllItems(u, a);
            logarithm.ScoreAllItems(u, b);
            Assert.All(b, s => Assert.True(float.IsFinite(s)));
            float floor = 1e-6f * a.Max();
            for (int i = 0; i < a.Length; i++) Assert.Equal(Math.Log(a[i] + floor), b[i], 4);
        }
    }
}
