using System.Numerics.Tensors;
using Trove.Core.Data;
using Trove.Core.Recommending;
using Trove.Server.Models;

namespace Trove.Server.Catalogue;

/// <summary>
/// The catalogue as one model sees it: which of its trained items are hidden, and the visible items it was not trained
/// on (new items). New items get the index <c>model items + j</c> in ranked lists. Models that embed items from features
/// (<see cref="INewItemEmbedder"/> on a dot-product <see cref="IEmbeddingModel"/>) give each new item a vector, so it is
/// scored like a trained item (query · vector) and recommended at once; other models cannot rank it before retraining.
/// </summary>
public sealed class CatalogueView
{
    private CatalogueView(long version, HashSet<int> hidden, HashSet<string> hiddenIds, CatalogueItem[] newItems, float[]? vectors, int dimensions, int modelItems)
    {
        Version = version; HiddenIndices = hidden; _hiddenIds = hiddenIds; NewItems = newItems; _vectors = vectors; _dimensions = dimensions; _modelItems = modelItems;
        _newIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int j = 0; j < newItems.Length; j++) _newIndex[newItems[j].Id] = j;
    }

    /// <summary>No catalogue writes: nothing hidden, nothing new.</summary>
    public static readonly CatalogueView Empty = new(0, [], [], [], null, 0, 0);

    private readonly HashSet<string> _hiddenIds;
    private readonly Dictionary<string, int> _newIndex;
    private readonly float[]? _vectors;
    private readonly int _dimensions, _modelItems;

    /// <summary>The catalogue version this view was built from.</summary>
    public long Version { get; }

    /// <summary>Trained items (model indices) that are hidden.</summary>
    public HashSet<int> HiddenIndices { get; }

    /// <summary>Visible items the model was not trained on.</summary>
    public CatalogueItem[] NewItems { get; }

    /// <summary>True when the model gives the new items vectors, so they take part in recommendations.</summary>
    public bool ScoresNewItems => _vectors is not null && NewItems.Length > 0;

    /// <summary>Whether an item id is hidden.</summary>
    public bool IsHidden(string id) => _hiddenIds.Contains(id);

    /// <summary>The new item at a ranked-list index (model items + j), or null for a trained item.</summary>
    public CatalogueItem? NewItemAt(int index) => index >= _modelItems && index - _modelItems < NewItems.Length ? NewItems[index - _modelItems] : null;

    /// <summary>The position of a new item among <see cref="NewItems"/>, or -1.</summary>
    public int NewIndexOf(string id) => _newIndex.TryGetValue(id, out int j) ? j : -1;

    /// <summary>The vector of new item <paramref name="j"/>, or empty when the model gives new items none.</summary>
    public ReadOnlySpan<float> NewVector(int j) => _vectors is null ? default : _vectors.AsSpan(j * _dimensions, _dimensions);

    internal static CatalogueView Build(LoadedModel model, ItemCatalogue.Snapshot snapshot)
    {
        var hidden = new HashSet<int>();
        var hiddenIds = new HashSet<string>(StringComparer.Ordinal);
        var fresh = new List<CatalogueItem>();
        foreach (var item in snapshot.Items.Values.OrderBy(i => i.Id, StringComparer.Ordinal))
        {
            if (item.Hidden) hiddenIds.Add(item.Id);
            if (model.Trained.Items.TryGetIndex(item.Id, out int index)) { if (item.Hidden) hidden.Add(index); }
            else if (!item.Hidden) fresh.Add(item);
        }
        float[]? vectors = null;
        int dimensions = 0;
        if (fresh.Count > 0 && model.Model is INewItemEmbedder { CanEmbedNewItems: true } embedder && model.Model is IEmbeddingModel { ScoresAreDotProducts: true } embedding)
        {
            dimensions = embedding.Dimensions;
            vectors = embedder.EmbedNewItems(new IdMap(fresh.Select(i => i.Id)), FeaturesLike(model.Trained.ItemFeatures, fresh));
        }
        return new CatalogueView(snapshot.Version, hidden, hiddenIds, fresh.ToArray(), vectors, dimensions, model.Trained.Items.Count);
    }

    /// <summary>The new items' features in the training table's columns and kinds (columns the model never saw are left out).</summary>
    private static FeatureTable FeaturesLike(FeatureTable training, IReadOnlyList<CatalogueItem> items)
    {
        var table = new FeatureTable();
        foreach (var column in training.Categorical.Keys) table.Categorical[column] = items.Select(i => i.Labels.GetValueOrDefault(column)).ToArray();
        foreach (var column in training.Text.Keys) table.Text[column] = items.Select(i => i.Labels.GetValueOrDefault(column)).ToArray();
        foreach (var column in training.Numeric.Keys) table.Numeric[column] = items.Select(i => i.Numbers.TryGetValue(column, out var v) ? v : float.NaN).ToArray();
        return table;
    }

    /// <summary>Whether a new item passes a request's feature filters (column:value, case-insensitive labels) and id lists.</summary>
    public static bool Passes(CatalogueItem item, IReadOnlyList<(string Column, string Value)> features, IReadOnlySet<string>? exclude, IReadOnlySet<string>? allow)
    {
        if (exclude is not null && exclude.Contains(item.Id)) return false;
        if (allow is not null && !allow.Contains(item.Id)) return false;
        foreach (var (column, value) in features)
            if (!item.LabelsOf(column).Contains(value, StringComparer.OrdinalIgnoreCase)) return false;
        return true;
    }

    /// <summary>
    /// Ranks offset+1 .. offset+k of the trained items' ranking <paramref name="trainedTop"/> (ranks 1 .. k+offset)
    /// merged with the new items that pass the filter, scored with the user's query vector; without a query vector
    /// the trained ranking alone.
    /// </summary>
    public IReadOnlyList<Scored> Merge(ReadOnlySpan<float> query, bool haveQuery, IReadOnlyList<Scored> trainedTop, int k, int offset,
        IReadOnlyList<(string Column, string Value)> features, IReadOnlySet<string>? exclude, IReadOnlySet<string>? allow)
    {
        var all = new List<Scored>(trainedTop);
        if (haveQuery && _vectors is not null)
            for (int j = 0; j < NewItems.Length; j++)
                if (Passes(NewItems[j], features, exclude, allow))
                {
                    float score = TensorPrimitives.Dot(query, NewVector(j));
                    if (float.IsFinite(score)) all.Add(new Scored(_modelItems + j, score));
                }
        // Stable: equal scores keep the trained ranking's order, new items after it.
        return all.Select((s, at) => (s, at)).OrderByDescending(p => p.s.Score).ThenBy(p => p.at).Skip(offset).Take(k).Select(p => p.s).ToList();
    }
}
