using ScottPlot;
using SkiaSharp;
using Trove.Core.Data;

namespace Trove.Tests.Reports;

/// <summary>Small hand-made datasets and image checks shared by the report tests.</summary>
public static class ReportFixtures
{
    public const long Day0 = 1704067200; // 2024-01-01T00:00:00Z
    public const long Day = 86400;

    /// <summary>
    /// 5 users (u5 has no interactions), 5 items (e has none), 9 interaction rows (u4 rates a twice, d without timestamp).
    /// <code>
    /// u1: a 5 view d0, b 3 view d0, c 4 purchase d0     u2: a 5 d1, b 5 d1      u3: a 1 d2+5h
    /// u4: a 4 d0, a 4 d2+5h, d 2 (no timestamp)
    /// </code>
    /// </summary>
    public static Dataset Small()
    {
        var users = new IdMap(["u1", "u2", "u3", "u4", "u5"]);
        var items = new IdMap(["a", "b", "c", "d", "e"]);
        var b = new InteractionLogBuilder();
        short view = b.EventIndex("view"), purchase = b.EventIndex("purchase");
        long d2 = Day0 + 2 * Day + 5 * 3600;
        b.Add(0, 0, 5, Day0, view); b.Add(0, 1, 3, Day0 + 60, view); b.Add(0, 2, 4, Day0 + 120, purchase);
        b.Add(1, 0, 5, Day0 + Day); b.Add(1, 1, 5, Day0 + Day + 10);
        b.Add(2, 0, 1, d2);
        b.Add(3, 0, 4, Day0 + 3600); b.Add(3, 0, 4, d2); b.Add(3, 3, 2, 0);
        return new Dataset(users, items, b.Build(), source: "fixture/small.csv");
    }

    /// <summary>A bigger random dataset (Zipf-like popularity, no timestamps, implicit weights).</summary>
    public static Dataset Random(int users = 300, int items = 200, int seed = 7, bool timestamps = false)
    {
        var rng = new Random(seed);
        var b = new InteractionLogBuilder();
        for (int u = 0; u < users; u++)
        {
            int n = 2 + (int)(60 * Math.Pow(rng.NextDouble(), 3));
            for (int k = 0; k < n; k++)
            {
                int i = (int)(items * Math.Pow(rng.NextDouble(), 2.5));
                b.Add(u, Math.Min(items - 1, i), 1f, timestamps ? Day0 + rng.Next(0, 200) * Day : 0);
            }
        }
        return new Dataset(new IdMap(Enumerable.Range(0, users).Select(u => $"user{u}")), new IdMap(Enumerable.Range(0, items).Select(i => $"item{i}")),
            b.Build(), source: "fixture/random.csv");
    }

    public static (int Width, int Height) PngSize(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 24 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G', $"{path} is not a PNG");
        int W(int at) => (bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3];
        return (W(16), W(20));
    }

    /// <summary>Distinct colours and the number of pixels close to <paramref name="probe"/> (per channel within 12).</summary>
    public static (int Distinct, int Near) Pixels(string png, Color? probe = null)
    {
        using var bitmap = SKBitmap.Decode(png);
        Assert.NotNull(bitmap);
        var distinct = new HashSet<uint>();
        int near = 0;
        for (int y = 0; y < bitmap.Height; y += 2)
            for (int x = 0; x < bitmap.Width; x += 2)
            {
                var c = bitmap.GetPixel(x, y);
                distinct.Add((uint)c);
                if (probe is { } p && Math.Abs(c.Red - p.R) <= 12 && Math.Abs(c.Green - p.G) <= 12 && Math.Abs(c.Blue - p.B) <= 12) near++;
            }
        return (distinct.Count, near);
    }
}
