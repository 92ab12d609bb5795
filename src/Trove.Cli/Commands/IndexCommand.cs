using System.CommandLine;
using System.Diagnostics;
using Trove.Cli.Infrastructure;
using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Core.Training;
using Trove.Data.Readers;
using Trove.Models;
using Trove.Models.Search;

namespace Trove.Cli.Commands;

/// <summary>
/// `trove index`: the search index of a trained model (MODEL.search), or a search-only model from a catalogue alone
/// (items.csv or universal JSON): a popularity model over whatever interactions the data has (none for a bare
/// catalogue), with the item text and labels and its search index, so `trove search` and `trove serve` work on it.
/// </summary>
public static class IndexCommand
{
    private sealed class Lines : IProgress<string>
    {
        public void Report(string value) => Console.Error.WriteLine(value);
    }

    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "A catalogue: items.csv (an item column plus title/description text and categorical columns) or any data --data accepts (e.g. universal JSON)." };
        var output = new Option<string?>("--out", "-o") { Description = "With --data: the search-only model file to write (its index goes to OUT.search)." };
        var model = new Option<string?>("--model", "-m") { Description = "Instead of --data: (re)build the search index of this trained model (MODEL.search)." };
        var encoder = new Option<string?>("--encoder") { Description = "Text encoder for the dense index: minilm (default, pretrained) or tfidf (fast, keyword-like)." };
        var command = new Command("index", "Build a search index: for a trained model (--model M -> M.search), or a search-only model from a catalogue (--data items.csv --out catalogue.trove).")
        {
            data, output, model, encoder,
        };
        command.SetAction(r => CommandRunner.Run(() =>
        {
            var log = new Lines();
            string path;
            TrainedModel trained;
            if (r.GetValue(model) is { } modelPath)
            {
                if (r.GetValue(data) is not null) throw new TroveException("Give either --model (index a trained model) or --data with --out (a catalogue), not both.");
                path = modelPath;
                trained = ModelOptions.Load(path);
            }
            else
            {
                var dataPath = r.GetValue(data) ?? throw new TroveException("Give --data items.csv --out catalogue.trove, or --model MODEL.trove.");
                path = r.GetValue(output) ?? throw new TroveException("Give --out FILE for the search-only model (e.g. --out catalogue.trove).");
                var dataset = LoadCatalogue(dataPath);
                if (dataset.ItemCount == 0) throw new TroveException($"'{dataPath}' has no items.");
                var context = new FitContext { Progress = new ConsoleProgress(), CatalogueOnly = true };
                trained = ModelTrainer.Train(dataset, "popularity", null, context, path);
                Console.WriteLine($"wrote {Path.GetFullPath(path)}: a search-only model of {dataset.ItemCount:N0} items ({dataset.Interactions.Count:N0} interactions, popularity)");
            }
            var name = r.GetValue(encoder);
            if (name is not null && !Models.Features.FeatureEncoderRegistry.Default.Contains(name))
                throw new TroveException(Models.Features.FeatureEncoderRegistry.Default.UnknownEncoder(name));
            // A fresh build: the user asked for it, so an existing MODEL.search is replaced, not reused.
            File.Delete(SearchIndexFile.PathFor(path));
            var clock = Stopwatch.StartNew();
            var index = SearchIndexFile.LoadOrBuild(path, trained, name, persist: true, log, out _);
            double seconds = clock.Elapsed.TotalSeconds;
            Console.WriteLine($"wrote {Path.GetFullPath(SearchIndexFile.PathFor(path))}: {index.Count:N0} items embedded with {index.Encoder.Encoder} ({index.Dimensions} dimensions), BM25 over {index.Sparse.Terms:N0} terms, in {seconds:F1} s ({index.Count / Math.Max(1e-9, seconds):F0} items/s)");
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// A .csv whose header has an item column but no user column is a bare catalogue (read like items.csv);
    /// anything else goes through the usual loader, without requiring interactions.
    /// </summary>
    private static Core.Data.Dataset LoadCatalogue(string path)
    {
        if (File.Exists(path) && path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
        {
            var header = (File.ReadLines(path).FirstOrDefault() ?? "").Split([',', ';', '\t', '|']).Select(h => h.Trim().Trim('"')).ToArray();
            if (!header.Contains("user", StringComparer.OrdinalIgnoreCase))
            {
                var b = new DatasetBuilder();
                FeatureCsvReader.ReadInto(path, "item", b.Items, b.ItemFeatures);
                return b.Build(Path.GetFullPath(path));
            }
        }
        return DatasetLoader.Load(path, new LoadOptions { RequireInteractions = false });
    }
}
