using Trove.Models;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Recommending;

namespace Trove.Workflows;

/// <summary>Labelled (user, item) pairs: label 1 for positives, 0 for sampled negatives.</summary>
public sealed record TrainingSamples(int[] Users, int[] Items, float[] Labels)
{
    public int Count => Users.Length;
    public int Positives => Labels.Count(l => l > 0);
}

/// <summary>
/// Builds positive/negative pairs from a dataset: every distinct (user, item) pair with enough
/// weight (and of the wanted interaction types) is a positive; for each positive NegativeRatio
/// (or, with NegativesPerUser, that many per user)
/// items the user never interacted with (with any event) are drawn uniformly or in proportion to
/// popularity. A user's own items are never among its negatives (no leakage).
/// </summary>
public static class SampleGenerator
{
    public static TrainingSamples Generate(Dataset data, SampleSettings settings, int seed)
    {
        if (settings.NegativeRatio < 0) throw new TroveException("samples.negative_ratio must be >= 0.");
        var all = data.UserItems;
        var positives = PositiveMatrix(data, settings);
        int items = data.ItemCount;
        var rng = new Random(seed);
        double[]? cumulative = null;
        if (settings.Strategy == "popularity")
        {
            cumulative = new double[items];
            double sum = 0;
            var itemUsers = data.ItemUsers;
            for (int i = 0; i < items; i++) { sum += itemUsers.RowLength(i) + 1e-3; cumulative[i] = sum; }
        }
        else if (settings.Strategy != "uniform") throw new TroveException($"samples.strategy must be uniform or popularity, got '{settings.Strategy}'.");

        var users = new List<int>(); var its = new List<int>(); var labels = new List<float>();
        for (int u = 0; u < positives.Count; u++)
        {
            var mine = all.RowIndices(u);
            int available = items - mine.Length;
            bool perUser = settings.NegativesPerUser > 0;
            foreach (var i in positives[u]) { users.Add(u); its.Add(i); labels.Add(1f); }
            if (available <= 0 || positives[u].Length == 0) continue;
            int draws = perUser ? settings.NegativesPerUser : settings.NegativeRatio * positives[u].Length;
            {
                for (int n = 0; n < draws; n++)
                {
                    int candidate = -1;
                    for (int attempt = 0; attempt < 64 && candidate < 0; attempt++)
                    {
                        int j = cumulative is null ? rng.Next(items) : Draw(cumulative, rng.NextDouble() * cumulative[^1]);
                        if (mine.BinarySearch(j) < 0) candidate = j;
                    }
                    if (candidate < 0)
                    {
                        // Dense users: pick uniformly among the items they do not have.
                        int skip = rng.Next(available);
                        for (int j = 0, free = 0; j < items; j++)
                        {
                            if (mine.BinarySearch(j) >= 0) continue;
                            if (free++ == skip) { candidate = j; break; }
                        }
                    }
                    users.Add(u); its.Add(candidate); labels.Add(0f);
                }
            }
        }
        return new TrainingSamples(users.ToArray(), its.ToArray(), labels.ToArray());
    }

    private static int Draw(double[] cumulative, double x)
    {
        int at = Array.BinarySearch(cumulative, x);
        if (at < 0) at = ~at;
        return Math.Min(at, cumulative.Length - 1);
    }

    private static List<int[]> PositiveMatrix(Dataset data, SampleSettings settings)
    {
        var log = data.Interactions;
        HashSet<short>? types = null;
        if (settings.PositiveTypes.Length > 0)
        {
            types = [];
            for (short e = 0; e < log.EventNames.Count; e++)
                if (settings.PositiveTypes.Contains(log.EventNames[e], StringComparer.OrdinalIgnoreCase)) types.Add(e);
        }
        var weight = new Dictionary<long, float>();
        for (int k = 0; k < log.Count; k++)
        {
            if (types is not null && !types.Contains(log.Events[k])) continue;
            long key = (long)log.Users[k] * data.ItemCount + log.Items[k];
            weight[key] = weight.GetValueOrDefault(key) + log.Weights[k];
        }
        var rows = new List<int>[data.UserCount];
        for (int u = 0; u < rows.Length; u++) rows[u] = [];
        foreach (var (key, w) in weight)
            if (w >= settings.MinPositiveWeight && w > 0) rows[(int)(key / data.ItemCount)].Add((int)(key % data.ItemCount));
        return rows.Select(r => { r.Sort(); return r.ToArray(); }).ToList();
    }

    /// <summary>Writes pairs as CSV: user_id,item_id,label (original ids).</summary>
    public static void WriteCsv(TrainingSamples samples, Dataset data, string path) =>
        Trove.Core.Persistence.AtomicFile.Write(path, stream =>
        {
            using var w = new StreamWriter(stream, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true);
            w.WriteLine("user_id,item_id,label");
            for (int k = 0; k < samples.Count; k++)
                w.WriteLine($"{Csv(data.Users[samples.Users[k]])},{Csv(data.Items[samples.Items[k]])},{(samples.Labels[k] > 0 ? 1 : 0)}");
        });

    private static string Csv(string s) => s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;

    /// <summary>
    /// AUC of a model on labelled pairs: the probability that a positive pair outscores a negative
    /// pair of the same user (ties count half), averaged over users with both (at most maxUsers users).
    /// </summary>
    public static double Auc(IRecommender model, TrainingSamples samples, int maxUsers = 2000)
    {
        var byUser = new Dictionary<int, (List<int> Items, List<float> Labels)>();
        for (int k = 0; k < samples.Count; k++)
        {
            if (!byUser.TryGetValue(samples.Users[k], out var list))
            {
                if (byUser.Count >= maxUsers) continue;
                byUser[samples.Users[k]] = list = ([], []);
            }
            list.Items.Add(samples.Items[k]); list.Labels.Add(samples.Labels[k]);
        }
        double total = 0; int counted = 0;
        foreach (var (u, (items, labels)) in byUser)
        {
            var scores = new float[items.Count];
            model.Score(u, items.ToArray(), scores);
            double wins = 0; long pairs = 0;
            for (int a = 0; a < items.Count; a++)
            {
                if (labels[a] <= 0) continue;
                for (int b = 0; b < items.Count; b++)
                {
                    if (labels[b] > 0) continue;
                    pairs++;
                    wins += scores[a] > scores[b] ? 1 : scores[a] == scores[b] ? 0.5 : 0;
                }
            }
            if (pairs == 0) continue;
            total += wins / pairs; counted++;
        }
        return counted > 0 ? total / counted : double.NaN;
    }
}
