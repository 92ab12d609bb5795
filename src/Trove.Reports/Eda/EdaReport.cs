using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Trove.Core.Data;
using Trove.Core.Persistence;
using Trove.Reports.Html;
using Trove.Reports.Plotting;

namespace Trove.Reports.Eda;

public sealed record EdaOptions
{
    public static EdaOptions Default { get; } = new();
    public int Width { get; init; } = FigureWriter.DefaultWidth;
    public int Height { get; init; } = FigureWriter.DefaultHeight;
    /// <summary>Page title; defaults to "Trove EDA: {source}".</summary>
    public string? Title { get; init; }
    /// <summary>How the primary dataset is labelled in comparison figures; defaults to its source file name.</summary>
    public string? Label { get; init; }
}

/// <summary>What <c>EdaReport.Write</c> wrote.</summary>
public sealed record EdaResult(EdaSummary Summary, IReadOnlyList<FigureFile> Figures, string SummaryPath, string HtmlPath,
    IReadOnlyList<EdaResult> Compared);

/// <summary>
/// `trove eda`: analyses a dataset and writes PNG + SVG figures, summary.json (the numbers behind
/// every figure) and index.html (all figures with captions, relative links, no scripts) to a folder.
/// With datasets to compare (e.g. a simulated set beside real data) each gets its own sub-folder
/// with the same figures, and overlay figures put the distributions on one chart.
/// </summary>
public static class EdaReport
{
    public const string SummaryFile = "summary.json";
    public const string HtmlFile = "index.html";

    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static EdaResult Write(Dataset data, string outDir, EdaOptions? options = null, IReadOnlyList<Dataset>? compareWith = null)
    {
        options ??= EdaOptions.Default;
        var compared = new List<(string Label, EdaResult Result)>();
        var labels = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        string primaryLabel = UniqueLabel(options.Label ?? LabelOf(data, "data"), labels);
        options = options with { Label = primaryLabel };
        if (compareWith is { Count: > 0 })
            for (int i = 0; i < compareWith.Count; i++)
            {
                var label = UniqueLabel(LabelOf(compareWith[i], $"compared-{i + 1}"), labels);
                var sub = Path.Combine(outDir, "compare", Slug(label));
                compared.Add((label, WriteOne(EdaAnalyzer.Analyze(compareWith[i]), sub, options with { Title = $"Trove EDA: {label}" }, [], "../../" + HtmlFile)));
            }
        var summary = EdaAnalyzer.Analyze(data);
        var overlays = compared.Count > 0
            ? EdaComparison.Figures([(primaryLabel, summary), .. compared.Select(c => (c.Label, c.Result.Summary))])
            : [];
        return WriteOne(summary, outDir, options, overlays, null, compared);
    }

    /// <summary>Writes the figures, summary.json and index.html of an already computed summary.</summary>
    public static EdaResult Write(EdaSummary summary, string outDir, EdaOptions? options = null) =>
        WriteOne(summary, outDir, options ?? EdaOptions.Default, [], null);

    private static EdaResult WriteOne(EdaSummary summary, string outDir, EdaOptions options, IReadOnlyList<EdaFigure> overlays,
        string? parentHtml, List<(string Label, EdaResult Result)>? compared = null)
    {
        Directory.CreateDirectory(outDir);
        var files = new List<FigureFile>();
        foreach (var f in EdaFigures.All(summary).Concat(overlays))
            files.Add(FigureWriter.Save(f.Plot, outDir, f.Name, f.Title, f.Caption, options.Width, options.Height));
        summary = summary with
        {
            Figures = files.Select(f => new FigureInfo(f.Name, f.Title, f.Caption, f.Name + ".png", f.Name + ".svg")).ToArray(),
        };
        var summaryPath = Path.Combine(outDir, SummaryFile);
        AtomicFile.WriteAllText(summaryPath, JsonSerializer.Serialize(summary, JsonOptions) + "\n");
        var htmlPath = Path.Combine(outDir, HtmlFile);
        AtomicFile.WriteAllText(htmlPath, RenderHtml(summary, options.Label ?? LabelOf(summary.Source, "dataset"), files, options, parentHtml, compared ?? [], outDir));
        return new EdaResult(summary, files, summaryPath, htmlPath, (compared ?? []).Select(c => c.Result).ToArray());
    }

    private static string RenderHtml(EdaSummary s, string label, IReadOnlyList<FigureFile> figures, EdaOptions options, string? parentHtml,
        IReadOnlyList<(string Label, EdaResult Result)> compared, string outDir)
    {
        var inv = CultureInfo.InvariantCulture;
        var page = new HtmlPage(options.Title ?? $"Trove EDA: {label}");
        page.Paragraph((s.Source.Length > 0 ? $"Source: {s.Source}. " : "") +
            "Exploratory data analysis of the interaction data, before training. Every number in the figures is in summary.json.", "meta");
        var links = new List<(string, string)> { ("summary.json", SummaryFile) };
        if (parentHtml is not null) links.Add(("back to the main report", parentHtml));
        foreach (var (otherLabel, result) in compared)
            links.Add(($"compared: {otherLabel}", Path.GetRelativePath(outDir, result.HtmlPath).Replace('\\', '/')));
        page.Links(links);

        var n = s.Counts;
        string P(double share, int d = 2) => EdaFigures.Pct(share, d);
        var rows = new List<string[]>
        {
            new[] { "users", n.Users.ToString("N0", inv), $"{n.ActiveUsers:N0} with interactions" },
            new[] { "items", n.Items.ToString("N0", inv), $"{n.ActiveItems:N0} with interactions" },
            new[] { "interactions", n.Interactions.ToString("N0", inv), $"{n.DistinctPairs:N0} distinct user-item pairs, {n.RepeatedInteractions:N0} repeats" },
            new[] { "density", P(n.Density, 3), $"sparsity {P(n.Sparsity, 3)}" },
            new[] { "interactions per user", $"median {EdaFigures.Num(s.UserActivity.Median)}", $"mean {EdaFigures.Num(s.UserActivity.Mean)}, range {EdaFigures.Num(s.UserActivity.Min)}-{EdaFigures.Num(s.UserActivity.Max)}" },
            new[] { "interactions per item", $"median {EdaFigures.Num(s.ItemPopularity.Median)}", $"mean {EdaFigures.Num(s.ItemPopularity.Mean)}, range {EdaFigures.Num(s.ItemPopularity.Min)}-{EdaFigures.Num(s.ItemPopularity.Max)}" },
            new[] { "weights", s.Weights.Kind, $"{s.Weights.DistinctValues:N0} distinct values, mean {EdaFigures.Num(s.Weights.Mean)}" },
            new[] { "time span", s.Timeline is { } t ? $"{t.First[..10]} to {t.Last[..10]}" : "no timestamps", s.Timeline is { } t2 ? $"{t2.Periods.Count} {t2.Granularity}s" : "" },
        };
        page.Heading("Overview").Table(["", "value", "detail"], rows, textColumns: [2]);

        page.Heading("Figures");
        if (s.Timeline is null) page.Paragraph("The data has no timestamps, so there is no activity-over-time figure.", "meta");
        foreach (var f in figures)
            page.Figure(Path.GetFileName(f.PngPath), Path.GetFileName(f.SvgPath), f.Title, f.Caption, f.Width, f.Height);
        return page.Render();
    }

    private static string LabelOf(Dataset d, string fallback) => LabelOf(d.Source, fallback);

    private static string LabelOf(string source, string fallback)
    {
        if (string.IsNullOrWhiteSpace(source)) return fallback;
        var src = source.TrimEnd('/', '\\');
        var name = Path.GetFileName(src);
        // "…/sim/interactions.csv" is better told apart by its folder.
        if (Path.GetFileNameWithoutExtension(name) is "interactions" or "u" or "ratings" or "data" && Path.GetDirectoryName(src) is { Length: > 0 } dir)
            name = Path.GetFileName(dir) + "/" + name;
        return name.Length > 0 ? name : fallback;
    }

    private static string UniqueLabel(string label, HashSet<string> used)
    {
        var candidate = label;
        for (int i = 2; !used.Add(candidate); i++) candidate = $"{label} ({i})";
        return candidate;
    }

    internal static string Slug(string label)
    {
        var chars = label.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? char.ToLowerInvariant(c) : '-').ToArray();
        var slug = string.Join('-', new string(chars).Split('-', StringSplitOptions.RemoveEmptyEntries));
        return slug.Length > 0 ? slug : "data";
    }
}
