using Trove.Core.Algorithms;
using Trove.Models.Baselines;
using Trove.Models.Content;
using Trove.Models.Neighbourhood;

namespace Trove.Models;

/// <summary>The registry of every algorithm Trove ships; one line per algorithm.</summary>
public static class BuiltInAlgorithms
{
    public static ModelRegistry Registry { get; } = new ModelRegistry()
        .Register<PopularityParameters>(Popularity.Name, "most popular items (baseline, cold-start fallback)", p => new Popularity(p))
        .Register<ItemKnnParameters>(ItemKnn.Name, "item-based k-nearest neighbours (cosine, jaccard, pearson)", p => new ItemKnn(p))
        .Register<UserKnnParameters>(UserKnn.Name, "user-based k-nearest neighbours (cosine, jaccard, pearson)", p => new UserKnn(p))
        .Register<ContentParameters>(ContentBased.Name, "content-based: cosine between item feature vectors and the user's profile", p => new ContentBased(p))
        .Register<HybridParameters>(Hybrid.Name, "blend of content, collaborative (itemknn or any model) and popularity", p => new Hybrid(p));
}
