using Trove.Models.Retrieval;
using Trove.Core.Persistence;
using Trove.Core.Recommending;
using Trove.Models.Search;
using Trove.Numerics.Index;
using Trove.Numerics.Sparse;
using Microsoft.Extensions.Logging;

namespace Trove.Server.Models;

/// <summary>How top-K recommendations are retrieved: exact scoring of every item, the HNSW graph, or the graph for catalogues of HnswMinItems+ items.</summary>
public enum RetrievalMode { Exact, Hnsw, Auto }

public static class RetrievalModes
{
    public const string Names = "exact, hnsw or auto";

    public static string Name(RetrievalMode mode) => mode switch { RetrievalMode.Hnsw => "hnsw", RetrievalMode.Auto => "auto", _ => "exact" };

    public static bool TryParse(string? text, out RetrievalMode mode)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "exact": mode = RetrievalMode.Exact; return true;
            case "hnsw": mode = RetrievalMode.Hnsw; return true;
            case "auto": mode = RetrievalMode.Auto; return true;
            default: mode = RetrievalMode.Auto; return false;
        }
    }
}

/// <summary>Which HNSW graphs a loaded model gets and how they are built and kept.</summary>
/// <param name="Persist">Save built graphs next to the model file (MODEL.index) for the next start.</param>
/// <param name="ExactBatching">Batch the exact scoring of concurrent requests of dot-product models (<see cref="ExactBatchScorer"/>).</param>
public sealed record IndexSettings(RetrievalMode Retrieval, int HnswMinItems, HnswParameters Graph, bool Persist = true, bool ExactBatching = true);

/// <summary>Items that pass a feature filter, and how many do.</summary>
public sealed record ItemMask(bool[] Passes, int Count);

/// <summary>
/// One trained model as the server uses it: the model file's contents plus what the server derives
/// once at load time (item popularity for cold start, a vector index for embedding models, data statistics).
/// Immutable after construction, so requests can keep using it while a reload swaps in a new one.
/// </summary>
public sealed class LoadedModel
{
    public LoadedModel(string name, string path, TrainedModel trained, DateTime fileTimeUtc, IndexSettings indexes, IReadOnlyDictionary<string, string>? titles = null, ILogger? log = null)
    {
        Titles = titles;
        Name = name; Path = path; Trained = trained; FileTimeUtc = fileTimeUtc;
        Version = trained.Manifest.ModelVersion; // formatted from the manifest on each read: once here, not in every response
        FileLength = File.Exists(path) ? new FileInfo(path).Length : -1;
        LoadedUtc = DateTime.UtcNow;
        HistoryScorer = HistoryScoring.For(trained.Model);
        UserItems = (trained.Model as ITrainingInteractions)?.UserItems;
        ItemUserCounts = new float[trained.Items.Count];
        if (UserItems is { } m)
        {
            var counts = m.ColumnCounts();
            for (int i = 0; i < Math.Min(counts.Length, ItemUserCounts.Length); i++) ItemUserCounts[i] = counts[i];
        }
        _configuredRetrieval = indexes.Retrieval;
        var searchLog = log ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        // Built (or read from MODEL.search) on the first search only: embedding a catalogue costs minutes, and most
        // served models are never searched. `trove index --model MODEL` builds the file ahead of time.
        _search = new Lazy<ItemSearch>(() =>
        {
            var index = SearchIndexFile.LoadOrBuild(path, trained, encoder: null, indexes.Persist, new LogLines(searchLog), out var source);
            searchLog.LogInformation("model {Name}: search index {Source} ({Items} items, encoder {Encoder})", name, source, index.Count, index.Encoder.Encoder);
            return new ItemSearch(index);
        }, LazyThreadSafetyMode.ExecutionAndPublication);
        EfSearch = indexes.Graph.EfSearch;
        if (trained.Model is IEmbeddingModel embedding && trained.Items.Count > 0)
        {
            int n = trained.Items.Count, d = embedding.Dimensions;
            var vectors = ItemIndexFile.ItemVectors(embedding, n);
            _exact = new ExactIndex(vectors, d, VectorMetric.Cosine);
            if (embedding.ScoresAreDotProducts && indexes.ExactBatching) ExactScorer = new ExactBatchScorer(vectors, n, d);
            bool large = _large = n >= indexes.HnswMinItems;
            bool recommendGraph = embedding.ScoresAreDotProducts && (indexes.Retrieval == RetrievalMode.Hnsw || (indexes.Retrieval == RetrievalMode.Auto && large));
            // The graphs come from the index file next to the model when it matches, else they are built in
            // the background (exact search serves until then) and saved there for the next start.
            IndexReady = large || recommendGraph
                ? Task.Run(() => PrepareGraphs(vectors, d, large, recommendGraph, indexes, log ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance))
                : Task.CompletedTask;
        }
    }

    private void PrepareGraphs(float[] vectors, int d, bool similarGraph, bool recommendGraph, IndexSettings settings, ILogger log)
    {
        try
        {
            ItemIndexFile.LoadOrBuild(Path, Name, Version, vectors, d, similarGraph, recommendGraph, settings.Graph, settings.Persist, log,
                (graphs, source) => { _hnsw = graphs.Similar; _recommendIndex = graphs.Recommend; IndexSource = source; }, _retired.Token);
        }
        catch (OperationCanceledException) when (_retired.IsCancellationRequested)
        {
            log.LogInformation("model {Name} {Version} was replaced before its vector index was ready: the build stopped", Name, Version);
            IndexSource = "cancelled";
        }
    }

    private readonly CancellationTokenSource _retired = new();
    private readonly Lazy<ItemSearch> _search;

    /// <summary>
    /// Text search over this model's items (BM25, embeddings, fusion), created on first use. Throws a
    /// <see cref="Core.Errors.TroveException"/> when the model holds no item text or labels.
    /// </summary>
    public ItemSearch Search => _search.Value;

    private sealed class LogLines(ILogger log) : IProgress<string>
    {
        public void Report(string value) => log.LogInformation("{Line}", value);
    }

    /// <summary>True once a reload replaced this model: its background work has been told to stop.</summary>
    public bool IsRetired => _retired.IsCancellationRequested;

    /// <summary>
    /// Called when a reload replaces this model: a vector-index build still running for it stops, so quick reloads do
    /// not pile up builds of models nobody will serve. Requests already holding the model keep working (exact search).
    /// </summary>
    public void Retire() => _retired.Cancel();

    /// <summary>Scores for any history (new events, new users) from models that declare <see cref="IHistoryScorer"/>. Null when the model cannot.</summary>
    public HistoryScore? HistoryScorer { get; }

    /// <summary>Item titles by item id from the --data/--db data set, for models whose file holds no title column.</summary>
    public IReadOnlyDictionary<string, string>? Titles { get; }

    public string Name { get; }
    public string Path { get; }
    public TrainedModel Trained { get; }
    public IRecommender Model => Trained.Model;
    public ModelManifest Manifest => Trained.Manifest;
    public string Version { get; }
    public DateTime FileTimeUtc { get; }
    /// <summary>Length of the model file when it was loaded (with <see cref="FileTimeUtc"/>: "has the file changed since").</summary>
    public long FileLength { get; }
    public DateTime LoadedUtc { get; }
    /// <summary>The training interactions (users x items), when the model keeps them.</summary>
    public CsrMatrix? UserItems { get; }
    /// <summary>Users per item in the training data: the cold-start ranking.</summary>
    public float[] ItemUserCounts { get; }
    /// <summary>Cosine index over item vectors of an embedding model (HNSW for large catalogues once built, exact before), else null.</summary>
    public IVectorIndex? ItemIndex => (IVectorIndex?)_hnsw ?? _exact;
    /// <summary>Batched exact scoring of dot-product models (user vector · every item vector), unless the server runs with --exact-batching off; else null.</summary>
    public ExactBatchScorer? ExactScorer { get; }
    /// <summary>Inner-product HNSW graph over item vectors (maximum-inner-product search) for top-K recommendations of dot-product models, once loaded or built; else null.</summary>
    public HnswIndex? RecommendationIndex => _recommendIndex;
    /// <summary>Whether a request asking for <paramref name="mode"/> is answered from the graph: hnsw when it is ready, auto when it is ready and the catalogue has HnswMinItems+ items.</summary>
    public bool UsesGraph(RetrievalMode mode) => _recommendIndex is not null && (mode == RetrievalMode.Hnsw || (mode == RetrievalMode.Auto && _large));
    /// <summary>What a request without a retrieval parameter gets now (the server's --retrieval).</summary>
    public RetrievalMode DefaultRetrieval => UsesGraph(_configuredRetrieval) ? RetrievalMode.Hnsw : RetrievalMode.Exact;
    /// <summary>Candidate list size of recommendation searches (the server's setting, not the one the graph was saved with).</summary>
    public int EfSearch { get; }
    private readonly RetrievalMode _configuredRetrieval;
    private readonly bool _large;
    /// <summary>Where the graphs came from: "loaded" (index file), "built", "rebuilt" (the file was stale or damaged); null while there are none.</summary>
    public string? IndexSource { get; private set; }
    /// <summary>Completes when the HNSW graphs (if any) are loaded or built.</summary>
    public Task IndexReady { get; } = Task.CompletedTask;
    private readonly ExactIndex? _exact;
    private volatile HnswIndex? _hnsw;
    private volatile HnswIndex? _recommendIndex;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Column, string Value), ItemMask> _featureMasks = new();
    private const int MaxCachedMasks = 256;

    /// <summary>Which items carry <paramref name="value"/> in categorical column <paramref name="column"/> (case-insensitive; "a|b" lists several labels). Cached per label.</summary>
    public ItemMask FeatureMask(string column, string value)
    {
        var key = (column, value.ToLowerInvariant());
        if (_featureMasks.TryGetValue(key, out var mask)) return mask;
        var features = Trained.ItemFeatures;
        var passes = new bool[Trained.Items.Count];
        int count = 0;
        for (int i = 0; i < passes.Length; i++)
            if (passes[i] = features.Labels(column, i).Contains(value, StringComparer.OrdinalIgnoreCase)) count++;
        mask = new ItemMask(passes, count);
        if (_featureMasks.Count < MaxCachedMasks) _featureMasks.TryAdd(key, mask);
        return mask;
    }

    private DataStatistics? _statistics;
    public DataStatistics Statistics => _statistics ??= DataStatistics.Compute(this);
}
