using System.CommandLine;
using System.Globalization;
using Trove.Cli.Infrastructure;
using Trove.Core.Errors;
using Trove.Data.Stores;

namespace Trove.Cli.Commands;

/// <summary>
/// `trove db migrate --db ...`: applies pending schema migrations (SQLite file or PostgreSQL, where the cluster tables
/// of Trove.Cluster come too) and prints the versions;
/// `trove db stats --db ...`: the user_stats / item_popularity views and the latest ingest logs.
/// </summary>
public static class DbCommand
{
    private static Option<string> DbOption() => new("--db")
    {
        Description = "The database: a SQLite file, or PostgreSQL as postgres://user@host:port/database or Host=...;Database=....",
        Required = true,
    };

    public static Command Create()
    {
        var command = new Command("db", "Database maintenance: migrate, stats.");

        var db = DbOption();
        var migrate = new Command("migrate", "Create the database when missing and apply pending schema migrations (idempotent).") { db };
        migrate.SetAction(r => CommandRunner.Run(() =>
        {
            var target = r.GetValue(db)!;
            int version;
            using (var store = InteractionStores.Open(target)) version = store.SchemaVersion;
            if (!InteractionStores.IsPostgres(target))
            {
                Console.WriteLine($"{InteractionStores.Describe(target)}: schema version {version} (sqlite)");
                return 0;
            }
            // A PostgreSQL database can host a cluster (trove serve --cluster): its tables come with every migrate.
            int cluster = Trove.Cluster.Schema.ClusterSchema.Migrate(target);
            Console.WriteLine($"{InteractionStores.Describe(target)}: schema version {version}, cluster schema version {cluster} (postgresql)");
            return 0;
        }));
        command.Subcommands.Add(migrate);

        var db2 = DbOption();
        var top = new Option<int>("--top") { Description = "Rows of each view to print.", DefaultValueFactory = _ => 10 };
        var stats = new Command("stats", "Print the user_stats and item_popularity views and the latest ingest logs.") { db2, top };
        stats.SetAction(r => CommandRunner.Run(() =>
        {
            var target = r.GetValue(db2)!;
            if (!InteractionStores.Exists(target)) throw new TroveException($"Database '{target}' does not exist.");
            using var store = InteractionStores.Open(target, createIfMissing: false);
            var c = store.Collaborative();
            int n = Math.Max(1, r.GetValue(top));
            var inv = CultureInfo.InvariantCulture;
            var counts = store.Counts();
            Console.WriteLine(string.Create(inv, $"{counts.Users:N0} users, {counts.Items:N0} items, {counts.Interactions:N0} interactions, {counts.Models:N0} models, {counts.Recommendations:N0} recommendations"));
            Console.WriteLine("user_stats (most plays):");
            foreach (var u in c.UserStats().OrderByDescending(u => u.TotalPlays).Take(n))
                Console.WriteLine(string.Create(inv, $"  {u.User,-20} items {u.Items,7:N0}  plays {u.TotalPlays,12:N0}  loves {u.Loves,6:N0}  updated {u.LastUpdateUtc:yyyy-MM-dd HH:mm}"));
            Console.WriteLine("item_popularity:");
            foreach (var i in c.ItemPopularity(n))
                Console.WriteLine(string.Create(inv, $"  {i.Item,-40} {i.Kind,-7} users {i.Users,6:N0}  plays {i.Plays,12:N0}  loves {i.Loves,5:N0}  avg {i.AveragePlaysPerUser,9:F1}"));
            Console.WriteLine("ingest_logs (latest):");
            foreach (var l in c.IngestLogs(n))
                Console.WriteLine(string.Create(inv, $"  {l.StartedUtc:yyyy-MM-dd HH:mm:ss} {l.Source,-28} {l.Target,-16} {l.Status.ToString().ToLowerInvariant(),-7} rows {l.Rows,8:N0} {(l.Error is null ? "" : "- " + l.Error)}"));
            return 0;
        }));
        command.Subcommands.Add(stats);
        return command;
    }
}
