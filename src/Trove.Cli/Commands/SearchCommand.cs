using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Trove.Cli.Infrastructure;
using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Models.Search;

namespace Trove.Cli.Commands;

/// <summary>`trove search`: items of a model's catalogue that match a text query (dense, sparse or hybrid), optionally personalised for a user.</summary>
public static class SearchCommand
{
    public static Command Create()
    {
        var model = ModelOptions.ModelPath();
        var query = new Option<string>("--query", "-q") { Description = "The text to look for.", Required = true };
        var user = new Option<string?>("--user", "-u") { Description = "Re-rank the found items with the model's score for this user." };
        var k = new Option<int>("--k", "-k") { Description = "How many items.", DefaultValueFactory = _ => 10 };
        var mode = new Option<string>("--mode") { Description = "dense (embeddings), sparse (BM25 keywords) or hybrid (both, fused).", DefaultValueFactory = _ => "hybrid" };
        var fusion = new Option<string>("--fusion") { Description = $"How hybrid fuses the lists: {SearchFusions.Names} (reciprocal ranks, min-max scaled scores, scores scaled by mean +- 3 sd).", DefaultValueFactory = _ => SearchFusions.Name(SearchRequest.DefaultFusion) };
        var adaptive = new Option<bool>("--adaptive") { Description = "Hybrid: multiply the BM25 weight by the share of the query's idf mass its best hit holds (true/false).", DefaultValueFactory = _ => SearchRequest.DefaultAdaptive };
        var filter = new Option<string[]>("--filter") { Description = "Only items whose categorical feature matches, e.g. category=books (repeatable)." };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var encoder = new Option<string?>("--encoder") { Description = "Text encoder of the dense index (minilm, tfidf); default: the one MODEL.search was built with, else minilm." };
        var denseWeight = new Option<float>("--dense-weight") { Description = "Weight of the dense list in the fusion.", DefaultValueFactory = _ => SearchRequest.DefaultDenseWeight };
        var sparseWeight = new Option<float>("--sparse-weight") { Description = "Weight of the BM25 list in the fusion.", DefaultValueFactory = _ => SearchRequest.DefaultSparseWeight };
        var personalWeight = new Option<float>("--personal-weight") { Description = "With --user: share of the user's score in the final order (0..1).", DefaultValueFactory = _ => 0.3f };
        var depth = new Option<int>("--depth") { Description = "Candidates each retriever contributes before fusion and re-ranking.", DefaultValueFactory = _ => 100 };
        var command = new Command("search", "Search a model's items by text: dense embeddings (MiniLM), BM25 keywords, or both fused; --user personalises. The index is kept in MODEL.search.")
        {
            model, query, user, k, mode, fusion, adaptive, filter, json, encoder, denseWeight, sparseWeight, personalWeight, depth,
        };
        command.SetAction(r => CommandRunner.Run(() =>
        {
            if (!SearchModes.TryParse(r.GetValue(mode), out var searchMode))
                throw new TroveException($"--mode must be {SearchModes.Names}, got '{r.GetValue(mode)}'.");
            if (!SearchFusions.TryParse(r.GetValue(fusion), out var searchFusion))
                throw new TroveException($"--fusion must be {SearchFusions.Names}, got '{r.GetValue(fusion)}'.");
            var path = r.GetValue(model)!;
            var trained = ModelOptions.Load(path);
            var itemFilter = ModelOptions.Filter(trained, includeSeen: true, [], r.GetValue(filter) ?? []);
            int? u = r.GetValue(user) is { } id ? trained.Users.IndexOf(id, "user") : null;
            var request = new SearchRequest
            {
                Query = r.GetValue(query)!, K = r.GetValue(k), Mode = searchMode, Fusion = searchFusion, Adaptive = r.GetValue(adaptive), Filter = itemFilter.Predicate,
                DenseWeight = r.GetValue(denseWeight), SparseWeight = r.GetValue(sparseWeight), PersonalWeight = r.GetValue(personalWeight), Depth = r.GetValue(depth),
                UserScores = u is { } userIndex ? items => UserScores(trained, userIndex, items) : null,
            };
            request.Validate(); // before the index is built: a bad request should not cost an embedding of the catalogue
            var index = SearchIndexFile.LoadOrBuild(path, trained, r.GetValue(encoder), persist: true, new SyncProgress(), out var source);
            if (source != "loaded") Console.Error.WriteLine($"search index {source}: {SearchIndexFile.PathFor(path)} ({index.Count:N0} items, {index.Encoder.Encoder})");
            var hits = new ItemSearch(index).Search(request);
            if (r.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    query = request.Query,
                    mode = SearchModes.Name(searchMode),
                    user = r.GetValue(user),
                    model = trained.Manifest.ModelVersion,
                    encoder = index.Encoder.Encoder,
                    items = hits.Select((h, rank) => new
                    {
                        rank = rank + 1, item = trained.Items[h.Item], score = h.Score, text = index.Documents[h.Item],
                        dense_rank = h.DenseRank, dense_score = h.DenseScore, sparse_rank = h.SparseRank, sparse_score = h.SparseScore, user_score = h.UserScore,
                    }),
                }, new JsonSerializerOptions { WriteIndented = true }));
                return 0;
            }
            Console.WriteLine($"{hits.Count} items for \"{request.Query}\" ({SearchModes.Name(searchMode)}, {index.Encoder.Encoder}{(u is null ? "" : $", personalised for {r.GetValue(user)}")}):");
            Console.WriteLine($"{"rank",4}  {"item",-16} {"score",10} {"dense",6} {"bm25",6}  text");
            for (int j = 0; j < hits.Count; j++)
            {
                var h = hits[j];
                var text = index.Documents[h.Item];
                if (text.Length > 70) text = text[..67] + "...";
                Console.WriteLine($"{j + 1,4}  {trained.Items[h.Item],-16} {h.Score,10:G5} {Rank(h.DenseRank),6} {Rank(h.SparseRank),6}  {text}");
            }
            return 0;
        }));
        return command;
    }

    private static string Rank(int? rank) => rank?.ToString(CultureInfo.InvariantCulture) ?? "-";

    /// <summary>The model's scores of the candidates for one training user, through the algorithm contract.</summary>
    internal static float[] UserScores(TrainedModel trained, int user, IReadOnlyList<int> items)
    {
        var scores = new float[items.Count];
        trained.Model.Score(user, items.ToArray(), scores);
        return scores;
    }

    /// <summary>Progress lines straight to stderr (Progress&lt;T&gt; would post them to the thread pool, out of order).</summary>
    private sealed class SyncProgress : IProgress<string>
    {
        public void Report(string value) => Console.Error.WriteLine(value);
    }
}
