using System.CommandLine;
using Trove.Cli.Infrastructure;
using Trove.Core.Errors;
using Trove.Reports.Eda;

namespace Trove.Cli.Commands;

/// <summary>
/// `trove eda`: figures (PNG + SVG), summary.json and index.html describing interaction data before training.
/// <code>
/// trove eda --data u.data --out eda/
/// trove eda --data real.csv --compare sim/interactions.csv --out eda/   (overlay figures + a sub-report per compared set)
/// </code>
/// </summary>
public static class EdaCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data", "-d") { Description = "Interactions file (or a folder holding interactions.csv / u.data).", Required = true };
        var compare = new Option<string[]>("--compare") { Description = "Another interactions file to compare with (e.g. a simulated set); repeatable." };
        var output = new Option<string>("--out", "-o") { Description = "Output folder for the figures, summary.json and index.html.", Required = true };
        var width = new Option<int>("--width") { Description = "Figure width in pixels.", DefaultValueFactory = _ => 900 };
        var height = new Option<int>("--height") { Description = "Figure height in pixels.", DefaultValueFactory = _ => 560 };
        var command = new Command("eda", "Exploratory data analysis: activity and popularity distributions, long tail, ratings, events, time, sparsity and cold start.")
        {
            data, compare, output, width, height,
        };
        command.SetAction(r => CommandRunner.Run(() => Run(r.GetValue(data)!, r.GetValue(compare) ?? [], r.GetValue(output)!,
            r.GetValue(width), r.GetValue(height), Console.Out)));
        return command;
    }

    public static int Run(string data, IReadOnlyList<string> compare, string outDir, int width, int height, TextWriter stdout)
    {
        if (width < 200 || width > 8000 || height < 150 || height > 8000)
            throw new TroveException($"--width/--height must be between 200x150 and 8000x8000 pixels, got {width}x{height}.");
        stdout.WriteLine($"reading {data}");
        var dataset = EdaDataLoader.Load(data);
        var others = compare.Select(c => { stdout.WriteLine($"reading {c}"); return EdaDataLoader.Load(c); }).ToList();
        var result = EdaReport.Write(dataset, outDir, new EdaOptions { Width = width, Height = height }, others);
        var c = result.Summary.Counts;
        stdout.WriteLine($"{c.Users:N0} users, {c.Items:N0} items, {c.Interactions:N0} interactions, density {c.Density:P3}");
        stdout.WriteLine($"wrote {result.Figures.Count} figures (PNG + SVG), {Path.GetFileName(result.SummaryPath)} and {Path.GetFileName(result.HtmlPath)} to {Path.GetFullPath(outDir)}");
        foreach (var sub in result.Compared) stdout.WriteLine($"compared set: {Path.GetFullPath(sub.HtmlPath)}");
        return 0;
    }
}
