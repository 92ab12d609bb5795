using System.CommandLine;
using Trove.Cli.Infrastructure;
using Trove.Core.Errors;

namespace Trove.Cli.Commands;

/// <summary>`trove similar`: the items most similar to an item, or the users most similar to a user.</summary>
public static class SimilarCommand
{
    public static Command Create()
    {
        var model = ModelOptions.ModelPath();
        var item = new Option<string?>("--item", "-i") { Description = "Original id of the item." };
        var user = new Option<string?>("--user", "-u") { Description = "Original id of the user." };
        var k = new Option<int>("--k", "-k") { Description = "How many neighbours.", DefaultValueFactory = _ => 10 };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var command = new Command("similar", "Items similar to an item (--item) or users similar to a user (--user).") { model, item, user, k, json };
        command.SetAction(r => CommandRunner.Run(() =>
        {
            int count = r.GetValue(k);
            if (count <= 0 || count > 10_000) throw new TroveException($"--k must be between 1 and 10000, got {count}.");
            var trained = ModelOptions.Load(r.GetValue(model)!);
            if (r.GetValue(item) is { } itemId)
            {
                var similar = trained.Model.SimilarItems(trained.Items.IndexOf(itemId, "item"), count);
                if (r.GetValue(json))
                {
                    Print(new
                    {
                        item = itemId, model = trained.Manifest.ModelVersion,
                        items = similar.Select(s => new { item = trained.Items[s.Index], score = s.Score, features = ItemTable.Describe(trained, s.Index) }),
                    });
                    return 0;
                }
                Console.WriteLine($"items similar to {itemId}:");
                ItemTable.Print(trained, similar);
            }
            else if (r.GetValue(user) is { } userId)
            {
                var similar = trained.Model.SimilarUsers(trained.Users.IndexOf(userId, "user"), count);
                if (r.GetValue(json))
                {
                    Print(new { user = userId, model = trained.Manifest.ModelVersion, users = similar.Select(s => new { user = trained.Users[s.Index], score = s.Score }) });
                    return 0;
                }
                Console.WriteLine($"users similar to {userId}:");
                for (int j = 0; j < similar.Count; j++) Console.WriteLine($"{j + 1,4}  {trained.Users[similar[j].Index],-16} {similar[j].Score,10:G5}");
            }
            else throw new TroveException("Give --item ID or --user ID.");
            return 0;
        }));
        return command;
    }

    private static void Print(object result) =>
        Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(result, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
}
