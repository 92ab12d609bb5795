using Trove.Core.Data;
using System.Globalization;

namespace Trove.Benchmarks;

/// <summary>Random power-law interaction data for timing runs (item and user activity both skewed).</summary>
public static class Synthetic
{
    public static Dataset PowerLaw(int users, int items, int interactions, int seed, double itemSkew = 2.5, double userSkew = 1.5)
    {
        var rng = new Random(seed);
        var u = new int[interactions]; var i = new int[interactions];
        for (int n = 0; n < interactions; n++)
        {
            u[n] = Math.Min(users - 1, (int)(users * Math.Pow(rng.NextDouble(), userSkew)));
            i[n] = Math.Min(items - 1, (int)(items * Math.Pow(rng.NextDouble(), itemSkew)));
        }
        var log = new InteractionLog(u, i, Enumerable.Repeat(1f, interactions).ToArray(), new long[interactions],
            Enumerable.Repeat((short)-1, interactions).ToArray(), []);
        return new Dataset(new IdMap(Enumerable.Range(0, users).Select(x => x.ToString(CultureInfo.InvariantCulture))),
            new IdMap(Enumerable.Range(0, items).Select(x => x.ToString(CultureInfo.InvariantCulture))), log, source: "synthetic");
    }
}
