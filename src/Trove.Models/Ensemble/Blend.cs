using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Trove.Core.Algorithms;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Core.Recommending;
using Trove.Core.Training;

namespace Trove.Models.Ensemble;

/// <summary>Parameters of <see cref="Blend"/>: up to three registered models, each with its own parameters and weight.</summary>
public sealed record BlendParameters
{
    /// <summary>The first component: any registered model name.</summary>
    public string First { get; init; } = "ease";
    /// <summary>Weight of the first component's normalised scores (only the ratios of the three weights matter for ranking).</summary>
    [TuneRange(0, 1)]
    [ValidRange(0)]
    public float FirstWeight { get; init; } = 1f;
    /// <summary>Parameters of the first component (JSON object, e.g. the "parameters" of a `trove tune` result; defaults when absent).</summary>
    public JsonElement? FirstParameters { get; init; }
    /// <summary>The second component: a registered model name, or empty for none.</summary>
    public string Second { get; init; } = "rp3beta";
    /// <summary>Parameters of the second component (JSON object; defaults when absent).</summary>
    public JsonElement? SecondParameters { get; init; }
    /// <summary>Weight of the second component's normalised scores.</summary>
    [TuneRange(0, 1)]
    [ValidRange(0)]
    public float SecondWeight { get; init; } = 0.5f;
    /// <summary>The third component: a registered model name, or empty for none.</summary>
    public string Third { get; init; } = "";
    /// <summary>Parameters of the third component (JSON object; defaults when absent).</summary>
    public JsonElement? ThirdParameters { get; init; }
    /// <summary>Weight of the third component's normalised scores.</summary>
    [TuneRange(0, 1)]
    [ValidRange(0)]
    public float ThirdWeight { get; init; } = 0f;
    /// <summary>
    /// Per-user normalisation of each component before the weighted sum, over the items the user has not interacted with:
    /// "zscore" (mean 0, standard deviation 1) or "max" (divided by the largest absolute score).
    /// </summary>
    [TuneChoice("zscore", "max")]
    public string Normalization { get; init; } = "zscore";
}

/// <summary>
/// A score blend of up to three registered models (a linear ensemble, as in the "Blend" of the Netflix Prize solutions and
/// the validation-tuned blends of graph filters and item-item models in the GF-CF/BSPM line of work):
/// <code>
///   s_u = w1 n(s1_u) + w2 n(s2_u) + w3 n(s3_u)
///   n(x) = (x - mean_U(x)) / std_U(x)   ("zscore")   or   x / max_U |x|   ("max"),
/// </code>
/// U = the items the user has not interacted with (the candidates a ranking sees), so the scores a component gives
/// the user's own items (graph filters rate them highest) do not squash the rest. Each component is fitted on the same
/// data with its own parameters; only the weights and the normalisation are the blend's. Tuned with `trove tune` on
/// validation, the weights say how much each model adds; w = 0 drops a component (it is then not fitted).
/// <para>
/// Fitted components are shared between blends fitted on the same <see cref="Dataset"/> instance with the same component
/// settings and seed (a search over the weights refits nothing); a component is a deterministic function of those.
/// </para>
/// </summary>
public sealed class Blend(BlendParameters? parameters = null)
    : RecommenderBase<BlendParameters>(parameters), IHistoryScorer, IBatchScorer
{
    /// <summary>The registered algorithm name.</summary>
    public const string Name = "blend";

    private static readonly ConditionalWeakTable<Dataset, ConcurrentDictionary<string, Lazy<IRecommender>>> Fitted = new();
    private IRecommender[] _parts = [];
    private float[] _weights = [];

    /// <inheritdoc/>
    public override string Algorithm => Name;
    /// <summary>The fitted components, in order, with weight above 0.</summary>
    public IReadOnlyList<IRecommender> Components => _parts;

    private (string Model, JsonElement? Parameters, float Weight)[] Declared() =>
        new[] { (Params.First, Params.FirstParameters, Params.FirstWeight), (Params.Second, Params.SecondParameters, Params.SecondWeight), (Params.Third, Params.ThirdParameters, Params.ThirdWeight) }
            .Where(c => !string.IsNullOrWhiteSpace(c.Item1) && c.Item3 > 0).ToArray();

    private void Validate()
    {
        if (string.IsNullOrWhiteSpace(Params.First)) throw new TroveException("blend: first must name a registered model.");
        if (Declared().Length == 0) throw new TroveException("blend: at least one component needs a weight above 0.");
        if (Params.Normalization.ToLowerInvariant() is not ("zscore" or "max"))
            throw new TroveException($"blend: normalization must be zscore or max, got '{Params.Normalization}'.");
        foreach (var (model, given, _) in Declared())
        {
            if (model.Equals(Name, StringComparison.OrdinalIgnoreCase)) throw new TroveException("blend: a component cannot be a blend itself.");
            if (!BuiltInAlgorithms.Registry.Contains(model))
                throw new TroveException($"blend: unknown component model '{model}'. Available: {string.Join(", ", BuiltInAlgorithms.Registry.Algorithms.Select(a => a.Name).Order())}.");
            if (given is { ValueKind: not (JsonValueKind.Object or JsonValueKind.Null) })
                throw new TroveException($"blend: the parameters of '{model}' must be a JSON object such as {{\"lambda\": 300}}, got {given.Value.ValueKind.ToString().ToLowerInvariant()}.");
            Create(model, given); // an unknown or out-of-range key fails here, before any fitting
        }
    }

    private static IRecommender Create(string model, JsonElement? given) =>
        given is { ValueKind: JsonValueKind.Object } p ? BuiltInAlgorithms.Registry.CreateChecked(model, p) : BuiltInAlgorithms.Registry.Create(model);

    /// <inheritdoc/>
    protected override void FitCore(Dataset data, FitContext context)
    {
        Validate();
        var declared = Declared();
        var cache = Fitted.GetValue(data, _ => new());
        _parts = new IRecommender[declared.Length];
        _weights = new float[declared.Length];
        using var task = context.Progress.Start(Name, declared.Length);
        for (int c = 0; c < declared.Length; c++)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            var (model, given, weight) = declared[c];
            var key = $"{model.ToLowerInvariant()}|{ModelRegistry.ParametersJson(Create(model, given).Parameters).GetRawText()}|{context.Seed}";
            _parts[c] = cache.GetOrAdd(key, _ => new Lazy<IRecommender>(() =>
            {
                var m = Create(model, given);
                m.Fit(data, context);
                return m;
            })).Value;
            _weights[c] = weight;
            task.Advance();
        }
    }

    /// <inheritdoc/>
    public override void ScoreAllItems(int user, Span<float> scores)
    {
        CheckUser(user);
        Combine(scores[..ItemCount], UserItems.RowIndices(user), (part, s) => part.ScoreAllItems(user, s));
    }

    /// <summary>Scores of every item for an arbitrary history; every component must score histories (all of Trove's item-item and graph models do).</summary>
    public void ScoreHistory(ReadOnlySpan<int> items, ReadOnlySpan<float> weights, Span<float> scores)
    {
        foreach (var part in _parts)
            if (part is not IHistoryScorer) throw new TroveException($"blend: component '{part.Algorithm}' cannot score a new history; blend only models that can (e.g. ease, rp3beta, gfcf, bspm, itemknn).");
        var its = items.ToArray(); var ws = weights.ToArray();
        Combine(scores[..ItemCount], its, (part, s) => ((IHistoryScorer)part).ScoreHistory(its, ws, s));
    }

    /// <inheritdoc/>
    public void ScoreAllItems(ReadOnlySpan<int> users, Span<float> scores)
    {
        int n = ItemCount, b = users.Length;
        if (scores.Length < (long)b * n) throw new ArgumentException($"scores has {scores.Length} floats, needs {(long)b * n}.");
        foreach (var u in users) CheckUser(u);
        var block = new float[b * n];
        scores[..(b * n)].Clear();
        for (int c = 0; c < _parts.Length; c++)
        {
            if (_parts[c] is IBatchScorer batch) batch.ScoreAllItems(users, block);
            else for (int j = 0; j < b; j++) _parts[c].ScoreAllItems(users[j], block.AsSpan(j * n, n));
            for (int j = 0; j < b; j++)
                AddNormalised(block.AsSpan(j * n, n), UserItems.RowIndices(users[j]), _weights[c], scores.Slice(j * n, n));
        }
    }

    private delegate void PartScorer(IRecommender part, Span<float> scores);

    private void Combine(Span<float> scores, ReadOnlySpan<int> seen, PartScorer score)
    {
        scores.Clear();
        var work = new float[scores.Length];
        for (int c = 0; c < _parts.Length; c++)
        {
            score(_parts[c], work);
            AddNormalised(work, seen, _weights[c], scores);
        }
    }

    /// <summary>scores += weight * n(part), n over the items not in <paramref name="seen"/> (sorted or not); the seen items get the same transform.</summary>
    private void AddNormalised(Span<float> part, ReadOnlySpan<int> seen, float weight, Span<float> scores)
    {
        double sum = 0, sq = 0, maxAbs = 0;
        for (int i = 0; i < part.Length; i++)
        {
            double v = float.IsFinite(part[i]) ? part[i] : 0;
            sum += v; sq += v * v; maxAbs = Math.Max(maxAbs, Math.Abs(v));
        }
        int count = part.Length;
        if (seen.Length > 0 && Params.Normalization.Equals("max", StringComparison.OrdinalIgnoreCase))
        {
            var isSeen = new HashSet<int>(seen.ToArray());
            maxAbs = 0;
            for (int i = 0; i < part.Length; i++) if (!isSeen.Contains(i) && float.IsFinite(part[i])) maxAbs = Math.Max(maxAbs, Math.Abs(part[i]));
        }
        else
            foreach (int i in seen)
            {
                if ((uint)i >= (uint)part.Length) continue;
                double v = float.IsFinite(part[i]) ? part[i] : 0;
                sum -= v; sq -= v * v; count--;
            }
        float shift, scale;
        if (Params.Normalization.Equals("max", StringComparison.OrdinalIgnoreCase)) { shift = 0; scale = maxAbs > 0 ? (float)(1 / maxAbs) : 0f; }
        else
        {
            double mean = count > 0 ? sum / count : 0, variance = count > 0 ? Math.Max(0, sq / count - mean * mean) : 0;
            shift = (float)mean; scale = variance > 1e-24 ? (float)(1 / Math.Sqrt(variance)) : 0f;
        }
        for (int i = 0; i < part.Length; i++)
            if (float.IsFinite(part[i])) scores[i] += weight * scale * (part[i] - shift);
            else if (float.IsNegativeInfinity(part[i])) scores[i] = float.NegativeInfinity;
    }

    /// <summary>The first fitted component's similar items (a blend has no item-item weights of its own).</summary>
    public override IReadOnlyList<Scored> SimilarItems(int item, int k)
    {
        CheckItem(item);
        return _parts[0].SimilarItems(item, k);
    }

    /// <summary>The first component's similar users.</summary>
    public override IReadOnlyList<Scored> SimilarUsers(int user, int k)
    {
        CheckUser(user);
        return _parts[0].SimilarUsers(user, k);
    }

    /// <inheritdoc/>
    protected override void SaveModelState(ModelArchiveWriter writer)
    {
        writer.WriteJson("blend_parts", _parts.Length);
        for (int c = 0; c < _parts.Length; c++) _parts[c].SaveState(writer.Scoped($"part{c}"));
    }

    /// <inheritdoc/>
    protected override void LoadModelState(ModelArchiveReader reader)
    {
        var declared = Declared();
        int count = reader.ReadJson<int>("blend_parts");
        if (count != declared.Length) throw new TroveException($"blend: the model file holds {count} components, its parameters declare {declared.Length}.");
        _parts = new IRecommender[count];
        _weights = new float[count];
        for (int c = 0; c < count; c++)
        {
            _parts[c] = Create(declared[c].Model, declared[c].Parameters);
            _parts[c].LoadState(reader.Scoped($"part{c}"));
            _weights[c] = declared[c].Weight;
        }
    }
}
