using Trove.Core.Algorithms;
using Trove.Core.Data;
using Trove.Core.Persistence;
using Trove.Core.Recommending;
using Trove.Core.Training;
using Trove.Numerics.Sparse;

namespace Trove.Models.Neighbourhood;

public sealed record UserKnnParameters : INeighbourhoodSettings
{
    /// <summary>Neighbours kept per user.</summary>
    [TuneRange(10, 500, Log = true)]
    [ValidRange(1)]
    public int Neighbours { get; init; } = 30;
    [TuneChoice("cosine", "jaccard", "pearson")]
    public SimilarityMetric Similarity { get; init; } = SimilarityMetric.Cosine;
    [TuneRange(0, 200)]
    [ValidRange(0)]
    public float Shrink { get; init; } = 10f;
    public float Threshold { get; init; } = 0f;
    /// <summary>Minimum number of items two users must share to be neighbours.</summary>
    [ValidRange(1)]
    public int MinShared { get; init; } = 1;
    public InteractionWeighting Weighting { get; init; } = InteractionWeighting.Binary;
    [ValidRange(0)]
    public float Bm25K1 { get; init; } = 100f;
    [ValidRange(0, 1)]
    public float Bm25B { get; init; } = 0.8f;
}

/// <summary>
/// User-based collaborative filtering (Herlocker et al. 1999): score(u, j) = sum over u's
/// neighbours v of sim(u, v) * w(v, j).
/// </summary>
public sealed class UserKnn(UserKnnParameters? parameters = null) : RecommenderBase<UserKnnParameters>(parameters)
{
    public const string Name = "userknn";
    private CsrMatrix _neighbours = new(0, 0, [0], [], []);

    public override string Algorithm => Name;
    /// <summary>Users x users; row u holds u's neighbours and their similarities.</summary>
    public CsrMatrix Neighbours => _neighbours;

    protected override void FitCore(Dataset data, FitContext context)
    {
        using var progress = context.Progress.Start("userknn similarities", data.UserCount);
        _neighbours = SimilarityBuilder.Neighbours(data.UserItems, Params, context.Threads, n => progress.Advance(n), context.Cancellation);
    }

    public override void ScoreAllItems(int user, Span<float> scores)
    {
        CheckUser(user);
        scores.Clear();
        bool binary = Params.Weighting == InteractionWeighting.Binary;
        var nb = _neighbours.RowIndices(user); var sim = _neighbours.RowValues(user);
        for (int q = 0; q < nb.Length; q++)
        {
            var items = UserItems.RowIndices(nb[q]); var weights = UserItems.RowValues(nb[q]);
            for (int p = 0; p < items.Length; p++) scores[items[p]] += sim[q] * (binary ? 1f : weights[p]);
        }
    }

    public override IReadOnlyList<Scored> SimilarUsers(int user, int k)
    {
        CheckUser(user);
        return SelectTop(SimilarityBuilder.NeighbourScores(_neighbours, user), k);
    }

    public override IReadOnlyList<Scored> SimilarItems(int item, int k)
    {
        CheckItem(item);
        return SelectTop(SimilarityBuilder.Row(UserItems.Transpose(), null, Params, item), k);
    }

    protected override void SaveModelState(ModelArchiveWriter writer) => writer.WriteCsr("neighbours", _neighbours);
    protected override void LoadModelState(ModelArchiveReader reader) => _neighbours = reader.ReadCsr("neighbours");
}
