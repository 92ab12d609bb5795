using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Trove.Evaluation.Metrics;

namespace Trove.Evaluation.Reports;

/// <summary>
/// The side-by-side comparison as aligned terminal text, JSON (stable schema, see <see cref="ToJson"/>)
/// and markdown. In the text and markdown tables the rows are metrics and the columns models; the
/// best value of a row is marked (* in text, bold in markdown) when several models are compared.
/// </summary>
public static class ComparisonReport
{
    public const string JsonSchema = "trove.evaluation.v1";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The metric rows present in the result, in report order.</summary>
    public static IReadOnlyList<string> MetricRows(ComparisonResult r) =>
        MetricNames.All(r.Ks).Where(m => r.Models.Any(x => x.Test.Metrics.ContainsKey(m))).ToList();

    public static string ToText(ComparisonResult r)
    {
        var sb = new StringBuilder();
        foreach (var line in HeaderLines(r)) sb.AppendLine(line);
        sb.AppendLine();
        var rows = Table(r, best => best ? "*" : " ");
        int first = rows.Max(row => row[0].Length);
        var widths = Enumerable.Range(1, rows[0].Length - 1).Select(c => Math.Max(8, rows.Max(row => row[c].Length))).ToArray();
        for (int i = 0; i < rows.Count; i++)
        {
            sb.Append(rows[i][0].PadRight(first));
            for (int c = 1; c < rows[i].Length; c++) sb.Append("  ").Append(rows[i][c].PadLeft(widths[c - 1]));
            sb.AppendLine();
            if (i == 0) sb.AppendLine(new string('-', first + widths.Sum(w => w + 2)));
        }
        if (r.Models.Count > 1) sb.AppendLine().AppendLine("* best of the row, and above every other model by a paired t-test over users (p < 0.05; coverage and AUC: plain best)");
        foreach (var line in NotApplicableLines(r)) sb.AppendLine(line);
        return sb.ToString();
    }

    public static string ToMarkdown(ComparisonResult r)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"# Evaluation: {r.Protocol} on {Escape(r.Dataset)}").AppendLine();
        foreach (var line in HeaderLines(r).Skip(1)) sb.AppendLine($"- {Escape(line)}");
        sb.AppendLine();
        var rows = Table(r, best => best ? "**" : "");
        sb.AppendLine("| " + string.Join(" | ", rows[0].Select(Escape)) + " |");
        sb.AppendLine("|---" + string.Concat(Enumerable.Repeat("|---:", rows[0].Length - 1)) + "|");
        foreach (var row in rows.Skip(1)) sb.AppendLine("| " + string.Join(" | ", row.Select(Escape)) + " |");
        var notApplicable = NotApplicableLines(r).ToList();
        if (notApplicable.Count > 0) { sb.AppendLine(); foreach (var line in notApplicable) sb.AppendLine($"- {Escape(line)}"); }
        var intervals = IntervalRows(r).ToList();
        if (intervals.Count > 0)
        {
            sb.AppendLine().AppendLine($"## 95% confidence intervals (percentile bootstrap over the test users, {BootstrapInterval.Resamples:N0} resamples)").AppendLine();
            sb.AppendLine("| metric | " + string.Join(" | ", r.Models.Select(m => Escape(m.Label))) + " |");
            sb.AppendLine("|---" + string.Concat(Enumerable.Repeat("|---:", r.Models.Count)) + "|");
            foreach (var row in intervals) sb.AppendLine("| " + string.Join(" | ", row) + " |");
        }
        var withParams = r.Models.Where(m => m.Parameters.ValueKind == JsonValueKind.Object && m.Parameters.EnumerateObject().Any()).ToList();
        if (withParams.Count > 0)
        {
            sb.AppendLine().AppendLine("## Parameters").AppendLine();
            foreach (var m in withParams)
                sb.AppendLine($"- **{Escape(m.Label)}** ({m.Algorithm}): " + string.Join(", ", m.Parameters.EnumerateObject().Select(p => $"`{p.Name}={p.Value.GetRawText()}`")));
        }
        return sb.ToString();
    }

    /// <summary>
    /// JSON with a stable schema: <c>schema, protocol, dataset, description, seed, k, sampled,
    /// split {users, items, train_interactions, test_cases, test_items, validation_cases},
    /// models [{name, algorithm, parameters, overrides, metrics {"hr@10": ...}, confidence_95? {"hr@10": [low, high]}
/// (percentile bootstrap over users, <see cref="BootstrapInterval"/>; per-user metrics only), validation_metrics?,
    /// train_seconds, evaluation_seconds, users}]</c>. Undefined values (AUC without candidates) are null.
    /// </summary>
    public static string ToJson(ComparisonResult r)
    {
        var models = new JsonArray();
        foreach (var m in r.Models)
        {
            var o = new JsonObject
            {
                ["name"] = m.Label,
                ["algorithm"] = m.Algorithm,
                ["parameters"] = JsonNode.Parse(m.Parameters.GetRawText()),
                ["overrides"] = new JsonObject(m.Overrides.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value)))),
                ["metrics"] = MetricsObject(m.Test),
            };
            if (m.Test.PerCase is { Count: > 0 } perCase) o["confidence_95"] = IntervalsObject(m.Test, r.Seed);
            if (m.Validation is { } v) o["validation_metrics"] = MetricsObject(v);
            if (m.NotApplicable is { } reason) o["not_applicable"] = reason;
            o["train_seconds"] = Math.Round(m.TrainSeconds, 3);
            o["evaluation_seconds"] = Math.Round(m.EvaluationSeconds, 3);
            o["users"] = m.Test.Cases;
            models.Add(o);
        }
        var root = new JsonObject
        {
            ["schema"] = JsonSchema,
            ["protocol"] = r.Protocol,
            ["dataset"] = r.Dataset,
            ["description"] = r.Description,
            ["seed"] = r.Seed,
            ["k"] = new JsonArray(r.Ks.Select(k => (JsonNode?)JsonValue.Create(k)).ToArray()),
            ["sampled"] = r.Sampled,
            ["restricted"] = r.Restricted,
            ["random_ranking"] = r.RandomRanking is { } random ? new JsonObject(random.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(Math.Round(kv.Value, 6))))) : null,
            ["split"] = new JsonObject
            {
                ["users"] = r.Split.Users,
                ["items"] = r.Split.Items,
                ["train_interactions"] = r.Split.TrainInteractions,
                ["test_cases"] = r.Split.TestCases,
                ["test_items"] = r.Split.TestItems,
                ["validation_cases"] = r.Split.ValidationCases,
            },
            ["models"] = models,
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>{"ndcg@10": [low, high], ...}: the 95% percentile bootstrap interval over users of each per-user metric.</summary>
    private static JsonObject IntervalsObject(EvaluationResult e, int seed)
    {
        var o = new JsonObject();
        foreach (var name in MetricNames.All(e.Ks))
            if (e.PerCase!.TryGetValue(name, out var values) && values is { Length: > 0 })
            {
                var (low, high) = BootstrapInterval.Of(values, seed);
                o[name] = new JsonArray(JsonValue.Create(Math.Round(low, 6)), JsonValue.Create(Math.Round(high, 6)));
            }
        return o;
    }

    private static JsonObject MetricsObject(EvaluationResult e)
    {
        var o = new JsonObject();
        foreach (var name in MetricNames.All(e.Ks))
            if (e.Metrics.TryGetValue(name, out var v)) o[name] = double.IsFinite(v) ? JsonValue.Create(Math.Round(v, 6)) : null;
        return o;
    }

    private static IEnumerable<string> HeaderLines(ComparisonResult r)
    {
        yield return $"{r.Protocol} evaluation on {r.Dataset}";
        if (r.Description.Length > 0) yield return $"protocol: {r.Description}";
        var s = r.Split;
        yield return $"data: {s.Users:N0} users, {s.Items:N0} items, {s.TrainInteractions:N0} training interactions; "
                     + $"{s.TestCases:N0} test users with {s.TestItems:N0} held-out items"
                     + (s.ValidationCases > 0 ? $"; {s.ValidationCases:N0} validation users" : "");
        string ranking = r.Sampled ? "held-out items vs sampled negatives"
            : r.Restricted ? "among the withheld (cold-start) items only"
            : "full (all items the user has not interacted with)";
        yield return $"ranking: {ranking}; ties count against the held-out item";
        if (r.RandomRanking is { Count: > 0 } random)
            yield return "random ranking of the candidates (expected): " + string.Join(", ", random.Select(kv => $"{kv.Key} {kv.Value.ToString("0.0000", Inv)}"));
    }

    /// <summary>One row per per-user metric: the metric, then each model's "low-high" bootstrap interval ("-" without per-user values).</summary>
    private static IEnumerable<string[]> IntervalRows(ComparisonResult r)
    {
        foreach (var name in MetricRows(r))
        {
            if (!r.Models.Any(m => m.Test.PerCase?.ContainsKey(name) == true)) continue;
            yield return new[] { name + " 95% CI" }.Concat(r.Models.Select(m =>
            {
                if (m.Test.PerCase?.TryGetValue(name, out var values) != true || values is not { Length: > 0 }) return "-";
                var (low, high) = BootstrapInterval.Of(values, r.Seed);
                return $"{low.ToString("0.0000", Inv)}-{high.ToString("0.0000", Inv)}";
            })).ToArray();
        }
    }

    private static IEnumerable<string> NotApplicableLines(ComparisonResult r) =>
        r.Models.Where(m => m.NotApplicable is not null).Select(m => $"{m.Label}: not applicable, {m.NotApplicable}");

    /// <summary>Header row then one row per metric, then timings. <paramref name="mark"/> decorates best values.</summary>
    private static List<string[]> Table(ComparisonResult r, Func<bool, string> mark)
    {
        bool compare = r.Models.Count > 1;
        // In text, values carry a one-character marker column; pad the header the same way so it lines up.
        string pad = compare && mark(false) == " " ? " " : "";
        var rows = new List<string[]> { new[] { "metric" }.Concat(r.Models.Select(m => m.Label + pad)).ToArray() };
        foreach (var name in MetricRows(r))
        {
            var values = r.Models.Select(m => m.Test.Metrics.TryGetValue(name, out var v) ? v : double.NaN).ToArray();
            double best = values.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Max();
            int leader = Array.IndexOf(values, best);
            bool significant = leader >= 0 && SignificantlyBest(r, name, leader);
            rows.Add(new[] { name }.Concat(values.Select(v =>
            {
                if (!double.IsFinite(v)) return "-";
                string text = v.ToString("0.0000", Inv);
                if (!compare) return text;
                bool isBest = v == best && significant;
                string m = mark(isBest);
                return m == "**" ? $"**{text}**" : m == "" ? text : text + m;
            })).ToArray());
        }
        if (r.Models.Any(m => m.Validation is not null))
            foreach (var name in r.Ks.SelectMany(k => new[] { MetricNames.At(MetricNames.HitRate, k), MetricNames.At(MetricNames.Ndcg, k) }))
                rows.Add(new[] { "val " + name }.Concat(r.Models.Select(m =>
                    (m.Validation is { } v && v.Metrics.TryGetValue(name, out var x) && double.IsFinite(x) ? x.ToString("0.0000", Inv) : "-")
                    + (compare && mark(false) == " " ? " " : ""))).ToArray());
        rows.Add(new[] { "train s" }.Concat(r.Models.Select(m => Seconds(m.TrainSeconds) + (compare && mark(false) == " " ? " " : ""))).ToArray());
        rows.Add(new[] { "eval s" }.Concat(r.Models.Select(m => Seconds(m.EvaluationSeconds) + (compare && mark(false) == " " ? " " : ""))).ToArray());
        return rows;
    }

    /// <summary>Two-sided significance level of <see cref="SignificantlyBest"/>.</summary>
    public const double SignificanceLevel = 0.05;

    /// <summary>
    /// True when model <paramref name="leader"/> is above every other model on <paramref name="metric"/> by a paired t-test over
    /// the test users (the same users for all models; normal approximation, two-sided p &lt; 0.05: t &gt; 1.96). Differences of
    /// 0.01 on a few hundred users are often noise; a "best" mark should not claim them. Metrics without per-user values
    /// (coverage, AUC) keep the plain best mark.
    /// </summary>
    public static bool SignificantlyBest(ComparisonResult r, string metric, int leader)
    {
        if (r.Models[leader].Test.PerCase?.TryGetValue(metric, out var lead) != true || lead is null) return true;
        for (int o = 0; o < r.Models.Count; o++)
        {
            if (o == leader) continue;
            if (r.Models[o].Test.PerCase?.TryGetValue(metric, out var other) != true || other is null || other.Length != lead.Length) return true;
            if (PairedT(lead, other) <= 1.959964) return false;
        }
        return true;
    }

    /// <summary>t statistic of the mean of a[c] - b[c] (infinite when every difference is the same positive number, 0 when all are 0).</summary>
    public static double PairedT(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        int n = a.Count;
        if (n < 2) return 0;
        double mean = 0;
        for (int c = 0; c < n; c++) mean += a[c] - b[c];
        mean /= n;
        double ss = 0;
        for (int c = 0; c < n; c++) { double d = a[c] - b[c] - mean; ss += d * d; }
        double se = Math.Sqrt(ss / (n - 1) / n);
        return se > 0 ? mean / se : mean > 0 ? double.PositiveInfinity : 0;
    }

    private static string Seconds(double s) => s.ToString(s < 10 ? "0.00" : "0.0", Inv);

    private static string Escape(string s) => s.Replace("|", "\\|");
}
