using Trove.Core.Algorithms;
using Trove.Models.Baselines;
using Trove.Models.Content;
using Trove.Models.Ensemble;
using Trove.Models.Factorization;
using Trove.Models.Linear;
using Trove.Models.Neighbourhood;
using Trove.Models.Neural;

namespace Trove.Models;

/// <summary>The registry of every algorithm Trove ships; one line per algorithm.</summary>
public static class BuiltInAlgorithms
{
    public static ModelRegistry Registry { get; } = new ModelRegistry()
        .Register<PopularityParameters>(Popularity.Name, "most popular items (baseline, cold-start fallback)", p => new Popularity(p))
        .Register<TimePopularityParameters>(TimePopularity.Name, "time-local popularity: what others rated around the times the user rated (exponential kernel, activity-normalised)", p => new TimePopularity(p))
        .Register<ItemKnnParameters>(ItemKnn.Name, "item-based k-nearest neighbours (cosine, jaccard, pearson)", p => new ItemKnn(p))
        .Register<UserKnnParameters>(UserKnn.Name, "user-based k-nearest neighbours (cosine, jaccard, pearson)", p => new UserKnn(p))
        .Register<AlsParameters>(Als.Name, "implicit alternating least squares (Hu et al. 2008), CG or Cholesky", p => new Als(p))
        .Register<BprParameters>(Bpr.Name, "Bayesian personalised ranking MF (Rendle 2009), Hogwild SGD", p => new Bpr(p))
        .Register<EaseParameters>(Ease.Name, "EASE closed-form item-item linear model (Steck 2019)", p => new Ease(p))
        .Register<UserEaseParameters>(UserEase.Name, "EASE over users: each user regressed on the other users (dense users x users; for few users)", p => new UserEase(p))
        .Register<SparseEaseParameters>(SparseEase.Name, "EASE for large catalogues: each item regressed on its most co-occurring items only (sparse, no items x items matrix), EDLAE dropout", p => new SparseEase(p))
        .Register<Rp3BetaParameters>(Rp3Beta.Name, "RP3beta random-walk item-item model (Paudel et al. 2017)", p => new Rp3Beta(p))
        .Register<GraphFilterParameters>(GraphFilter.Name, "GF-CF graph filter: linear + ideal low-pass (randomised SVD) filters on the normalised item graph (Shen et al. 2021)", p => new GraphFilter(p))
        .Register<BspmParameters>(Bspm.Name, "BSPM blur-sharpen graph filter: GF-CF blur + ideal low-pass, then RK4 steps of the reverse heat equation (Choi et al. 2023)", p => new Bspm(p))
        .Register<BlendParameters>(Blend.Name, "weighted blend of up to three models' per-user normalised scores (weights tuned on validation)", p => new Blend(p))
        .Register<NcfParameters>(Ncf.Name, "neural collaborative filtering: GMF, MLP or NeuMF (variant=gmf|mlp|neumf)", p => new Ncf(p))
        .Register<TwoTowerParameters>(TwoTower.Name, "two-tower retrieval: ID + feature encoders per side, InfoNCE with in-batch negatives (fusion=concat|attention)", p => new TwoTower(p))
        .Register<ContentParameters>(ContentBased.Name, "content-based: cosine between item feature vectors and the user's profile", p => new ContentBased(p))
        .Register<ProfileParameters>(Profile.Name, "the NCF+Milvus seed's user vector: event-weighted sum of item feature vectors, scored by dot product", p => new Profile(p))
        .Register<HybridParameters>(Hybrid.Name, "blend of content, collaborative (itemknn or any model) and popularity", p => new Hybrid(p));
}
