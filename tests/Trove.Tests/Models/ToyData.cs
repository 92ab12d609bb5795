using System.Globalization;
using Trove.Core.Data;

namespace Trove.Tests.Models;

internal static class ToyData
{
    public static Dataset Build(int users, int items, IEnumerable<(int User, int Item, float Weight)> pairs)
    {
        var list = pairs.ToList();
        var log = new InteractionLog(list.Select(p => p.User).ToArray(), list.Select(p => p.Item).ToArray(),
            list.Select(p => p.Weight).ToArray(), new long[list.Count], Enumerable.Repeat((short)-1, list.Count).ToArray(), []);
        return new Dataset(new IdMap(Enumerable.Range(0, users).Select(i => "u" + i.ToString(CultureInfo.InvariantCulture))),
            new IdMap(Enumerable.Range(0, items).Select(i => "i" + i.ToString(CultureInfo.InvariantCulture))), log, source: "toy");
    }

    /// <summary>Random interactions, item popularity skewed (power law-ish), every user with at least 3 items.</summary>
    public static Dataset Random(int users, int items, int perUser, int seed)
    {
        var rng = new Random(seed);
        var pairs = new HashSet<(int, int)>();
        for (int u = 0; u < users; u++)
        {
            int n = 3 + rng.Next(perUser);
            for (int j = 0; j < n; j++)
            {
                int i = (int)(items * Math.Pow(rng.NextDouble(), 2));
                pairs.Add((u, Math.Min(i, items - 1)));
            }
        }
        return Build(users, items, pairs.Select(p => (p.Item1, p.Item2, 1f + rng.Next(3))));
    }

    /// <summary>
    /// Two user groups, two item groups: users 0..users/2-1 interact only with items in the first half, the others
    /// only with the second half. Each user sees a random subset, so there is something left to recommend.
    /// </summary>
    public static Dataset TwoGroups(int users, int items, int perUser, int seed)
    {
        var rng = new Random(seed);
        var pairs = new HashSet<(int, int)>();
        int half = items / 2;
        for (int u = 0; u < users; u++)
        {
            int offset = u < users / 2 ? 0 : half;
            while (pairs.Count(p => p.Item1 == u) < perUser) pairs.Add((u, offset + rng.Next(half)));
        }
        return Build(users, items, pairs.Select(p => (p.Item1, p.Item2, 1f)));
    }

    public static int Group(int index, int count) => index < count / 2 ? 0 : 1;
}
