using System.Runtime.CompilerServices;

namespace Trove.Data.Simulation;

/// <summary>
/// The synthetic item catalogue: categories, brands tied to categories, and per item a title,
/// category, brand, rating (1-5, one decimal), price (log-normal per category, in cents) and
/// release date. Also holds the popularity weights the simulator samples from.
/// </summary>
public sealed class SimulatedCatalogue
{
    public IReadOnlyList<string> CategoryNames { get; }
    public IReadOnlyList<string> BrandNames { get; }
    /// <summary>The category each brand was created for (brand b: b mod categories).</summary>
    public IReadOnlyList<int> BrandHomeCategory { get; }

    public string[] ItemIds { get; }
    public string[] Titles { get; }
    public int[] Category { get; }
    public int[] Brand { get; }
    /// <summary>Average rating times 10 (10..50), e.g. 43 for 4.3.</summary>
    public byte[] RatingTenths { get; }
    /// <summary>Price in cents.</summary>
    public long[] PriceCents { get; }
    /// <summary>Release date as days since 1970-01-01.</summary>
    public int[] ReleaseDay { get; }
    /// <summary>0 = most popular. A random permutation of the items.</summary>
    public int[] PopularityRank { get; }
    /// <summary>Sampling weight: rank^-exponent x exp(-decay x age in years).</summary>
    public double[] Weight { get; }

    public int Count => ItemIds.Length;
    public double Rating(int item) => RatingTenths[item] / 10.0;
    public double Price(int item) => PriceCents[item] / 100.0;

    // Sampling structures: items ordered by (category, brand, item); cumulative weights restart at every category.
    internal readonly int[] Order;
    internal readonly double[] CumInCategory;
    internal readonly int[] CatStart;          // categories + 1
    internal readonly double[] CatMass;
    internal readonly double[] CatCum;         // inclusive cumulative mass over categories
    internal readonly int[] PairStart, PairEnd, PairCategory, PairBrand;
    internal readonly double[] PairMass;
    internal readonly int[] CatPairStart;      // categories + 1
    internal readonly int[] NonEmptyCategories;

    internal SimulatedCatalogue(SimulationOptions o)
    {
        var rng = SimRandom.Create(o.Seed, 1, 0);
        int C = o.EffectiveCategories, B = o.EffectiveBrands, n = o.Items;
        var named = CatalogueVocabulary.Named;

        // Categories: the named list (or the caller's names), then category_N.
        var catNames = new string[C];
        var catSpec = new CatalogueVocabulary.CategorySpec?[C];
        var catMedian = new double[C]; var catSigma = new double[C]; var catNouns = new string[C][];
        var catSize = new double[C];
        for (int c = 0; c < C; c++)
        {
            string? custom = o.CategoryNames?[c];
            var spec = custom is null
                ? (c < named.Length ? named[c] : null)
                : named.FirstOrDefault(x => x.Name.Equals(custom, StringComparison.OrdinalIgnoreCase));
            catSpec[c] = spec;
            if (spec is not null)
            {
                catNames[c] = custom ?? spec.Name; catMedian[c] = spec.MedianPrice; catSigma[c] = spec.PriceSigma; catNouns[c] = spec.Nouns;
            }
            else
            {
                catNames[c] = custom ?? $"category_{c + 1}";
                catMedian[c] = Math.Exp(rng.Uniform(Math.Log(8), Math.Log(300)));
                catSigma[c] = 0.6;
                catNouns[c] = CatalogueVocabulary.GenericNouns;
            }
            catSize[c] = rng.Uniform(0.5, 2.0);
        }

        // Brands, each created for one category; with fewer brands than categories, categories share them.
        var brandNames = new string[B]; var brandHome = new int[B];
        var brandQuality = new double[B]; var brandPremium = new double[B]; var brandSize = new double[B];
        for (int b = 0; b < B; b++)
        {
            int home = b % C, k = b / C;
            brandHome[b] = home;
            var spec = catSpec[home];
            brandNames[b] = o.BrandNames?[b] ?? (spec is not null && k < spec.Brands.Length ? spec.Brands[k] : $"brand_{b + 1}");
            brandQuality[b] = rng.Uniform(3.2, 4.6);
            brandPremium[b] = Math.Exp(0.25 * rng.NextGaussian());
            brandSize[b] = rng.Uniform(0.3, 1.5);
        }
        var usedBrandNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (int b = 0; b < B; b++)
            if (!usedBrandNames.Add(brandNames[b])) { brandNames[b] = $"{brandNames[b]}_{b + 1}"; usedBrandNames.Add(brandNames[b]); }
        var brandsOf = new int[C][];
        for (int c = 0; c < C; c++)
            brandsOf[c] = B >= C ? Enumerable.Range(0, B).Where(b => b % C == c).ToArray() : [c % B];

        // Items.
        ItemIds = new string[n]; Titles = new string[n]; Category = new int[n]; Brand = new int[n];
        RatingTenths = new byte[n]; PriceCents = new long[n]; ReleaseDay = new int[n];
        var catCumSize = Cumulative(catSize);
        int width = Digits(n);
        int endDay = (int)(o.EndUnix / 86400);
        double spanDays = o.CatalogueYears * 365.25;
        for (int i = 0; i < n; i++)
        {
            ItemIds[i] = "i" + (i + 1).ToString().PadLeft(width, '0');
            int c = i < C ? i : Pick(catCumSize, rng.NextDouble() * catCumSize[^1]);
            var candidates = brandsOf[c];
            int b = candidates[0];
            if (candidates.Length > 1)
            {
                double total = 0; foreach (var x in candidates) total += brandSize[x];
                double u = rng.NextDouble() * total;
                foreach (var x in candidates) { b = x; u -= brandSize[x]; if (u < 0) break; }
            }
            Category[i] = c; Brand[i] = b;
            double rating = Math.Clamp(brandQuality[b] + 0.45 * rng.NextGaussian(), 1.0, 5.0);
            RatingTenths[i] = (byte)Math.Clamp((int)Math.Round(rating * 10), 10, 50);
            double price = catMedian[c] * brandPremium[b] * Math.Exp(catSigma[c] * rng.NextGaussian());
            PriceCents[i] = Math.Max(1, (long)Math.Round(price)) * 100 - 1;
            ReleaseDay[i] = endDay - 1 - (int)Math.Floor(rng.NextDouble() * spanDays);
            var nouns = catNouns[c];
            string noun = nouns[rng.NextInt(nouns.Length)];
            char letter = CatalogueVocabulary.ModelLetters[rng.NextInt(CatalogueVocabulary.ModelLetters.Length)];
            Titles[i] = $"{brandNames[b]} {noun} {letter}{100 + rng.NextInt(900)}";
        }

        // Popularity: a random permutation of ranks, Zipf weights, damped by age.
        PopularityRank = new int[n];
        for (int i = 0; i < n; i++) PopularityRank[i] = i;
        for (int i = n - 1; i > 0; i--) { int j = rng.NextInt(i + 1); (PopularityRank[i], PopularityRank[j]) = (PopularityRank[j], PopularityRank[i]); }
        Weight = new double[n];
        for (int i = 0; i < n; i++)
        {
            double ageYears = (endDay - ReleaseDay[i]) / 365.25;
            Weight[i] = Math.Pow(PopularityRank[i] + 1, -o.PopularityExponent) * Math.Exp(-o.RecencyDecay * ageYears);
        }

        CategoryNames = catNames; BrandNames = brandNames; BrandHomeCategory = brandHome;

        // Sampling structures.
        Order = new int[n];
        for (int i = 0; i < n; i++) Order[i] = i;
        var keys = new long[n];
        for (int i = 0; i < n; i++) keys[i] = ((long)Category[i] * B + Brand[i]) * n + i;
        Array.Sort(keys, Order);
        CatStart = new int[C + 1]; CatMass = new double[C]; CumInCategory = new double[n];
        var pairStart = new List<int>(); var pairEnd = new List<int>(); var pairCat = new List<int>(); var pairBrand = new List<int>(); var pairMass = new List<double>();
        CatPairStart = new int[C + 1];
        int pos = 0;
        for (int c = 0; c < C; c++)
        {
            CatStart[c] = pos;
            CatPairStart[c] = pairStart.Count;
            double acc = 0;
            while (pos < n && Category[Order[pos]] == c)
            {
                int b = Brand[Order[pos]];
                int ps = pos; double pm = 0;
                while (pos < n && Category[Order[pos]] == c && Brand[Order[pos]] == b)
                {
                    double w = Weight[Order[pos]];
                    acc += w; pm += w;
                    CumInCategory[pos] = acc;
                    pos++;
                }
                pairStart.Add(ps); pairEnd.Add(pos); pairCat.Add(c); pairBrand.Add(b); pairMass.Add(pm);
            }
            CatMass[c] = acc;
        }
        CatStart[C] = n; CatPairStart[C] = pairStart.Count;
        PairStart = pairStart.ToArray(); PairEnd = pairEnd.ToArray(); PairCategory = pairCat.ToArray(); PairBrand = pairBrand.ToArray(); PairMass = pairMass.ToArray();
        CatCum = Cumulative(CatMass);
        NonEmptyCategories = Enumerable.Range(0, C).Where(c => CatStart[c + 1] > CatStart[c]).ToArray();
    }

    internal static int Digits(int n) => n.ToString().Length;

    private static double[] Cumulative(double[] w)
    {
        var cum = new double[w.Length];
        double acc = 0;
        for (int k = 0; k < w.Length; k++) { acc += w[k]; cum[k] = acc; }
        return cum;
    }

    /// <summary>Smallest k with cum[k] &gt; x (clamped to the last index).</summary>
    private static int Pick(double[] cum, double x)
    {
        int lo = 0, hi = cum.Length - 1;
        while (lo < hi) { int mid = (lo + hi) >> 1; if (cum[mid] > x) hi = mid; else lo = mid + 1; }
        return lo;
    }

    /// <summary>An item from positions [a, b) of <see cref="Order"/> (inside category <paramref name="c"/>), by weight.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal int SampleRange(ref SimRandom rng, int c, int a, int b)
    {
        double baseMass = a == CatStart[c] ? 0 : CumInCategory[a - 1];
        double x = baseMass + rng.NextDouble() * (CumInCategory[b - 1] - baseMass);
        int lo = a, hi = b - 1;
        while (lo < hi) { int mid = (lo + hi) >> 1; if (CumInCategory[mid] > x) hi = mid; else lo = mid + 1; }
        return Order[lo];
    }

    internal int SampleCategory(ref SimRandom rng, int c) => SampleRange(ref rng, c, CatStart[c], CatStart[c + 1]);

    internal int SamplePair(ref SimRandom rng, int pair) => SampleRange(ref rng, PairCategory[pair], PairStart[pair], PairEnd[pair]);

    /// <summary>A category by popularity mass, skipping the sorted categories in <paramref name="excludedSorted"/>; -1 when nothing is left.</summary>
    internal int SampleCategoryExcluding(ref SimRandom rng, ReadOnlySpan<int> excludedSorted)
    {
        double total = CatCum[^1];
        foreach (var e in excludedSorted) total -= CatMass[e];
        if (total <= CatCum[^1] * 1e-12) return -1;
        double x = rng.NextDouble() * total;
        foreach (var e in excludedSorted)
        {
            double start = e == 0 ? 0 : CatCum[e - 1];
            if (x >= start) x += CatMass[e];
        }
        int c = Pick(CatCum, x);
        // Guard against rounding landing on an excluded or empty category.
        for (int guard = 0; guard < CatMass.Length && (CatMass[c] <= 0 || excludedSorted.Contains(c)); guard++)
            c = (c + 1) % CatMass.Length;
        return c;
    }

    /// <summary>A category with probability proportional to its number of items, skipping the sorted categories in <paramref name="excludedSorted"/>; -1 when nothing is left.</summary>
    internal int SampleCategoryBySizeExcluding(ref SimRandom rng, ReadOnlySpan<int> excludedSorted)
    {
        int remaining = Count;
        foreach (var e in excludedSorted) remaining -= CatStart[e + 1] - CatStart[e];
        if (remaining <= 0) return -1;
        int x = rng.NextInt(remaining);
        foreach (var e in excludedSorted)
            if (x >= CatStart[e]) x += CatStart[e + 1] - CatStart[e];
        return Category[Order[x]];
    }

    /// <summary>An item by global popularity.</summary>
    internal int SampleGlobal(ref SimRandom rng)
    {
        int c = Pick(CatCum, rng.NextDouble() * CatCum[^1]);
        while (CatMass[c] <= 0) c = (c + 1) % CatMass.Length;
        return SampleCategory(ref rng, c);
    }
}
