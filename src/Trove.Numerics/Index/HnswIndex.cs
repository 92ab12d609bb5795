using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Trove.Numerics.Index;

/// <summary>Construction and search settings of an <see cref="HnswIndex"/>.</summary>
public sealed record HnswParameters
{
    /// <summary>Links per node on the upper layers (twice as many on layer 0).</summary>
    public int M { get; init; } = 16;
    /// <summary>Candidate list size while inserting: higher builds slower and a better graph.</summary>
    public int EfConstruction { get; init; } = 200;
    /// <summary>Default candidate list size while searching (at least k is always used).</summary>
    public int EfSearch { get; init; } = 64;
    /// <summary>Seed of the random layer assignment.</summary>
    public int Seed { get; init; } = 42;
    /// <summary>Insertion threads (1 gives the same graph on every run).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;
}

/// <summary>
/// Hierarchical navigable small world graph (Malkov &amp; Yashunin 2018, arXiv:1603.09320):
/// approximate k-nearest-neighbour search in roughly logarithmic time. Layer 0 holds every
/// vector with up to 2M links; each higher layer holds an exponentially thinning sample with up
/// to M links. Neighbours are chosen with the paper's diversity heuristic (Algorithm 4).
/// Searches can take a filter predicate: rejected rows are still traversed, never returned.
/// Thread-safe for concurrent searches once built.
/// </summary>
public sealed class HnswIndex : IVectorIndex
{
    private const int Magic = 0x57534E48; // "HNSW"
    private const int FormatVersion = 1;
    private const int LockStripes = 4096;
    private const int ScratchPerProcessor = 4;

    private readonly float[] _data;
    private readonly int[] _levels;
    private readonly int[] _links0;      // Count x M0
    private readonly int[] _counts0;     // Count
    private readonly int[]?[] _upper;    // per node: for layers 1..level, blocks of (1 + M): [count, links...]
    private readonly object[] _locks = Enumerable.Range(0, LockStripes).Select(_ => new object()).ToArray();
    private readonly object _entryLock = new();
    private readonly VisitedSet?[] _scratch;
    private int _entry = -1;
    private int _maxLevel = -1;

    public int Count { get; }
    public int Dimensions { get; }
    public VectorMetric Metric { get; }
    public HnswParameters Parameters { get; }
    private int M => Parameters.M;
    private int M0 => 2 * Parameters.M;

    private HnswIndex(float[] data, int dimensions, VectorMetric metric, HnswParameters parameters, int[] levels)
    {
        Dimensions = dimensions; Metric = metric; Parameters = parameters;
        Count = data.Length / dimensions;
        _data = data; _levels = levels;
        // Count x 2M layer-0 links in one array: past Array.MaxLength (e.g. 70M nodes at M = 16) say so rather than overflow the size.
        long links = (long)Count * M0;
        if (links > Array.MaxLength)
            throw new ArgumentException($"HNSW: {Count:N0} vectors x {M0} layer-0 links = {links:N0}, more than one array holds ({Array.MaxLength:N0}); use a smaller M or shard the index.");
        _links0 = new int[links];
        _counts0 = new int[Count];
        _upper = new int[]?[Count];
        for (int i = 0; i < Count; i++) if (levels[i] > 0) _upper[i] = new int[levels[i] * (1 + M)];
        _scratch = new VisitedSet?[ScratchPerProcessor * Environment.ProcessorCount];
    }

    /// <summary>
    /// Builds an index over Count x dimensions row-major floats (copied; normalised for cosine).
    /// <paramref name="cancellationToken"/> stops a build that is no longer wanted (a server reload superseded it)
    /// with an <see cref="OperationCanceledException"/>.
    /// </summary>
    public static HnswIndex Build(ReadOnlySpan<float> vectors, int dimensions, VectorMetric metric = VectorMetric.Cosine, HnswParameters? parameters = null,
        CancellationToken cancellationToken = default)
    {
        VectorMath.CheckShape(vectors.Length, dimensions);
        parameters ??= new HnswParameters();
        if (parameters.M < 2) throw new ArgumentOutOfRangeException(nameof(parameters), "HNSW needs M >= 2.");
        var data = vectors.ToArray();
        int count = data.Length / dimensions;
        if (metric == VectorMetric.Cosine)
            for (int i = 0; i < count; i++) VectorMath.Normalize(data.AsSpan(i * dimensions, dimensions));
        var random = new Random(parameters.Seed);
        double mult = 1 / Math.Log(parameters.M);
        var levels = new int[count];
        for (int i = 0; i < count; i++) levels[i] = Math.Min(30, (int)(-Math.Log(1 - random.NextDouble()) * mult));
        var index = new HnswIndex(data, dimensions, metric, parameters, levels);
        if (count == 0) return index;
        index.Insert(0);
        Parallel.For(1, count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parameters.Threads), CancellationToken = cancellationToken }, index.Insert);
        return index;
    }

    public ReadOnlySpan<float> Vector(int index) => _data.AsSpan(index * Dimensions, Dimensions);

    /// <summary>The k closest rows that pass the filter, with <see cref="HnswParameters.EfSearch"/> candidates (the overload with ef overrides it).</summary>
    public VectorMatch[] Search(ReadOnlySpan<float> query, int k, Func<int, bool>? filter = null) => Search(query, k, filter, null);

    public VectorMatch[] Search(ReadOnlySpan<float> query, int k, Func<int, bool>? filter, int? ef)
    {
        if (query.Length != Dimensions) throw new ArgumentException($"The query has {query.Length} dimensions; the index has {Dimensions}.");
        if (k <= 0 || Count == 0) return [];
        var q = VectorMath.Prepare(Metric, query);
        // Build and Load return the index only when complete, so searches read the entry point without the build lock.
        int entry = _entry, top = _maxLevel;
        float entryDistance = Distance(q, entry);
        for (int layer = top; layer > 0; layer--) (entry, entryDistance) = Greedy(q, entry, entryDistance, layer, building: false);
        var found = SearchLayer(q, [(entry, entryDistance)], Math.Max(ef ?? Parameters.EfSearch, k), 0, filter, building: false);
        int n = Math.Min(k, found.Count);
        var result = new VectorMatch[n];
        for (int j = 0; j < n; j++) result[j] = new VectorMatch(found[j].Id, VectorMath.ScoreOf(found[j].Distance));
        return result;
    }

    private float Distance(ReadOnlySpan<float> q, int node) => VectorMath.Distance(Metric, q, Vector(node));

    /// <summary>
    /// Asks the CPU to start loading a node's vector into cache (its first 512 bytes at most; the hardware prefetcher
    /// follows longer vectors). A hint only: it never faults, so the unpinned address is harmless even if the GC were to
    /// move the array in between (it does not: the vectors are one large-object-heap array).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private unsafe void PrefetchVector(int node)
    {
        if (!Sse.IsSupported) return;
        byte* start = (byte*)Unsafe.AsPointer(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_data), (nint)node * Dimensions));
        int bytes = Math.Min(Dimensions * sizeof(float), 512);
        for (int offset = 0; offset < bytes; offset += 64) Sse.Prefetch0(start + offset);
    }

    private void Insert(int node)
    {
        int level = _levels[node];
        bool raisesTop;
        lock (_entryLock)
        {
            if (_entry < 0) { _entry = node; _maxLevel = level; return; }
            raisesTop = level > _maxLevel;
        }
        if (raisesTop)
        {
            // Rare (about log n nodes): insert under the entry lock so no one else sees a half-linked top layer.
            lock (_entryLock)
            {
                InsertLinked(node, level);
                if (level > _maxLevel) { _entry = node; _maxLevel = level; }
            }
        }
        else InsertLinked(node, level);
    }

    private void InsertLinked(int node, int level)
    {
        var q = Vector(node);
        int entry, top;
        lock (_entryLock) { entry = _entry; top = _maxLevel; }
        float entryDistance = Distance(q, entry);
        for (int layer = top; layer > level; layer--) (entry, entryDistance) = Greedy(q, entry, entryDistance, layer, building: true);
        List<(int Id, float Distance)> entries = [(entry, entryDistance)];
        for (int layer = Math.Min(level, top); layer >= 0; layer--)
        {
            var candidates = SearchLayer(q, CollectionsMarshal.AsSpan(entries), Parameters.EfConstruction, layer, null, building: true);
            var chosen = SelectNeighbours(candidates, M);
            lock (LockOf(node)) SetLinks(node, layer, chosen);
            int max = layer == 0 ? M0 : M;
            foreach (var (other, d) in chosen) Connect(other, node, d, layer, max);
            // Every candidate enters the next layer (the paper's ep <- W), not only the closest: with parallel inserts the
            // closest may be a node still being inserted, whose lower-layer links are not written yet. Started from that
            // node alone, the next layer's search would find nothing else and the new node would get a single link.
            entries = candidates;
        }
    }

    /// <summary>Adds a link other -> node, re-selecting other's links with the heuristic when full.</summary>
    private void Connect(int other, int node, float distance, int layer, int max)
    {
        lock (LockOf(other))
        {
            var (links, offset) = LinksOf(other, layer);
            int count = layer == 0 ? _counts0[other] : links[offset - 1];
            for (int j = 0; j < count; j++) if (links[offset + j] == node) return;
            if (count < max)
            {
                links[offset + count] = node;
                if (layer == 0) _counts0[other] = count + 1; else links[offset - 1] = count + 1;
                return;
            }
            var pool = new List<(int Id, float Distance)>(count + 1) { (node, distance) };
            var v = Vector(other);
            for (int j = 0; j < count; j++) pool.Add((links[offset + j], Distance(v, links[offset + j])));
            pool.Sort((a, b) => a.Distance.CompareTo(b.Distance));
            SetLinks(other, layer, SelectNeighbours(pool, max));
        }
    }

    /// <summary>The array and offset of a node's links on a layer; for upper layers the count is at offset - 1.</summary>
    private (int[] Links, int Offset) LinksOf(int node, int layer) =>
        layer == 0 ? (_links0, node * M0) : (_upper[node]!, (layer - 1) * (1 + M) + 1);

    private void SetLinks(int node, int layer, List<(int Id, float Distance)> chosen)
    {
        var (links, offset) = LinksOf(node, layer);
        for (int j = 0; j < chosen.Count; j++) links[offset + j] = chosen[j].Id;
        if (layer == 0) _counts0[node] = chosen.Count; else links[offset - 1] = chosen.Count;
    }

    /// <summary>Copies a node's links on a layer into <paramref name="buffer"/> (under its lock while building).</summary>
    private int ReadLinks(int node, int layer, Span<int> buffer, bool building)
    {
        if (layer > _levels[node]) return 0;
        if (!building) return Copy(node, layer, buffer);
        lock (LockOf(node)) return Copy(node, layer, buffer);

        int Copy(int n, int l, Span<int> into)
        {
            var (links, offset) = LinksOf(n, l);
            int count = l == 0 ? _counts0[n] : links[offset - 1];
            links.AsSpan(offset, count).CopyTo(into);
            return count;
        }
    }

    private object LockOf(int node) => _locks[node & (LockStripes - 1)];

    /// <summary>
    /// Walks to the closest node on one layer, one improving step at a time. Searches of a built index read
    /// links without locks: every search starts at the same entry point, so locking the few upper-layer
    /// nodes would make concurrent requests queue on the same lock stripes.
    /// </summary>
    private (int, float) Greedy(ReadOnlySpan<float> q, int entry, float entryDistance, int layer, bool building)
    {
        Span<int> buffer = stackalloc int[M0];
        bool changed = true;
        while (changed)
        {
            changed = false;
            int n = ReadLinks(entry, layer, buffer, building);
            for (int j = 0; j < n; j++)
            {
                float d = Distance(q, buffer[j]);
                if (d < entryDistance) { entryDistance = d; entry = buffer[j]; changed = true; }
            }
        }
        return (entry, entryDistance);
    }

    /// <summary>Best-first search of one layer (Algorithm 2); returns up to ef nodes passing the filter, closest first.</summary>
    private List<(int Id, float Distance)> SearchLayer(ReadOnlySpan<float> q, ReadOnlySpan<(int Id, float Distance)> entries, int ef, int layer, Func<int, bool>? filter, bool building)
    {
        var visited = RentScratch();
        try { return SearchLayer(visited, q, entries, ef, layer, filter, building); }
        finally { ReturnScratch(visited); }
    }

    private List<(int Id, float Distance)> SearchLayer(VisitedSet visited, ReadOnlySpan<float> q, ReadOnlySpan<(int Id, float Distance)> entries, int ef, int layer, Func<int, bool>? filter, bool building)
    {
        visited.Reset();
        var candidates = visited.Candidates;
        var results = visited.Results; // priority = -distance: the farthest result is dequeued first
        candidates.Clear();
        results.Clear();
        float bound = float.PositiveInfinity;
        foreach (var (entry, entryDistance) in entries)
        {
            if (!visited.Add(entry)) continue;
            candidates.Enqueue(entry, entryDistance);
            if (filter is not null && !filter(entry)) continue;
            results.Enqueue(entry, -entryDistance);
            if (results.Count > ef) results.Dequeue();
            results.TryPeek(out _, out float worst);
            bound = -worst;
        }
        Span<int> buffer = stackalloc int[M0];
        while (candidates.TryDequeue(out int current, out float currentDistance))
        {
            if (currentDistance > bound && results.Count >= ef) break;
            int n = ReadLinks(current, layer, buffer, building);
            // Unvisited neighbours first, each vector's fetch from memory started as it is found, then their distances:
            // the loads overlap instead of each distance waiting for its own cache misses. The walk reads vectors
            // scattered over the whole index, and in a server the HTTP work between two searches evicts most of them.
            int fresh = 0;
            for (int j = 0; j < n; j++)
            {
                int next = buffer[j];
                if (!visited.Add(next)) continue;
                buffer[fresh++] = next;
                PrefetchVector(next);
            }
            for (int j = 0; j < fresh; j++)
            {
                int next = buffer[j];
                float d = Distance(q, next);
                if (results.Count < ef || d < bound)
                {
                    candidates.Enqueue(next, d);
                    if (filter is null || filter(next))
                    {
                        results.Enqueue(next, -d);
                        if (results.Count > ef) results.Dequeue();
                        results.TryPeek(out _, out float worst);
                        bound = -worst;
                    }
                }
            }
        }
        var list = new List<(int Id, float Distance)>(results.Count);
        while (results.TryDequeue(out int id, out float negative)) list.Add((id, -negative));
        list.Reverse();
        return list;
    }

    /// <summary>
    /// The neighbour-selection heuristic (Algorithm 4): take candidates closest first, keeping one only
    /// if it is closer to the base than to every neighbour already kept, so links span several directions.
    /// </summary>
    private List<(int Id, float Distance)> SelectNeighbours(List<(int Id, float Distance)> sortedCandidates, int m)
    {
        var chosen = new List<(int Id, float Distance)>(m);
        foreach (var (id, d) in sortedCandidates)
        {
            if (chosen.Count >= m) break;
            var v = Vector(id);
            bool keep = true;
            foreach (var (other, _) in chosen)
                if (Distance(v, other) < d) { keep = false; break; }
            if (keep) chosen.Add((id, d));
        }
        return chosen;
    }

    /// <summary>Writes the index (vectors and graph) in a small binary format.</summary>
    public void Save(Stream stream)
    {
        using var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        w.Write(Magic); w.Write(FormatVersion);
        w.Write((int)Metric); w.Write(Dimensions); w.Write(Count);
        w.Write(Parameters.M); w.Write(Parameters.EfConstruction); w.Write(Parameters.EfSearch); w.Write(Parameters.Seed);
        w.Write(_entry); w.Write(_maxLevel);
        WriteInts(w, _levels);
        WriteInts(w, _counts0);
        WriteInts(w, _links0);
        for (int i = 0; i < Count; i++) if (_upper[i] is { } u) WriteInts(w, u);
        w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_data.AsSpan()));
    }

    public void Save(string path)
    {
        using var stream = File.Create(path);
        Save(stream);
    }

    public static HnswIndex Load(Stream stream)
    {
        using var r = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        if (r.ReadInt32() != Magic) throw new InvalidDataException("Not an HNSW index file.");
        int version = r.ReadInt32();
        if (version != FormatVersion) throw new InvalidDataException($"HNSW index format {version} is not supported (expected {FormatVersion}).");
        var metric = (VectorMetric)r.ReadInt32();
        int dimensions = r.ReadInt32(), count = r.ReadInt32();
        var parameters = new HnswParameters { M = r.ReadInt32(), EfConstruction = r.ReadInt32(), EfSearch = r.ReadInt32(), Seed = r.ReadInt32() };
        int entry = r.ReadInt32(), maxLevel = r.ReadInt32();
        if (!Enum.IsDefined(metric) || dimensions <= 0 || count < 0 || parameters.M is < 2 or > 4096 || (long)count * dimensions > Array.MaxLength
            || (count == 0 ? entry != -1 : (uint)entry >= (uint)count) || maxLevel is < -1 or > 30)
            throw new InvalidDataException("The HNSW index header is corrupt.");
        var levels = ReadInts(r, count);
        foreach (int level in levels) if (level is < 0 or > 30) throw new InvalidDataException("The HNSW index levels are corrupt.");
        var index = new HnswIndex(new float[(long)count * dimensions], dimensions, metric, parameters, levels);
        ReadInts(r, count).CopyTo(index._counts0, 0);
        ReadInts(r, index._links0.Length).CopyTo(index._links0, 0);
        for (int i = 0; i < count; i++) if (index._upper[i] is { } u) ReadInts(r, u.Length).CopyTo(u, 0);
        r.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(index._data.AsSpan()));
        index._entry = entry; index._maxLevel = maxLevel;
        index.CheckLinks();
        return index;
    }

    /// <summary>Every link count and target in range, so a damaged file fails at load, never inside a search.</summary>
    private void CheckLinks()
    {
        for (int node = 0; node < Count; node++)
            for (int layer = 0; layer <= _levels[node]; layer++)
            {
                var (links, offset) = LinksOf(node, layer);
                int count = layer == 0 ? _counts0[node] : links[offset - 1];
                if ((uint)count > (uint)(layer == 0 ? M0 : M)) throw new InvalidDataException($"The HNSW index is corrupt: node {node} has {count} links on layer {layer}.");
                foreach (int target in links.AsSpan(offset, count))
                    if ((uint)target >= (uint)Count || _levels[target] < layer) throw new InvalidDataException($"The HNSW index is corrupt: node {node} links to {target} on layer {layer}.");
            }
        if (Count > 0 && _levels[_entry] != _maxLevel) throw new InvalidDataException("The HNSW index is corrupt: its entry point is not on the top layer.");
    }

    public static HnswIndex Load(string path)
    {
        using var stream = File.OpenRead(path);
        return Load(stream);
    }

    private static void WriteInts(BinaryWriter w, int[] values)
    {
        w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
    }

    private static int[] ReadInts(BinaryReader r, int count)
    {
        var values = new int[count];
        r.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }

    /// <summary>
    /// A search's scratch (visited marks and heaps), taken from the slots of the processor the search runs on (its own
    /// slots first, then any free one). Kept per processor rather than per thread so the number of sets follows the
    /// searches in flight, not the thread pool's thread count: each thread that searched kept a set of one mark per node
    /// (200 KB at 100,000 nodes) for as long as the index lived. It made no measurable difference to speed (paired
    /// servers, bench/RESULTS.md "Round 4"). A search that finds every slot taken gets a new set, kept if a slot is free
    /// when it ends.
    /// </summary>
    private VisitedSet RentScratch()
    {
        int first = FirstScratchSlot();
        for (int i = 0; i < _scratch.Length; i++)
        {
            var set = Interlocked.Exchange(ref _scratch[(first + i) % _scratch.Length], null);
            if (set is not null) return set;
        }
        return new VisitedSet(Count);
    }

    private void ReturnScratch(VisitedSet set)
    {
        int first = FirstScratchSlot();
        for (int i = 0; i < _scratch.Length; i++)
            if (Interlocked.CompareExchange(ref _scratch[(first + i) % _scratch.Length], set, null) is null) return;
    }

    private static int FirstScratchSlot() => (int)((uint)Thread.GetCurrentProcessorId() % (uint)Environment.ProcessorCount) * ScratchPerProcessor;

    /// <summary>Visited marks without clearing: a node is visited when its mark equals the current generation.</summary>
    internal sealed class VisitedSet(int count)
    {
        // ushort marks: half the bytes of ints, so more of the set stays in cache; the marks are cleared once every
        // 65,535 searches instead of every 2^31.
        private readonly ushort[] _marks = new ushort[count];
        public PriorityQueue<int, float> Candidates { get; } = new();
        public PriorityQueue<int, float> Results { get; } = new();
        private ushort _generation;

        public void Reset()
        {
            if (_generation == ushort.MaxValue) { Array.Clear(_marks); _generation = 0; }
            _generation++;
        }

        /// <summary>Whether <paramref name="node"/> was added since the last <see cref="Reset"/> (without marking it).</summary>
        public bool Contains(int node) => _marks[node] == _generation;

        public bool Add(int node)
        {
            if (_marks[node] == _generation) return false;
            _marks[node] = _generation;
            return true;
        }
    }
}
