using System.Globalization;
using Trove.Core.Data;
using Trove.Core.Recommending;

namespace Trove.Benchmarks;

/// <summary>
/// Minimal reader of the NCF layout (ml-100k.train.rating, .test.rating, .test.negative) and the
/// leave-one-out evaluation with 99 sampled negatives: HR@10 / NDCG@10, ties count against the held-out item.
/// (A tuning harness only; Trove.Evaluation owns the real protocol.)
/// </summary>
public sealed record NcfData(Dataset Train, int[] TestUsers, int[] TestItems, int[][] Negatives)
{
    public static NcfData Load(string dir, string prefix)
    {
        var train = File.ReadAllLines(Path.Combine(dir, prefix + ".train.rating"));
        var negLines = File.ReadAllLines(Path.Combine(dir, prefix + ".test.negative"));
        var users = new List<int>(); var items = new List<int>(); var ts = new List<long>();
        int maxU = 0, maxI = 0;
        foreach (var line in train)
        {
            if (line.Length == 0) continue;
            var f = line.Split('\t');
            int u = int.Parse(f[0], CultureInfo.InvariantCulture), i = int.Parse(f[1], CultureInfo.InvariantCulture);
            users.Add(u); items.Add(i); ts.Add(f.Length > 3 ? long.Parse(f[3], CultureInfo.InvariantCulture) : 0);
            maxU = Math.Max(maxU, u); maxI = Math.Max(maxI, i);
        }
        var tu = new List<int>(); var ti = new List<int>(); var negs = new List<int[]>();
        foreach (var line in negLines)
        {
            if (line.Length == 0) continue;
            var f = line.Split('\t');
            var pair = f[0].Trim('(', ')').Split(',');
            int u = int.Parse(pair[0], CultureInfo.InvariantCulture), i = int.Parse(pair[1], CultureInfo.InvariantCulture);
            var n = f.Skip(1).Where(s => s.Length > 0).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            tu.Add(u); ti.Add(i); negs.Add(n);
            maxU = Math.Max(maxU, u); maxI = Math.Max(maxI, Math.Max(i, n.Length > 0 ? n.Max() : 0));
        }
        var userMap = new IdMap(Enumerable.Range(0, maxU + 1).Select(x => x.ToString(CultureInfo.InvariantCulture)));
        var itemMap = new IdMap(Enumerable.Range(0, maxI + 1).Select(x => x.ToString(CultureInfo.InvariantCulture)));
        var log = new InteractionLog(users.ToArray(), items.ToArray(), Enumerable.Repeat(1f, users.Count).ToArray(), ts.ToArray(),
            Enumerable.Repeat((short)-1, users.Count).ToArray(), []);
        return new NcfData(new Dataset(userMap, itemMap, log, source: dir), tu.ToArray(), ti.ToArray(), negs.ToArray());
    }

    public (double Hr, double Ndcg) Evaluate(IRecommender model, int k = 10)
    {
        double hr = 0, ndcg = 0;
        var cand = new int[Negatives[0].Length + 1];
        var scores = new float[cand.Length];
        for (int t = 0; t < TestUsers.Length; t++)
        {
            var negs = Negatives[t];
            if (cand.Length != negs.Length + 1) { cand = new int[negs.Length + 1]; scores = new float[cand.Length]; }
            cand[0] = TestItems[t]; negs.CopyTo(cand, 1);
            model.Score(TestUsers[t], cand, scores);
            float target = scores[0];
            int rank = 0;
            for (int j = 1; j < cand.Length; j++) if (!(scores[j] < target)) rank++; // ties (and NaN) count against
            if (rank < k) { hr++; ndcg += 1.0 / Math.Log2(rank + 2); }
        }
        return (hr / TestUsers.Length, ndcg / TestUsers.Length);
    }
}
