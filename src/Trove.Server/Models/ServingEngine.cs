using System.Numerics.Tensors;
using Trove.Core.Recommending;
using Trove.Models.Neighbourhood;
using Trove.Numerics.Index;
using Trove.Numerics.Selection;
using Trove.Server.Events;

namespace Trove.Server.Models;

/// <summary>
/// A user as one request sees them: their training row plus the events received since.
/// <see cref="Seen"/> (for excluding) holds every item they touched, <see cref="HistoryItems"/>
/// (for scoring) the training row plus events newer than the model.
/// </summary>
public sealed class UserState
{
    public required string Id { get; init; }
    /// <summary>Index in the model's user map, or -1 for a user the model never saw.</summary>
    public required int Index { get; init; }
    public required SeenItems Seen { get; init; }
    /// <summary>History items in ascending order, each once; <see cref="HistoryWeights"/> holds their weights.</summary>
    public required int[] HistoryItems { get; init; }
    public required float[] HistoryWeights { get; init; }
    /// <summary>Events on items the model knows, received after it was trained.</summary>
    public required int NewEvents { get; init; }
    public required IReadOnlyList<UserEvent> Events { get; init; }
    public bool Known => Index >= 0;
}

/// <summary>
/// The items a user touched (model indices), ascending and each once. A user's training row already is such a list
/// (a CSR row), so a request for a user without new events gets this set with one copy, instead of a hash set filled
/// item by item; the graph walk tests membership in a bitset (<see cref="ExcludedRows"/>), exact scoring sets these
/// items' scores to -infinity.
/// </summary>
public sealed class SeenItems
{
    private readonly int[] _items;

    /// <param name="ascendingDistinct">Item indices in ascending order without repeats (not copied).</param>
    internal SeenItems(int[] ascendingDistinct) => _items = ascendingDistinct;

    /// <summary>How many items.</summary>
    public int Count => _items.Length;

    /// <summary>The items, ascending.</summary>
    public ReadOnlySpan<int> Items => _items;
}

/// <summary>Item restrictions of one request, in model indices.</summary>
public sealed record RequestFilter(bool ExcludeSeen, IReadOnlyCollection<int>? Exclude, IReadOnlyCollection<int>? AllowOnly, IReadOnlyList<(string Column, string Value)> Features);

/// <summary>One history item's share of a recommended item's score.</summary>
public sealed record Contribution(string Item, string? Title, float Weight, float Share);

/// <summary>
/// Scoring for the server on top of the model contract: merges new events into the user's history,
/// uses <see cref="IHistoryScorer"/> so they count at once (neighbourhood scoring, fold-in), applies request
/// filters, pages the top-K and explains recommendations.
/// </summary>
public sealed class ServingEngine(IEventStore events)
{
    public ValueTask<UserState> UserAsync(LoadedModel model, string user, CancellationToken cancel)
    {
        // The in-memory store answers at once: no state machine for the common case.
        var pending = events.ForUserAsync(user, cancel);
        return pending.IsCompletedSuccessfully ? new(State(model, user, pending.Result)) : Awaited(model, user, pending);

        static async ValueTask<UserState> Awaited(LoadedModel model, string user, ValueTask<IReadOnlyList<UserEvent>> pending) =>
            State(model, user, await pending);
    }

    private static UserState State(LoadedModel model, string user, IReadOnlyList<UserEvent> userEvents)
    {
        var trained = model.Trained;
        int index = trained.Users.TryGetIndex(user, out int at) ? at : -1;
        // A CSR row holds each item once, in ascending order: the history and the seen set as they are.
        int[] rowItems = []; float[] rowWeights = [];
        if (index >= 0 && model.UserItems is { } m && index < m.Rows) { rowItems = m.RowIndices(index).ToArray(); rowWeights = m.RowValues(index).ToArray(); }
        if (userEvents.Count == 0)
            return new UserState { Id = user, Index = index, Seen = new SeenItems(rowItems), NewEvents = 0, Events = userEvents, HistoryItems = rowItems, HistoryWeights = rowWeights };

        var history = new Dictionary<int, float>(rowItems.Length + userEvents.Count);
        var seen = new HashSet<int>(rowItems);
        for (int p = 0; p < rowItems.Length; p++) history[rowItems[p]] = rowWeights[p];
        int fresh = 0;
        foreach (var e in userEvents)
        {
            if (!trained.Items.TryGetIndex(e.Item, out int item)) continue;
            seen.Add(item);
            // Events the model may already have been trained on count for exclusion only.
            if (e.ReceivedUtc.UtcDateTime < model.Manifest.CreatedUtc) continue;
            history[item] = history.GetValueOrDefault(item) + e.Weight;
            fresh++;
        }
        // Keys and values enumerate in the same order: sorting the keys carries their weights along.
        var items = history.Keys.ToArray(); var weights = history.Values.ToArray();
        Array.Sort(items, weights);
        var seenItems = seen.ToArray();
        Array.Sort(seenItems);
        return new UserState { Id = user, Index = index, Seen = new SeenItems(seenItems), NewEvents = fresh, Events = userEvents, HistoryItems = items, HistoryWeights = weights };
    }

    /// <summary>Personal scores of every item, or null when the model knows nothing about the user.</summary>
    public float[]? Scores(LoadedModel model, UserState user)
    {
        var scores = new float[model.Trained.Items.Count];
        return TryScores(model, user, scores) ? scores : null;
    }

    /// <summary>
    /// Writes personal scores of every item into <paramref name="scores"/> (one slot per item);
    /// false when the model knows nothing about the user. Lets hot paths reuse pooled buffers.
    /// </summary>
    public bool TryScores(LoadedModel model, UserState user, Span<float> scores)
    {
        if (ScoresFromHistory(model, user) && model.HistoryScorer is { } history)
        {
            if (user.HistoryItems.Length == 0) return false;
            history(user.HistoryItems, user.HistoryWeights, scores);
            return true;
        }
        if (!user.Known) return false;
        model.Model.ScoreAllItems(user.Index, scores);
        return true;
    }

    /// <summary>
    /// Writes the user's scores of the given <paramref name="items"/> only (a user the model trained on, no events since:
    /// the model's own pair scoring, a few dot products for embedding models); with new events or for a new user,
    /// every item is scored from the history into <paramref name="all"/> (one slot per item) and the wanted ones read.
    /// False when the model knows nothing about the user. Scoring pairs one user at a time keeps each request short,
    /// so its objects die young instead of being promoted while a whole catalogue is scored per user.
    /// </summary>
    public bool TryScoreItems(LoadedModel model, UserState user, ReadOnlySpan<int> items, Span<float> scores, Span<float> all)
    {
        if (!ScoresFromHistory(model, user) && user.Known)
        {
            model.Model.Score(user.Index, items, scores);
            return true;
        }
        if (!TryScores(model, user, all)) return false;
        for (int j = 0; j < items.Length; j++) scores[j] = all[items[j]];
        return true;
    }

    /// <summary>
    /// The one rule for which scores a request reads: a model that scores histories does so for a user with events since
    /// training or one it never saw; otherwise the model's trained user row answers.
    /// </summary>
    private static bool ScoresFromHistory(LoadedModel model, UserState user) =>
        model.HistoryScorer is not null && (user.NewEvents > 0 || !user.Known);

    /// <summary>Users per item as scores: the cold-start fallback.</summary>
    public static void PopularScores(LoadedModel model, Span<float> scores) => model.ItemUserCounts.CopyTo(scores);

    /// <summary>Sets filtered-out items to -infinity.</summary>
    public static void ApplyFilter(LoadedModel model, UserState user, RequestFilter filter, Span<float> scores)
    {
        if (filter.ExcludeSeen) foreach (int i in user.Seen.Items) if ((uint)i < (uint)scores.Length) scores[i] = float.NegativeInfinity;
        if (filter.Exclude is { } exclude) foreach (int i in exclude) if ((uint)i < (uint)scores.Length) scores[i] = float.NegativeInfinity;
        if (filter.AllowOnly is { } allow)
        {
            var keep = new bool[scores.Length];
            foreach (int i in allow) if ((uint)i < (uint)keep.Length) keep[i] = true;
            for (int i = 0; i < scores.Length; i++) if (!keep[i]) scores[i] = float.NegativeInfinity;
        }
        foreach (var (column, value) in filter.Features)
        {
            var passes = model.FeatureMask(column, value).Passes;
            for (int i = 0; i < scores.Length; i++) if (!passes[i]) scores[i] = float.NegativeInfinity;
        }
        // NaN scores need no pass of their own: top-K selection never picks NaN (or -infinity).
    }

    /// <summary>Below this share of the catalogue passing a request's filter, exact scoring beats a filtered graph walk (which visits ~1/share nodes per result).</summary>
    public const double MinPassingShareForGraph = 0.1;

    /// <summary>
    /// Ranks offset+1 .. offset+k from the maximum-inner-product graph: the user's vector (ALS folds in new
    /// events) searched with the request's filter as a predicate, so filtered items never take a slot.
    /// Null when the graph cannot answer and exact scoring must: no graph, no user vector, a filter that
    /// removes most items, or fewer results than asked for while more items pass.
    /// </summary>
    public static IReadOnlyList<Scored>? PageFromGraph(LoadedModel model, UserState user, RequestFilter filter, int k, int offset)
    {
        if (model.RecommendationIndex is not { } index || !TryQueryVector(model, user, out var query)) return null;

        int n = index.Count, wanted = k + offset;
        long passing = PassingUpperBound(model, user, filter);
        if (passing < n * MinPassingShareForGraph) return null;
        // The user's own items leave the walk through a bitset kept per thread (IndexBench times the same filter).
        using var seen = filter.ExcludeSeen && user.Seen.Count > 0 ? ExcludedRows.Rent(n, user.Seen.Items) : null;
        Func<int, bool>? passes;
        if (filter.Exclude is null && filter.AllowOnly is null && filter.Features.Count == 0)
            passes = seen?.Passes; // the usual request: only the user's own items are filtered out
        else
        {
            var seenPasses = seen?.Passes;
            var allowed = filter.AllowOnly is { } allow ? allow as IReadOnlySet<int> ?? allow.ToHashSet() : null;
            var excluded = filter.Exclude is { Count: > 0 } exclude ? exclude as IReadOnlySet<int> ?? exclude.ToHashSet() : null;
            var masks = new bool[filter.Features.Count][];
            for (int f = 0; f < masks.Length; f++) masks[f] = model.FeatureMask(filter.Features[f].Column, filter.Features[f].Value).Passes;
            passes = i =>
            {
                if (seenPasses is not null && !seenPasses(i)) return false;
                if (excluded is not null && excluded.Contains(i)) return false;
                if (allowed is not null && !allowed.Contains(i)) return false;
                foreach (var mask in masks) if (!mask[i]) return false;
                return true;
            };
        }
        var found = index.Search(query, wanted, passes, Math.Max(model.EfSearch, wanted));
        if (found.Length < wanted && found.Length < passing) return null;
        var result = new List<Scored>(Math.Max(0, found.Length - offset));
        for (int j = offset; j < found.Length; j++)
            if (!float.IsNaN(found[j].Score)) result.Add(new Scored(found[j].Index, found[j].Score));
        return result;
    }

    /// <summary>
    /// The vector whose dot product with each item vector is the user's score, for embedding models: the user's row,
    /// or with events since training (and for new users) the fold-in of their history (ALS). False when there is none:
    /// not an embedding model, an unknown user without history, or a history scorer without vectors (neighbourhood and linear models).
    /// </summary>
    public static bool TryQueryVector(LoadedModel model, UserState user, out ReadOnlySpan<float> vector)
    {
        vector = default;
        if (model.Model is not IEmbeddingModel embedding) return false;
        if (ScoresFromHistory(model, user))
        {
            if (user.HistoryItems.Length == 0) return false;
            var folded = HistoryScoring.FoldIn(model.Model, user.HistoryItems, user.HistoryWeights);
            if (folded is null) return false;
            vector = folded;
            return true;
        }
        if (!user.Known) return false;
        vector = embedding.UserVector(user.Index);
        return true;
    }

    /// <summary>
    /// The user's scores of every item from the model's <see cref="ExactBatchScorer"/> (scored together with other
    /// requests' queries), in an array the caller hands back with <see cref="ExactBatchScorer.Return"/>;
    /// null when the model has no batch scorer or the user no query vector (then <see cref="TryScores"/> answers).
    /// </summary>
    public static Task<float[]>? BatchedScores(LoadedModel model, UserState user, CancellationToken cancel) =>
        model.ExactScorer is { } scorer && TryQueryVector(model, user, out var query) ? scorer.ScoreAsync(query, cancel) : null;

    /// <summary>At most how many items pass the filter (the smallest of the allow-list and each feature's items, minus excluded ones when no list limits it).</summary>
    private static long PassingUpperBound(LoadedModel model, UserState user, RequestFilter filter)
    {
        long passing = model.Trained.Items.Count;
        if (filter.AllowOnly is { } allow) passing = Math.Min(passing, allow.Count);
        foreach (var (column, value) in filter.Features) passing = Math.Min(passing, model.FeatureMask(column, value).Count);
        if (filter.AllowOnly is null && filter.Features.Count == 0)
            passing -= (filter.ExcludeSeen ? user.Seen.Count : 0) + (filter.Exclude?.Count ?? 0);
        return Math.Max(0, passing);
    }

    /// <summary>Ranks offset+1 .. offset+k, best first.</summary>
    public static IReadOnlyList<Scored> Page(ReadOnlySpan<float> scores, int k, int offset)
    {
        var (idx, sc) = TopK.Select(scores, k + offset);
        var result = new List<Scored>(Math.Max(0, idx.Length - offset));
        for (int j = offset; j < idx.Length; j++) result.Add(new Scored(idx[j], sc[j]));
        return result;
    }

    /// <summary>
    /// The history items that contributed most to <paramref name="item"/>'s score: the terms of the score for
    /// models that declare them (<see cref="IHistoryExplainer"/>, e.g. item-KNN's weight x similarity); for embedding models weight x cosine of item vectors;
    /// for other history-linear models (EASE) the score of each history item alone.
    /// Null when the model has no such decomposition.
    /// </summary>
    public static IReadOnlyList<Contribution>? Explain(LoadedModel model, UserState user, int item, int top = 3)
    {
        var items = user.HistoryItems; var weights = user.HistoryWeights;
        if (items.Length == 0) return [];
        var contributions = new float[items.Length];
        switch (model.Model)
        {
            case IHistoryExplainer explainer:
                explainer.Contributions(items, weights, item, contributions);
                break;
            case IEmbeddingModel embedding:
            {
                var target = embedding.ItemVector(item);
                float targetNorm = TensorPrimitives.Norm(target);
                for (int p = 0; p < items.Length; p++)
                {
                    var v = embedding.ItemVector(items[p]);
                    float norm = TensorPrimitives.Norm(v) * targetNorm;
                    contributions[p] = norm > 0 ? weights[p] * TensorPrimitives.Dot(target, v) / norm : 0f;
                }
                break;
            }
            default:
            {
                // Models linear in the history (EASE): each item's own score is its exact share.
                if (model.HistoryScorer is not { } history) return null;
                var single = new float[model.Trained.Items.Count];
                int limit = Math.Min(items.Length, 200);
                for (int p = 0; p < limit; p++)
                {
                    history([items[p]], [weights[p]], single);
                    contributions[p] = single[item];
                }
                break;
            }
        }
        var (best, _) = TopK.Select(contributions, top);
        return best.Where(p => contributions[p] > 0)
            .Select(p => new Contribution(model.Trained.Items[items[p]], Title(model, items[p]), weights[p], contributions[p]))
            .ToList();
    }

    private static readonly string[] TitleColumns = ["title", "name"];

    public static string? Title(LoadedModel model, int item)
    {
        var c = model.Trained.ItemFeatures.Categorical;
        var text = model.Trained.ItemFeatures.Text;
        foreach (var column in TitleColumns)
        {
            if (c.TryGetValue(column, out var values) && item < values.Length && values[item] is { } v) return v;
            if (text.TryGetValue(column, out values) && item < values.Length && values[item] is { } t) return t;
        }
        return model.Titles is { } titles && titles.TryGetValue(model.Trained.Items[item], out var title) ? title : null;
    }

    /// <summary>The item's categorical features (title, category, brand...).</summary>
    public static Dictionary<string, string?> Features(LoadedModel model, int item) => Features(model.Trained.ItemFeatures.Categorical, item);

    /// <summary>Row <paramref name="item"/> of categorical <paramref name="columns"/>: each column with a value, in the columns' order.</summary>
    public static Dictionary<string, string?> Features(Dictionary<string, string?[]> columns, int item)
    {
        var result = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (column, values) in columns)
            if (item < values.Length && values[item] is { } v) result[column] = v;
        return result;
    }
}
