using System.CommandLine;
using System.Globalization;
using System.Text;
using Trove.Cli.Infrastructure;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Workflows;

namespace Trove.Cli.Commands;

/// <summary>
/// `trove events --data DATA|--db DB --negatives-per-user N [--strategy uniform|popularity] [--seed S] [--details] --out events.csv`:
/// labelled (user, item) pairs for users who train models elsewhere. Label 1 = the user interacted with
/// the item (one row per distinct pair), 0 = a sampled negative (never an item the user interacted with).
/// Negatives come from <see cref="SampleGenerator"/>; the same data and seed give the same file.
/// </summary>
public static class EventsCommand
{
    public sealed record Settings
    {
        public int NegativesPerUser { get; init; }
        public string Strategy { get; init; } = "uniform";
        public int Seed { get; init; } = 42;
        /// <summary>Add weight, event and timestamp columns (filled for positives, empty for negatives).</summary>
        public bool Details { get; init; }
        public required string Output { get; init; }
    }

    public static Command Create()
    {
        var data = new DataOptions();
        var negatives = new Option<int>("--negatives-per-user", "-n") { Description = "Sampled negatives (label 0) per user with at least one interaction.", Required = true };
        var strategy = new Option<string>("--strategy") { Description = "How negatives are drawn: uniform over items, or popularity (in proportion to the item's interaction count).", DefaultValueFactory = _ => "uniform" };
        strategy.AcceptOnlyFromAmong("uniform", "popularity");
        var seed = new Option<int>("--seed") { Description = "Random seed; the same data and seed give the same file.", DefaultValueFactory = _ => 42 };
        var details = new Option<bool>("--details") { Description = "Also write weight (summed event weight), event (strongest interaction type) and timestamp (latest, ISO-8601 UTC) for positives." };
        var output = new Option<string>("--out", "-o") { Description = "Output CSV file (written atomically): user,item,label[,weight,event,timestamp].", Required = true };
        var command = new Command("events",
            "Write positive/negative (user, item) pairs with a label column (1 = interacted, 0 = sampled negative) " +
            "as CSV, for training models outside Trove. A user's own items are never among its negatives.");
        data.AddTo(command);
        foreach (var option in new Option[] { negatives, strategy, seed, details, output }) command.Options.Add(option);
        command.SetAction(r => CommandRunner.Run(() =>
        {
            var settings = new Settings
            {
                NegativesPerUser = r.GetValue(negatives),
                Strategy = r.GetValue(strategy) ?? "uniform",
                Seed = r.GetValue(seed),
                Details = r.GetValue(details),
                Output = r.GetValue(output)!,
            };
            Validate(settings);
            var dataset = data.Load(r, new ConsoleProgress());
            return Run(dataset, settings, Console.Out);
        }));
        return command;
    }

    private static void Validate(Settings settings)
    {
        if (settings.NegativesPerUser < 0) throw new TroveException($"--negatives-per-user must be 0 or more, got {settings.NegativesPerUser}.");
        if (settings.Strategy is not ("uniform" or "popularity")) throw new TroveException($"--strategy must be uniform or popularity, got '{settings.Strategy}'.");
        if (string.IsNullOrWhiteSpace(settings.Output)) throw new TroveException("Give the output file: --out events.csv.");
    }

    public static int Run(Dataset data, Settings settings, TextWriter stdout)
    {
        Validate(settings);
        var samples = Generate(data, settings);
        Write(samples, data, settings.Output, settings.Details);
        stdout.WriteLine($"wrote {samples.Count:N0} pairs ({samples.Positives:N0} positive, {samples.Count - samples.Positives:N0} negative) " +
                         $"for {data.UserCount:N0} users to {Path.GetFullPath(settings.Output)}");
        return 0;
    }

    /// <summary>The labelled pairs: every distinct interacted pair, then N negatives per user.</summary>
    public static TrainingSamples Generate(Dataset data, Settings settings) =>
        SampleGenerator.Generate(data, new SampleSettings
        {
            // NegativesPerUser 0 means "use the ratio" in SampleGenerator: ask for no negatives explicitly.
            NegativesPerUser = settings.NegativesPerUser,
            NegativeRatio = 0,
            Strategy = settings.Strategy,
        }, settings.Seed);

    /// <summary>Writes the pairs as CSV with original ids, atomically (a temporary file renamed into place).</summary>
    public static void Write(TrainingSamples samples, Dataset data, string path, bool details)
    {
        var full = Path.GetFullPath(path);
        if (Path.GetDirectoryName(full) is { } dir) Directory.CreateDirectory(dir);
        var pairDetails = details ? Details(data) : null;
        AtomicFile.Write(full, stream =>
        {
            using var w = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
            w.WriteLine(details ? "user,item,label,weight,event,timestamp" : "user,item,label");
            var line = new StringBuilder();
            for (int k = 0; k < samples.Count; k++)
            {
                int u = samples.Users[k], i = samples.Items[k];
                bool positive = samples.Labels[k] > 0;
                line.Clear().Append(Csv(data.Users[u])).Append(',').Append(Csv(data.Items[i])).Append(',').Append(positive ? '1' : '0');
                if (pairDetails is not null)
                {
                    if (positive && pairDetails.TryGetValue((long)u * data.ItemCount + i, out var d))
                    {
                        line.Append(',').Append(d.Weight.ToString("R", CultureInfo.InvariantCulture))
                            .Append(',').Append(d.Event >= 0 ? Csv(data.Interactions.EventNames[d.Event]) : "")
                            .Append(',').Append(d.Timestamp != 0 ? DateTimeOffset.FromUnixTimeSeconds(d.Timestamp).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) : "");
                    }
                    else line.Append(",,,");
                }
                w.WriteLine(line);
            }
        });
    }

    private readonly record struct PairDetail(float Weight, short Event, float EventWeight, long Timestamp);

    /// <summary>Per (user, item): summed weight, the event type of the heaviest single interaction and the latest timestamp.</summary>
    private static Dictionary<long, PairDetail> Details(Dataset data)
    {
        var log = data.Interactions;
        var result = new Dictionary<long, PairDetail>();
        for (int k = 0; k < log.Count; k++)
        {
            long key = (long)log.Users[k] * data.ItemCount + log.Items[k];
            float w = log.Weights[k];
            if (!result.TryGetValue(key, out var d)) { result[key] = new PairDetail(w, log.Events[k], w, log.Timestamps[k]); continue; }
            bool stronger = w > d.EventWeight;
            result[key] = new PairDetail(d.Weight + w, stronger ? log.Events[k] : d.Event, stronger ? w : d.EventWeight, Math.Max(d.Timestamp, log.Timestamps[k]));
        }
        return result;
    }

    private static string Csv(string s) => s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
}
