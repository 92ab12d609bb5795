using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Trove.Core.Persistence;
using Trove.Evaluation;
using Trove.Evaluation.Metrics;
using Trove.Evaluation.Reports;
using Trove.Reports.Html;
using Trove.Reports.Plotting;

namespace Trove.Reports.EvaluationReports;

public sealed record EvaluationReportOptions
{
    public static EvaluationReportOptions Default { get; } = new();
    public int Width { get; init; } = FigureWriter.DefaultWidth;
    public int Height { get; init; } = 500;
    /// <summary>K of the per-activity charts; default 10 when evaluated, else the middle K.</summary>
    public int? ActivityK { get; init; }
    /// <summary>Per-epoch history of iterative models (model label to epochs), drawn as training curves.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<TrainingPoint>>? TrainingCurves { get; init; }
    /// <summary>Name of the validation metric in <see cref="TrainingCurves"/>.</summary>
    public string ValidationMetric { get; init; } = "ndcg@10";
}

/// <summary>What the report writer produced.</summary>
public sealed record EvaluationReportFiles(string Directory, string Html, string Markdown, string Json, IReadOnlyList<FigureFile> Figures);

/// <summary>
/// `trove evaluate --report DIR`: the side-by-side comparison as report.json, report.md and
/// index.html, with a bar chart per metric across K (one bar per model), one for MRR/AUC, and,
/// given an <see cref="ActivityBreakdown"/>, charts and tables of the metrics of light, medium
/// and heavy users. Every file is written atomically; the page has no scripts or external links.
/// </summary>
public static class EvaluationReportWriter
{
    public const string HtmlFile = "index.html";
    public const string MarkdownFile = "report.md";
    public const string JsonFile = "report.json";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static readonly (string Key, string Title)[] Families =
    [
        (MetricNames.HitRate, "Hit rate"), (MetricNames.Ndcg, "NDCG"), (MetricNames.Recall, "Recall"),
        (MetricNames.Precision, "Precision"), (MetricNames.Map, "MAP"), (MetricNames.Coverage, "Catalogue coverage"),
    ];

    public static EvaluationReportFiles Write(ComparisonResult result, string directory, ActivityBreakdown? activity = null, EvaluationReportOptions? options = null)
    {
        options ??= EvaluationReportOptions.Default;
        Directory.CreateDirectory(directory);
        var figures = new List<FigureFile>();
        var models = result.Models.Select(m => m.Label).ToArray();
        var ks = result.Ks.Select(k => $"@{k}").ToArray();

        foreach (var (key, title) in Families)
        {
            var names = result.Ks.Select(k => MetricNames.At(key, k)).ToArray();
            if (!result.Models.Any(m => names.Any(m.Test.Metrics.ContainsKey))) continue;
            var plot = FigureWriter.NewPlot($"{title} at K", "cut-off K", key == MetricNames.Coverage ? "share of the catalogue recommended" : title.ToLowerInvariant());
            var values = result.Models.Select(m => (IReadOnlyList<double>)names.Select(n => Value(m.Test, n)).ToArray()).ToArray();
            GroupedBars.Add(plot, result.Ks.Select(k => $"K = {k}").ToArray(), models, values);
            figures.Add(FigureWriter.Save(plot, directory, $"metric_{key}", $"{title} at K",
                Caption(result, names, $"{title} of each model at each cut-off"), options.Width, options.Height));
        }
        var single = new[] { MetricNames.Mrr, MetricNames.Auc }.Where(n => result.Models.Any(m => double.IsFinite(Value(m.Test, n)))).ToArray();
        if (single.Length > 0)
        {
            var plot = FigureWriter.NewPlot("Rank metrics without a cut-off", "metric", "value");
            GroupedBars.Add(plot, single.Select(s => s.ToUpperInvariant()).ToArray(), models,
                result.Models.Select(m => (IReadOnlyList<double>)single.Select(n => Value(m.Test, n)).ToArray()).ToArray());
            figures.Add(FigureWriter.Save(plot, directory, "metric_mrr_auc", "MRR and AUC", Caption(result, single, "Mean reciprocal rank and AUC"), options.Width, options.Height));
        }

        int activityK = options.ActivityK ?? (result.Ks.Contains(10) ? 10 : result.Ks[result.Ks.Count / 2]);
        var activityMetrics = new[] { MetricNames.Ndcg, MetricNames.HitRate, MetricNames.Recall }.Select(m => MetricNames.At(m, activityK)).Append(MetricNames.Mrr).ToArray();
        if (activity is not null)
        {
            var groupLabels = activity.Groups.Select(GroupLabel).ToArray();
            foreach (var metric in activityMetrics)
            {
                var values = models.Select(label => (IReadOnlyList<double>)activity.Groups.Select((_, g) =>
                    activity.ByModel.TryGetValue(label, out var rs) && rs[g] is { } r ? Value(r, metric) : double.NaN).ToArray()).ToArray();
                if (values.All(v => v.All(x => !double.IsFinite(x)))) continue;
                var plot = FigureWriter.NewPlot($"{metric} by user activity", "users by training activity (terciles)", metric);
                GroupedBars.Add(plot, groupLabels, models, values);
                var name = "activity_" + metric.Replace("@", "_at_");
                figures.Add(FigureWriter.Save(plot, directory, name, $"{metric} by user activity",
                    $"{metric} of light, medium and heavy users (terciles of training interactions among the test users). " +
                    string.Join("; ", models.Select((m, i) => $"{m}: " + string.Join(" / ", values[i].Select(F)))) + ".", options.Width, options.Height));
            }
        }

        // The curves given, else those of the evaluated models that train in epochs (their per-epoch history).
        if (options.TrainingCurves is { } curves)
            foreach (var (label, history) in curves)
                figures.AddRange(TrainingCurvesFigure.Write(directory, "training_" + Slug(label), $"Training of {label}", history, options.ValidationMetric, options.Width, options.Height));
        else
            foreach (var m in result.Models)
                if (m.Model is Trove.Models.Neural.ITrainingHistory { History.Count: > 0 } trained)
                    figures.AddRange(TrainingCurvesFigure.Write(directory, "training_" + Slug(m.Label), $"Training of {m.Label}", TrainingPoint.From(trained.History),
                        trained.ValidationMetric, options.Width, options.Height));

        var json = Json(result, activity);
        var md = Markdown(result, activity, activityMetrics);
        var html = Html(result, activity, activityMetrics, figures);
        var jsonPath = Path.Combine(directory, JsonFile);
        var mdPath = Path.Combine(directory, MarkdownFile);
        var htmlPath = Path.Combine(directory, HtmlFile);
        AtomicFile.WriteAllText(jsonPath, json);
        AtomicFile.WriteAllText(mdPath, md);
        AtomicFile.WriteAllText(htmlPath, html);
        return new EvaluationReportFiles(directory, htmlPath, mdPath, jsonPath, figures);
    }

    private static double Value(EvaluationResult r, string metric) => r.Metrics.TryGetValue(metric, out var v) ? v : double.NaN;

    private static string F(double v) => double.IsFinite(v) ? v.ToString("0.0000", Inv) : "-";

    private static string GroupLabel(ActivityGroup g) =>
        g.Users == 0 ? $"{g.Name} (no users)" : $"{g.Name} ({g.MinActivity}-{g.MaxActivity}, {g.Users:N0} users)";

    private static string Caption(ComparisonResult r, IReadOnlyList<string> names, string what)
    {
        var best = names.Select(n =>
        {
            var top = r.Models.Select(m => (m.Label, V: Value(m.Test, n))).Where(x => double.IsFinite(x.V)).OrderByDescending(x => x.V).FirstOrDefault();
            return top.Label is null ? null : $"{n}: best {top.Label} ({F(top.V)})";
        }).OfType<string>();
        return $"{what} ({r.Protocol} protocol on {r.Dataset}, {r.Split.TestCases:N0} test users). " + string.Join("; ", best) + ".";
    }

    /// <summary>The evaluation branch's report.json schema plus an "activity" section when broken down.</summary>
    public static string Json(ComparisonResult result, ActivityBreakdown? activity)
    {
        var root = JsonNode.Parse(ComparisonReport.ToJson(result))!.AsObject();
        if (activity is not null)
        {
            var models = new JsonObject();
            foreach (var (label, results) in activity.ByModel)
            {
                var groups = new JsonObject();
                for (int g = 0; g < activity.Groups.Count; g++)
                {
                    if (results[g] is not { } r) { groups[activity.Groups[g].Name] = null; continue; }
                    var metrics = new JsonObject();
                    foreach (var name in MetricNames.All(r.Ks))
                        if (r.Metrics.TryGetValue(name, out var v)) metrics[name] = double.IsFinite(v) ? JsonValue.Create(Math.Round(v, 6)) : null;
                    groups[activity.Groups[g].Name] = new JsonObject { ["users"] = r.Cases, ["metrics"] = metrics };
                }
                models[label] = groups;
            }
            root["activity"] = new JsonObject
            {
                ["split"] = "terciles of training interactions among the test users",
                ["light_max"] = activity.LightMax,
                ["medium_max"] = activity.MediumMax,
                ["groups"] = new JsonArray(activity.Groups.Select(g => (JsonNode?)new JsonObject
                {
                    ["name"] = g.Name, ["min_activity"] = g.MinActivity, ["max_activity"] = g.MaxActivity, ["users"] = g.Users,
                }).ToArray()),
                ["models"] = models,
            };
        }
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    public static string Markdown(ComparisonResult result, ActivityBreakdown? activity, IReadOnlyList<string> activityMetrics)
    {
        var sb = new StringBuilder(ComparisonReport.ToMarkdown(result));
        if (activity is null) return sb.ToString();
        sb.AppendLine().AppendLine("## By user activity").AppendLine();
        sb.AppendLine($"Test users split into terciles of training interactions: " +
                      string.Join(", ", activity.Groups.Select(g => $"{g.Name} {g.MinActivity}-{g.MaxActivity} ({g.Users:N0} users)")) + ".").AppendLine();
        sb.AppendLine("| model | metric | " + string.Join(" | ", activity.Groups.Select(g => g.Name)) + " |");
        sb.AppendLine("|---|---|" + string.Concat(activity.Groups.Select(_ => "---:|")));
        foreach (var (label, results) in activity.ByModel)
            foreach (var metric in activityMetrics)
                sb.AppendLine($"| {label.Replace("|", "\\|")} | {metric} | " + string.Join(" | ", results.Select(r => r is null ? "-" : F(Value(r, metric)))) + " |");
        return sb.ToString();
    }

    private static string Html(ComparisonResult r, ActivityBreakdown? activity, IReadOnlyList<string> activityMetrics, IReadOnlyList<FigureFile> figures)
    {
        var page = new HtmlPage($"Evaluation: {r.Protocol} on {r.Dataset}");
        var s = r.Split;
        page.Paragraph((r.Description.Length > 0 ? $"Protocol: {r.Description}. " : "") +
            $"{s.Users:N0} users, {s.Items:N0} items, {s.TrainInteractions:N0} training interactions; {s.TestCases:N0} test users with {s.TestItems:N0} held-out items" +
            (s.ValidationCases > 0 ? $"; {s.ValidationCases:N0} validation users" : "") + ". " +
            (r.Sampled ? "Held-out items ranked against sampled negatives." : "Full ranking against every item the user has not interacted with.") +
            $" Seed {r.Seed}.", "meta");
        page.Links([("report.json", JsonFile), ("report.md", MarkdownFile)]);

        var rowsNames = ComparisonReport.MetricRows(r);
        var rows = new List<string[]>();
        var bold = new HashSet<(int, int)>();
        for (int i = 0; i < rowsNames.Count; i++)
        {
            var values = r.Models.Select(m => Value(m.Test, rowsNames[i])).ToArray();
            double best = values.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Max();
            if (r.Models.Count > 1) for (int c = 0; c < values.Length; c++) if (values[c] == best) bold.Add((i, c + 1));
            rows.Add([rowsNames[i], .. values.Select(F)]);
        }
        rows.Add(["train seconds", .. r.Models.Select(m => m.TrainSeconds.ToString("0.00", Inv))]);
        rows.Add(["evaluation seconds", .. r.Models.Select(m => m.EvaluationSeconds.ToString("0.00", Inv))]);
        page.Heading("Metrics side by side").Table(["metric", .. r.Models.Select(m => m.Label)], rows, (row, col) => bold.Contains((row, col)),
            r.Models.Count > 1 ? "Best value of each row in bold." : null);

        page.Heading("Charts");
        foreach (var f in figures.Where(f => f.Name.StartsWith("metric_", StringComparison.Ordinal)))
            page.Figure(Path.GetFileName(f.PngPath), Path.GetFileName(f.SvgPath), f.Title, f.Caption, f.Width, f.Height);

        if (activity is not null)
        {
            page.Heading("By user activity");
            page.Paragraph("Test users split into terciles of their number of training interactions: " +
                string.Join(", ", activity.Groups.Select(g => $"{g.Name} {g.MinActivity}-{g.MaxActivity} ({g.Users:N0} users)")) + ".");
            var arows = new List<string[]>();
            foreach (var (label, results) in activity.ByModel)
                foreach (var metric in activityMetrics)
                    arows.Add([label, metric, .. results.Select(x => x is null ? "-" : F(Value(x, metric)))]);
            page.Table(["model", "metric", .. activity.Groups.Select(g => g.Name)], arows, textColumns: [1]);
            foreach (var f in figures.Where(f => f.Name.StartsWith("activity_", StringComparison.Ordinal)))
                page.Figure(Path.GetFileName(f.PngPath), Path.GetFileName(f.SvgPath), f.Title, f.Caption, f.Width, f.Height);
        }
        var training = figures.Where(f => f.Name.StartsWith("training_", StringComparison.Ordinal)).ToList();
        if (training.Count > 0)
        {
            page.Heading("Training curves");
            foreach (var f in training)
                page.Figure(Path.GetFileName(f.PngPath), Path.GetFileName(f.SvgPath), f.Title, f.Caption, f.Width, f.Height);
        }
        return page.Render();
    }

    private static string Slug(string label)
    {
        var chars = label.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '_').ToArray();
        var slug = string.Join('_', new string(chars).Split('_', StringSplitOptions.RemoveEmptyEntries));
        return slug.Length > 0 ? slug : "model";
    }
}
