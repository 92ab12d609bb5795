using System.CommandLine;
using Trove.Cli.Infrastructure;
using Trove.Core.Persistence;
using Trove.Data.Stats;

namespace Trove.Cli.Commands;

/// <summary>`trove stats`: counts, density, interactions per user and item, event mix, time range.</summary>
public static class StatsCommand
{
    public static Command Create()
    {
        var data = new DataOptions();
        var json = new Option<string?>("--json") { Description = "Also write the statistics as JSON to this file." };
        var command = new Command("stats",
            "Summary statistics of --data PATH or --db FILE: users, items, interactions, density, " +
            "per-user and per-item quantiles, event mix and time range.");
        data.AddTo(command);
        command.Options.Add(json);
        command.SetAction(r => CommandRunner.Run(() =>
        {
            var dataset = data.Load(r, new ConsoleProgress(), requireInteractions: false);
            var stats = DatasetStats.Compute(dataset);
            Console.Write(stats.ToText());
            if (r.GetValue(json) is { } path)
            {
                AtomicFile.WriteAllText(path, stats.ToJson());
                Console.WriteLine($"wrote {Path.GetFullPath(path)}");
            }
            return 0;
        }));
        return command;
    }
}
