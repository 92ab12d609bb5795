using System.Numerics.Tensors;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Core.Recommending;
using Trove.Core.Training;
using Trove.Models.Features;
using Trove.Numerics.Sparse;

namespace Trove.Models.Content;

public sealed record ContentParameters
{
    /// <summary>Item encoders; empty = every item feature group in the data with its default encoder (images skipped).</summary>
    public List<EncoderSpec> ItemFeatures { get; init; } = [];
    /// <summary>Weight each history item by its interaction weight (true) or count it once (false).</summary>
    public bool WeightedProfile { get; init; } = true;
}

/// <summary>
/// Content-based recommendations: items are encoded from their features (a <see cref="FeaturePipeline"/>),
/// a user's profile is the interaction-weighted mean of the vectors of the items they interacted
/// with, and an item's score is the cosine between profile and item vector. Items without any
/// interaction still have vectors, so cold-start items are recommended; similar items are the
/// nearest by feature cosine.
/// </summary>
public sealed class ContentBased(ContentParameters? parameters = null) : RecommenderBase<ContentParameters>(parameters), IEmbeddingModel, IColdItemScorer, INewItemEmbedder
{
    public const string Name = "content";
    private FeaturePipeline _pipeline = new([]);
    private List<EncoderSpec> _specs = [];
    private float[] _items = [];

    public override string Algorithm => Name;
    /// <summary>Every item is scored from its feature vector, interactions or not.</summary>
    public bool CanScoreColdItems => true;
    public int Dimensions { get; private set; }
    /// <summary>The encoders actually used (the defaults resolved against the training data).</summary>
    public IReadOnlyList<EncoderSpec> Specs => _specs;
    public FeaturePipeline Pipeline => _pipeline;
    /// <summary>Item vectors, items x Dimensions, each unit length (or zero when the item has no features).</summary>
    public ReadOnlySpan<float> ItemVectors => _items;

    protected override void FitCore(Dataset data, FitContext context)
    {
        _specs = Params.ItemFeatures.Count > 0 ? Params.ItemFeatures.ToList() : FeaturePipeline.DefaultSpecs(data.ItemFeatures);
        if (FeaturePipeline.UnusedGroupsNote(Algorithm, "item", data.ItemFeatures, _specs) is { } note) context.Progress.Info(note);
        if (_specs.Count == 0)
            throw new TroveException("Cannot train content: the items have no features (give item_data with categorical, continuous, text or temporal features, or a precomputed encoder).");
        _specs = _specs.Select(FeatureEncoderRegistry.Default.Complete).ToList();
        _pipeline = new FeaturePipeline(_specs);
        var input = new EncoderInput(data.ItemFeatures, data.Items, "item");
        using (var progress = context.Progress.Start("content: fit encoders", _specs.Count))
            foreach (var (spec, encoder) in _pipeline.Blocks) { encoder.Fit(input); progress.Advance(); }
        Dimensions = _pipeline.Dimensions;
        _items = _pipeline.EncodeAll(input);
        NormaliseRows(_items, Dimensions);
        context.Progress.Info($"content: {data.ItemCount:N0} items encoded into {Dimensions} dimensions ({string.Join(", ", _specs)})");
    }

    public static void NormaliseRows(Span<float> rows, int d)
    {
        if (d == 0) return;
        for (int r = 0; r < rows.Length / d; r++)
        {
            var v = rows.Slice(r * d, d);
            float norm = TensorPrimitives.Norm(v);
            if (norm > 0) TensorPrimitives.Divide(v, norm, v);
        }
    }

    public ReadOnlySpan<float> ItemVector(int item) => _items.AsSpan(CheckItem(item) * Dimensions, Dimensions);

    public ReadOnlySpan<float> UserVector(int user)
    {
        CheckUser(user);
        return Profile(UserItems.RowIndices(user), UserItems.RowValues(user));
    }

    /// <summary>A unit-length profile from any history (item indices of this model and weights).</summary>
    public float[] Profile(ReadOnlySpan<int> items, ReadOnlySpan<float> weights)
    {
        var profile = new float[Dimensions];
        for (int k = 0; k < items.Length; k++)
        {
            float w = Params.WeightedProfile ? weights[k] : 1f;
            if (w != 0) TensorPrimitives.MultiplyAdd(_items.AsSpan(items[k] * Dimensions, Dimensions), w, profile, profile);
        }
        float norm = TensorPrimitives.Norm(profile);
        if (norm > 0) TensorPrimitives.Divide(profile, norm, profile);
        return profile;
    }

    /// <summary>Cosine of a unit profile with each row of unit vectors (rows x Dimensions).</summary>
    public static void ScoreVectors(ReadOnlySpan<float> profile, ReadOnlySpan<float> vectors, int d, Span<float> scores)
    {
        if (d == 0) { scores.Clear(); return; }
        for (int i = 0; i < scores.Length; i++) scores[i] = TensorPrimitives.Dot(profile, vectors.Slice(i * d, d));
    }

    public override void ScoreAllItems(int user, Span<float> scores)
    {
        CheckUser(user);
        ScoreVectors(UserVector(user), _items, Dimensions, scores);
    }

    /// <summary>Encodes other items (e.g. new items at inference) with the fitted encoders; unit-length rows.</summary>
    public float[] EncodeItems(EncoderInput input)
    {
        var v = _pipeline.EncodeAll(input);
        NormaliseRows(v, Dimensions);
        return v;
    }

    /// <summary>Every item vector comes from features: a new item is encoded like a trained one.</summary>
    public bool CanEmbedNewItems => Dimensions > 0;

    /// <summary>New items' unit feature vectors from the fitted encoders (cosine with a user's profile is their score).</summary>
    public float[] EmbedNewItems(IdMap ids, FeatureTable features) => EncodeItems(new EncoderInput(features, ids, "item"));

    protected override void SaveModelState(ModelArchiveWriter writer)
    {
        writer.WriteJson("content_specs", _specs);
        writer.WriteArray("item_vectors", _items, ItemCount, Dimensions);
        _pipeline.Save(writer);
    }

    protected override void LoadModelState(ModelArchiveReader reader)
    {
        _specs = reader.ReadJson<List<EncoderSpec>>("content_specs");
        _pipeline = new FeaturePipeline(_specs);
        _pipeline.Load(reader);
        _items = reader.ReadFloats("item_vectors");
        Dimensions = _pipeline.Dimensions;
    }

    /// <summary>The model's training matrix (for hybrids that reuse a fitted content part).</summary>
    internal CsrMatrix History => UserItems;
}
