using System.CommandLine;
using System.Globalization;
using Trove.Cli.Infrastructure;
using Trove.Core.Errors;
using Trove.Data.Readers;
using Trove.Data.Stores;

namespace Trove.Cli.Commands;

/// <summary>`trove import`: reads a data path and adds it to a SQLite database in one transaction.</summary>
public static class ImportCommand
{
    public static Command Create()
    {
        var data = new DataOptions();
        var command = new Command("import",
            "Import interactions and features (--data PATH) into a database (--db FILE for SQLite, --db postgres://user@host:port/db or Host=... for PostgreSQL) in one transaction: " +
            "on any error nothing is written. Existing users and items are matched by id.");
        var replace = new Option<bool>("--replace") { Description = "Delete the stored interactions first (users, items, features and models stay), in the same transaction." };
        data.AddTo(command);
        command.Options.Add(replace);
        command.SetAction((r, cancel) => CommandRunner.RunAsync(async () =>
        {
            var path = r.GetValue(data.Data) ?? throw new TroveException("Give the data to import: --data PATH (a CSV file or a folder).");
            var db = r.GetValue(data.Db) ?? throw new TroveException("Give the database to import into: --db FILE (SQLite, created when missing) or --db postgres://user@host:port/database.");
            var options = data.LoadOptions(r, requireInteractions: false);
            var progress = new ConsoleProgress();
            DatasetLoader.Resolve(path, options.Format); // an unreadable path fails before any database is created
            bool created = !InteractionStores.Exists(db);
            try
            {
                await ImportAsync(db, path, options, progress, r.GetValue(replace), logFailure: !created, cancel);
            }
            catch when (created)
            {
                // A failed import into a new SQLite file leaves no empty database behind (the store is closed by now).
                foreach (var file in new[] { db, db + "-wal", db + "-shm", db + "-journal" })
                    if (File.Exists(file)) File.Delete(file);
                throw;
            }
            return 0;
        }));
        return command;
    }

    private static async Task ImportAsync(string db, string path, LoadOptions options, ConsoleProgress progress, bool replace, bool logFailure, CancellationToken cancel)
    {
        using var store = InteractionStores.Open(db);
        var started = DateTime.UtcNow;
        ImportResult result;
        try
        {
            result = await DataImporter.ImportAsync(store, path, options, progress, replace, cancel);
        }
        catch (TroveException e) when (logFailure)
        {
            // The import rolled back; record why (one ingest_logs row per import).
            TryLog(store, new IngestLogEntry { Source = "import", Target = Path.GetFullPath(path), StartedUtc = started, Status = IngestStatus.Failed, Error = e.Message });
            throw;
        }
        TryLog(store, new IngestLogEntry { Source = "import", Target = Path.GetFullPath(path), StartedUtc = started, Rows = result.Interactions });
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"imported {result.Interactions:N0} interactions, {result.NewUsers:N0} new users, {result.NewItems:N0} new items in {result.Seconds:F1}s"));
        var totals = store.Counts();
        Console.WriteLine(string.Create(inv, $"{InteractionStores.Describe(db)} now has {totals.Users:N0} users, {totals.Items:N0} items, {totals.Interactions:N0} interactions"));
    }

    private static void TryLog(IInteractionStore store, IngestLogEntry entry)
    {
        try { (store as ICollaborativeStore)?.LogIngest(entry with { FinishedUtc = DateTime.UtcNow }); }
        catch (Exception e) when (e is not OutOfMemoryException) { Console.Error.WriteLine($"warning: could not write the ingest log: {e.Message}"); }
    }
}
