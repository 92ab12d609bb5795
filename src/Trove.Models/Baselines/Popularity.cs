using Trove.Core.Data;
using Trove.Core.Persistence;
using Trove.Core.Recommending;
using Trove.Core.Training;

namespace Trove.Models.Baselines;

public sealed record PopularityParameters
{
    /// <summary>Count each user-item pair once (true) or sum interaction weights (false).</summary>
    public bool CountUsers { get; init; } = true;
}

/// <summary>
/// Recommends the most popular items to everyone (minus what the user has seen). The floor every
/// personalised model must beat, and the cold-start fallback.
/// </summary>
public sealed class Popularity(PopularityParameters? parameters = null) : RecommenderBase<PopularityParameters>(parameters)
{
    public const string Name = "popularity";
    private float[] _popularity = [];

    public override string Algorithm => Name;
    public ReadOnlySpan<float> ItemPopularity => _popularity;

    /// <summary>A catalogue without interactions gives every item popularity 0: the search-only model of `trove index`.</summary>
    protected override bool CanFitWithoutInteractions => true;

    protected override void FitCore(Dataset data, FitContext context)
    {
        var itemUsers = data.ItemUsers;
        _popularity = new float[data.ItemCount];
        for (int i = 0; i < data.ItemCount; i++)
        {
            if (Params.CountUsers) _popularity[i] = itemUsers.RowLength(i);
            else foreach (var w in itemUsers.RowValues(i)) _popularity[i] += w;
        }
    }

    public override void ScoreAllItems(int user, Span<float> scores) => _popularity.CopyTo(scores);

    protected override void SaveModelState(ModelArchiveWriter writer) => writer.WriteArray("popularity", _popularity);
    protected override void LoadModelState(ModelArchiveReader reader) => _popularity = reader.ReadFloats("popularity");
}
