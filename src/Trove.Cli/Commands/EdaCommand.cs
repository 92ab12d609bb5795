using System.CommandLine;
using Trove.Cli.Infrastructure;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Training;
using Trove.Data.Readers;
using Trove.Reports.Eda;

namespace Trove.Cli.Commands;

/// <summary>
/// `trove eda`: figures (PNG + SVG), summary.json and index.html describing interaction data before training.
/// <code>
/// trove eda --data ../shared/datasets/ml-100k --out eda/
/// trove eda --db trove.db --out eda/
/// trove eda --data real.csv --compare sim/ --out eda/   (overlay figures + a sub-report per compared set)
/// </code>
/// </summary>
public static class EdaCommand
{
    public static Command Create()
    {
        var data = new DataOptions();
        var compare = new Option<string[]>("--compare") { Description = "Other data to compare with (e.g. a folder written by `trove simulate`), read with the same options; repeatable." };
        var output = new Option<string>("--out", "-o") { Description = "Output folder for the figures, summary.json and index.html.", Required = true };
        var width = new Option<int>("--width") { Description = "Figure width in pixels.", DefaultValueFactory = _ => 900 };
        var height = new Option<int>("--height") { Description = "Figure height in pixels.", DefaultValueFactory = _ => 560 };
        var command = new Command("eda", "Exploratory data analysis: activity and popularity distributions, long tail, ratings, events, time, sparsity and cold start.");
        data.AddTo(command);
        foreach (var o in new Option[] { compare, output, width, height }) command.Options.Add(o);
        command.SetAction(r => CommandRunner.Run(() =>
        {
            int w = r.GetValue(width), h = r.GetValue(height);
            CheckSize(w, h);
            var progress = new ConsoleProgress();
            var dataset = data.Load(r, progress);
            var options = data.LoadOptions(r);
            var others = (r.GetValue(compare) ?? []).Select(path => DatasetLoader.Load(path, options, progress)).ToList();
            return Run(dataset, others, r.GetValue(output)!, w, h, Console.Out);
        }));
        return command;
    }

    /// <summary>Writes the report of <paramref name="dataset"/> (and the comparison with <paramref name="compare"/>) and prints where.</summary>
    public static int Run(Dataset dataset, IReadOnlyList<Dataset> compare, string outDir, int width, int height, TextWriter stdout)
    {
        CheckSize(width, height);
        var result = EdaReport.Write(dataset, outDir, new EdaOptions { Width = width, Height = height }, compare);
        var c = result.Summary.Counts;
        stdout.WriteLine($"{c.Users:N0} users, {c.Items:N0} items, {c.Interactions:N0} interactions, density {c.Density:P3}");
        stdout.WriteLine($"wrote {result.Figures.Count} figures (PNG + SVG), {Path.GetFileName(result.SummaryPath)} and {Path.GetFileName(result.HtmlPath)} to {Path.GetFullPath(outDir)}");
        foreach (var sub in result.Compared) stdout.WriteLine($"compared set: {Path.GetFullPath(sub.HtmlPath)}");
        return 0;
    }

    private static void CheckSize(int width, int height)
    {
        if (width < 200 || width > 8000 || height < 150 || height > 8000)
            throw new TroveException($"--width/--height must be between 200x150 and 8000x8000 pixels, got {width}x{height}.");
    }
}
