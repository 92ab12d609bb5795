using Trove.Core.Algorithms;
using System.Diagnostics;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Core.Recommending;
using Trove.Core.Training;
using Trove.Numerics.Dense;
using Trove.Numerics.Sparse;
using Trove.Numerics.Vectors;

namespace Trove.Models.Factorization;

public enum NegativeSampling
{
    /// <summary>Every item the user has not interacted with is equally likely.</summary>
    Uniform,
    /// <summary>Items drawn in proportion to popularity^exponent (harder negatives), still never a positive of the user.</summary>
    Popularity,
}

public sealed record BprParameters
{
    [TuneRange(16, 256, Log = true)]
    [ValidRange(1)]
    public int Factors { get; init; } = 64;
    /// <summary>Passes over the data; each draws SamplesPerEpoch x interactions (user, positive, negative) triples.</summary>
    [ValidRange(0)]
    public int Epochs { get; init; } = 50;
    [TuneRange(0.005, 0.3, Log = true)]
    [ValidRange(0, MinExclusive = true)]
    public float LearningRate { get; init; } = 0.1f;
    /// <summary>Per-epoch multiplicative decay of the learning rate: lr_e = lr * decay^e.</summary>
    [ValidRange(0, 1, MinExclusive = true)]
    public float LearningRateDecay { get; init; } = 0.98f;
    /// <summary>L2 regularisation of user factors, item factors and item biases.</summary>
    [TuneRange(0.0001, 0.1, Log = true)]
    [ValidRange(0)]
    public float Regularization { get; init; } = 0.01f;
    /// <summary>Learn a per-item bias (exposed as an extra embedding dimension whose user component is 1).</summary>
    public bool ItemBias { get; init; } = true;
    public NegativeSampling Sampling { get; init; } = NegativeSampling.Uniform;
    /// <summary>Exponent on item counts for popularity sampling (0.75 as in word2vec).</summary>
    [ValidRange(0)]
    public float PopularityExponent { get; init; } = 0.75f;
    /// <summary>Triples per epoch as a multiple of the number of interactions.</summary>
    [ValidRange(0, MinExclusive = true)]
    public float SamplesPerEpoch { get; init; } = 1f;
    /// <summary>Initial factors are uniform in [-InitScale, InitScale] / sqrt(factors).</summary>
    [ValidRange(0)]
    public float InitScale { get; init; } = 0.5f;
    /// <summary>Stop after this many epochs without improving the validation score (0: never; needs a validation split).</summary>
    [ValidRange(0)]
    public int EarlyStoppingPatience { get; init; } = 0;
    /// <summary>Call the validation hook every this many epochs.</summary>
    [ValidRange(1)]
    public int ValidateEvery { get; init; } = 10;
}

/// <summary>
/// Bayesian Personalised Ranking matrix factorisation (Rendle et al. 2009) trained by lock-free
/// parallel SGD (Hogwild, Recht et al. 2011): each thread samples (user, positive, negative)
/// triples and updates the shared factors without locks. With one thread training is exactly
/// reproducible from the seed; with more threads the race order makes runs differ slightly.
/// </summary>
public sealed class Bpr(BprParameters? parameters = null) : RecommenderBase<BprParameters>(parameters), IEmbeddingModel
{
    public const string Name = "bpr";
    private RowChunkedMatrix _users = new(0, 1);
    private RowChunkedMatrix _items = new(0, 1);
    private readonly List<TrainingEpoch> _history = new();

    public override string Algorithm => Name;
    /// <summary>Factors, plus one when item biases are learned (user component fixed to 1).</summary>
    public int Dimensions => Params.Factors + (Params.ItemBias ? 1 : 0);
    public ReadOnlySpan<float> UserVector(int user) => _users.Row(CheckUser(user));
    public ReadOnlySpan<float> ItemVector(int item) => _items.Row(CheckItem(item));
    /// <summary>
    /// The most floats one chunk of a factor matrix holds: the longest array, so a matrix is one array whenever it fits.
    /// Tests set it small to train and load through several chunks on small data.
    /// </summary>
    internal long FactorChunkCapacity { get; set; } = RowChunkedMatrix.DefaultCapacity;
    public IReadOnlyList<TrainingEpoch> History => _history;
    /// <summary>Triples per second of the last Fit (all threads).</summary>
    public double SamplesPerSecond { get; private set; }

    protected override void FitCore(Dataset data, FitContext context)
    {
        var p = Params;
        if (p.Factors < 1) throw new TroveException("bpr: factors must be at least 1.");
        if (p.LearningRate <= 0 || p.Regularization < 0) throw new TroveException("bpr: learning_rate must be positive and regularization non-negative.");
        var ui = data.UserItems;
        int users = ui.Rows, items = ui.Columns, d = Dimensions, f = p.Factors;
        _history.Clear();
        var rng = new Random(context.Seed);
        float scale = p.InitScale / MathF.Sqrt(f);
        _users = new RowChunkedMatrix(users, d, FactorChunkCapacity);
        _items = new RowChunkedMatrix(items, d, FactorChunkCapacity);
        for (int u = 0; u < users; u++)
        {
            var w = _users.Row(u);
            for (int k = 0; k < f; k++) w[k] = (float)(rng.NextDouble() * 2 - 1) * scale;
            if (p.ItemBias) w[f] = 1f;
        }
        for (int i = 0; i < items; i++)
        {
            var h = _items.Row(i);
            for (int k = 0; k < f; k++) h[k] = (float)(rng.NextDouble() * 2 - 1) * scale;
        }

        // Users able to learn: at least one positive and one negative.
        // (user, item) of each interaction packed in one long, so a draw costs one memory access; -1 marks
        // users who have every item (nothing to contrast). Past one array of entries (2^31 interactions) a draw
        // instead picks a 64-bit entry offset and finds its user by binary search over the row pointers.
        long[]? entries = ui.NonZeros <= Array.MaxLength ? PackEntries(ui) : null;
        // Positives as a bit set when it is small (one access per rejection test instead of a binary search).
        ulong[]? bits = null;
        long bitCount = (long)users * items;
        if (bitCount / 8 <= 64L << 20)
        {
            bits = new ulong[(bitCount + 63) / 64];
            for (int u = 0; u < users; u++)
                foreach (int i in ui.RowIndices(u)) { long b = (long)u * items + i; bits[b >> 6] |= 1UL << (int)(b & 63); }
        }
        var sampler = p.Sampling == NegativeSampling.Popularity ? new PopularitySampler(ui.ColumnCounts(), p.PopularityExponent) : null;
        long samples = Math.Max(1, (long)(ui.NonZeros * (double)p.SamplesPerEpoch));
        int threads = Math.Max(1, Math.Min(context.Threads, (int)Math.Min(samples / 1000 + 1, 64)));
        var run = new FactorTrainingRun(Name, "epoch", context, p.EarlyStoppingPatience, p.Epochs, _history);
        run.Resume(_users, _items);
        using var task = context.Progress.Start("bpr", p.Epochs);
        task.Advance(run.FirstEpoch);
        long totalSamples = 0; double totalSeconds = 0;
        for (int epoch = run.FirstEpoch; epoch < p.Epochs; epoch++)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            float lr = p.LearningRate * MathF.Pow(p.LearningRateDecay, epoch);
            var sw = Stopwatch.StartNew();
            var lossParts = new double[threads];
            var counted = new long[threads]; var lossCounts = new long[threads];
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = context.Cancellation }, t =>
            {
                long begin = samples * t / threads, end = samples * (t + 1) / threads;
                var r = new XorShift(unchecked((ulong)context.Seed * 0x9E3779B97F4A7C15UL + (ulong)epoch * 0xBF58476D1CE4E5B9UL + (ulong)t + 1));
                var (loss, n, done) = entries is not null
                    ? RunSamples(new PackedEntries(entries), begin, end, ref r, ui, bits, sampler, lr)
                    : RunSamples(new OffsetEntries(ui), begin, end, ref r, ui, bits, sampler, lr);
                lossParts[t] = loss; lossCounts[t] = n; counted[t] = done;
            });
            double seconds = sw.Elapsed.TotalSeconds;
            long done = counted.Sum();
            totalSamples += done; totalSeconds += seconds;
            long lossSamples = lossCounts.Sum();
            double meanLoss = lossSamples > 0 ? lossParts.Sum() / lossSamples : double.NaN; // estimated on every 8th triple
            double? validation = null;
            bool validateNow = context.Validate is not null && ((epoch + 1) % Math.Max(1, p.ValidateEvery) == 0 || epoch == p.Epochs - 1);
            if (validateNow) validation = context.Validate!(this);
            task.Advance();
            task.Status(validation is double v0 ? $"loss {meanLoss:F4} {context.ValidationMetricName} {v0:F4}" : $"loss {meanLoss:F4}");
            if (run.EndEpoch(new TrainingEpoch(epoch + 1, meanLoss, validation, seconds), _users, _items)) break;
        }
        (_users, _items) = run.Result(_users, _items);
        SamplesPerSecond = totalSeconds > 0 ? totalSamples / totalSeconds : 0;
    }

    /// <summary>
    /// SGD over samples [begin, end) of one thread. Generic over the entry source (a struct) so the JIT compiles one loop
    /// per source with the draw inlined: the packed-array loop is the same machine code as before 64-bit draws existed.
    /// </summary>
    private (double Loss, long LossCount, long Done) RunSamples<TEntries>(TEntries source, long begin, long end, ref XorShift r, CsrMatrix ui,
        ulong[]? bits, PopularitySampler? sampler, float lr) where TEntries : struct, IEntrySource
    {
        int items = ui.Columns;
        double loss = 0; long n = 0, done = 0;
        for (long s = begin; s < end; s++)
        {
            long entry = source.Draw(ref r);
            if (entry < 0) continue;
            int u = (int)(entry >> 32), i = (int)(uint)entry;
            int j = bits is null ? SampleNegative(ui.RowIndices(u), items, sampler, ref r) : SampleNegative(bits, (long)u * items, items, sampler, ref r);
            if (j < 0) continue;
            float x = Step(u, i, j, lr);
            if ((s & 7) == 0) { loss += x > 30f ? 0f : MathF.Log(1f + MathF.Exp(-x)); n++; }
            done++;
        }
        return (loss, n, done);
    }

    /// <summary>Draws one training interaction as (user &lt;&lt; 32 | item), or -1 for a user with every item.</summary>
    internal interface IEntrySource { long Draw(ref XorShift r); }

    /// <summary>Up to one array of interactions: a uniform index into the packed table, one memory access.</summary>
    internal readonly struct PackedEntries(long[] entries) : IEntrySource
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public long Draw(ref XorShift r) => entries[r.Next(entries.Length)];
    }

    /// <summary>Past one array of interactions: a uniform 64-bit entry offset, its user found by binary search.</summary>
    internal readonly struct OffsetEntries(CsrMatrix ui) : IEntrySource
    {
        public long Draw(ref XorShift r) => EntryAt(ui, r.NextLong(ui.NonZeros));
    }

    /// <summary>Every interaction of <paramref name="ui"/> as (user &lt;&lt; 32 | item), in CSR order (see <see cref="EntryAt"/>).</summary>
    internal static long[] PackEntries(CsrMatrix ui)
    {
        var entries = new long[ui.NonZeros];
        long at = 0;
        for (int u = 0; u < ui.Rows; u++)
        {
            bool learnable = ui.RowLength(u) < ui.Columns;
            foreach (int i in ui.RowIndices(u)) entries[at++] = learnable ? ((long)u << 32) | (uint)i : -1L;
        }
        return entries;
    }

    /// <summary>The packed (user, item) of global entry <paramref name="offset"/>, or -1 when its user has every item.</summary>
    internal static long EntryAt(CsrMatrix ui, long offset)
    {
        int u = CsrChunkLayout.RowOfEntry(ui.RowPointers, offset);
        if (ui.RowLength(u) >= ui.Columns) return -1L;
        return ((long)u << 32) | (uint)ui.RowIndices(u)[(int)(offset - ui.RowPointers[u])];
    }

    /// <summary>
    /// A negative item for a user with sorted <paramref name="positives"/>: drawn uniformly or from
    /// <paramref name="sampler"/>, rejected while it is a positive. -1 when 64 draws all hit positives.
    /// </summary>
    internal static int SampleNegative(ReadOnlySpan<int> positives, int items, PopularitySampler? sampler, ref XorShift r)
    {
        for (int attempt = 0; attempt < 64; attempt++)
        {
            int c = sampler is null ? r.Next(items) : sampler.Sample(ref r);
            if (positives.BinarySearch(c) < 0) return c;
        }
        return -1;
    }

    /// <summary>As <see cref="SampleNegative(ReadOnlySpan{int}, int, PopularitySampler?, ref XorShift)"/> with the user's positives as bits [offset, offset + items) of a bit set.</summary>
    internal static int SampleNegative(ulong[] bits, long offset, int items, PopularitySampler? sampler, ref XorShift r)
    {
        for (int attempt = 0; attempt < 64; attempt++)
        {
            int c = sampler is null ? r.Next(items) : sampler.Sample(ref r);
            long b = offset + c;
            if ((bits[b >> 6] & (1UL << (int)(b & 63))) == 0) return c;
        }
        return -1;
    }

    /// <summary>One SGD step on the triple (u, i, j); returns x_uij before the update.</summary>
    private float Step(int u, int i, int j, float lr)
    {
        int f = Params.Factors;
        var wu = _users.Row(u);
        var hi = _items.Row(i);
        var hj = _items.Row(j);
        // The bias sits in the last slot with user component 1, so the dot products include it.
        float x = DotDifference(wu, hi, hj);
        float z = 1f / (1f + MathF.Exp(x)); // sigma(-x) = d ln sigma(x) / dx
        float reg = Params.Regularization;
        UpdateFactors(wu[..f], hi[..f], hj[..f], lr * z, lr * reg);
        if (Params.ItemBias)
        {
            hi[f] += lr * (z - reg * hi[f]);
            hj[f] += lr * (-z - reg * hj[f]);
        }
        return x;
    }

    /// <summary>w . (hi - hj) in one pass.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float DotDifference(ReadOnlySpan<float> w, ReadOnlySpan<float> hi, ReadOnlySpan<float> hj)
    {
        int n = w.Length, k = 0;
        ref float pw = ref MemoryMarshal.GetReference(w);
        ref float pi = ref MemoryMarshal.GetReference(hi);
        ref float pj = ref MemoryMarshal.GetReference(hj);
        float sum = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            var acc = Vector<float>.Zero;
            for (; k <= n - Vector<float>.Count; k += Vector<float>.Count)
                acc = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref pw, (nuint)k),
                    Vector.LoadUnsafe(ref pi, (nuint)k) - Vector.LoadUnsafe(ref pj, (nuint)k), acc);
            sum = Vector.Sum(acc);
        }
        for (; k < n; k++) sum += Unsafe.Add(ref pw, k) * (Unsafe.Add(ref pi, k) - Unsafe.Add(ref pj, k));
        return sum;
    }

    /// <summary>w += g (hi - hj) - r w; hi += g w - r hi; hj += -g w - r hj (old w on the right-hand sides).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void UpdateFactors(Span<float> w, Span<float> hi, Span<float> hj, float g, float r)
    {
        int n = w.Length, k = 0;
        ref float pw = ref MemoryMarshal.GetReference(w);
        ref float pi = ref MemoryMarshal.GetReference(hi);
        ref float pj = ref MemoryMarshal.GetReference(hj);
        if (Vector.IsHardwareAccelerated)
        {
            var vg = new Vector<float>(g); var vr = new Vector<float>(1f - r);
            for (; k <= n - Vector<float>.Count; k += Vector<float>.Count)
            {
                var a = Vector.LoadUnsafe(ref pw, (nuint)k);
                var b = Vector.LoadUnsafe(ref pi, (nuint)k);
                var c = Vector.LoadUnsafe(ref pj, (nuint)k);
                (vr * a + vg * (b - c)).StoreUnsafe(ref pw, (nuint)k);
                (vr * b + vg * a).StoreUnsafe(ref pi, (nuint)k);
                (vr * c - vg * a).StoreUnsafe(ref pj, (nuint)k);
            }
        }
        for (; k < n; k++)
        {
            float a = Unsafe.Add(ref pw, k), b = Unsafe.Add(ref pi, k), c = Unsafe.Add(ref pj, k);
            Unsafe.Add(ref pw, k) = (1 - r) * a + g * (b - c);
            Unsafe.Add(ref pi, k) = (1 - r) * b + g * a;
            Unsafe.Add(ref pj, k) = (1 - r) * c - g * a;
        }
    }

    public override void ScoreAllItems(int user, Span<float> scores) =>
        _items.MultiplyVector(UserVector(user), scores);

    public override void Score(int user, ReadOnlySpan<int> items, Span<float> scores)
    {
        var x = UserVector(user);
        for (int j = 0; j < items.Length; j++) scores[j] = TensorPrimitives.Dot(x, ItemVector(items[j]));
    }

    protected override void SaveModelState(ModelArchiveWriter writer)
    {
        // One (rows, dimensions) .npy per side, streamed chunk by chunk: the same bytes as the one-array files of earlier versions.
        writer.WriteMatrix("user_factors", _users);
        writer.WriteMatrix("item_factors", _items);
    }

    protected override void LoadModelState(ModelArchiveReader reader)
    {
        _users = reader.ReadMatrix("user_factors", UserCount, Dimensions, FactorChunkCapacity);
        _items = reader.ReadMatrix("item_factors", ItemCount, Dimensions, FactorChunkCapacity);
    }

    /// <summary>xorshift64* generator: fast, per-thread, seedable.</summary>
    internal struct XorShift(ulong seed)
    {
        private ulong _s = seed == 0 ? 0x9E3779B97F4A7C15UL : seed;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public ulong NextULong()
        {
            _s ^= _s >> 12; _s ^= _s << 25; _s ^= _s >> 27;
            return _s * 0x2545F4914F6CDD1DUL;
        }

        /// <summary>Uniform in [0, n) (Lemire's multiply-shift; bias negligible for n &lt;&lt; 2^32).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Next(int n) => (int)(((NextULong() >> 32) * (ulong)n) >> 32);

        /// <summary>Uniform in [0, n) for 64-bit n: the high half of a 64 x 64-bit product (Lemire).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public long NextLong(long n) => (long)Math.BigMul(NextULong(), (ulong)n, out _);

        public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));
    }

    /// <summary>Draws items with probability proportional to count^exponent (alias method, O(1) per draw).</summary>
    internal sealed class PopularitySampler
    {
        private readonly float[] _prob;
        private readonly int[] _alias;

        public PopularitySampler(int[] counts, float exponent)
        {
            int n = counts.Length;
            var w = new double[n];
            double sum = 0;
            for (int i = 0; i < n; i++) { w[i] = counts[i] > 0 ? Math.Pow(counts[i], exponent) : 0; sum += w[i]; }
            if (sum <= 0) { for (int i = 0; i < n; i++) w[i] = 1; sum = n; }
            _prob = new float[n]; _alias = new int[n];
            var scaled = new double[n];
            var small = new Stack<int>(); var large = new Stack<int>();
            for (int i = 0; i < n; i++) { scaled[i] = w[i] * n / sum; (scaled[i] < 1 ? small : large).Push(i); }
            while (small.Count > 0 && large.Count > 0)
            {
                int s = small.Pop(), l = large.Pop();
                _prob[s] = (float)scaled[s]; _alias[s] = l;
                scaled[l] = scaled[l] + scaled[s] - 1;
                (scaled[l] < 1 ? small : large).Push(l);
            }
            while (large.Count > 0) { int l = large.Pop(); _prob[l] = 1; _alias[l] = l; }
            while (small.Count > 0) { int s = small.Pop(); _prob[s] = 1; _alias[s] = s; }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Sample(ref XorShift r)
        {
            int i = r.Next(_prob.Length);
            return r.NextDouble() < _prob[i] ? i : _alias[i];
        }
    }
}
