using System.Numerics.Tensors;
using System.Security.Cryptography;
using System.Text;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Models.Features;
using Trove.Numerics.Index;

namespace Trove.Models.Search;

/// <summary>
/// What search needs of a catalogue, built once per model: each item's document (its text columns and its
/// categorical labels, e.g. "Toy Story (1995). Animation. Children's. Comedy"), a BM25 index over the documents,
/// and the documents embedded by a text encoder (by name from <see cref="FeatureEncoderRegistry"/>: "minilm" when
/// the host registered it, else "tfidf") with an HNSW graph (cosine) over the embeddings.
/// <para>The embeddings and the graph are the slow part (all-MiniLM-L6-v2 encodes about 140 items/s on two
/// cores), so they are saved (<see cref="Save"/>, usually as <c>MODEL.search</c> next to the model file) with a
/// fingerprint of the documents and the encoder: an index built from other documents is never used.</para>
/// </summary>
public sealed class SearchIndex
{
    /// <summary>The one text column the dense encoder reads (the whole document).</summary>
    public const string DocumentColumn = "document";
    private const int FormatVersion = 1;

    private readonly IFeatureEncoder _encoder;
    private readonly float[] _vectors;

    private SearchIndex(string[] documents, string fingerprint, EncoderSpec spec, IFeatureEncoder encoder, float[] vectors, HnswIndex graph)
    {
        Documents = documents; Fingerprint = fingerprint; Encoder = spec; _encoder = encoder; _vectors = vectors; Graph = graph;
        Sparse = new Bm25Index(documents);
    }

    /// <summary>Each item's searchable text (empty when the item has neither text nor labels).</summary>
    public IReadOnlyList<string> Documents { get; }
    /// <summary>SHA-256 of the documents and the encoder spec: what a saved index must match.</summary>
    public string Fingerprint { get; }
    /// <summary>The dense text encoder as configured (name and options).</summary>
    public EncoderSpec Encoder { get; }
    /// <summary>The keyword index.</summary>
    public Bm25Index Sparse { get; }
    /// <summary>Cosine HNSW graph over the document embeddings.</summary>
    public HnswIndex Graph { get; }
    /// <summary>Length of a document embedding.</summary>
    public int Dimensions => _encoder.Dimensions;
    /// <summary>Items indexed.</summary>
    public int Count => Documents.Count;
    /// <summary>True when at least one item has text or labels (else search has nothing to find).</summary>
    public bool HasText => Documents.Any(d => d.Length > 0);

    /// <summary>The dense encoder used when none is named: "minilm" when registered (the trove command does), else "tfidf".</summary>
    public static string DefaultEncoder(FeatureEncoderRegistry? registry = null) =>
        (registry ?? FeatureEncoderRegistry.Default).Contains("minilm") ? "minilm" : "tfidf";

    /// <summary>One document per item: every text column, then every categorical column's labels, joined with ". ".</summary>
    public static string[] BuildDocuments(FeatureTable features, int items)
    {
        var documents = new string[items];
        var textColumns = features.Text.Keys.Order(StringComparer.Ordinal).ToArray();
        var labelColumns = features.Categorical.Keys.Order(StringComparer.Ordinal).ToArray();
        var parts = new List<string>();
        for (int i = 0; i < items; i++)
        {
            parts.Clear();
            foreach (var c in textColumns)
                if (features.Text[c] is var col && i < col.Length && !string.IsNullOrWhiteSpace(col[i])) parts.Add(col[i]!.Trim());
            foreach (var c in labelColumns)
                parts.AddRange(features.Labels(c, i));
            documents[i] = string.Join(". ", parts);
        }
        return documents;
    }

    /// <summary>SHA-256 over the documents and the encoder spec.</summary>
    public static string ComputeFingerprint(IReadOnlyList<string> documents, EncoderSpec spec)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes($"v{FormatVersion}|{spec.Encoder}|{spec.Options?.GetRawText()}|{documents.Count}\n"));
        foreach (var d in documents) sha.AppendData(Encoding.UTF8.GetBytes(d + "\n"));
        return "sha256:" + Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>The spec of the dense encoder: <paramref name="encoder"/> (default <see cref="DefaultEncoder"/>) over the document column.</summary>
    public static EncoderSpec Spec(string? encoder = null, System.Text.Json.JsonElement? options = null) =>
        new() { Encoder = encoder ?? DefaultEncoder(), Group = "text", Columns = [DocumentColumn], Options = options };

    /// <summary>Embeds every document and builds the BM25 index and the HNSW graph.</summary>
    public static SearchIndex Build(FeatureTable features, IdMap items, EncoderSpec? spec = null, IProgress<string>? log = null, CancellationToken cancellationToken = default,
        FeatureEncoderRegistry? registry = null)
    {
        registry ??= FeatureEncoderRegistry.Default;
        spec ??= Spec(DefaultEncoder(registry));
        var documents = BuildDocuments(features, items.Count);
        var encoder = registry.Create(spec);
        var input = DocumentInput(documents, items);
        encoder.Fit(input);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var vectors = new float[(long)documents.Length * encoder.Dimensions];
        // In chunks, so a long encoding reports progress and can be cancelled between chunks.
        const int chunk = 2048;
        for (int start = 0; start < documents.Length; start += chunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var rows = Enumerable.Range(start, Math.Min(chunk, documents.Length - start)).ToArray();
            encoder.Encode(input, rows, vectors.AsSpan(start * encoder.Dimensions, rows.Length * encoder.Dimensions));
            log?.Report($"search index: {start + rows.Length:N0}/{documents.Length:N0} items embedded with {spec.Encoder} ({(start + rows.Length) / Math.Max(1e-9, clock.Elapsed.TotalSeconds):F0} items/s)");
        }
        var graph = HnswIndex.Build(vectors, Math.Max(1, encoder.Dimensions), VectorMetric.Cosine, GraphParameters, cancellationToken);
        return new SearchIndex(documents, ComputeFingerprint(documents, spec), spec, encoder, vectors, graph);
    }

    /// <summary>HNSW settings for document graphs: a wider candidate list than recommendations use (search results are read in order).</summary>
    public static readonly HnswParameters GraphParameters = new() { M = 16, EfConstruction = 100, EfSearch = 128 };

    private static EncoderInput DocumentInput(IReadOnlyList<string?> documents, IdMap ids)
    {
        var table = new FeatureTable();
        table.Text[DocumentColumn] = documents.Select(d => string.IsNullOrEmpty(d) ? null : d).ToArray();
        return new EncoderInput(table, ids, "item");
    }

    /// <summary>The query's embedding (unit length; zeros when the encoder finds nothing in it).</summary>
    public float[] EmbedQuery(string query)
    {
        var input = DocumentInput([query], new IdMap(["query"]));
        var v = new float[Dimensions];
        _encoder.Encode(input, [0], v);
        float norm = TensorPrimitives.Norm(v);
        if (norm > 0) TensorPrimitives.Divide(v, norm, v);
        return v;
    }

    /// <summary>Cosine of the query embedding with an item's embedding.</summary>
    public float Cosine(ReadOnlySpan<float> query, int item) => TensorPrimitives.Dot(query, Graph.Vector(item));

    /// <summary>Writes the embeddings, the graph and the encoder state (the documents are rebuilt from the model).</summary>
    public void Save(Stream stream)
    {
        using var w = new ModelArchiveWriter(stream);
        w.WriteJson("search", new Header(FormatVersion, Fingerprint, Encoder, Count, Dimensions));
        _encoder.Save(w.Scoped("encoder"));
        w.WriteArray("vectors", _vectors, Count, Math.Max(1, Dimensions));
        using var graph = new MemoryStream();
        Graph.Save(graph);
        w.WriteBytes("graph.hnsw", graph.ToArray());
    }

    private sealed record Header(int FormatVersion, string Fingerprint, EncoderSpec Encoder, int Items, int Dimensions);

    /// <summary>
    /// Reads an index saved by <see cref="Save"/> for these features; null (with the reason) when it was built from
    /// other documents or by another format, so the caller rebuilds it.
    /// </summary>
    /// <param name="unavailableEncoder">Set when the file is fine but names an encoder this process has not registered (e.g. a
    /// host without Trove.Semantic): the caller should not overwrite it.</param>
    public static SearchIndex? TryLoad(Stream stream, string path, FeatureTable features, IdMap items, out string? stale, out bool unavailableEncoder,
        FeatureEncoderRegistry? registry = null)
    {
        registry ??= FeatureEncoderRegistry.Default;
        using var r = new ModelArchiveReader(stream, path);
        var header = r.ReadJson<Header>("search");
        stale = null;
        unavailableEncoder = false;
        if (header.FormatVersion != FormatVersion) { stale = $"format {header.FormatVersion}, expected {FormatVersion}"; return null; }
        if (!registry.Contains(header.Encoder.Encoder))
        {
            (stale, unavailableEncoder) = (registry.UnknownEncoder(header.Encoder.Encoder), true);
            return null;
        }
        var documents = BuildDocuments(features, items.Count);
        if (ComputeFingerprint(documents, header.Encoder) != header.Fingerprint) { stale = "it was built from other item texts or another encoder"; return null; }
        var encoder = registry.Create(header.Encoder);
        encoder.Load(r.Scoped("encoder"));
        var vectors = r.ReadFloats("vectors");
        var graph = HnswIndex.Load(new MemoryStream(r.ReadBytes("graph.hnsw")));
        if (graph.Count != documents.Length || vectors.Length != (long)documents.Length * Math.Max(1, encoder.Dimensions))
        {
            stale = "its vectors do not match the items"; return null;
        }
        return new SearchIndex(documents, header.Fingerprint, header.Encoder, encoder, vectors, graph);
    }
}
