using Trove.Core.Algorithms;
using Trove.Core.Data;
using Trove.Core.Persistence;
using Trove.Core.Recommending;
using Trove.Core.Training;
using Trove.Numerics.Sparse;

namespace Trove.Models.Neighbourhood;

public sealed record ItemKnnParameters : INeighbourhoodSettings
{
    /// <summary>Neighbours kept per item.</summary>
    [TuneRange(10, 1000, Log = true)]
    [ValidRange(1)]
    public int Neighbours { get; init; } = 50;
    [TuneChoice("cosine", "jaccard", "pearson")]
    public SimilarityMetric Similarity { get; init; } = SimilarityMetric.Cosine;
    /// <summary>Added to the similarity denominator: pairs with little overlap count less.</summary>
    [TuneRange(0, 200)]
    [ValidRange(0)]
    public float Shrink { get; init; } = 10f;
    /// <summary>Similarities at or below this are dropped.</summary>
    public float Threshold { get; init; } = 0f;
    /// <summary>Minimum number of users two items must share to be neighbours.</summary>
    [ValidRange(1)]
    public int MinShared { get; init; } = 1;
    [TuneChoice("binary", "tf_idf", "bm25")]
    public InteractionWeighting Weighting { get; init; } = InteractionWeighting.TfIdf;
    [ValidRange(0)]
    public float Bm25K1 { get; init; } = 100f;
    [ValidRange(0, 1)]
    public float Bm25B { get; init; } = 0.8f;
    /// <summary>
    /// Multiply each history item's similarities by its interaction weight. Off by default: on both
    /// ml-100k and simulated event logs, counting every history item once ranks better (bench/RESULTS.md).
    /// </summary>
    public bool UseHistoryWeights { get; init; }
}

/// <summary>
/// Item-based collaborative filtering (Sarwar et al. 2001; Deshpande &amp; Karypis 2004):
/// score(u, j) = sum over items i in u's history of w(u,i) * sim(i, j), where sim keeps each
/// item's top neighbours.
/// </summary>
public sealed class ItemKnn(ItemKnnParameters? parameters = null) : RecommenderBase<ItemKnnParameters>(parameters), IHistoryScorer, IHistoryExplainer
{
    public const string Name = "itemknn";
    private CsrMatrix _neighbours = new(0, 0, [0], [], []);

    public override string Algorithm => Name;
    /// <summary>Items x items; row i holds i's neighbours and their similarities.</summary>
    public CsrMatrix Neighbours => _neighbours;

    protected override void FitCore(Dataset data, FitContext context)
    {
        using var progress = context.Progress.Start("itemknn similarities", data.ItemCount);
        _neighbours = SimilarityBuilder.Neighbours(data.ItemUsers, Params, context.Threads, n => progress.Advance(n), context.Cancellation);
    }

    public override void ScoreAllItems(int user, Span<float> scores)
    {
        CheckUser(user);
        ScoreHistory(UserItems.RowIndices(user), UserItems.RowValues(user), scores);
    }

    /// <summary>Scores for any history (a new user, or one with events after training).</summary>
    /// <summary>Each history item's term of <paramref name="item"/>'s score: its weight (1 without history weights) x its similarity to the item.</summary>
    public void Contributions(ReadOnlySpan<int> items, ReadOnlySpan<float> weights, int item, Span<float> contributions)
    {
        bool binary = !Params.UseHistoryWeights; // counted as ScoreHistory counts them
        for (int p = 0; p < items.Length; p++)
        {
            contributions[p] = 0f;
            var neighbours = Neighbours.RowIndices(items[p]); var similarities = Neighbours.RowValues(items[p]);
            for (int q = 0; q < neighbours.Length; q++)
                if (neighbours[q] == item) { contributions[p] = (binary ? 1f : weights[p]) * similarities[q]; break; }
        }
    }

    public void ScoreHistory(ReadOnlySpan<int> items, ReadOnlySpan<float> weights, Span<float> scores)
    {
        scores.Clear();
        for (int p = 0; p < items.Length; p++)
        {
            float w = Params.UseHistoryWeights ? weights[p] : 1f;
            _neighbours.AddScaledRow(items[p], w, scores);
        }
    }

    public override IReadOnlyList<Scored> SimilarItems(int item, int k)
    {
        CheckItem(item);
        return SelectTop(SimilarityBuilder.NeighbourScores(_neighbours, item), k);
    }

    public override IReadOnlyList<Scored> SimilarUsers(int user, int k)
    {
        CheckUser(user);
        return SelectTop(SimilarityBuilder.Row(UserItems, null, Params, user), k);
    }

    protected override void SaveModelState(ModelArchiveWriter writer) => writer.WriteCsr("neighbours", _neighbours);
    protected override void LoadModelState(ModelArchiveReader reader) => _neighbours = reader.ReadCsr("neighbours");
}
