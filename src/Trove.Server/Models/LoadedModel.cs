using Trove.Core.Persistence;
using Trove.Core.Recommending;
using Trove.Numerics.Index;
using Trove.Numerics.Sparse;

namespace Trove.Server.Models;

/// <summary>
/// One trained model as the server uses it: the model file's contents plus what the server derives
/// once at load time (item popularity for cold start, a vector index for embedding models, data statistics).
/// Immutable after construction, so requests can keep using it while a reload swaps in a new one.
/// </summary>
public sealed class LoadedModel
{
    public LoadedModel(string name, string path, TrainedModel trained, DateTime fileTimeUtc, int hnswMinItems, IReadOnlyDictionary<string, string>? titles = null)
    {
        Titles = titles;
        Name = name; Path = path; Trained = trained; FileTimeUtc = fileTimeUtc;
        LoadedUtc = DateTime.UtcNow;
        HistoryScorer = HistoryScoring.For(trained.Model);
        UserItems = (trained.Model as ITrainingInteractions)?.UserItems;
        Popularity = new float[trained.Items.Count];
        if (UserItems is { } m)
        {
            var counts = m.ColumnCounts();
            for (int i = 0; i < Math.Min(counts.Length, Popularity.Length); i++) Popularity[i] = counts[i];
        }
        if (trained.Model is IEmbeddingModel embedding && trained.Items.Count > 0)
        {
            int n = trained.Items.Count, d = embedding.Dimensions;
            var vectors = new float[n * d];
            for (int i = 0; i < n; i++) embedding.ItemVector(i).CopyTo(vectors.AsSpan(i * d, d));
            _exact = new ExactIndex(vectors, d, VectorMetric.Cosine);
            // Large catalogues get an HNSW graph, built in the background: exact search serves until it is ready.
            IndexReady = n >= hnswMinItems
                ? Task.Run(() => { _hnsw = HnswIndex.Build(vectors, d, VectorMetric.Cosine, new HnswParameters { EfConstruction = 100, EfSearch = 100, Threads = 1 }); })
                : Task.CompletedTask;
        }
    }

    /// <summary>Scores for any history (new events, new users): ItemKnn and EASE directly, ALS by fold-in. Null when the model cannot.</summary>
    public HistoryScore? HistoryScorer { get; }

    /// <summary>Item titles by item id from the --data/--db data set, for models whose file holds no title column.</summary>
    public IReadOnlyDictionary<string, string>? Titles { get; }

    public string Name { get; }
    public string Path { get; }
    public TrainedModel Trained { get; }
    public IRecommender Model => Trained.Model;
    public ModelManifest Manifest => Trained.Manifest;
    public string Version => Manifest.ModelVersion;
    public DateTime FileTimeUtc { get; }
    public DateTime LoadedUtc { get; }
    /// <summary>The training interactions (users x items), when the model keeps them.</summary>
    public CsrMatrix? UserItems { get; }
    /// <summary>Users per item in the training data: the cold-start ranking.</summary>
    public float[] Popularity { get; }
    /// <summary>Cosine index over item vectors of an embedding model (HNSW for large catalogues once built, exact before), else null.</summary>
    public IVectorIndex? ItemIndex => (IVectorIndex?)_hnsw ?? _exact;
    /// <summary>Completes when the HNSW index (if any) is built.</summary>
    public Task IndexReady { get; } = Task.CompletedTask;
    private readonly ExactIndex? _exact;
    private volatile HnswIndex? _hnsw;

    private DataStatistics? _statistics;
    public DataStatistics Statistics => _statistics ??= DataStatistics.Compute(this);
}
