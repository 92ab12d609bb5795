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

    /// <summary>Product description, generated from the category's selling points, the brand and the variants (or the catalogue's own).</summary>
    public string[] Descriptions { get; }
    /// <summary>Whether the product is on sale (about 5% are not; their SKUs have no stock).</summary>
    public bool[] Active { get; }
    /// <summary>The SKUs of item i are SkuStart[i] .. SkuStart[i + 1] - 1 of the Sku arrays (1-4 per item).</summary>
    public int[] SkuStart { get; }
    /// <summary>SKU code: the item id, '-', the SKU's number (1-based).</summary>
    public string[] SkuIds { get; }
    /// <summary>Variant name, e.g. "Black / 128 GB", "Paperback", "M".</summary>
    public string[] SkuVariants { get; }
    /// <summary>SKU price in cents (the first SKU's is the item's <see cref="PriceCents"/>).</summary>
    public long[] SkuPriceCents { get; }
    public int[] SkuStock { get; }
    /// <summary>Units sold before the simulated window (popular items sold more); <see cref="SimulationResult.SoldCounts"/> adds the window's purchases.</summary>
    public int[] PriorSold { get; }
    /// <summary>Ratings given before the simulated window; <see cref="SimulationResult.TotalRatings"/> adds the window's rating events.</summary>
    public int[] PriorRatings { get; }

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
        int C = o.EffectiveCategories, B = o.EffectiveBrands, n = o.EffectiveItems;
        var named = CatalogueVocabulary.Named;

        string[] catNames, brandNames;
        int[] brandHome;
        var itemNoun = new string?[n];
        var catSpec = new CatalogueVocabulary.CategorySpec?[C];
        if (o.Catalogue is { } input)
        {
            var given = FromInput(input, o, ref rng, catSpec);
            GeneratedIds = false;
            catNames = given.CategoryNames; brandNames = given.BrandNames; brandHome = given.BrandHome;
            ItemIds = given.Ids; Titles = given.Titles; Category = given.Category; Brand = given.Brand;
            RatingTenths = given.RatingTenths; PriceCents = given.PriceCents; ReleaseDay = given.ReleaseDay;
        }
        else
        {
            // Categories: the named list (or the caller's names), then category_N.
            catNames = new string[C];
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
            brandNames = new string[B]; brandHome = new int[B];
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
            int endDayOfWindow = (int)(o.EndUnix / 86400);
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
                ReleaseDay[i] = endDayOfWindow - 1 - (int)Math.Floor(rng.NextDouble() * spanDays);
                var nouns = catNouns[c];
                string noun = nouns[rng.NextInt(nouns.Length)];
                char letter = CatalogueVocabulary.ModelLetters[rng.NextInt(CatalogueVocabulary.ModelLetters.Length)];
                Titles[i] = $"{brandNames[b]} {noun} {letter}{100 + rng.NextInt(900)}";
                itemNoun[i] = noun;
            }
        }

        // Popularity: a random permutation of ranks, Zipf weights, damped by age.
        int endDay = (int)(o.EndUnix / 86400);
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

        // Product details come from a stream of their own, so adding them left every earlier draw (and so the
        // interactions of a seed) unchanged.
        var details = SimRandom.Create(o.Seed, DetailsStream, 0);
        Descriptions = new string[n]; Active = new bool[n]; SkuStart = new int[n + 1]; PriorSold = new int[n]; PriorRatings = new int[n];
        var skuIds = new List<string>(2 * n); var variants = new List<string>(2 * n); var skuPrices = new List<long>(2 * n); var stock = new List<int>(2 * n);
        double maxWeight = n == 0 ? 1 : Weight.Max();
        for (int i = 0; i < n; i++)
        {
            string category = catNames[Category[i]];
            bool active = details.NextDouble() >= 0.05;
            Active[i] = active;
            var options = CatalogueVocabulary.VariantOptions.GetValueOrDefault(category) ?? CatalogueVocabulary.GenericVariants;
            int count = 1 + details.NextInt(Math.Min(4, options.Length));
            int start = details.NextInt(options.Length - count + 1);
            string? colour = CatalogueVocabulary.Coloured.Contains(category) ? CatalogueVocabulary.Colours[details.NextInt(CatalogueVocabulary.Colours.Length)] : null;
            SkuStart[i] = skuIds.Count;
            for (int k = 0; k < count; k++)
            {
                skuIds.Add($"{ItemIds[i]}-{k + 1}");
                variants.Add(colour is null ? options[start + k] : $"{colour} / {options[start + k]}");
                // Larger variants cost more: +15% a step and a little noise, ending in .99 like the base price.
                long price = k == 0 ? PriceCents[i] : Math.Max(1, (long)Math.Round(PriceCents[i] / 100.0 * (1 + 0.15 * k + 0.1 * details.NextDouble()))) * 100 - 1;
                skuPrices.Add(Math.Max(1, price));
                stock.Add(!active || details.NextDouble() < 0.1 ? 0 : 1 + (int)details.NextExponential(40));
            }
            PriorSold[i] = (int)details.NextExponential(5 + 500 * Weight[i] / maxWeight);
            PriorRatings[i] = (int)(PriorSold[i] * details.Uniform(0.05, 0.25));
            if (o.Catalogue?.Descriptions?[i] is { Length: > 0 } given) Descriptions[i] = given;
            else
            {
                var points = CatalogueVocabulary.SellingPoints.GetValueOrDefault(category) ?? CatalogueVocabulary.GenericSellingPoints;
                int p1 = details.NextInt(points.Length), p2 = (p1 + 1 + details.NextInt(points.Length - 1)) % points.Length;
                string adjective = CatalogueVocabulary.Adjectives[details.NextInt(CatalogueVocabulary.Adjectives.Length)];
                string noun = (itemNoun[i] ?? category).ToLowerInvariant();
                string article = "aeiou".Contains(adjective[0]) ? "an" : "a";
                var variantList = string.Join(", ", variants.Skip(SkuStart[i]));
                Descriptions[i] = $"{Titles[i]} by {brandNames[Brand[i]]}: {article} {adjective} {noun} from our {category} range, with {points[p1]} and {points[p2]}. " +
                                  (count == 1 ? $"Available as {variantList}." : $"Available in {count} variants: {variantList}.");
            }
        }
        SkuStart[n] = skuIds.Count;
        SkuIds = skuIds.ToArray(); SkuVariants = variants.ToArray(); SkuPriceCents = skuPrices.ToArray(); SkuStock = stock.ToArray();
    }

    private const ulong DetailsStream = 5;
    private static readonly System.Text.Json.JsonSerializerOptions JsonText = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Whether the ids are the generated i001.. (the CSV writers then format them from the index).</summary>
    internal bool GeneratedIds { get; private init; } = true;

    /// <summary>Total stock over the item's SKUs.</summary>
    public int Stock(int item)
    {
        int total = 0;
        for (int k = SkuStart[item]; k < SkuStart[item + 1]; k++) total += SkuStock[k];
        return total;
    }

    /// <summary>The item's SKUs as a JSON array: <c>[{"sku":"i001-1","variant":"Black / M","price":19.99,"stock":12}, ...]</c>.</summary>
    public string SkusJson(int item)
    {
        var sb = new System.Text.StringBuilder("[");
        for (int k = SkuStart[item]; k < SkuStart[item + 1]; k++)
        {
            if (k > SkuStart[item]) sb.Append(',');
            sb.Append("{\"sku\":").Append(System.Text.Json.JsonSerializer.Serialize(SkuIds[k], JsonText))
              .Append(",\"variant\":").Append(System.Text.Json.JsonSerializer.Serialize(SkuVariants[k], JsonText))
              .Append(",\"price\":").Append((SkuPriceCents[k] / 100m).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture))
              .Append(",\"stock\":").Append(SkuStock[k].ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('}');
        }
        return sb.Append(']').ToString();
    }

    private sealed record GivenItems(string[] CategoryNames, string[] BrandNames, int[] BrandHome, string[] Ids, string[] Titles,
        int[] Category, int[] Brand, byte[] RatingTenths, long[] PriceCents, int[] ReleaseDay);

    /// <summary>
    /// The items of an existing catalogue: ids, categories and brands as given; titles, ratings, prices and release dates
    /// as given where known, otherwise drawn as for a generated catalogue (brand quality + noise, log-normal price around the
    /// category's typical price, uniform release over <see cref="SimulationOptions.CatalogueYears"/>).
    /// </summary>
    private static GivenItems FromInput(CatalogueInput input, SimulationOptions o, ref SimRandom rng, CatalogueVocabulary.CategorySpec?[] catSpec)
    {
        int C = input.CategoryNames.Count, B = input.BrandNames.Count, n = input.Count;
        var named = CatalogueVocabulary.Named;
        var catMedian = new double[C];
        for (int c = 0; c < C; c++)
        {
            catSpec[c] = named.FirstOrDefault(x => x.Name.Equals(input.CategoryNames[c], StringComparison.OrdinalIgnoreCase));
            catMedian[c] = catSpec[c]?.MedianPrice ?? Math.Exp(rng.Uniform(Math.Log(8), Math.Log(300)));
        }
        var quality = new double[B];
        for (int b = 0; b < B; b++) quality[b] = rng.Uniform(3.2, 4.6);
        // A brand's home is the category most of its items are in (for the favourite-brand lists of users).
        var home = new int[B];
        var counts = new Dictionary<(int, int), int>();
        for (int i = 0; i < n; i++) counts[(input.Brand[i], input.Category[i])] = counts.GetValueOrDefault((input.Brand[i], input.Category[i])) + 1;
        foreach (var group in counts.GroupBy(kv => kv.Key.Item1)) home[group.Key] = group.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key.Item2).First().Key.Item2;

        int endDay = (int)(o.EndUnix / 86400);
        double spanDays = o.CatalogueYears * 365.25;
        var titles = new string[n]; var rating = new byte[n]; var price = new long[n]; var release = new int[n];
        for (int i = 0; i < n; i++)
        {
            int c = input.Category[i], b = input.Brand[i];
            titles[i] = input.Titles?[i] is { Length: > 0 } t ? t : input.Ids[i];
            double r = input.Ratings is { } rs && float.IsFinite(rs[i]) ? rs[i] : quality[b] + 0.45 * rng.NextGaussian();
            rating[i] = (byte)Math.Clamp((int)Math.Round(Math.Clamp(r, 1.0, 5.0) * 10), 10, 50);
            price[i] = input.Prices is { } ps && float.IsFinite(ps[i]) && ps[i] > 0
                ? Math.Max(1, (long)Math.Round(ps[i] * 100.0))
                : Math.Max(1, (long)Math.Round(catMedian[c] * Math.Exp(0.6 * rng.NextGaussian()))) * 100 - 1;
            // Releases after the window's end would leave no time to interact: they count as released on its last day.
            release[i] = Math.Min(endDay - 1, input.ReleaseDays?[i] ?? endDay - 1 - (int)Math.Floor(rng.NextDouble() * spanDays));
        }
        return new GivenItems(input.CategoryNames.ToArray(), input.BrandNames.ToArray(), home, input.Ids.ToArray(), titles,
            (int[])input.Category.Clone(), (int[])input.Brand.Clone(), rating, price, release);
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
