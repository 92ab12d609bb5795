using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Trove.Core.Algorithms;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Recommending;
using Trove.Core.Training;
using Trove.Evaluation.Metrics;
using Trove.Evaluation.Protocols;
using Trove.Numerics.Autodiff;

namespace Trove.Evaluation.Tuning;

/// <summary>Settings of a hyper-parameter search.</summary>
public sealed record TuneOptions
{
    /// <summary>Configurations to try (the first is the defaults, the others random draws from the search space).</summary>
    public int Trials { get; init; } = 20;
    /// <summary>No new evaluation starts after this much time; null: no limit.</summary>
    public TimeSpan? TimeBudget { get; init; }
    /// <summary>Seed of the validation split, the draws, the user subsets and model training.</summary>
    public int Seed { get; init; } = 42;
    /// <summary>Validation metric to maximise, e.g. "ndcg@20" or "recall@20".</summary>
    public string Metric { get; init; } = "ndcg@20";
    /// <summary>"random" (per-user random holdout), "temporal" (each user's latest items) or "ncf" (each user's latest item against 99 sampled negatives; the fraction is not used).</summary>
    public string Split { get; init; } = "random";
    /// <summary>Share of each user's training items held out for validation.</summary>
    public double ValidationFraction { get; init; } = 0.2;
    /// <summary>
    /// Above 0 (random split only): first split the data exactly as <c>evaluate --protocol holdout --test-fraction T
    /// --validation-fraction V --seed S</c> does, drop its test part unseen, and tune on its train part against its
    /// validation part, so the parameters chosen for that evaluation never saw its test items.
    /// </summary>
    public double HoldoutTestFraction { get; init; }
    /// <summary>
    /// Successive-halving factor: rung r evaluates on 1/eta^(R-r) of the validation users and keeps the best
    /// 1/eta of its configurations for the next rung (1: plain random search, every trial on all users).
    /// </summary>
    public int Eta { get; init; } = 3;
    /// <summary>Fewest validation users a rung evaluates on (smaller rungs are too noisy to rank by).</summary>
    public int MinUsers { get; init; } = 500;
    /// <summary>Parameters held fixed (key=value, as --param), not tuned.</summary>
    public IReadOnlyDictionary<string, string> Fixed { get; init; } = new Dictionary<string, string>();
    public int Threads { get; init; } = Environment.ProcessorCount;
    public IProgressReporter Progress { get; init; } = NullProgress.Instance;
}

/// <summary>One evaluation of a trial on a rung.</summary>
public sealed record RungScore(int Rung, int Users, double Score, double FitSeconds, double EvalSeconds);

/// <summary>A configuration and how it fared.</summary>
public sealed record TrialResult(int Trial, IReadOnlyDictionary<string, string> Tuned, JsonElement Parameters, List<RungScore> Rungs)
{
    /// <summary>"best", "finished" (survived every rung), "stopped at rung r" (halved away) or "not run (time budget)".</summary>
    public string Status { get; set; } = "not run (time budget)";
}

/// <summary>The outcome of <see cref="Tuner.Run"/>: the best parameters and every trial's validation scores.</summary>
public sealed record TuneResult(string Algorithm, string Metric, string Validation, int Seed, int Eta, JsonElement BestParameters,
    double BestScore, int BestTrial, IReadOnlyList<TrialResult> Trials, IReadOnlyList<SearchDimension> Space, double Seconds)
{
    /// <summary>The JSON written by `trove tune`; `trove train/evaluate --params` read "algorithm" and "parameters".</summary>
    public string ToJson()
    {
        var trials = new JsonArray();
        foreach (var t in Trials)
        {
            var rungs = new JsonArray();
            foreach (var r in t.Rungs)
                rungs.Add(new JsonObject
                {
                    ["rung"] = r.Rung, ["users"] = r.Users, ["score"] = Math.Round(r.Score, 6),
                    ["fit_seconds"] = Math.Round(r.FitSeconds, 2), ["eval_seconds"] = Math.Round(r.EvalSeconds, 2),
                });
            var tuned = new JsonObject();
            foreach (var (k, v) in t.Tuned) tuned[k] = v;
            trials.Add(new JsonObject
            {
                ["trial"] = t.Trial, ["status"] = t.Status, ["tuned"] = tuned,
                ["validation_score"] = t.Rungs.Count > 0 ? Math.Round(t.Rungs[^1].Score, 6) : null,
                ["rungs"] = rungs, ["parameters"] = JsonNode.Parse(t.Parameters.GetRawText()),
            });
        }
        var root = new JsonObject
        {
            ["algorithm"] = Algorithm,
            ["parameters"] = JsonNode.Parse(BestParameters.GetRawText()),
            ["metric"] = Metric,
            ["validation_score"] = Math.Round(BestScore, 6),
            ["best_trial"] = BestTrial,
            ["validation"] = Validation,
            ["seed"] = Seed,
            ["eta"] = Eta,
            ["search_space"] = new JsonArray(Space.Select(d => (JsonNode)JsonValue.Create(d.ToString())).ToArray()),
            ["seconds"] = Math.Round(Seconds, 1),
            ["trials"] = trials,
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>
    /// Reads the algorithm and parameters of a `trove tune` output (or any JSON object with "algorithm" and
    /// "parameters") as key=value settings, so --param overrides can be laid over them.
    /// </summary>
    public static (string Algorithm, Dictionary<string, string> Settings) ReadParameters(string path)
    {
        if (!File.Exists(path)) throw new TroveException($"--params file '{path}' does not exist.");
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new TroveException($"--params file '{path}' is not valid JSON: {e.Message}"); }
        if (root is not JsonObject o || o["algorithm"]?.GetValueKind() != JsonValueKind.String || o["parameters"] is not JsonObject p)
            throw new TroveException($"--params file '{path}' needs an \"algorithm\" string and a \"parameters\" object (as `trove tune --out` writes).");
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (k, v) in p)
        {
            if (v is null) continue; // a null parameter (an unset optional one, e.g. a blend's absent third component's parameters) keeps its default
            settings[k] = v switch
            {
                JsonArray a => string.Join(",", a.Select(x => x is JsonValue xv ? Scalar(xv) : x?.ToJsonString())),
                JsonValue sv => Scalar(sv),
                // A nested parameters object (a blend's or hybrid's component parameters) stays JSON; the binder parses it.
                JsonObject nested => nested.ToJsonString(),
                _ => throw new TroveException($"--params file '{path}': parameter '{k}' has an unsupported JSON kind."),
            };
        }
        return (o["algorithm"]!.GetValue<string>(), settings);
    }

    private static string Scalar(JsonValue v) => v.GetValueKind() switch
    {
        JsonValueKind.String => v.GetValue<string>(),
        JsonValueKind.Number => v.GetValue<double>().ToString("R", CultureInfo.InvariantCulture),
        _ => v.ToJsonString(),
    };
}

/// <summary>
/// Hyper-parameter search on a validation split carved from the training data only (the test set is never
/// seen): random search over the algorithm's declared <see cref="SearchSpace"/> with successive halving
/// (Jamieson and Talwalkar 2016). Rung 0 scores every configuration on a small seeded subset of the
/// validation users; each later rung keeps the best 1/eta and scores them on eta times more users (nested
/// subsets), the last on all of them: hopeless configurations stop early and cost little. Trial t draws its
/// values from a generator seeded by (seed, t), so a trial is the same whatever the budget or order.
/// Trial 0 is the defaults (with the fixed settings), a baseline the search must beat.
/// </summary>
public static class Tuner
{
    public static TuneResult Run(Dataset train, string algorithm, ModelRegistry registry, TuneOptions options, Action<string>? log = null)
    {
        log ??= _ => { };
        if (options.Trials < 1) throw new TroveException($"--trials must be at least 1, got {options.Trials}.");
        if (options.Eta < 1) throw new TroveException($"--eta must be at least 1, got {options.Eta}.");
        var (metricName, k) = ParseMetric(options.Metric);
        var type = registry.ParametersType(algorithm);
        var space = SearchSpace.Of(type).Where(d => !options.Fixed.Keys.Any(f => Same(f, d.Name))).ToList();
        registry.Create(algorithm, options.Fixed); // bad fixed settings fail before any work
        var clock = Stopwatch.StartNew();

        if (options.HoldoutTestFraction > 0 && !options.Split.Equals("random", StringComparison.OrdinalIgnoreCase))
            throw new TroveException("--test-fraction (the evaluation's held-out test part) works with --validation random only.");
        var split = options.Split.ToLowerInvariant() switch
        {
            "random" when options.HoldoutTestFraction > 0 => WithoutTest(HoldoutProtocol.Split(train, options.HoldoutTestFraction, options.ValidationFraction, options.Seed)),
            "random" => HoldoutProtocol.Split(train, options.ValidationFraction, 0, options.Seed),
            "temporal" => TemporalProtocol.PerUser(train, options.ValidationFraction),
            // The NCF protocol's own construction on the training data: each user's latest training item against 99 sampled
            // non-interacted items, so a search for `evaluate --protocol ncf` ranks exactly as that evaluation does.
            "ncf" => NcfProtocol.FromDataset(train, options.Seed, NcfProtocol.DefaultNegatives),
            _ => throw new TroveException($"Unknown validation split '{options.Split}': use random, temporal or ncf."),
        };
        var validation = split.Test;
        string description = options.HoldoutTestFraction > 0
            ? $"the validation part of the evaluation split ({split.Description}); its test part dropped unseen, models fitted on its train part"
            : $"{split.Description.Replace("test", "validation")} of the training data only";
        log($"validation: {description}; {validation.Count:N0} users, {validation.RelevantCount:N0} held-out interactions");
        log($"search space: {(space.Count == 0 ? "(none declared: only the defaults)" : string.Join("; ", space))}");

        // Nested user subsets: rung r uses the first size_r users of one seeded permutation.
        var order = Enumerable.Range(0, validation.Count).ToArray();
        new Random(SeedMix.Of(options.Seed, 7)).Shuffle(order);
        int trials = space.Count == 0 ? 1 : options.Trials;
        int rungCount = 1;
        if (options.Eta > 1)
            while (Math.Pow(options.Eta, rungCount) <= trials && validation.Count / Math.Pow(options.Eta, rungCount) >= Math.Min(options.MinUsers, validation.Count)) rungCount++;
        var sizes = Enumerable.Range(0, rungCount)
            .Select(r => Math.Max(Math.Min(options.MinUsers, validation.Count), (int)Math.Ceiling(validation.Count / Math.Pow(options.Eta, rungCount - 1 - r))))
            .Select(s => Math.Min(s, validation.Count)).ToArray();

        var results = new List<TrialResult>();
        for (int t = 0; t < trials; t++)
        {
            var tuned = t == 0 ? new Dictionary<string, string>() : Draw(space, options.Seed, t);
            var settings = new Dictionary<string, string>(options.Fixed, StringComparer.OrdinalIgnoreCase);
            foreach (var (key, v) in tuned) settings[key] = v;
            var model = registry.Create(algorithm, settings);
            results.Add(new TrialResult(t, tuned, ModelRegistry.ParametersJson(model.Parameters), []));
        }

        var fit = new FitContext { Seed = options.Seed, Threads = options.Threads };
        var evalOptions = new EvaluationOptions { Ks = [k], Threads = options.Threads };
        var alive = results.ToList();
        var kept = new Dictionary<int, IRecommender>();
        bool outOfTime = false;
        int lastRung = -1;
        for (int r = 0; r < rungCount && !outOfTime; r++)
        {
            var subset = Subset(validation, order, sizes[r]);
            foreach (var trial in alive)
            {
                if (options.TimeBudget is { } budget && clock.Elapsed > budget) { outOfTime = true; break; }
                var fitClock = Stopwatch.StartNew();
                if (!kept.TryGetValue(trial.Trial, out var model))
                {
                    model = registry.Create(algorithm, trial.Parameters);
                    model.Fit(split.Train, fit);
                }
                double fitSeconds = fitClock.Elapsed.TotalSeconds;
                var result = Evaluator.Evaluate(model, subset, evalOptions);
                double score = result[MetricNames.At(metricName, k)];
                trial.Rungs.Add(new RungScore(r, subset.Count, score, fitSeconds, result.Seconds));
                // Keep fitted only the models that can still go on to the next rung (deterministic: a refit gives the
                // same model, this only saves time), so memory holds at most ceil(alive / eta) models.
                kept[trial.Trial] = model;
                int promote = r == rungCount - 1 ? 0 : (int)Math.Ceiling(alive.Count / (double)options.Eta);
                foreach (var drop in kept.Keys.Where(id => results[id].Rungs.Count == r + 1).OrderByDescending(id => results[id].Rungs[r].Score)
                             .ThenBy(id => id).Skip(promote).ToList())
                    kept.Remove(drop);
                log($"trial {trial.Trial,3} rung {r}/{rungCount - 1} ({subset.Count:N0} users) {options.Metric} {score:F4}  " +
                    $"fit {fitSeconds:F1}s eval {result.Seconds:F1}s  {Describe(trial.Tuned)}  [{clock.Elapsed.TotalSeconds:F0}s]");
            }
            var scored = alive.Where(t => t.Rungs.Count == r + 1).OrderByDescending(t => t.Rungs[r].Score).ThenBy(t => t.Trial).ToList();
            if (scored.Count == 0) break;
            lastRung = r;
            int keep = r == rungCount - 1 ? scored.Count : Math.Max(1, (int)Math.Ceiling(scored.Count / (double)options.Eta));
            foreach (var t in scored.Skip(keep)) { t.Status = $"stopped at rung {r}"; kept.Remove(t.Trial); }
            alive = scored.Take(keep).ToList();
        }
        if (lastRung < 0) throw new TroveException($"The time budget ran out before the first trial was evaluated; give --time-budget more than {clock.Elapsed.TotalSeconds:F0}s.");
        foreach (var t in alive) if (t.Rungs.Count == lastRung + 1) t.Status = lastRung == rungCount - 1 ? "finished" : $"best at rung {lastRung} (time budget)";
        var best = results.Where(t => t.Rungs.Count == lastRung + 1).OrderByDescending(t => t.Rungs[lastRung].Score).ThenBy(t => t.Trial).First();
        best.Status = "best";
        log($"best: trial {best.Trial} {options.Metric} {best.Rungs[^1].Score:F4} on {best.Rungs[^1].Users:N0} validation users: {Describe(best.Tuned)}");
        return new TuneResult(algorithm, options.Metric, description, options.Seed, options.Eta, best.Parameters, best.Rungs[^1].Score,
            best.Trial, results, space, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The evaluation split's train part against its validation part; its test part is dropped, never read.</summary>
    private static EvaluationSplit WithoutTest(EvaluationSplit outer) => new()
    {
        Protocol = outer.Protocol, Seed = outer.Seed, DatasetName = outer.DatasetName, Train = outer.Train,
        Test = outer.Validation!, TestInteractions = outer.ValidationInteractions,
        Description = outer.Description,
    };

    /// <summary>Trial t's values: one uniform number per dimension from a generator seeded by (seed, t).</summary>
    public static Dictionary<string, string> Draw(IReadOnlyList<SearchDimension> space, int seed, int trial)
    {
        var rng = new Random(SeedMix.Of(seed, trial, 17));
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var d in space)
            values[d.Name] = d.Draw(rng.NextDouble()) switch
            {
                double x => x.ToString("R", CultureInfo.InvariantCulture),
                long x => x.ToString(CultureInfo.InvariantCulture),
                bool x => x ? "true" : "false",
                var x => Convert.ToString(x, CultureInfo.InvariantCulture)!,
            };
        return values;
    }

    private static TestSet Subset(TestSet v, int[] order, int size)
    {
        var pick = order.Take(size).Order().ToArray();
        return new TestSet("validation", v.ItemCount, pick.Select(i => v.Users[i]).ToArray(), pick.Select(i => v.Relevant[i]).ToArray(),
            v.Negatives is null ? null : pick.Select(i => v.Negatives[i]).ToArray(), v.Excluded is null ? null : pick.Select(i => v.Excluded[i]).ToArray());
    }

    private static (string Metric, int K) ParseMetric(string metric)
    {
        int at = metric.IndexOf('@');
        string[] known = [MetricNames.HitRate, MetricNames.Ndcg, MetricNames.Recall, MetricNames.Precision, MetricNames.Map];
        if (at > 0 && known.Contains(metric[..at].ToLowerInvariant()) && int.TryParse(metric[(at + 1)..], out int k) && k > 0)
            return (metric[..at].ToLowerInvariant(), k);
        throw new TroveException($"Bad --metric '{metric}': expected one of {string.Join(", ", known)} with a cut-off, e.g. ndcg@20.");
    }

    private static bool Same(string a, string b) => Normalise(a) == Normalise(b);
    private static string Normalise(string key) => key.Replace("_", "").Replace("-", "").ToLowerInvariant();
    private static string Describe(IReadOnlyDictionary<string, string> tuned) =>
        tuned.Count == 0 ? "(defaults)" : string.Join(" ", tuned.Select(kv => $"{kv.Key}={Short(kv.Value)}"));
    private static string Short(string v) => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && v.Contains('.')
        ? d.ToString("G4", CultureInfo.InvariantCulture) : v;
}
