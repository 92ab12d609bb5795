using System.Diagnostics;
using ScottPlot;
using Trove.Evaluation;
using Trove.Evaluation.Protocols;
using Trove.Models;
using Trove.Reports.Eda;
using Trove.Reports.EvaluationReports;
using Trove.Reports.Plotting;
using Trove.Tests.Support;

namespace Trove.Tests.Reports;

/// <summary>A fact that is skipped, with the reason, when Debian's chromium is not installed.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public const string Path = "/usr/bin/chromium";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(Path)) Skip = $"{Path} is not installed (apt-get install -y --no-install-recommends chromium): the HTML screenshot test needs it.";
    }
}

/// <summary>Loads the generated pages in headless Debian chromium and checks the screenshot shows the figures.</summary>
public class HtmlScreenshotTests
{
    /// <summary>Runs headless chromium on a local page; returns the screenshot path and chromium's stderr.</summary>
    private static (string Png, string Log) Screenshot(string html)
    {
        var work = TestPaths.NewTempDirectory();
        var png = System.IO.Path.Combine(work, "screenshot.png");
        var profile = System.IO.Path.Combine(work, "profile");
        var psi = new ProcessStartInfo(ChromiumFactAttribute.Path)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--enable-logging=stderr", "--v=0", $"--user-data-dir={profile}",
            $"--screenshot={png}", "--window-size=1280,2000", "--hide-scrollbars", new Uri(html).AbsoluteUri,
        })
            psi.ArgumentList.Add(arg);
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("chromium did not finish within 120 s");
        }
        var log = stderr.Result + stdout.Result;
        Assert.True(process.ExitCode == 0, $"chromium exited with {process.ExitCode}:\n{log}");
        Assert.True(File.Exists(png), $"chromium wrote no screenshot:\n{log}");
        return (png, log);
    }

    private static void AssertNoLoadErrors(string log)
    {
        Assert.DoesNotContain("Failed to load resource", log);
        Assert.DoesNotContain("ERR_FILE_NOT_FOUND", log);
        Assert.DoesNotContain("Uncaught", log);
    }

    [ChromiumFact]
    public void EdaPageRendersWithItsFigures()
    {
        var dir = TestPaths.NewTempDirectory();
        var result = EdaReport.Write(ReportFixtures.Random(timestamps: true), dir);
        var (png, log) = Screenshot(result.HtmlPath);
        AssertNoLoadErrors(log);
        Assert.Equal((1280, 2000), ReportFixtures.PngSize(png));
        // The first figure's bars are drawn in the first palette colour; they show only if the image loaded.
        var (distinct, blue) = ReportFixtures.Pixels(png, FigureWriter.SeriesColor(0));
        Assert.True(distinct > 100, $"the page screenshot has only {distinct} colours");
        Assert.True(blue > 2_000, $"only {blue} sampled pixels of the bar colour: the figures did not load");
    }

    [ChromiumFact]
    public void MissingImageIsNoticed()
    {
        // The check above can fail: a page whose image is gone shows no bar colour.
        var dir = TestPaths.NewTempDirectory();
        var result = EdaReport.Write(ReportFixtures.Random(), dir);
        foreach (var f in result.Figures) File.Delete(f.PngPath);
        var (png, _) = Screenshot(result.HtmlPath);
        var (_, blue) = ReportFixtures.Pixels(png, FigureWriter.SeriesColor(0));
        Assert.True(blue < 200, $"{blue} pixels of the bar colour although every image was deleted");
    }

    [ChromiumFact]
    public void EvaluationPageRendersWithItsCharts()
    {
        var data = ReportFixtures.Random(users: 150, items: 120, seed: 5);
        var split = HoldoutProtocol.Split(data, 0.2, 0, 42);
        var options = new EvaluationOptions { Ks = [5, 10], Threads = 1 };
        var result = Evaluator.Compare(split, [new ModelSpec("popularity"), new ModelSpec("itemknn")], BuiltInAlgorithms.Registry, options);
        var dir = TestPaths.NewTempDirectory();
        var files = EvaluationReportWriter.Write(result, dir, UserActivity.Evaluate(result, split, options));
        var (png, log) = Screenshot(files.Html);
        AssertNoLoadErrors(log);
        Assert.Equal((1280, 2000), ReportFixtures.PngSize(png));
        var (distinct, blue) = ReportFixtures.Pixels(png, FigureWriter.SeriesColor(0));
        var (_, orange) = ReportFixtures.Pixels(png, FigureWriter.SeriesColor(1));
        Assert.True(distinct > 100, $"the page screenshot has only {distinct} colours");
        Assert.True(blue > 500 && orange > 500, $"bar colours: {blue} blue, {orange} orange sampled pixels: the charts did not load");
    }
}
