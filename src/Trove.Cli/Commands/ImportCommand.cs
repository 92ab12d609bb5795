using System.CommandLine;
using System.Globalization;
using Trove.Cli.Infrastructure;
using Trove.Core.Errors;
using Trove.Data.Stores;

namespace Trove.Cli.Commands;

/// <summary>`trove import`: reads a data path and adds it to a SQLite database in one transaction.</summary>
public static class ImportCommand
{
    public static Command Create()
    {
        var data = new DataOptions();
        var command = new Command("import",
            "Import interactions and features (--data PATH) into a SQLite database (--db FILE) in one transaction: " +
            "on any error nothing is written. Existing users and items are matched by id.");
        var replace = new Option<bool>("--replace") { Description = "Delete the stored interactions first (users, items, features and models stay), in the same transaction." };
        data.AddTo(command);
        command.Options.Add(replace);
        command.SetAction(r => CommandRunner.Run(() =>
        {
            var path = r.GetValue(data.Data) ?? throw new TroveException("Give the data to import: --data PATH (a CSV file or a folder).");
            var db = r.GetValue(data.Db) ?? throw new TroveException("Give the database to import into: --db FILE (created when missing).");
            var options = data.LoadOptions(r, requireInteractions: false);
            var progress = new ConsoleProgress();
            using var store = InteractionStores.Open(db);
            var result = DataImporter.Import(store, path, options, progress, r.GetValue(replace));
            var inv = CultureInfo.InvariantCulture;
            Console.WriteLine(string.Create(inv, $"imported {result.Interactions:N0} interactions, {result.NewUsers:N0} new users, {result.NewItems:N0} new items in {result.Seconds:F1}s"));
            Console.WriteLine(string.Create(inv, $"{Path.GetFullPath(db)} now has {result.Totals.Users:N0} users, {result.Totals.Items:N0} items, {result.Totals.Interactions:N0} interactions"));
            return 0;
        }));
        return command;
    }
}
