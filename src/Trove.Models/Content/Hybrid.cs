using System.Text.Json;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Core.Recommending;
using Trove.Core.Training;
using Trove.Models.Baselines;
using Trove.Models.Features;

namespace Trove.Models.Content;

public sealed record HybridParameters
{
    public float ContentWeight { get; init; } = 0.5f;
    public float CollaborativeWeight { get; init; } = 0.4f;
    public float PopularityWeight { get; init; } = 0.1f;
    /// <summary>Any registered model name for the collaborative part.</summary>
    public string Collaborative { get; init; } = "itemknn";
    /// <summary>Parameters of the collaborative model (JSON object; defaults when absent).</summary>
    public JsonElement? CollaborativeParameters { get; init; }
    /// <summary>Item encoders of the content part; empty = every item feature group with its default encoder.</summary>
    public List<EncoderSpec> ItemFeatures { get; init; } = [];
    /// <summary>
    /// Per-user score normalisation before blending: "zscore" (mean 0, std 1), "minmax" or "rank" (percentile of the rank).
    /// z-score is the default because the components are heavy-tailed (popularity counts follow a power law,
    /// a neighbour model scores a few items high): min-max maps the bulk of such a component next to 0, so its
    /// weight acts only on the handful of extreme items. Measured in bench/RESULTS.md (simulated shop and ml-100k).
    /// </summary>
    public string Normalization { get; init; } = "zscore";
}

/// <summary>
/// Hybrid recommendations: final = w_content * norm(content) + w_collaborative * norm(collaborative)
/// + w_popularity * norm(popularity), each component normalised per user over all items first
/// (min-max, rank percentile or z-score), so components on different scales mix as the weights say.
/// Components with weight 0 are not trained. Without item features the content weight must be 0.
/// </summary>
public sealed class Hybrid(HybridParameters? parameters = null) : RecommenderBase<HybridParameters>(parameters), IEmbeddingModel, IColdItemScorer
{
    public const string Name = "hybrid";
    private ContentBased? _content;
    private IRecommender? _collaborative;
    private float[] _popularity = [];

    public override string Algorithm => Name;
    /// <summary>Cold items get equal collaborative and popularity parts, so the content part ranks them (when it has weight).</summary>
    public bool CanScoreColdItems => _content is not null;
    public ContentBased? Content => _content;
    public IRecommender? CollaborativeModel => _collaborative;
    public ReadOnlySpan<float> Popularity => _popularity;

    private void Validate()
    {
        foreach (var (name, w) in new[] { ("content_weight", Params.ContentWeight), ("collaborative_weight", Params.CollaborativeWeight), ("popularity_weight", Params.PopularityWeight) })
            if (!(w >= 0) || !float.IsFinite(w)) throw new TroveException($"hybrid: {name} must be a non-negative number, got {w}.");
        if (Params.ContentWeight + Params.CollaborativeWeight + Params.PopularityWeight <= 0) throw new TroveException("hybrid: at least one weight must be positive.");
        if (Params.Normalization.ToLowerInvariant() is not ("minmax" or "rank" or "zscore"))
            throw new TroveException($"hybrid: normalization must be minmax, rank or zscore, got '{Params.Normalization}'.");
        if (Params.Collaborative.Equals(Name, StringComparison.OrdinalIgnoreCase)) throw new TroveException("hybrid: the collaborative model cannot be hybrid itself.");
        if (Params.CollaborativeParameters is { ValueKind: not (JsonValueKind.Object or JsonValueKind.Null) } given)
            throw new TroveException($"hybrid: collaborative_parameters must be a JSON object such as {{\"neighbours\": 50}}, got {given.ValueKind.ToString().ToLowerInvariant()}.");
        if (Params.CollaborativeParameters is { ValueKind: JsonValueKind.Object } collaborative)
            BuiltInAlgorithms.Registry.CreateChecked(Params.Collaborative, collaborative); // an unknown key is refused, never ignored
    }

    private IRecommender CreateCollaborative() =>
        Params.CollaborativeParameters is { ValueKind: JsonValueKind.Object } p
            ? BuiltInAlgorithms.Registry.Create(Params.Collaborative, p)
            : BuiltInAlgorithms.Registry.Create(Params.Collaborative);

    protected override void FitCore(Dataset data, FitContext context)
    {
        Validate();
        var pop = new Popularity();
        pop.Fit(data, context);
        _popularity = pop.ItemPopularity.ToArray();
        if (Params.ContentWeight > 0 && Params.ItemFeatures.Count == 0 && FeaturePipeline.DefaultSpecs(data.ItemFeatures).Count == 0)
            context.Progress.Info("hybrid: the items have no features, so the content part is skipped (collaborative and popularity only)");
        else if (Params.ContentWeight > 0)
        {
            _content = new ContentBased(new ContentParameters { ItemFeatures = Params.ItemFeatures });
            _content.Fit(data, context);
        }
        if (Params.CollaborativeWeight > 0)
        {
            _collaborative = CreateCollaborative();
            _collaborative.Fit(data, context);
        }
    }

    public override void ScoreAllItems(int user, Span<float> scores)
    {
        CheckUser(user);
        float[]? content = null, collaborative = null;
        if (_content is not null) { content = new float[ItemCount]; _content.ScoreAllItems(user, content); }
        if (_collaborative is not null) { collaborative = new float[ItemCount]; _collaborative.ScoreAllItems(user, collaborative); }
        Blend(content, collaborative, _popularity, scores);
    }

    /// <summary>
    /// Blends component scores over the same candidates (any may be null = absent). Inference uses
    /// it with extra candidates (new items) after the model's items, padded with each component's minimum.
    /// </summary>
    public void Blend(ReadOnlySpan<float> content, ReadOnlySpan<float> collaborative, ReadOnlySpan<float> popularity, Span<float> scores)
    {
        scores.Clear();
        var work = new float[scores.Length];
        AddComponent(content, Params.ContentWeight, work, scores);
        AddComponent(collaborative, Params.CollaborativeWeight, work, scores);
        AddComponent(popularity, Params.PopularityWeight, work, scores);
    }

    private void AddComponent(ReadOnlySpan<float> component, float weight, float[] work, Span<float> scores)
    {
        if (weight <= 0 || component.IsEmpty) return;
        int n = Math.Min(component.Length, work.Length);
        component[..n].CopyTo(work);
        float min = float.PositiveInfinity;
        for (int i = 0; i < n; i++) if (float.IsFinite(work[i]) && work[i] < min) min = work[i];
        if (float.IsPositiveInfinity(min)) min = 0;
        for (int i = 0; i < work.Length; i++) if (i >= n || !float.IsFinite(work[i])) work[i] = min;
        Normalise(work, Params.Normalization);
        for (int i = 0; i < scores.Length; i++) scores[i] += weight * work[i];
    }

    /// <summary>
    /// Scores for a user with no history (cold start): popularity within their declared preferences.
    /// score = (number of the candidate's categorical columns the user declared a label of, from
    /// <paramref name="matches"/>; empty = nothing declared) + popularity / (max popularity + 1), so items
    /// matching more preferences come first and each group is ordered by training popularity.
    /// Candidates beyond the model's items (new items at inference) have popularity 0.
    /// </summary>
    public void ColdStartScores(ReadOnlySpan<int> matches, Span<float> scores)
    {
        float max = 0;
        foreach (var p in _popularity) max = MathF.Max(max, p);
        for (int i = 0; i < scores.Length; i++)
        {
            float popularity = i < _popularity.Length ? MathF.Max(0, _popularity[i]) : 0;
            scores[i] = (i < matches.Length ? matches[i] : 0) + popularity / (max + 1);
        }
    }

    /// <summary>Normalises scores in place: "minmax" to [0, 1], "rank" to the rank percentile in [0, 1] (ties share their mean rank), "zscore" to mean 0, std 1.</summary>
    public static void Normalise(Span<float> s, string method)
    {
        int n = s.Length;
        if (n == 0) return;
        switch (method.ToLowerInvariant())
        {
            case "rank":
            {
                var order = new int[n];
                for (int i = 0; i < n; i++) order[i] = i;
                var keys = s.ToArray();
                Array.Sort(keys, order);
                int start = 0;
                while (start < n)
                {
                    int end = start;
                    while (end + 1 < n && keys[end + 1] == keys[start]) end++;
                    float rank = n > 1 ? (start + end) / 2f / (n - 1) : 0f;
                    for (int j = start; j <= end; j++) s[order[j]] = rank;
                    start = end + 1;
                }
                break;
            }
            case "zscore":
            {
                double sum = 0, sq = 0;
                foreach (var v in s) { sum += v; sq += (double)v * v; }
                double mean = sum / n, std = Math.Sqrt(Math.Max(0, sq / n - mean * mean));
                for (int i = 0; i < n; i++) s[i] = std > 1e-12 ? (float)((s[i] - mean) / std) : 0f;
                break;
            }
            default:
            {
                float min = float.PositiveInfinity, max = float.NegativeInfinity;
                foreach (var v in s) { min = MathF.Min(min, v); max = MathF.Max(max, v); }
                float range = max - min;
                for (int i = 0; i < n; i++) s[i] = range > 0 ? (s[i] - min) / range : 0f;
                break;
            }
        }
    }

    public override IReadOnlyList<Scored> SimilarItems(int item, int k)
    {
        CheckItem(item);
        if (_content is not null) return _content.SimilarItems(item, k);
        if (_collaborative is not null) return _collaborative.SimilarItems(item, k);
        throw new TroveException("This hybrid has neither a content nor a collaborative part to compute similar items.");
    }

    public override IReadOnlyList<Scored> SimilarUsers(int user, int k)
    {
        CheckUser(user);
        if (_collaborative is not null) return _collaborative.SimilarUsers(user, k);
        if (_content is not null) return _content.SimilarUsers(user, k);
        throw new TroveException("This hybrid has neither a content nor a collaborative part to compute similar users.");
    }

    public int Dimensions => _content?.Dimensions ?? 0;
    /// <summary>False: scores blend content, collaborative and popularity parts; the vectors are the content part's only.</summary>
    public bool ScoresAreDotProducts => false;
    public ReadOnlySpan<float> UserVector(int user) => _content is null ? [] : _content.UserVector(user);
    public ReadOnlySpan<float> ItemVector(int item) => _content is null ? [] : _content.ItemVector(item);

    protected override void SaveModelState(ModelArchiveWriter writer)
    {
        writer.WriteArray("popularity", _popularity);
        writer.WriteJson("hybrid_parts", new[] { _content is not null, _collaborative is not null });
        _content?.SaveState(writer.Scoped("content"));
        _collaborative?.SaveState(writer.Scoped("collaborative"));
    }

    protected override void LoadModelState(ModelArchiveReader reader)
    {
        _popularity = reader.ReadFloats("popularity");
        var parts = reader.ReadJson<bool[]>("hybrid_parts");
        if (parts[0])
        {
            _content = new ContentBased(new ContentParameters { ItemFeatures = Params.ItemFeatures });
            _content.LoadState(reader.Scoped("content"));
        }
        if (parts[1])
        {
            _collaborative = CreateCollaborative();
            _collaborative.LoadState(reader.Scoped("collaborative"));
        }
    }
}
