using Trove.Models.Retrieval;
using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Trove.Core.Data;
using Trove.Server.Models;
using Trove.Tests.Support;

namespace Trove.Tests.Server;

/// <summary>Top-K recommendations from the maximum-inner-product HNSW graph: same answers as exact scoring, filters, paging, and the index file next to the model.</summary>
public class RetrievalTests
{
    /// <summary>300 users x 240 items in three categories and two brands, users favouring one category.</summary>
    internal static Dataset Shop()
    {
        var random = new Random(11);
        int users = 300, items = 240;
        string[] categories = ["books", "music", "toys"], brands = ["acme", "zenith"];
        var pairs = new HashSet<(int, int)>();
        for (int u = 0; u < users; u++)
        {
            int taste = u % 3;
            for (int t = 0; t < 12; t++)
            {
                int item = random.NextDouble() < 0.8 ? taste + 3 * random.Next(items / 3) : random.Next(items);
                pairs.Add((u, item));
            }
        }
        var list = pairs.OrderBy(p => p).ToArray();
        var log = new InteractionLog(list.Select(p => p.Item1).ToArray(), list.Select(p => p.Item2).ToArray(),
            Enumerable.Repeat(1f, list.Length).ToArray(), new long[list.Length], new short[list.Length], ["view"]);
        var features = new FeatureTable();
        features.Categorical["category"] = Enumerable.Range(0, items).Select(i => (string?)categories[i % 3]).ToArray();
        features.Categorical["brand"] = Enumerable.Range(0, items).Select(i => (string?)brands[(i / 3) % 2]).ToArray();
        return new Dataset(new IdMap(Enumerable.Range(0, users).Select(u => $"u{u:D3}")), new IdMap(Enumerable.Range(0, items).Select(i => $"i{i:D3}")),
            log, itemFeatures: features, source: "shop");
    }

    private static string TrainAls(string? path = null, string regularization = "1") =>
        ServerHost.TrainModel("als", Shop(), path, new Dictionary<string, string> { ["factors"] = "16", ["iterations"] = "8", ["regularization"] = regularization });

    /// <summary>A server with --retrieval hnsw and a search list as long as the catalogue, so the graph must find the exact top-K.</summary>
    private static async Task<ServerHost> Start(string path, LogLines? log = null)
    {
        var host = await ServerHost.StartAsync(path,
            o => o with { Retrieval = RetrievalMode.Hnsw, HnswMinItems = 1, Graph = new Trove.Numerics.Index.HnswParameters { EfConstruction = 100, EfSearch = 300, Threads = 1 } },
            builder: log is null ? null : b => b.Logging.AddProvider(log));
        await Model(host).IndexReady.WaitAsync(TimeSpan.FromSeconds(60));
        return host;
    }

    private static LoadedModel Model(ServerHost host) => host.App.Services.GetRequiredService<ModelCatalog>().Current.Default!;

    private static async Task<JsonElement> Get(ServerHost host, string url, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var response = await host.Client.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{url}: expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static string[] Items(JsonElement recommendations) =>
        recommendations.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()!).ToArray();

    [Fact]
    public async Task Hnsw_retrieval_returns_the_exact_top_k_on_a_small_catalogue_at_high_ef()
    {
        await using var host = await Start(TrainAls());
        var models = await Get(host, "/models");
        Assert.Equal("hnsw", models[0].GetProperty("retrieval").GetString());
        Assert.Equal("HnswIndex (inner product, built)", models[0].GetProperty("recommendationIndex").GetString());
        foreach (var user in new[] { "u000", "u001", "u002", "u150", "u299" })
        {
            var graph = await Get(host, $"/users/{user}/recommendations?k=20");
            var exact = await Get(host, $"/users/{user}/recommendations?k=20&retrieval=exact");
            Assert.Equal("hnsw", graph.GetProperty("retrieval").GetString());
            Assert.Equal("exact", exact.GetProperty("retrieval").GetString());
            Assert.Equal(Items(exact), Items(graph));
            var graphScores = graph.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("score").GetSingle()).ToArray();
            var exactScores = exact.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("score").GetSingle()).ToArray();
            for (int r = 0; r < graphScores.Length; r++) Assert.Equal(exactScores[r], graphScores[r], 1e-4f);
        }
    }

    [Fact]
    public async Task Hnsw_retrieval_honours_seen_exclude_category_and_brand_filters_and_paging()
    {
        var data = Shop();
        await using var host = await Start(TrainAls());
        var model = Model(host);
        int u = data.Users.IndexOf("u004");
        var seen = model.UserItems!.RowIndices(u).ToArray().Select(i => data.Items[i]).ToHashSet();

        var top = await Get(host, "/users/u004/recommendations?k=30");
        Assert.Equal("hnsw", top.GetProperty("retrieval").GetString());
        Assert.Equal(30, Items(top).Length);
        Assert.Empty(Items(top).Intersect(seen));

        // Excluded items never take a slot: the next items move up.
        var excluded = Items(top).Take(3).ToArray();
        var without = await Get(host, $"/users/u004/recommendations?k=27&exclude={string.Join(',', excluded)}");
        Assert.Equal("hnsw", without.GetProperty("retrieval").GetString());
        Assert.Equal(Items(top).Skip(3), Items(without));

        var books = await Get(host, "/users/u004/recommendations?k=10&category=books&brand=acme");
        Assert.Equal("hnsw", books.GetProperty("retrieval").GetString());
        Assert.Equal(10, Items(books).Length);
        foreach (var item in books.GetProperty("items").EnumerateArray())
        {
            Assert.Equal("books", item.GetProperty("features").GetProperty("category").GetString());
            Assert.Equal("acme", item.GetProperty("features").GetProperty("brand").GetString());
        }
        var exactBooks = await Get(host, "/users/u004/recommendations?k=10&category=books&brand=acme&retrieval=exact");
        Assert.Equal(Items(exactBooks), Items(books));

        var page = await Get(host, "/users/u004/recommendations?k=10&offset=10");
        Assert.Equal("hnsw", page.GetProperty("retrieval").GetString());
        Assert.Equal(Items(top).Skip(10).Take(10), Items(page));
        Assert.Equal(11, page.GetProperty("items")[0].GetProperty("rank").GetInt32());

        var withSeen = await Get(host, "/users/u004/recommendations?k=10&excludeSeen=false");
        Assert.NotEmpty(Items(withSeen).Intersect(seen)); // ALS ranks the user's own items high
    }

    [Fact]
    public async Task A_filter_that_removes_most_items_is_answered_exactly_and_events_fold_into_the_graph_query()
    {
        await using var host = await Start(TrainAls());
        var allowed = await Get(host, "/users/u010/recommendations?k=5&allow=i001,i002,i003&retrieval=hnsw");
        Assert.Equal("exact", allowed.GetProperty("retrieval").GetString());
        Assert.Subset(new HashSet<string> { "i001", "i002", "i003" }, Items(allowed).ToHashSet());

        var before = Items(await Get(host, "/users/u010/recommendations?k=10"));
        var posted = await host.Client.SendAsync(host.Post("/events", $$"""[{"user":"u010","item":"{{before[0]}}","event":"purchase"}]"""));
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        var after = await Get(host, "/users/u010/recommendations?k=10");
        Assert.Equal("hnsw", after.GetProperty("retrieval").GetString());
        Assert.Equal(1, after.GetProperty("newEvents").GetInt32());
        Assert.DoesNotContain(before[0], Items(after));
        Assert.Equal(Items(await Get(host, "/users/u010/recommendations?k=10&retrieval=exact")), Items(after));
    }

    [Theory]
    [InlineData("fast")]
    [InlineData("1")]
    [InlineData("")]
    public async Task An_unknown_retrieval_is_a_400_problem(string value)
    {
        await using var host = await Start(TrainAls());
        var problem = await Get(host, $"/users/u000/recommendations?retrieval={value}", HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("retrieval", out _));
    }

    [Fact]
    public async Task Auto_retrieval_keeps_small_catalogues_exact_and_models_without_dot_product_scores_never_use_a_graph()
    {
        await using var auto = await ServerHost.StartAsync(TrainAls()); // auto, 240 items < 20,000
        await Model(auto).IndexReady;
        Assert.Null(Model(auto).RecommendationIndex);
        Assert.Equal("exact", (await Get(auto, "/models"))[0].GetProperty("retrieval").GetString());
        Assert.Equal("exact", (await Get(auto, "/users/u000/recommendations?retrieval=hnsw")).GetProperty("retrieval").GetString());

        await using var knn = await ServerHost.StartAsync(ServerHost.TrainModel("itemknn", Shop()), o => o with { Retrieval = RetrievalMode.Hnsw });
        Assert.Equal("exact", (await Get(knn, "/users/u000/recommendations")).GetProperty("retrieval").GetString());
    }

    [Fact]
    public async Task The_graph_is_saved_next_to_the_model_and_loaded_by_the_next_server_with_identical_answers()
    {
        var path = TrainAls();
        string[][] first;
        await using (var host = await Start(path))
        {
            Assert.Equal("built", Model(host).IndexSource);
            first = await Answers(host);
        }
        Assert.True(File.Exists(ItemIndexFile.PathFor(path)));
        var log = new LogLines();
        await using (var host = await Start(path, log))
        {
            Assert.Equal("loaded", Model(host).IndexSource);
            Assert.Equal(first, await Answers(host));
        }
        Assert.Contains(log.Lines, l => l.Contains("loaded from"));
        Assert.DoesNotContain(log.Lines, l => l.Contains("rebuilding"));
    }

    [Fact]
    public async Task A_stale_or_damaged_index_file_is_detected_and_rebuilt_with_a_log_line()
    {
        var path = TrainAls();
        await using (var host = await Start(path)) Assert.Equal("built", Model(host).IndexSource);
        var indexPath = ItemIndexFile.PathFor(path);

        // Retrained model, same path: the old graphs belong to other vectors.
        await Task.Delay(1100); // model versions carry the training time to the second
        TrainAls(path, regularization: "5");
        var log = new LogLines();
        await using (var host = await Start(path, log))
        {
            Assert.Equal("rebuilt", Model(host).IndexSource);
            Assert.Contains(log.Lines, l => l.Contains("rebuilding") && l.Contains("stale"));
            Assert.Equal(Items(await Get(host, "/users/u000/recommendations?k=10&retrieval=exact")), Items(await Get(host, "/users/u000/recommendations?k=10")));
        }

        // Flip bytes in the middle of the payload: the checksum catches it.
        var bytes = File.ReadAllBytes(indexPath);
        for (int b = bytes.Length / 2; b < bytes.Length / 2 + 16; b++) bytes[b] ^= 0x5A;
        File.WriteAllBytes(indexPath, bytes);
        log = new LogLines();
        await using (var host = await Start(path, log))
        {
            Assert.Equal("rebuilt", Model(host).IndexSource);
            Assert.Contains(log.Lines, l => l.Contains("rebuilding") && l.Contains("corrupt"));
        }
        await using (var host = await Start(path)) Assert.Equal("loaded", Model(host).IndexSource); // the rebuilt file is good again

        File.WriteAllBytes(indexPath, bytes.AsSpan(0, bytes.Length - 100).ToArray()); // truncated
        log = new LogLines();
        await using (var host = await Start(path, log)) Assert.Equal("rebuilt", Model(host).IndexSource);
        Assert.Contains(log.Lines, l => l.Contains("rebuilding"));
    }

    private static async Task<string[][]> Answers(ServerHost host)
    {
        var answers = new List<string[]>();
        foreach (var user in new[] { "u000", "u007", "u123", "u250" })
            answers.Add(Items(await Get(host, $"/users/{user}/recommendations?k=15")));
        var similar = await Get(host, "/items/i010/similar?k=10");
        answers.Add(similar.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!).ToArray());
        return answers.ToArray();
    }

    /// <summary>Collects formatted log messages of a server.</summary>
    private sealed class LogLines : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> _lines = new();
        public IReadOnlyList<string> Lines => _lines.ToArray();
        public ILogger CreateLogger(string categoryName) => new Logger(_lines);
        public void Dispose() { }

        private sealed class Logger(ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue(formatter(state, exception));
        }
    }
}
