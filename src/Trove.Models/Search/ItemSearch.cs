using Trove.Core.Errors;

namespace Trove.Models.Search;

/// <summary>Which retrievers a search uses.</summary>
public enum SearchMode
{
    /// <summary>Embedding similarity only (finds paraphrases; can miss exact rare words).</summary>
    Dense,
    /// <summary>BM25 keywords only (exact words; blind to synonyms).</summary>
    Sparse,
    /// <summary>Both, fused by reciprocal rank.</summary>
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
    /// <summary>Weight of the dense list in the fusion.</summary>
    public float DenseWeight { get; init; } = 1f;
    /// <summary>Weight of the BM25 list in the fusion.</summary>
    public float SparseWeight { get; init; } = 1f;
    /// <summary>Reciprocal-rank constant (60, as in the paper).</summary>
    public float FusionConstant { get; init; } = RankFusion.DefaultConstant;
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
        if (!(PersonalWeight is >= 0 and <= 1)) throw new TroveException($"The personal weight must be between 0 and 1, got {PersonalWeight}.");
        if (Depth is < 1 or > 100_000) throw new TroveException($"The candidate depth must be between 1 and 100000, got {Depth}.");
    }
}

/// <summary>
/// One found item. <see cref="Score"/> orders the list: the cosine (dense), the BM25 score (sparse), the fused
/// reciprocal-rank score (hybrid), or the personalised blend when a user searched. The parts say why it was found.
/// </summary>
public sealed record SearchHit(int Item, float Score, int? DenseRank, float? DenseScore, int? SparseRank, float? SparseScore, float? UserScore);

/// <summary>
/// Search over one model's catalogue: dense retrieval (the query embedded by the index's text encoder, nearest
/// items from the HNSW graph), sparse retrieval (BM25), reciprocal-rank fusion of both (mode hybrid), and, when a
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
            _ => RankFusion.Fuse([(denseHits.Select(h => h.Item).ToList(), request.DenseWeight), (sparseHits.Select(h => h.Item).ToList(), request.SparseWeight)], request.FusionConstant),
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
