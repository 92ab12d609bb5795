using Trove.Core.Errors;

namespace Trove.Models.Search;

/// <summary>Which retrievers a search uses.</summary>
public enum SearchMode
{
    /// <summary>Embedding similarity only (finds paraphrases; can miss exact rare words).</summary>
    Dense,
    /// <summary>BM25 keywords only (exact words; blind to synonyms).</summary>
    Sparse,
    /// <summary>Both, fused (<see cref="SearchFusion"/>).</summary>
    Hybrid,
}

/// <summary>Parsing and naming <see cref="SearchMode"/> as users type it.</summary>
public static class SearchModes
{
    /// <summary>The accepted names, for messages.</summary>
    public const string Names = "dense, sparse or hybrid";

    /// <summary>dense, sparse or hybrid (case-insensitive).</summary>
    public static bool TryParse(string? text, out SearchMode mode)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "dense": mode = SearchMode.Dense; return true;
            case "sparse": mode = SearchMode.Sparse; return true;
            case "hybrid": mode = SearchMode.Hybrid; return true;
            default: mode = SearchMode.Hybrid; return false;
        }
    }

    /// <summary>The lower-case name.</summary>
    public static string Name(SearchMode mode) => mode.ToString().ToLowerInvariant();
}

/// <summary>One search.</summary>
public sealed record SearchRequest
{
    /// <summary>Longest query accepted (characters).</summary>
    public const int MaxQueryLength = 1000;

    /// <summary>The text to look for.</summary>
    public required string Query { get; init; }
    /// <summary>How many items (1..10000).</summary>
    public int K { get; init; } = 10;
    /// <summary>Dense, sparse or hybrid (default).</summary>
    public SearchMode Mode { get; init; } = SearchMode.Hybrid;
    /// <summary>How hybrid merges the two lists (default <see cref="DefaultFusion"/>).</summary>
    public SearchFusion Fusion { get; init; } = DefaultFusion;
    /// <summary>Weight of the dense list in the fusion (default <see cref="DefaultDenseWeight"/>).</summary>
    public float DenseWeight { get; init; } = DefaultDenseWeight;
    /// <summary>Weight of the BM25 list in the fusion (default <see cref="DefaultSparseWeight"/>).</summary>
    public float SparseWeight { get; init; } = DefaultSparseWeight;
    /// <summary>
    /// Query-adaptive fusion: the BM25 weight is multiplied by the share of the query's idf mass that the best BM25
    /// hit holds (<see cref="Bm25Index.Coverage"/>), so keywords count fully when some item has all the query's
    /// words (a genre name) and little when the best match shares one common word (a description of a plot).
    /// </summary>
    public bool Adaptive { get; init; } = DefaultAdaptive;
    /// <summary>Reciprocal-rank constant (60, as in the paper); used by <see cref="SearchFusion.Rrf"/> only.</summary>
    public float FusionConstant { get; init; } = RankFusion.DefaultConstant;

    // The defaults were chosen on the validation half of bench/search/ml100k-queries.tsv only (36 settings: rrf, minmax,
    // dbsf x dense weight 0.5..4 x adaptive; bench/RESULTS.md, "Search"): dbsf, weights 1 and 1, adaptive.
    /// <summary>Default <see cref="Fusion"/>: distribution-based score fusion.</summary>
    public const SearchFusion DefaultFusion = SearchFusion.Dbsf;
    /// <summary>Default <see cref="DenseWeight"/>.</summary>
    public const float DefaultDenseWeight = 1f;
    /// <summary>Default <see cref="SparseWeight"/>.</summary>
    public const float DefaultSparseWeight = 1f;
    /// <summary>Default <see cref="Adaptive"/>.</summary>
    public const bool DefaultAdaptive = true;
    /// <summary>Candidates each retriever contributes before fusion (at least K).</summary>
    public int Depth { get; init; } = 100;
    /// <summary>Only items passing this test (category filters...); null = every item.</summary>
    public Func<int, bool>? Filter { get; init; }
    /// <summary>
    /// The model's scores of the given items for the searching user (through the algorithm contract), or null for an
    /// anonymous search. With it, the fused candidates are re-ranked by <see cref="PersonalWeight"/>.
    /// </summary>
    public Func<IReadOnlyList<int>, float[]>? UserScores { get; init; }
    /// <summary>Share of the user's score in the final order, 0..1 (0.3): final = (1 - w) * relevance + w * user score, both min-max scaled over the candidates.</summary>
    public float PersonalWeight { get; init; } = 0.3f;

    /// <summary>Throws a one-line <see cref="TroveException"/> naming the first bad field.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Query)) throw new TroveException("The search query is empty: give some text to look for.");
        if (Query.Length > MaxQueryLength) throw new TroveException($"The search query has {Query.Length} characters; at most {MaxQueryLength}.");
        if (K is < 1 or > 10_000) throw new TroveException($"k must be between 1 and 10000, got {K}.");
        if (!(DenseWeight >= 0) || !(SparseWeight >= 0) || !float.IsFinite(DenseWeight) || !float.IsFinite(SparseWeight) || DenseWeight + SparseWeight == 0)
            throw new TroveException($"Fusion weights must be finite, >= 0 and not both 0 (dense {DenseWeight}, sparse {SparseWeight}).");
        if (!Enum.IsDefined(Fusion)) throw new TroveException($"Unknown fusion {(int)Fusion}: {SearchFusions.Names}.");
        if (!(FusionConstant >= 0) || !float.IsFinite(FusionConstant)) throw new TroveException($"The fusion constant must be finite and >= 0, got {FusionConstant}.");
        if (!(PersonalWeight is >= 0 and <= 1)) throw new TroveException($"The personal weight must be between 0 and 1, got {PersonalWeight}.");
        if (Depth is < 1 or > 100_000) throw new TroveException($"The candidate depth must be between 1 and 100000, got {Depth}.");
    }
}

/// <summary>
/// One found item. <see cref="Score"/> orders the list: the cosine (dense), the BM25 score (sparse), the fused
/// score (hybrid: reciprocal-rank votes or scaled scores, by <see cref="SearchRequest.Fusion"/>), or the personalised blend when a user searched. The parts say why it was found.
/// </summary>
public sealed record SearchHit(int Item, float Score, int? DenseRank, float? DenseScore, int? SparseRank, float? SparseScore, float? UserScore);

/// <summary>
/// Search over one model's catalogue: dense retrieval (the query embedded by the index's text encoder, nearest
/// items from the HNSW graph), sparse retrieval (BM25), a fusion of both (mode hybrid: <see cref="SearchFusion"/>), and, when a
/// user searches, a re-ranking of the fused candidates that blends in the model's score for that user.
/// Thread-safe: the index is read-only.
/// </summary>
public sealed class ItemSearch(SearchIndex index)
{
    /// <summary>The catalogue's index.</summary>
    public SearchIndex Index { get; } = index;

    /// <summary>The best <see cref="SearchRequest.K"/> items for the request, best first.</summary>
    public IReadOnlyList<SearchHit> Search(SearchRequest request)
    {
        request.Validate();
        int depth = Math.Max(request.Depth, request.K);
        bool dense = request.Mode != SearchMode.Sparse && (request.Mode == SearchMode.Dense || request.DenseWeight > 0);
        bool sparse = request.Mode != SearchMode.Dense && (request.Mode == SearchMode.Sparse || request.SparseWeight > 0);

        var denseHits = new List<(int Item, float Score)>();
        if (dense)
        {
            var query = Index.EmbedQuery(request.Query);
            if (query.Any(x => x != 0))
                foreach (var m in Index.Graph.Search(query, depth, request.Filter, Math.Max(depth, Index.Graph.Parameters.EfSearch)))
                    denseHits.Add((m.Index, m.Score));
        }
        var sparseHits = sparse ? Index.Sparse.Search(request.Query, depth, request.Filter).Select(s => (Item: s.Index, s.Score)).ToList() : [];

        var denseRank = Ranks(denseHits); var sparseRank = Ranks(sparseHits);
        IReadOnlyList<(int Item, float Score)> relevance = request.Mode switch
        {
            SearchMode.Dense => denseHits,
            SearchMode.Sparse => sparseHits,
            _ => Fuse(request, denseHits, sparseHits, request.Adaptive && sparseHits.Count > 0 ? Index.Sparse.Coverage(request.Query, sparseHits[0].Item) : 1f),
        };

        float[]? user = null;
        var candidates = relevance.Take(depth).ToList();
        if (request.UserScores is { } score && candidates.Count > 0 && request.PersonalWeight > 0)
        {
            user = score(candidates.Select(c => c.Item).ToList());
            if (user.Length != candidates.Count) throw new InvalidOperationException("The user scorer returned the wrong number of scores.");
            var blended = Blend(candidates.Select(c => c.Score).ToArray(), user, request.PersonalWeight);
            candidates = candidates.Select((c, j) => (c.Item, blended[j])).ToList();
            var userOf = candidates.Select((c, j) => (c.Item, user[j])).ToDictionary(x => x.Item, x => x.Item2);
            return candidates.OrderByDescending(c => c.Score).ThenBy(c => c.Item).Take(request.K)
                .Select(c => Hit(c, denseRank, sparseRank, userOf[c.Item])).ToList();
        }
        return candidates.Take(request.K).Select(c => Hit(c, denseRank, sparseRank, null)).ToList();
    }

    /// <summary>
    /// The hybrid ranking: the dense and BM25 lists merged by the request's fusion, the BM25 weight multiplied by
    /// <paramref name="sparseConfidence"/> (1, or the best BM25 hit's coverage of the query when adaptive).
    /// </summary>
    public static IReadOnlyList<(int Item, float Score)> Fuse(SearchRequest request, IReadOnlyList<(int Item, float Score)> dense, IReadOnlyList<(int Item, float Score)> sparse, float sparseConfidence)
    {
        float sparseWeight = request.SparseWeight * sparseConfidence;
        return request.Fusion switch
        {
            SearchFusion.MinMax => ScoreFusion.MinMax([(dense, request.DenseWeight), (sparse, sparseWeight)]),
            SearchFusion.Dbsf => ScoreFusion.Distribution([(dense, request.DenseWeight), (sparse, sparseWeight)]),
            _ => RankFusion.Fuse([(dense.Select(h => h.Item).ToList(), request.DenseWeight), (sparse.Select(h => h.Item).ToList(), sparseWeight)], request.FusionConstant),
        };
    }

    private static SearchHit Hit((int Item, float Score) c, Dictionary<int, (int Rank, float Score)> dense, Dictionary<int, (int Rank, float Score)> sparse, float? user)
    {
        bool d = dense.TryGetValue(c.Item, out var dv), s = sparse.TryGetValue(c.Item, out var sv);
        return new SearchHit(c.Item, c.Score, d ? dv.Rank : null, d ? dv.Score : null, s ? sv.Rank : null, s ? sv.Score : null, user);
    }

    private static Dictionary<int, (int Rank, float Score)> Ranks(List<(int Item, float Score)> hits)
    {
        var ranks = new Dictionary<int, (int, float)>(hits.Count);
        for (int r = 0; r < hits.Count; r++) ranks[hits[r].Item] = (r + 1, hits[r].Score);
        return ranks;
    }

    /// <summary>
    /// (1 - w) * minmax(relevance) + w * minmax(user): both scaled to 0..1 over the candidates, because a fused
    /// reciprocal-rank score (about 0.03) and a model score (any scale) cannot be added as they are. A constant list scales to 0.
    /// </summary>
    public static float[] Blend(float[] relevance, float[] user, float weight)
    {
        var r = MinMax(relevance); var u = MinMax(user);
        var result = new float[r.Length];
        for (int j = 0; j < r.Length; j++) result[j] = (1 - weight) * r[j] + weight * u[j];
        return result;
    }

    private static float[] MinMax(float[] values)
    {
        var finite = values.Where(float.IsFinite).DefaultIfEmpty(0).ToArray();
        float lo = finite.Min(), hi = finite.Max();
        return values.Select(v => !float.IsFinite(v) ? 0 : hi > lo ? (v - lo) / (hi - lo) : 0).ToArray();
    }
}
