using System.Numerics.Tensors;
using Trove.Core.Data;
using Trove.Core.Persistence;
using Trove.Core.Recommending;
using Trove.Core.Training;
using Trove.Models.Features;

namespace Trove.Models.Content;

public sealed record ProfileParameters
{
    /// <summary>
    /// Item encoders for the item vectors; empty = every item feature group in the data with its default encoder
    /// (images need a named encoder). The seed embeds product text with a pretrained model: <c>{"group": "text", "encoder": "minilm"}</c>.
    /// </summary>
    public List<EncoderSpec> ItemFeatures { get; init; } = [];
}

/// <summary>
/// The user vector of the NCF + Milvus seed: items are vectors (their features encoded, as the content model does),
/// and a user is the event-weighted sum of the vectors of the items they interacted with; an item's score is the dot
/// product, so a user's top-K is a maximum-inner-product search over the item vectors (the server's vector index).
/// <code>
///   v_i = normalise(concat_b sqrt(w_b) * normalise(encoder_b(features_i)))       item vector, |v_i| = 1 (or 0 without features)
///   u   = sum over the user's events e of weight(e) * v_item(e)                   weight(e) = event weight x score (when it has one)
///   score(u, i) = u . v_i
/// </code>
/// The event weights are the data's: Trove's defaults are the seed's (view 0.1, add_to_cart 0.3, purchase 0.6,
/// rating 0.2), and <c>--event-weights</c> / a config's <c>event_weights</c> change them. Several events on one item add
/// up (the training matrix sums them), so u is exactly the seed's sum. Unlike <c>content</c>, u is not normalised: its
/// length grows with the user's activity, which changes no user's ranking but keeps the seed's vectors (and their dot
/// products) as they are for vector search and for comparing users. A new history is folded in the same way, so new
/// events count at once, and items without interactions are scored from their features (cold start).
/// </summary>
public sealed class Profile(ProfileParameters? parameters = null) : RecommenderBase<ProfileParameters>(parameters), IEmbeddingModel, IHistoryScorer, IHistoryEmbedder, IColdItemScorer
{
    public const string Name = "profile";
    private ContentBased _content = new();
    private float[] _users = [];

    public override string Algorithm => Name;
    public bool CanScoreColdItems => true;
    public int Dimensions => _content.Dimensions;

    protected override void FitCore(Dataset data, FitContext context)
    {
        _content = new ContentBased(new ContentParameters { ItemFeatures = Params.ItemFeatures });
        _content.Fit(data, context);
        ComputeUserVectors();
        context.Progress.Info($"profile: {UserCount:N0} user vectors = event-weighted sums of {Dimensions}-d item vectors");
    }

    private void ComputeUserVectors()
    {
        int d = Dimensions;
        _users = new float[(long)UserCount * d];
        for (int u = 0; u < UserCount; u++)
            Sum(UserItems.RowIndices(u), UserItems.RowValues(u), _users.AsSpan(u * d, d));
    }

    /// <summary>u = sum_k weights[k] * v_items[k].</summary>
    private void Sum(ReadOnlySpan<int> items, ReadOnlySpan<float> weights, Span<float> u)
    {
        u.Clear();
        for (int k = 0; k < items.Length; k++)
            if (weights[k] != 0) TensorPrimitives.MultiplyAdd(_content.ItemVector(items[k]), weights[k], u, u);
    }

    public ReadOnlySpan<float> UserVector(int user) => _users.AsSpan(CheckUser(user) * Dimensions, Dimensions);
    public ReadOnlySpan<float> ItemVector(int item) => _content.ItemVector(item);

    public override void ScoreAllItems(int user, Span<float> scores) => ScoreVector(UserVector(user), scores);

    private void ScoreVector(ReadOnlySpan<float> u, Span<float> scores)
    {
        for (int i = 0; i < ItemCount; i++) scores[i] = TensorPrimitives.Dot(u, _content.ItemVector(i));
    }

    public float[] EmbedHistory(ReadOnlySpan<int> items, ReadOnlySpan<float> weights)
    {
        var u = new float[Dimensions];
        foreach (int i in items) CheckItem(i);
        Sum(items, weights, u);
        return u;
    }

    public void ScoreHistory(ReadOnlySpan<int> items, ReadOnlySpan<float> weights, Span<float> scores) => ScoreVector(EmbedHistory(items, weights), scores);

    protected override void SaveModelState(ModelArchiveWriter writer) => _content.SaveState(writer.Scoped("content"));

    protected override void LoadModelState(ModelArchiveReader reader)
    {
        _content = new ContentBased(new ContentParameters { ItemFeatures = Params.ItemFeatures });
        _content.LoadState(reader.Scoped("content"));
        ComputeUserVectors();   // a sum over the saved training matrix: cheaper to redo than to store
    }
}
