using System.CommandLine;
using Trove.Cli.Infrastructure;
using Trove.Core.Persistence;
using Trove.Core.Recommending;
using Trove.Models;

namespace Trove.Cli.Commands;

/// <summary>`trove embeddings`: export a model's user and item vectors as .npy (with id lists) or CSV.</summary>
public static class EmbeddingsCommand
{
    public static Command Create()
    {
        var model = ModelOptions.ModelPath();
        var output = new Option<string>("--out", "-o") { Description = "Output directory (created if missing).", Required = true };
        var format = new Option<string>("--format") { Description = "npy (user_embeddings.npy + users.txt, item_embeddings.npy + items.txt) or csv (user_embeddings.csv, item_embeddings.csv: id,d0,d1,...).", DefaultValueFactory = _ => "npy" };
        format.AcceptOnlyFromAmong("npy", "csv");
        var command = new Command("embeddings", "Export the user and item embeddings of a model (als, bpr, ...) as .npy or CSV.") { model, output, format };
        command.SetAction(r => CommandRunner.Run(() =>
        {
            var trained = ModelOptions.Load(r.GetValue(model)!);
            var kind = r.GetValue(format) == "csv" ? EmbeddingFormat.Csv : EmbeddingFormat.Npy;
            foreach (var file in EmbeddingExport.Write(trained, r.GetValue(output)!, kind, ModelsWithEmbeddings()))
                Console.WriteLine($"wrote {file.Path} ({file.Description})");
            return 0;
        }));
        return command;
    }

    /// <summary>The registered algorithms whose models have user/item vectors (for the error message).</summary>
    public static IEnumerable<string> ModelsWithEmbeddings()
    {
        var registry = BuiltInAlgorithms.Registry;
        return registry.Algorithms.Select(a => a.Name).Where(name =>
        {
            try { return registry.Create(name) is IEmbeddingModel; }
            catch (Exception) { return false; }
        }).ToList();
    }
}
