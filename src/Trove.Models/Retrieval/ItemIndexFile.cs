using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Core.Recommending;
using Trove.Numerics.Index;

namespace Trove.Models.Retrieval;

/// <summary>The HNSW graphs over one model's item vectors: cosine for similar items, inner product (maximum-inner-product search) for recommendations.</summary>
public sealed record ItemGraphs(HnswIndex? Similar, HnswIndex? Recommend);

/// <summary>
/// The item-vector graphs of a model, kept in a file next to it (<c>MODEL.index</c>) so a server
/// loads them instead of rebuilding (minutes for 100k items). The header names the model version
/// and a SHA-256 of the item vectors the graphs were built from, and a SHA-256 of the payload
/// detects damage: a stale or corrupt file is never used. Written atomically (temporary file and rename).
/// </summary>
public static class ItemIndexFile
{
    private static readonly byte[] Magic = "TROVEIDX"u8.ToArray();
    private const int FormatVersion = 1;
    private const string SimilarEntry = "similar-items-cosine";
    private const string RecommendEntry = "recommendations-inner-product";

    public static string PathFor(string modelPath) => modelPath + ".index";

    /// <summary>
    /// The model's item vectors, Count x Dimensions row-major in one array (what the exact scorer and the graph indexes
    /// take): past <see cref="Array.MaxLength"/> values (33.5M items at 64 dimensions) that is a one-line error.
    /// </summary>
    public static float[] ItemVectors(IEmbeddingModel model, int items)
    {
        int d = model.Dimensions;
        if ((long)items * d > Array.MaxLength)
            throw new TroveException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{items:N0} items x {d} dimensions = {(long)items * d:N0} values, more than the item index holds ({Array.MaxLength:N0}); serve a model with fewer items or dimensions."));
        var vectors = new float[(long)items * d];
        for (int i = 0; i < items; i++) model.ItemVector(i).CopyTo(vectors.AsSpan(i * d, d));
        return vectors;
    }

    /// <summary>
    /// The graphs of the model at <paramref name="modelPath"/>: read from its index file when that was built
    /// from these vectors (a stale or damaged file is logged and ignored), the wanted ones that are missing
    /// built (inner product first: recommendations need it most), and the result saved when anything was
    /// built and <paramref name="persist"/> is set. <paramref name="publish"/> sees the graphs as soon as
    /// each is available, with where they came from ("loaded", "built", "rebuilt").
    /// </summary>
    public static ItemGraphs LoadOrBuild(string modelPath, string modelName, string modelVersion, float[] vectors, int dimensions,
        bool similar, bool recommend, HnswParameters parameters, bool persist, ILogger log, Action<ItemGraphs, string>? publish = null,
        CancellationToken cancellationToken = default)
    {
        int n = vectors.Length / dimensions;
        var file = PathFor(modelPath);
        var fingerprint = Fingerprint(modelVersion, vectors, dimensions);
        var graphs = TryRead(file, fingerprint, out var problem);
        if (graphs is not null && (graphs.Similar is { } s && (s.Count != n || s.Dimensions != dimensions) || graphs.Recommend is { } r && (r.Count != n || r.Dimensions != dimensions)))
            (graphs, problem) = (null, "its graphs do not match the model's items");
        if (problem is not null) log.LogWarning("vector index {File} not used ({Problem}); rebuilding it", file, problem);
        if (graphs is not null)
        {
            publish?.Invoke(graphs, "loaded");
            log.LogInformation("model {Name}: vector index loaded from {File}", modelName, file);
        }
        graphs ??= new ItemGraphs(null, null);
        string source = problem is null ? "built" : "rebuilt";
        bool built = false;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        if (recommend && graphs.Recommend is null)
        {
            graphs = graphs with { Recommend = HnswIndex.Build(vectors, dimensions, VectorMetric.InnerProduct, parameters, cancellationToken) };
            publish?.Invoke(graphs, source);
            built = true;
        }
        if (similar && graphs.Similar is null)
        {
            graphs = graphs with { Similar = HnswIndex.Build(vectors, dimensions, VectorMetric.Cosine, parameters, cancellationToken) };
            publish?.Invoke(graphs, source);
            built = true;
        }
        if (!built) return graphs;
        log.LogInformation("model {Name}: HNSW graphs over {Items} item vectors built in {Seconds:F1} s", modelName, n, clock.Elapsed.TotalSeconds);
        if (!persist) return graphs;
        try
        {
            Write(file, fingerprint, graphs);
            log.LogInformation("model {Name}: vector index saved to {File}", modelName, file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.LogWarning("model {Name}: could not save the vector index to {File} ({Message}); it will be rebuilt at the next start", modelName, file, e.Message);
        }
        return graphs;
    }

    /// <summary>What the graphs must have been built from: the model version and a hash of its item vectors (count, dimensions, floats).</summary>
    public static string Fingerprint(string modelVersion, ReadOnlySpan<float> vectors, int dimensions)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(BitConverter.GetBytes(vectors.Length / dimensions));
        sha.AppendData(BitConverter.GetBytes(dimensions));
        sha.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(vectors));
        return $"{modelVersion}/sha256:{Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant()}";
    }

    public static void Write(string path, string fingerprint, ItemGraphs graphs)
    {
        var entries = new List<(string Name, byte[] Bytes)>();
        if (graphs.Similar is { } similar) entries.Add((SimilarEntry, Serialise(similar.Save)));
        if (graphs.Recommend is { } recommend) entries.Add((RecommendEntry, Serialise(recommend.Save)));
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (_, bytes) in entries) hash.AppendData(bytes);
        var checksum = hash.GetHashAndReset();
        AtomicFile.Write(path, stream =>
        {
            using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            w.Write(Magic); w.Write(FormatVersion);
            w.Write(fingerprint);
            w.Write(entries.Count);
            foreach (var (name, bytes) in entries) { w.Write(name); w.Write((long)bytes.Length); }
            w.Write(checksum);
            foreach (var (_, bytes) in entries) w.Write(bytes);
        });
    }

    /// <summary>
    /// The graphs stored at <paramref name="path"/> when they were built for <paramref name="fingerprint"/>;
    /// null with <paramref name="problem"/> saying why (null problem: there is no file).
    /// </summary>
    public static ItemGraphs? TryRead(string path, string fingerprint, out string? problem)
    {
        problem = null;
        if (!File.Exists(path)) return null;
        try
        {
            using var stream = File.OpenRead(path);
            using var r = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
            if (!r.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic)) { problem = "not a Trove vector index file"; return null; }
            int version = r.ReadInt32();
            if (version != FormatVersion) { problem = $"index format {version}, expected {FormatVersion}"; return null; }
            string builtFor = r.ReadString();
            if (builtFor != fingerprint) { problem = $"stale: built for {builtFor}, the model is {fingerprint}"; return null; }
            int count = r.ReadInt32();
            if (count is < 0 or > 16) { problem = "corrupt header"; return null; }
            var names = new string[count]; var lengths = new long[count];
            for (int e = 0; e < count; e++) { names[e] = r.ReadString(); lengths[e] = r.ReadInt64(); }
            var checksum = r.ReadBytes(32);
            if (lengths.Any(n => n < 0) || lengths.Sum() != stream.Length - stream.Position) { problem = "corrupt: truncated or padded"; return null; }
            var payloads = new byte[count][];
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            for (int e = 0; e < count; e++) { payloads[e] = r.ReadBytes(checked((int)lengths[e])); hash.AppendData(payloads[e]); }
            if (!hash.GetHashAndReset().AsSpan().SequenceEqual(checksum)) { problem = "corrupt: checksum mismatch"; return null; }
            HnswIndex? similar = null, recommend = null;
            for (int e = 0; e < count; e++)
            {
                using var entry = new MemoryStream(payloads[e], writable: false);
                if (names[e] == SimilarEntry) similar = HnswIndex.Load(entry);
                else if (names[e] == RecommendEntry) recommend = HnswIndex.Load(entry);
            }
            if (similar is { Metric: not VectorMetric.Cosine } || recommend is { Metric: not VectorMetric.InnerProduct }) { problem = "corrupt: unexpected metric"; return null; }
            return new ItemGraphs(similar, recommend);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or OverflowException or ArgumentException or UnauthorizedAccessException)
        {
            problem = $"unreadable: {e.Message}";
            return null;
        }
    }

    private static byte[] Serialise(Action<Stream> save)
    {
        using var buffer = new MemoryStream();
        save(buffer);
        return buffer.ToArray();
    }
}
