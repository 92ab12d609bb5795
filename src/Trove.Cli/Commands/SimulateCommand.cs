using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Trove.Cli.Infrastructure;
using Trove.Core.Errors;
using Trove.Data.Simulation;

namespace Trove.Cli.Commands;

/// <summary>`trove simulate`: write a realistic synthetic data set (interactions, items, users, optional negatives).</summary>
public static class SimulateCommand
{
    public static Command Create()
    {
        var d = new SimulationOptions();
        var users = new Option<int>("--users") { Description = "Number of users.", DefaultValueFactory = _ => d.Users };
        var items = new Option<int>("--items") { Description = "Number of catalogue items.", DefaultValueFactory = _ => d.Items };
        var seed = new Option<int>("--seed") { Description = "Random seed; the same seed gives byte-identical files.", DefaultValueFactory = _ => d.Seed };
        var output = new Option<string>("--out") { Description = "Output directory.", Required = true };
        var exponent = new Option<double>("--popularity-exponent") { Description = "Zipf exponent of item popularity (0 = uniform).", DefaultValueFactory = _ => d.PopularityExponent };
        var min = new Option<int>("--min-interactions") { Description = "Fewest events per user.", DefaultValueFactory = _ => d.MinInteractions };
        var max = new Option<int>("--max-interactions") { Description = "Most events per user.", DefaultValueFactory = _ => d.MaxInteractions };
        var mean = new Option<double?>("--mean-interactions") { Description = "Target mean events per user (default 50, kept inside the min..max range)." };
        var taste = new Option<double>("--taste-share") { Description = "Share of choices from the user's favourite categories.", DefaultValueFactory = _ => d.TasteShare };
        var brandShare = new Option<double>("--brand-share") { Description = "Share of taste choices from the user's favourite brands.", DefaultValueFactory = _ => d.BrandShare };
        var recency = new Option<double>("--recency-decay") { Description = "Recency effect: weight x exp(-decay x item age in years).", DefaultValueFactory = _ => d.RecencyDecay };
        var days = new Option<int>("--days") { Description = "Length of the interaction window in days.", DefaultValueFactory = _ => d.Days };
        var endDate = new Option<string?>("--end-date") { Description = "End of the window (UTC, e.g. 2025-01-01 or 2025-01-01T12:00:00Z). Default 2025-01-01." };
        var categories = new Option<string>("--categories") { Description = "Number of categories, or their names separated by commas (e.g. books,music,games).", DefaultValueFactory = _ => d.Categories.ToString(CultureInfo.InvariantCulture) };
        var brands = new Option<string>("--brands") { Description = "Number of brands, or their names separated by commas (brand k belongs to category k mod categories).", DefaultValueFactory = _ => d.Brands.ToString(CultureInfo.InvariantCulture) };
        var negatives = new Option<int>("--negatives-per-user") { Description = "Write negatives.csv with this many never-touched exposed items per user.", DefaultValueFactory = _ => 0 };
        var eventMix = new Option<string?>("--event-mix") { Description = "Event shares, e.g. view=0.6,add_to_cart=0.2,purchase=0.15,rating=0.05." };
        var threads = new Option<int>("--threads") { Description = "Worker threads (the output does not depend on it).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var revisit = new Option<double>("--revisit-share") { Description = "Share of funnels that return to an item the user already viewed.", DefaultValueFactory = _ => d.RevisitShare };
        var perSession = new Option<int>("--events-per-session") { Description = "About one session per this many events of a user (0 = funnels spread uniformly over the window).", DefaultValueFactory = _ => d.EventsPerSession };
        var noDailyCycle = new Option<bool>("--no-daily-cycle") { Description = "Spread events uniformly over the hours of the day (default: busy evenings, quiet nights, UTC)." };
        var noDiagnostics = new Option<bool>("--no-diagnostics") { Description = "Skip the collaborative-filtering viability report." };
        var itemsFrom = new Option<string?>("--items-from") { Description = "Simulate over an existing catalogue: an items CSV (item column + features) or a universal JSON file; its categories/genres and brands are the taste clusters (--items, --categories and --brands are then ignored)." };
        var categoryColumn = new Option<string?>("--category-column") { Description = $"With --items-from: the column of the taste clusters (default: the first of {string.Join(", ", CatalogueInput.CategoryColumns)}; for '|' lists the first label)." };
        var brandColumn = new Option<string?>("--brand-column") { Description = $"With --items-from: the brand column (default: the first of {string.Join(", ", CatalogueInput.BrandColumns)}, if any)." };
        var rate = new Option<double?>("--interaction-rate") { Description = "Overall density: interaction rows per user-item cell, so the mean per user is rate x items (instead of --mean-interactions)." };
        var format = new Option<string>("--format") { Description = "csv (interactions.csv, items.csv, users.csv) or json (the universal JSON format: data.json, or --out FILE.json).", DefaultValueFactory = _ => "csv" };
        format.AcceptOnlyFromAmong("csv", "json");

        var command = new Command("simulate", "Write a realistic synthetic data set (interactions.csv, items.csv, users.csv) when no real data exists.");
        foreach (var option in new Option[] { users, items, seed, output, exponent, min, max, mean, taste, brandShare, recency, days, endDate, categories, brands, negatives, eventMix, revisit, perSession, noDailyCycle, threads, noDiagnostics, format, itemsFrom, categoryColumn, brandColumn, rate })
            command.Options.Add(option);

        command.SetAction(parse => CommandRunner.Run(() =>
        {
            var options = new SimulationOptions
            {
                Users = parse.GetValue(users), Items = parse.GetValue(items), Seed = parse.GetValue(seed),
                PopularityExponent = parse.GetValue(exponent),
                MinInteractions = parse.GetValue(min), MaxInteractions = parse.GetValue(max), MeanInteractions = parse.GetValue(mean),
                InteractionRate = parse.GetValue(rate),
                TasteShare = parse.GetValue(taste), BrandShare = parse.GetValue(brandShare), RecencyDecay = parse.GetValue(recency),
                Days = parse.GetValue(days),
                NegativesPerUser = parse.GetValue(negatives), Threads = parse.GetValue(threads),
                RevisitShare = parse.GetValue(revisit), EventsPerSession = parse.GetValue(perSession), DailyCycle = !parse.GetValue(noDailyCycle),
            };
            if (parse.GetValue(itemsFrom) is { } catalogue)
                options = options with { Catalogue = CatalogueInput.Load(catalogue, parse.GetValue(categoryColumn), parse.GetValue(brandColumn)) };
            else if (parse.GetValue(categoryColumn) is not null || parse.GetValue(brandColumn) is not null)
                throw new TroveException("--category-column and --brand-column need --items-from.");
            else
            {
                options = CountOrNames(parse.GetValue(categories)!, "--categories", out var categoryNames) is int nc
                    ? options with { Categories = nc } : options with { CategoryNames = categoryNames };
                options = CountOrNames(parse.GetValue(brands)!, "--brands", out var brandNames) is int nb
                    ? options with { Brands = nb } : options with { BrandNames = brandNames };
            }
            if (parse.GetValue(endDate) is { } end) options = options with { EndDate = ParseEndDate(end) };
            if (parse.GetValue(eventMix) is { } mix) options = options with { EventMix = EventMix.Parse(mix) };
            string dir = parse.GetValue(output)!;
            Run(options, dir, !parse.GetValue(noDiagnostics), Console.Out, parse.GetValue(format)!);
        }));
        return command;
    }

    /// <summary>Simulates, writes the files into <paramref name="directory"/> and prints a summary (and the diagnostics) to <paramref name="stdout"/>.</summary>
    public static SimulationDiagnostics? Run(SimulationOptions options, string directory, bool diagnostics, TextWriter stdout, string format = "csv")
    {
        var progress = new ConsoleProgress();
        var clock = Stopwatch.StartNew();
        var result = new InteractionSimulator(options).Run(progress);
        var generated = clock.Elapsed;
        IReadOnlyList<string> files;
        if (format == "json")
        {
            var path = directory.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? directory : Path.Combine(directory, "data.json");
            Trove.Data.Formats.UniversalJsonWriter.Write(result.ToDataset(), path);
            files = [path];
        }
        else files = SimulationCsv.WriteAll(result, directory, progress);
        var written = clock.Elapsed;
        stdout.WriteLine(string.Format(CultureInfo.InvariantCulture,
            "simulated {0:N0} interactions for {1:N0} users and {2:N0} items (seed {3}) in {4:F1}s; wrote {5} in {6:F1}s",
            result.Count, result.Users.Count, result.Catalogue.Count, options.Seed, generated.TotalSeconds,
            string.Join(", ", files.Select(Path.GetFileName)), (written - generated).TotalSeconds));
        stdout.WriteLine($"output: {Path.GetFullPath(directory)}");
        if (!diagnostics) return null;
        var report = result.ComputeDiagnostics(progress);
        stdout.WriteLine(report.Format());
        stdout.WriteLine(string.Format(CultureInfo.InvariantCulture, "diagnostics in {0:F1}s", (clock.Elapsed - written).TotalSeconds));
        return report;
    }

    /// <summary>"12" is a count; "books,music" is a list of names.</summary>
    private static int? CountOrNames(string text, string option, out string[]? names)
    {
        names = null;
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int count)) return count;
        names = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (names.Length == 0) throw new TroveException($"Bad {option} '{text}': expected a count or names separated by commas.");
        return null;
    }

    private static DateTime ParseEndDate(string text)
    {
        if (DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
            return DateTime.SpecifyKind(value, DateTimeKind.Utc);
        throw new TroveException($"Bad --end-date '{text}': expected a date like 2025-01-01 or 2025-01-01T12:00:00Z.");
    }
}
