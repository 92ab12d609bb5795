using Trove.Core.Data;
using Trove.Core.Training;

namespace Trove.Data.Simulation;

/// <summary>Event types the simulator writes; the byte values index <see cref="EventMix.EventNames"/>.</summary>
public enum SimulatedEvent : byte { View = 0, AddToCart = 1, Purchase = 2, Rating = 3 }

/// <summary>
/// Generates a synthetic e-commerce data set: a catalogue (categories, brands, ratings, prices,
/// release dates), users with favourite categories and brands and heavy-tailed activity, and a
/// time-stamped event log (view, add_to_cart, purchase, rating) with Zipf-like item popularity,
/// taste clustering, a recency effect and funnel coherence (every purchase follows a view of the
/// same item; ratings follow purchases).
/// <para>
/// Reproducible: each user's profile, events and negatives come from their own random streams,
/// derived from (seed, user index), so the output is byte-identical for a given seed whatever
/// the thread count.
/// </para>
/// <code>
/// var result = InteractionSimulator.Simulate(new SimulationOptions { Users = 5000, Items = 2000, Seed = 7 });
/// Dataset data = result.ToDataset();
/// SimulationDiagnostics d = result.ComputeDiagnostics();
/// SimulationCsv.WriteAll(result, "out/");
/// </code>
/// </summary>
public sealed class InteractionSimulator
{
    private const ulong ProfileStream = 2, EventStream = 3, NegativeStream = 4;
    private const int BlockSize = 512;

    public SimulationOptions Options { get; }

    public InteractionSimulator(SimulationOptions? options = null)
    {
        Options = options ?? new SimulationOptions();
        Options.Validate();
    }

    public static SimulationResult Simulate(SimulationOptions options, IProgressReporter? progress = null, CancellationToken cancellation = default) =>
        new InteractionSimulator(options).Run(progress, cancellation);

    /// <summary>Simulates in memory and returns the <see cref="Dataset"/> (weights from <paramref name="weights"/>, default <see cref="EventWeights.Default"/>) and its diagnostics.</summary>
    public static Dataset SimulateDataset(SimulationOptions options, out SimulationDiagnostics diagnostics, EventWeights? weights = null, IProgressReporter? progress = null)
    {
        var result = Simulate(options, progress);
        diagnostics = result.ComputeDiagnostics(progress);
        return result.ToDataset(weights);
    }

    public SimulationResult Run(IProgressReporter? progress = null, CancellationToken cancellation = default)
    {
        progress ??= NullProgress.Instance;
        var o = Options;
        var catalogue = new SimulatedCatalogue(o);
        int U = o.Users;
        var activityModel = new ActivityModel(o.MinInteractions, o.MaxInteractions, o.EffectiveMeanInteractions, o.ActivitySigma);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = o.Threads, CancellationToken = cancellation };
        int blocks = (U + BlockSize - 1) / BlockSize;

        // Pass 1: profiles and activity.
        var users = new SimulatedUsers(U);
        Parallel.For(0, blocks, parallel, block =>
        {
            int end = Math.Min(U, (block + 1) * BlockSize);
            for (int u = block * BlockSize; u < end; u++) MakeProfile(u, catalogue, users, activityModel);
        });
        var offsets = new int[U + 1];
        long total = 0;
        for (int u = 0; u < U; u++) { offsets[u] = (int)total; total += users.Activity[u]; if (total > Array.MaxLength) throw new Core.Errors.TroveException($"The simulation would produce more than {Array.MaxLength:N0} interactions; lower users or max-interactions."); }
        offsets[U] = (int)total;

        // Pass 2: events and negatives.
        var items = new int[total]; var times = new long[total]; var events = new byte[total]; var scores = new byte[total];
        int k = o.NegativesPerUser;
        var negRaw = new int[(long)U * k]; var negCount = new int[U];
        var funnel = new Funnel(o.EventMix, o.RevisitShare);
        using (var task = progress.Start("simulating users", U))
        {
            Parallel.For(0, blocks, parallel, () => new Scratch(o.MaxInteractions), (block, _, scratch) =>
            {
                int end = Math.Min(U, (block + 1) * BlockSize);
                for (int u = block * BlockSize; u < end; u++)
                {
                    GenerateEvents(u, catalogue, users, funnel, scratch, offsets[u], offsets[u + 1], items, times, events, scores);
                    if (k > 0) negCount[u] = SampleNegatives(u, catalogue, users, scratch.Seen, scratch.Chosen, negRaw.AsSpan((int)((long)u * k), k));
                }
                task.Advance(end - block * BlockSize);
                return scratch;
            }, _ => { });
        }

        var negOffsets = new int[U + 1];
        for (int u = 0; u < U; u++) negOffsets[u + 1] = negOffsets[u] + negCount[u];
        var negItems = new int[negOffsets[U]];
        for (int u = 0; u < U; u++) Array.Copy(negRaw, (long)u * k, negItems, negOffsets[u], negCount[u]);

        return new SimulationResult(o, catalogue, users, offsets, items, times, events, scores, negOffsets, negItems);
    }

    private void MakeProfile(int u, SimulatedCatalogue cat, SimulatedUsers users, ActivityModel activity)
    {
        var rng = SimRandom.Create(Options.Seed, ProfileStream, u);
        var nonEmpty = cat.NonEmptyCategories;
        int want = Math.Min(1 + rng.NextInt(3), nonEmpty.Length);
        Span<int> fav = stackalloc int[3];
        Span<int> sorted = stackalloc int[3];
        int have = 0;
        // Favourite categories: drawn by category size (not popularity, so a steep popularity exponent
        // does not send everyone to the category of the top item), without repeats.
        for (int attempt = 0; have < want && attempt < 64; attempt++)
        {
            int c = cat.SampleCategoryBySizeExcluding(ref rng, SortedCopy(fav[..have], sorted));
            if (c < 0) break;
            fav[have++] = c;
        }
        fav[..have].Sort();
        Span<double> pref = stackalloc double[3];
        double sum = 0;
        for (int j = 0; j < have; j++) { pref[j] = rng.Uniform(0.5, 1.5); sum += pref[j]; }
        double acc = 0;
        for (int j = 0; j < have; j++) { acc += pref[j] / sum; users.FavCategoryCum[u * 3 + j] = j == have - 1 ? 1.0 : acc; users.FavCategories[u * 3 + j] = fav[j]; }
        users.FavCategoryCount[u] = (byte)have;

        // Favourite brands: 1-2 (category, brand) pairs inside the favourite categories, by the pair's popularity.
        int wantBrands = 1 + rng.NextInt(2);
        int haveBrands = 0;
        for (int attempt = 0; haveBrands < wantBrands && attempt < 16 && have > 0; attempt++)
        {
            int c = fav[PickFavourite(ref rng, users, u, have)];
            int p0 = cat.CatPairStart[c], p1 = cat.CatPairStart[c + 1];
            double x = rng.NextDouble() * cat.CatMass[c];
            int pair = p1 - 1;
            for (int p = p0; p < p1; p++) { x -= cat.PairMass[p]; if (x < 0) { pair = p; break; } }
            bool duplicate = false;
            for (int j = 0; j < haveBrands; j++) if (cat.PairBrand[users.FavPairs[u * 2 + j]] == cat.PairBrand[pair]) duplicate = true;
            if (duplicate) continue;
            users.FavPairs[u * 2 + haveBrands++] = pair;
        }
        users.FavPairCount[u] = (byte)haveBrands;
        users.Activity[u] = activity.Sample(rng.NextDouble());
    }

    private static Span<int> SortedCopy(ReadOnlySpan<int> src, Span<int> dst)
    {
        var d = dst[..src.Length];
        src.CopyTo(d);
        d.Sort();
        return d;
    }

    private static int PickFavourite(ref SimRandom rng, SimulatedUsers users, int u, int count)
    {
        double x = rng.NextDouble();
        for (int j = 0; j < count - 1; j++) if (x < users.FavCategoryCum[u * 3 + j]) return j;
        return count - 1;
    }

    /// <summary>Per-thread buffers, reused for every user of a block.</summary>
    private sealed class Scratch(int max)
    {
        public readonly int[] Item = new int[max];
        public readonly long[] Time = new long[max];
        public readonly byte[] Event = new byte[max];
        public readonly byte[] Score = new byte[max];
        public readonly long[] Keys = new long[max];
        public readonly int[] Perm = new int[max];
        public readonly long[] Sessions = new long[max + 1];
        public readonly int[] Chains = new int[max];
        public readonly HashSet<int> Seen = new();
        public readonly HashSet<int> Rated = new();
        public readonly HashSet<int> Chosen = new();
    }

    /// <summary>Per-view probabilities of the later funnel steps that reproduce the event mix.</summary>
    private sealed class Funnel
    {
        public readonly double Cart, PurchaseAfterCart, PurchaseWithoutCart, RatingAfterPurchase, RatingWithoutPurchase;

        public Funnel(EventMix mix, double revisitShare)
        {
            double pc = mix.AddToCart / mix.View, pp = mix.Purchase / mix.View, pr = Math.Min(1, mix.Rating / mix.View / (1 - revisitShare));
            Cart = Math.Min(1, pc);
            // Most purchases (75%) go through the cart when the numbers allow it.
            double q1 = Cart > 0 ? Math.Min(1, 0.75 * pp / Cart) : 0;
            double q0 = Cart < 1 ? (pp - Cart * q1) / (1 - Cart) : 0;
            if (q0 > 1) { q0 = 1; q1 = Math.Min(1, (pp - (1 - Cart)) / Cart); }
            PurchaseAfterCart = q1; PurchaseWithoutCart = Math.Max(0, q0);
            RatingAfterPurchase = pp > 0 ? Math.Min(1, pr / pp) : 0;
            RatingWithoutPurchase = pp < 1 ? Math.Clamp((pr - pp * RatingAfterPurchase) / (1 - pp), 0, 1) : 0;
        }
    }

    private void GenerateEvents(int u, SimulatedCatalogue cat, SimulatedUsers users, Funnel funnel, Scratch s,
        int start, int end, int[] items, long[] times, byte[] events, byte[] scores)
    {
        var o = Options;
        var rng = SimRandom.Create(o.Seed, EventStream, u);
        int n = end - start;
        int favCount = users.FavCategoryCount[u], pairCount = users.FavPairCount[u];
        ReadOnlySpan<int> fav = users.FavCategories.AsSpan(u * 3, favCount);
        long windowStart = o.StartUnix, windowEnd = o.EndUnix;
        s.Seen.Clear();
        s.Rated.Clear();
        int sessions = o.EventsPerSession > 0 ? 1 + n / o.EventsPerSession : 0;
        for (int k = 0; k < sessions; k++) s.Sessions[k] = TimeOfDay(ref rng, windowStart, windowEnd);
        int rows = 0, chains = 0;
        while (rows < n)
        {
            int item;
            bool revisit = chains > 0 && o.RevisitShare > 0 && rng.NextDouble() < o.RevisitShare;
            if (revisit)
                item = s.Chains[rng.NextInt(chains)];   // back to an item seen before: a repeat view (and maybe more)
            else
            {
                item = PickItem(ref rng, cat, users, u, fav, favCount, pairCount, s.Seen);
                s.Seen.Add(item);
            }
            s.Chains[chains++] = item;
            long lo = Math.Max(windowStart, (long)cat.ReleaseDay[item] * 86400);
            long t = -1;
            if (sessions > 0)
            {
                t = s.Sessions[sessions == 1 ? 0 : rng.NextInt(sessions)] + (long)rng.NextExponential(900);
                if (t < lo || t > windowEnd) t = -1;   // the session was before the item's release
            }
            if (t < 0) t = TimeOfDay(ref rng, lo, windowEnd);
            Add(s, ref rows, n, item, t, SimulatedEvent.View, 0);
            bool cart = rng.NextDouble() < funnel.Cart;
            if (cart)
            {
                t = Math.Min(windowEnd, t + 5 + (long)rng.NextExponential(600));
                Add(s, ref rows, n, item, t, SimulatedEvent.AddToCart, 0);
            }
            bool purchase = rng.NextDouble() < (cart ? funnel.PurchaseAfterCart : funnel.PurchaseWithoutCart);
            if (purchase)
            {
                t = Math.Min(windowEnd, t + 30 + (long)rng.NextExponential(cart ? 3600 : 1200));
                Add(s, ref rows, n, item, t, SimulatedEvent.Purchase, 0);
            }
            // A user rates an item at most once: only first visits may end in a rating (their chance is raised to compensate).
            if (rng.NextDouble() < (purchase ? funnel.RatingAfterPurchase : funnel.RatingWithoutPurchase) && !revisit && s.Rated.Add(item))
            {
                t = Math.Min(windowEnd, t + 3600 + (long)rng.NextExponential(3 * 86400));
                int score = (int)Math.Clamp(Math.Round(cat.Rating(item) + 0.8 * rng.NextGaussian()), 1, 5);
                Add(s, ref rows, n, item, t, SimulatedEvent.Rating, (byte)score);
            }
        }

        // Chronological order within the user; ties keep generation order (a view stays before its purchase).
        for (int r = 0; r < n; r++) { s.Keys[r] = ((s.Time[r] - windowStart) << 20) | (long)r; s.Perm[r] = r; }
        s.Keys.AsSpan(0, n).Sort(s.Perm.AsSpan(0, n));
        for (int r = 0; r < n; r++)
        {
            int p = s.Perm[r];
            items[start + r] = s.Item[p]; times[start + r] = s.Time[p]; events[start + r] = s.Event[p]; scores[start + r] = s.Score[p];
        }
    }

    // Relative activity by UTC hour: quiet nights, busy evenings.
    private static readonly double[] HourWeight =
        [0.35, 0.2, 0.12, 0.08, 0.06, 0.08, 0.15, 0.3, 0.45, 0.55, 0.6, 0.65, 0.7, 0.68, 0.65, 0.65, 0.7, 0.8, 0.9, 1.0, 1.0, 0.95, 0.8, 0.55];

    /// <summary>A time in [lo, hi], following the daily cycle when enabled (rejection sampling, at most 8 draws).</summary>
    private long TimeOfDay(ref SimRandom rng, long lo, long hi)
    {
        long t = lo + (long)(rng.NextDouble() * (hi - lo));
        if (!Options.DailyCycle || hi - lo < 86400) return t;
        for (int attempt = 0; attempt < 8; attempt++)
        {
            if (rng.NextDouble() < HourWeight[(int)(t % 86400 / 3600)]) return t;
            t = lo + (long)(rng.NextDouble() * (hi - lo));
        }
        return t;
    }

    private static void Add(Scratch s, ref int rows, int n, int item, long t, SimulatedEvent e, byte score)
    {
        if (rows >= n) return;
        s.Item[rows] = item; s.Time[rows] = t; s.Event[rows] = (byte)e; s.Score[rows] = score;
        rows++;
    }

    /// <summary>
    /// One item for the next funnel. With probability TasteShare it comes from the favourite
    /// categories (BrandShare of those from a favourite brand), otherwise from the other
    /// categories by global popularity. Items already touched are avoided while that is cheap;
    /// a user who exhausts the pool revisits an item.
    /// </summary>
    private int PickItem(ref SimRandom rng, SimulatedCatalogue cat, SimulatedUsers users, int u, ReadOnlySpan<int> fav,
        int favCount, int pairCount, HashSet<int> seen)
    {
        var o = Options;
        int category, a, b;
        if (favCount > 0 && rng.NextDouble() < o.TasteShare)
        {
            if (pairCount > 0 && rng.NextDouble() < o.BrandShare)
            {
                int pair = users.FavPairs[u * 2 + (pairCount == 1 ? 0 : rng.NextInt(pairCount))];
                category = cat.PairCategory[pair]; a = cat.PairStart[pair]; b = cat.PairEnd[pair];
            }
            else
            {
                category = fav[PickFavourite(ref rng, users, u, favCount)];
                a = cat.CatStart[category]; b = cat.CatStart[category + 1];
            }
            for (int attempt = 0; attempt < 24; attempt++)
            {
                int item = cat.SampleRange(ref rng, category, a, b);
                if (!seen.Contains(item)) return item;
            }
            int fallback = Uniform(ref rng, cat, a, b, seen);
            // A favourite brand's items are all seen: widen to its whole category.
            if (seen.Contains(fallback) && (a != cat.CatStart[category] || b != cat.CatStart[category + 1]))
                fallback = Uniform(ref rng, cat, cat.CatStart[category], cat.CatStart[category + 1], seen);
            return fallback;
        }

        // Exploration: global popularity restricted to non-favourite categories.
        int last = -1;
        for (int attempt = 0; attempt < 24; attempt++)
        {
            category = cat.SampleCategoryExcluding(ref rng, fav);
            if (category < 0) { category = fav.Length > 0 ? fav[0] : cat.NonEmptyCategories[0]; }
            last = cat.SampleCategory(ref rng, category);
            if (!seen.Contains(last)) return last;
        }
        category = cat.Category[last];
        return Uniform(ref rng, cat, cat.CatStart[category], cat.CatStart[category + 1], seen);
    }

    /// <summary>A uniformly chosen unseen item of positions [a, b), or any of them when all were seen.</summary>
    private static int Uniform(ref SimRandom rng, SimulatedCatalogue cat, int a, int b, HashSet<int> seen)
    {
        int len = b - a;
        int startAt = rng.NextInt(len);
        for (int k = 0; k < len; k++)
        {
            int item = cat.Order[a + (startAt + k) % len];
            if (!seen.Contains(item)) return item;
        }
        return cat.Order[a + startAt];
    }

    /// <summary>
    /// Items the user was plausibly shown (half by global popularity, half from their favourite
    /// categories) but never touched. Never an item in <paramref name="seen"/>.
    /// </summary>
    private int SampleNegatives(int u, SimulatedCatalogue cat, SimulatedUsers users, HashSet<int> seen, HashSet<int> chosen, Span<int> output)
    {
        var rng = SimRandom.Create(Options.Seed, NegativeStream, u);
        int favCount = users.FavCategoryCount[u];
        int want = Math.Min(output.Length, cat.Count - seen.Count);
        int got = 0;
        chosen.Clear();
        for (int attempt = 0; got < want && attempt < 20 * want + 20; attempt++)
        {
            int item = favCount > 0 && rng.NextDouble() < 0.5
                ? cat.SampleCategory(ref rng, users.FavCategories[u * 3 + PickFavourite(ref rng, users, u, favCount)])
                : cat.SampleGlobal(ref rng);
            if (seen.Contains(item) || !chosen.Add(item)) continue;
            output[got++] = item;
        }
        if (got < want)
        {
            int startAt = rng.NextInt(cat.Count);
            for (int k = 0; k < cat.Count && got < want; k++)
            {
                int item = (startAt + k) % cat.Count;
                if (seen.Contains(item) || !chosen.Add(item)) continue;
                output[got++] = item;
            }
        }
        return got;
    }
}

/// <summary>Simulated users: favourite categories and brands (indices into the catalogue's lists) and planned activity.</summary>
public sealed class SimulatedUsers
{
    internal readonly int[] FavCategories, FavPairs;
    internal readonly double[] FavCategoryCum;
    internal readonly byte[] FavCategoryCount, FavPairCount;

    public string[] Ids { get; }
    /// <summary>Interaction rows of each user.</summary>
    public int[] Activity { get; }
    public int Count => Ids.Length;

    internal SimulatedUsers(int count)
    {
        int width = SimulatedCatalogue.Digits(count);
        Ids = new string[count];
        for (int u = 0; u < count; u++) Ids[u] = "u" + (u + 1).ToString().PadLeft(width, '0');
        Activity = new int[count];
        FavCategories = new int[count * 3]; FavPairs = new int[count * 2];
        FavCategoryCum = new double[count * 3];
        FavCategoryCount = new byte[count]; FavPairCount = new byte[count];
    }

    /// <summary>Category indices of the user's 1-3 favourite categories.</summary>
    public ReadOnlySpan<int> FavouriteCategories(int user) => FavCategories.AsSpan(user * 3, FavCategoryCount[user]);

    /// <summary>Brand indices of the user's 1-2 favourite brands.</summary>
    public int[] FavouriteBrands(int user, SimulatedCatalogue catalogue)
    {
        var result = new int[FavPairCount[user]];
        for (int j = 0; j < result.Length; j++) result[j] = catalogue.PairBrand[FavPairs[user * 2 + j]];
        return result;
    }
}
