using Trove.Tests.Support;
using System.Net;
using System.Text.Json;
using Trove.Core.Persistence;
using Trove.Models;

namespace Trove.Tests.Server;

/// <summary>Every endpoint of `trove serve`, in process, over a KNN model of the toy data set.</summary>
public class ApiTests
{
    private static async Task<JsonElement> Json(HttpResponseMessage response, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Asserts an RFC 7807 problem with the status and returns it.</summary>
    private static async Task<JsonElement> Problem(HttpResponseMessage response, HttpStatusCode expected)
    {
        var problem = await Json(response, expected);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal((int)expected, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
        return problem;
    }

    private static string[] Items(JsonElement recommendations) =>
        recommendations.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()!).ToArray();

    [Fact]
    public async Task Health_readiness_metrics_and_the_openapi_document_answer()
    {
        await using var host = await ServerHost.StartAsync();
        Assert.Equal("ok", (await Json(await host.Client.GetAsync("/health"))).GetProperty("status").GetString());
        var ready = await Json(await host.Client.GetAsync("/ready"));
        Assert.Equal("ready", ready.GetProperty("status").GetString());
        Assert.Equal("itemknn", ready.GetProperty("models")[0].GetProperty("algorithm").GetString());

        var openapi = await Json(await host.Client.GetAsync("/openapi/v1.json"));
        var paths = openapi.GetProperty("paths");
        foreach (var path in new[] { "/users/{user}/recommendations", "/items/{item}/similar", "/users/{user}/similar", "/scores", "/events", "/admin/reload", "/users/{user}/embedding" })
            Assert.True(paths.TryGetProperty(path, out _), $"OpenAPI lacks {path}");
        var recommendation = paths.GetProperty("/users/{user}/recommendations").GetProperty("get");
        var parameters = recommendation.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToArray();
        Assert.Contains("k", parameters, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("filter", parameters, StringComparer.OrdinalIgnoreCase);
        Assert.True(recommendation.GetProperty("responses").TryGetProperty("404", out _));
        Assert.True(openapi.GetProperty("components").GetProperty("schemas").TryGetProperty("RecommendationsResponse", out _));

        await host.Client.GetAsync("/users/alice/recommendations");
        var metrics = await (await host.Client.GetAsync("/metrics")).Content.ReadAsStringAsync();
        var recommendations = new[] { ("method", "GET"), ("route", "/users/{user}/recommendations"), ("status", "200") };
        Assert.Equal(1, PrometheusText.Value(metrics, "trove_http_request_duration_seconds_count", recommendations));
        Assert.Equal(1, PrometheusText.Value(metrics, "trove_http_request_duration_seconds_bucket", [.. recommendations, ("le", "+Inf")]));
        Assert.Equal(1, PrometheusText.Value(metrics, "trove_model_info", ("name", "itemknn"), ("algorithm", "itemknn")));
        Assert.Contains("version=\"itemknn-", metrics);
        Assert.Contains("otel_scope_name=\"Trove.Server\"", metrics); // from OpenTelemetry's exporter, over the Trove.Server meter
    }

    [Fact]
    public async Task Recommendations_exclude_seen_items_and_page_with_offset()
    {
        await using var host = await ServerHost.StartAsync();
        var all = await Json(await host.Client.GetAsync("/users/alice/recommendations?k=6"));
        var items = Items(all);
        Assert.DoesNotContain("a", items);
        Assert.DoesNotContain("b", items);
        Assert.Equal("c", items[0]); // bob and frank pair b/a with c
        Assert.Equal("Cosmos", all.GetProperty("items")[0].GetProperty("title").GetString());
        Assert.Equal("books", all.GetProperty("items")[0].GetProperty("features").GetProperty("category").GetString());

        var first = Items(await Json(await host.Client.GetAsync("/users/alice/recommendations?k=2")));
        var second = await Json(await host.Client.GetAsync("/users/alice/recommendations?k=2&offset=2"));
        Assert.Equal(items.Take(4), first.Concat(Items(second)));
        Assert.Equal(3, second.GetProperty("items")[0].GetProperty("rank").GetInt32());

        var withSeen = Items(await Json(await host.Client.GetAsync("/users/alice/recommendations?k=8&excludeSeen=false")));
        Assert.Contains("a", withSeen);
    }

    [Fact]
    public async Task Category_brand_allow_and_exclude_filters_restrict_the_items()
    {
        await using var host = await ServerHost.StartAsync();
        var music = await Json(await host.Client.GetAsync("/users/carol/recommendations?k=8&category=music"));
        Assert.NotEmpty(Items(music));
        Assert.All(music.GetProperty("items").EnumerateArray(), i => Assert.Equal("music", i.GetProperty("features").GetProperty("category").GetString()));

        var acme = await Json(await host.Client.GetAsync("/users/alice/recommendations?k=8&brand=acme&excludeSeen=false"));
        Assert.All(acme.GetProperty("items").EnumerateArray(), i => Assert.Equal("acme", i.GetProperty("features").GetProperty("brand").GetString()));
        var generic = Items(await Json(await host.Client.GetAsync("/users/alice/recommendations?k=8&filter=brand:acme&filter=category:books&excludeSeen=false")));
        Assert.Equal(new[] { "a", "c" }, generic.Order());

        Assert.DoesNotContain("c", Items(await Json(await host.Client.GetAsync("/users/alice/recommendations?k=8&exclude=c,nonexistent"))));
        var allowed = Items(await Json(await host.Client.GetAsync("/users/alice/recommendations?k=8&allow=d,h")));
        Assert.Subset(new HashSet<string> { "d", "h" }, allowed.ToHashSet());

        var problem = await Problem(await host.Client.GetAsync("/users/alice/recommendations?filter=colour:red"), HttpStatusCode.BadRequest);
        Assert.Contains("colour", problem.GetProperty("errors").GetProperty("filter")[0].GetString());
    }

    [Fact]
    public async Task Unknown_users_get_404_or_the_popularity_fallback_when_asked()
    {
        await using var host = await ServerHost.StartAsync();
        var problem = await Problem(await host.Client.GetAsync("/users/zoe/recommendations"), HttpStatusCode.NotFound);
        Assert.Equal("Unknown user", problem.GetProperty("title").GetString());
        Assert.Contains("zoe", problem.GetProperty("detail").GetString());

        var cold = await Json(await host.Client.GetAsync("/users/zoe/recommendations?k=3&fallback=popular"));
        Assert.True(cold.GetProperty("coldStart").GetBoolean());
        Assert.Equal(3, Items(cold).Length);
        Assert.Contains(Items(cold)[0], new[] { "a", "b", "c" }); // the items with three users each

        await Problem(await host.Client.GetAsync("/items/zzz/similar"), HttpStatusCode.NotFound);
        await Problem(await host.Client.GetAsync("/users/zoe/similar"), HttpStatusCode.NotFound);
        await Problem(await host.Client.GetAsync("/users/alice/recommendations?model=nosuch"), HttpStatusCode.NotFound);
        await Problem(await host.Client.GetAsync("/no/such/route"), HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("k=0")]
    [InlineData("k=1001")]
    [InlineData("k=900&offset=200")]
    [InlineData("offset=-1")]
    [InlineData("k=abc")]
    public async Task Out_of_range_k_and_offset_are_400_problems(string query)
    {
        await using var host = await ServerHost.StartAsync();
        await Problem(await host.Client.GetAsync("/users/alice/recommendations?" + query), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Write_endpoints_need_the_api_key()
    {
        await using var host = await ServerHost.StartAsync();
        const string evt = """{"user":"alice","item":"c","event":"purchase"}""";
        var missing = await Problem(await host.Client.SendAsync(host.Post("/events", evt, key: null)), HttpStatusCode.Unauthorized);
        Assert.Contains("X-Api-Key", missing.GetProperty("detail").GetString());
        await Problem(await host.Client.SendAsync(host.Post("/events", evt, key: "wrong")), HttpStatusCode.Unauthorized);
        await Problem(await host.Client.SendAsync(host.Post("/admin/reload", "", key: null)), HttpStatusCode.Unauthorized);
        // Nothing was stored.
        Assert.Contains("c", Items(await Json(await host.Client.GetAsync("/users/alice/recommendations?k=8"))));
    }

    [Fact]
    public async Task A_purchased_item_is_excluded_at_once_and_knn_scores_use_the_new_history()
    {
        await using var host = await ServerHost.StartAsync();
        var before = await Json(await host.Client.GetAsync("/users/alice/recommendations?k=8"));
        Assert.Equal("c", Items(before)[0]);
        float dBefore = before.GetProperty("items").EnumerateArray().Where(i => i.GetProperty("item").GetString() == "d").Select(i => i.GetProperty("score").GetSingle()).DefaultIfEmpty(0).First();

        var stored = await Json(await host.Client.SendAsync(host.Post("/events", """{"user":"alice","item":"c","event":"purchase","timestamp":1700000000}""")));
        Assert.Equal(1, stored.GetProperty("accepted").GetInt32());

        var after = await Json(await host.Client.GetAsync("/users/alice/recommendations?k=8"));
        Assert.DoesNotContain("c", Items(after));
        Assert.Equal(1, after.GetProperty("newEvents").GetInt32());
        // c's neighbour d (via carol) now gets more score: the history includes c.
        float dAfter = after.GetProperty("items").EnumerateArray().Single(i => i.GetProperty("item").GetString() == "d").GetProperty("score").GetSingle();
        Assert.True(dAfter > dBefore, $"score of d: {dBefore} -> {dAfter}");
        // Pair scores count the new event too (the history path), not only the trained model's pair scores.
        var pair = await Json(await host.Client.PostAsync("/scores", JsonContent("""{"pairs":[{"user":"alice","item":"d"}]}""")));
        Assert.Equal(dAfter, pair.GetProperty("scores")[0].GetProperty("score").GetSingle(), 5);

        var history = await Json(await host.Client.GetAsync("/users/alice/history"));
        Assert.Equal("c", history.GetProperty("events")[0].GetProperty("item").GetString());
        Assert.Equal("purchase", history.GetProperty("events")[0].GetProperty("event").GetString());
    }

    [Fact]
    public async Task Event_batches_are_validated_as_a_whole_and_new_users_get_history_based_recommendations()
    {
        await using var host = await ServerHost.StartAsync();
        var bad = await Problem(await host.Client.SendAsync(host.Post("/events",
            """[{"user":"zoe","item":"d","event":"view"},{"user":"zoe","event":"view"},{"user":"zoe","item":"e","event":"view","timestamp":"not a date"}]""")), HttpStatusCode.BadRequest);
        var errors = bad.GetProperty("errors");
        Assert.True(errors.TryGetProperty("[1].item", out _));
        Assert.True(errors.TryGetProperty("[2].timestamp", out _));
        await Problem(await host.Client.GetAsync("/users/zoe/recommendations"), HttpStatusCode.NotFound); // nothing stored

        await Problem(await host.Client.SendAsync(host.Post("/events", "{not json")), HttpStatusCode.BadRequest);
        await Problem(await host.Client.SendAsync(host.Post("/events", "[]")), HttpStatusCode.BadRequest);
        await Problem(await host.Client.SendAsync(host.Post("/events", "42")), HttpStatusCode.BadRequest);

        var ok = await Json(await host.Client.SendAsync(host.Post("/events",
            """[{"user":"zoe","item":"d","event":"view"},{"user":"zoe","item":"e","event":"add_to_cart","timestamp":"2026-11-23T10:00:00Z"}]""")));
        Assert.Equal(2, ok.GetProperty("accepted").GetInt32());
        var recs = await Json(await host.Client.GetAsync("/users/zoe/recommendations?k=3"));
        Assert.False(recs.GetProperty("coldStart").GetBoolean());
        Assert.Equal("f", Items(recs)[0]); // d and e are both neighbours of f (dave, erin)
        Assert.DoesNotContain("d", Items(recs));
    }

    [Theory]
    [InlineData("rp3beta")] [InlineData("ease")] [InlineData("als")]
    public async Task Models_that_declare_history_scoring_serve_new_users_from_their_events(string algorithm)
    {
        await using var host = await ServerHost.StartAsync(ServerHost.TrainModel(algorithm));
        var models = JsonDocument.Parse(await host.Client.GetStringAsync("/models")).RootElement;
        Assert.True(models[0].GetProperty("historyScoring").GetBoolean());
        await Json(await host.Client.SendAsync(host.Post("/events", """[{"user":"zoe","item":"d","event":"purchase"},{"user":"zoe","item":"e","event":"purchase"}]""")));
        var recs = await Json(await host.Client.GetAsync("/users/zoe/recommendations?k=3"));
        Assert.False(recs.GetProperty("coldStart").GetBoolean());
        Assert.DoesNotContain("d", Items(recs));
        Assert.DoesNotContain("e", Items(recs));
    }

    [Fact]
    public async Task Oversize_bodies_are_413_problems()
    {
        await using var host = await ServerHost.StartAsync(configure: o => o with { MaxRequestBytes = 1000 });
        var big = "[" + string.Join(",", Enumerable.Repeat("""{"user":"alice","item":"c","event":"view"}""", 100)) + "]";
        await Problem(await host.Client.SendAsync(host.Post("/events", big)), HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task Explanations_name_the_history_items_that_contributed()
    {
        await using var host = await ServerHost.StartAsync();
        var recs = await Json(await host.Client.GetAsync("/users/alice/recommendations?k=2&explain=true"));
        var because = recs.GetProperty("items")[0].GetProperty("because");
        Assert.NotEqual(0, because.GetArrayLength());
        Assert.All(because.EnumerateArray(), b => Assert.Contains(b.GetProperty("item").GetString(), new[] { "a", "b" }));
        Assert.True(because[0].GetProperty("share").GetSingle() > 0);
        var plain = await Json(await host.Client.GetAsync("/users/alice/recommendations?k=2"));
        Assert.Equal(JsonValueKind.Null, plain.GetProperty("items")[0].GetProperty("because").ValueKind);
    }

    [Fact]
    public async Task Similar_items_users_item_details_and_scores()
    {
        await using var host = await ServerHost.StartAsync();
        var similar = await Json(await host.Client.GetAsync("/items/e/similar?k=2"));
        Assert.Equal("f", similar.GetProperty("items")[0].GetProperty("id").GetString());
        Assert.Equal("Folk Tales", similar.GetProperty("items")[0].GetProperty("title").GetString());
        var users = await Json(await host.Client.GetAsync("/users/dave/similar?k=1"));
        Assert.Equal("erin", users.GetProperty("items")[0].GetProperty("id").GetString());
        var item = await Json(await host.Client.GetAsync("/items/a"));
        Assert.Equal(3, item.GetProperty("users").GetInt32());

        var trained = ModelFile.Load(host.ModelPath, BuiltInAlgorithms.Registry);
        var expected = new float[2];
        trained.Model.Score(trained.Users.IndexOf("alice"), [trained.Items.IndexOf("c"), trained.Items.IndexOf("g")], expected);
        var scores = await Json(await host.Client.PostAsync("/scores", JsonContent("""{"pairs":[{"user":"alice","item":"c"},{"user":"alice","item":"g"}]}""")));
        Assert.Equal(expected[0], scores.GetProperty("scores")[0].GetProperty("score").GetSingle(), 5);
        Assert.Equal(expected[1], scores.GetProperty("scores")[1].GetProperty("score").GetSingle(), 5);
        await Problem(await host.Client.PostAsync("/scores", JsonContent("""{"pairs":[{"user":"zoe","item":"c"}]}""")), HttpStatusCode.NotFound);
        await Problem(await host.Client.PostAsync("/scores", JsonContent("""{"pairs":[]}""")), HttpStatusCode.BadRequest);
        await Problem(await host.Client.PostAsync("/scores", JsonContent("{\"pairs\":")), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Embeddings_of_a_model_without_vectors_are_a_clear_400()
    {
        await using var host = await ServerHost.StartAsync();
        var problem = await Problem(await host.Client.GetAsync("/items/a/embedding"), HttpStatusCode.BadRequest);
        Assert.Contains("no user/item vectors", problem.GetProperty("detail").GetString());
        await Problem(await host.Client.GetAsync("/users/alice/embedding"), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Several_models_are_chosen_by_name()
    {
        var knn = ServerHost.TrainModel("itemknn");
        var pop = ServerHost.TrainModel("popularity");
        await using var host = await ServerHost.StartAsync(knn, o => o with { Models = [new("knn", knn), new("pop", pop)] });
        Assert.Equal("itemknn", (await Json(await host.Client.GetAsync("/users/alice/recommendations"))).GetProperty("algorithm").GetString());
        var popular = await Json(await host.Client.GetAsync("/users/alice/recommendations?model=pop"));
        Assert.Equal("popularity", popular.GetProperty("algorithm").GetString());
        Assert.Equal("pop", popular.GetProperty("model").GetString());
        Assert.Equal(2, (await Json(await host.Client.GetAsync("/models"))).GetArrayLength());
        // What a model cannot do is a 400 problem, never a 500.
        await Problem(await host.Client.GetAsync("/items/a/similar?model=pop"), HttpStatusCode.BadRequest);
        await Problem(await host.Client.GetAsync("/users/alice/similar?model=pop"), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Reload_swaps_in_a_newly_trained_model_and_keeps_the_old_one_when_the_file_is_bad()
    {
        var path = ServerHost.TrainModel("popularity");
        await using var host = await ServerHost.StartAsync(path);
        var before = await Json(await host.Client.GetAsync("/users/alice/recommendations"));
        Assert.Equal("popularity", before.GetProperty("algorithm").GetString());

        ServerHost.TrainModel("itemknn", path: path); // retrain into the same file
        var reloaded = await Json(await host.Client.SendAsync(host.Post("/admin/reload", "")));
        Assert.Equal(2, reloaded.GetProperty("generation").GetInt64());
        var after = await Json(await host.Client.GetAsync("/users/alice/recommendations"));
        Assert.Equal("itemknn", after.GetProperty("algorithm").GetString());
        Assert.NotEqual(before.GetProperty("modelVersion").GetString(), after.GetProperty("modelVersion").GetString());

        File.WriteAllText(path, "not a model");
        var failed = await Problem(await host.Client.SendAsync(host.Post("/admin/reload", "")), HttpStatusCode.UnprocessableEntity);
        Assert.Contains("previous model is still served", failed.GetProperty("detail").GetString());
        Assert.Equal("itemknn", (await Json(await host.Client.GetAsync("/users/alice/recommendations"))).GetProperty("algorithm").GetString());
        var ready = await Json(await host.Client.GetAsync("/ready"));
        Assert.Contains("not a Trove model file", ready.GetProperty("lastReloadError").GetString());
        Assert.Equal(1, PrometheusText.Value(await host.Client.GetStringAsync("/metrics"), "trove_model_reloads_total", ("result", "failed")));
    }

    [Fact]
    public async Task A_changed_model_file_is_reloaded_when_watching()
    {
        var path = ServerHost.TrainModel("popularity");
        await using var host = await ServerHost.StartAsync(path, o => o with { WatchModelFiles = true });
        ServerHost.TrainModel("itemknn", path: path);
        string? algorithm = null;
        for (int attempt = 0; attempt < 100 && algorithm != "itemknn"; attempt++)
        {
            await Task.Delay(100);
            algorithm = (await Json(await host.Client.GetAsync("/models")))[0].GetProperty("algorithm").GetString();
        }
        Assert.Equal("itemknn", algorithm);
    }

    [Fact]
    public async Task Requests_in_flight_keep_the_model_set_they_started_with()
    {
        var path = ServerHost.TrainModel("popularity");
        await using var host = await ServerHost.StartAsync(path);
        var catalog = (Trove.Server.Models.ModelCatalog)host.App.Services.GetService(typeof(Trove.Server.Models.ModelCatalog))!;
        var snapshot = catalog.Current; // what a request holds while it runs
        ServerHost.TrainModel("itemknn", path: path);
        catalog.Reload();
        Assert.Equal("popularity", snapshot.Default!.Manifest.Algorithm);
        Assert.Equal("itemknn", catalog.Current.Default!.Manifest.Algorithm);
        Assert.NotSame(snapshot, catalog.Current);
    }

    [Fact]
    public async Task Reloads_under_concurrent_requests_never_fail_a_request()
    {
        var path = ServerHost.TrainModel("itemknn");
        await using var host = await ServerHost.StartAsync(path);
        using var stop = new CancellationTokenSource();
        int ok = 0, failed = 0;
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var r = await host.Client.GetAsync("/users/bob/recommendations?k=3&explain=true");
                if (r.StatusCode == HttpStatusCode.OK) Interlocked.Increment(ref ok); else Interlocked.Increment(ref failed);
            }
        })).ToArray();
        for (int i = 0; i < 5; i++)
        {
            ServerHost.TrainModel(i % 2 == 0 ? "popularity" : "itemknn", path: path);
            Assert.Equal(HttpStatusCode.OK, (await host.Client.SendAsync(host.Post("/admin/reload", ""))).StatusCode);
        }
        stop.Cancel();
        await Task.WhenAll(readers);
        Assert.Equal(0, failed);
        Assert.True(ok > 0);
        Assert.Equal(6, (await Json(await host.Client.GetAsync("/ready"))).GetProperty("generation").GetInt64());
    }

    [Fact]
    public async Task The_in_memory_store_keeps_the_newest_events_per_user()
    {
        var store = new Trove.Server.Events.InMemoryEventStore(maxPerUser: 3);
        var now = DateTimeOffset.UtcNow;
        await store.AppendAsync(Enumerable.Range(0, 5).Select(i => new Trove.Server.Events.UserEvent("u", "i" + i, "view", 0.1f, now, now)).ToList());
        Assert.Equal(new[] { "i2", "i3", "i4" }, (await store.ForUserAsync("u")).Select(e => e.Item));
        Assert.Equal(5, store.CountsByEvent()["view"]);
    }

    [Fact]
    public async Task The_dashboard_and_its_data_endpoints_are_served()
    {
        await using var host = await ServerHost.StartAsync();
        var root = await host.Client.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, root.StatusCode);
        var page = await host.Client.GetAsync("/dashboard/");
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<title>Trove", await page.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/dashboard/app.js")).StatusCode);
        var stats = await Json(await host.Client.GetAsync("/api/stats"));
        Assert.Equal(6, stats.GetProperty("data").GetProperty("users").GetInt32());
        Assert.Equal(17, stats.GetProperty("data").GetProperty("interactions").GetInt64());
        await Problem(await host.Client.GetAsync("/api/evaluation"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_evaluation_report_is_passed_through()
    {
        var report = Path.Combine(Support.TestPaths.NewTempDirectory(), "evaluation.json");
        File.WriteAllText(report, """{"models":[{"model":"itemknn","ndcg@10":0.31}]}""");
        await using var host = await ServerHost.StartAsync(configure: o => o with { EvaluationPath = report });
        var json = await Json(await host.Client.GetAsync("/api/evaluation"));
        Assert.Equal(0.31, json.GetProperty("models")[0].GetProperty("ndcg@10").GetDouble(), 6);
    }

    private static StringContent JsonContent(string json) => new(json, System.Text.Encoding.UTF8, "application/json");
}

/// <summary>`trove serve --db`: events go to the SQLite store as well as into the live overlay.</summary>
public class DatabaseEventsTests
{
    [Fact]
    public async Task Events_are_written_to_the_database_and_evaluated_models_feed_the_dashboard()
    {
        var dir = Support.TestPaths.NewTempDirectory();
        var db = Path.Combine(dir, "trove.db");
        var model = ServerHost.TrainModel("itemknn", path: Path.Combine(dir, "knn.trove"));
        var manifest = ModelFile.Load(model, BuiltInAlgorithms.Registry).Manifest;
        using (var store = Trove.Data.Stores.SqliteStore.Open(db))
        {
            store.Import(ServerHost.Toy());
            store.RegisterModel(Trove.Data.Stores.ModelRecord.FromManifest(manifest, model, """{"ndcg@10":0.42,"hr@10":0.7}"""));
        }
        await using var host = await ServerHost.StartAsync(model, o => o with { DatabasePath = db });
        var response = await host.Client.SendAsync(host.Post("/events", """[{"user":"alice","item":"c","event":"purchase"},{"user":"newbie","item":"zz-new","event":"view"}]"""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var recs = JsonDocument.Parse(await host.Client.GetStringAsync("/users/alice/recommendations?k=8")).RootElement;
        Assert.DoesNotContain("c", recs.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()));

        using (var store = Trove.Data.Stores.SqliteStore.Open(db, createIfMissing: false))
        {
            var counts = store.Counts();
            Assert.Equal(17 + 2, counts.Interactions);
            Assert.Equal(7, counts.Users);
            Assert.Equal(9, counts.Items);
        }
        var evaluation = JsonDocument.Parse(await host.Client.GetStringAsync("/api/evaluation")).RootElement;
        var row = evaluation.GetProperty("models")[0];
        Assert.Equal(manifest.ModelVersion, row.GetProperty("model").GetString());
        Assert.Equal(0.42, row.GetProperty("ndcg@10").GetDouble(), 6);
        var stats = JsonDocument.Parse(await host.Client.GetStringAsync("/api/stats")).RootElement;
        Assert.Equal(19, stats.GetProperty("database").GetProperty("interactions").GetInt64());
    }
}

/// <summary>Embedding (ALS) and linear (EASE) models behind the same endpoints: vectors, vector index, fold-in of new events.</summary>
public class FactorModelServingTests
{
    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement;

    private static string Als() => ServerHost.TrainModel("als", parameters: new Dictionary<string, string> { ["factors"] = "8", ["iterations"] = "10" });

    [Fact]
    public async Task Als_serves_embeddings_similar_items_through_the_vector_index_and_folds_in_new_events()
    {
        var path = Als();
        await using var host = await ServerHost.StartAsync(path, o => o with { HnswMinItems = 1 }); // force HNSW even for 8 items
        var catalog = (Trove.Server.Models.ModelCatalog)host.App.Services.GetService(typeof(Trove.Server.Models.ModelCatalog))!;
        await catalog.Current.Default!.IndexReady.WaitAsync(TimeSpan.FromSeconds(30)); // built in the background
        var models = Parse(await host.Client.GetStringAsync("/models"));
        Assert.Equal("HnswIndex", models[0].GetProperty("vectorIndex").GetString());
        Assert.True(models[0].GetProperty("historyScoring").GetBoolean());

        var item = Parse(await host.Client.GetStringAsync("/items/a/embedding"));
        Assert.Equal(8, item.GetProperty("dimensions").GetInt32());
        Assert.Equal(8, item.GetProperty("vector").GetArrayLength());
        var user = Parse(await host.Client.GetStringAsync("/users/alice/embedding"));
        Assert.Equal(8, user.GetProperty("vector").GetArrayLength());

        var similar = Parse(await host.Client.GetStringAsync("/items/e/similar?k=7"));
        var ids = similar.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()).ToArray();
        Assert.Equal(7, ids.Length);
        Assert.DoesNotContain("e", ids);

        var before = Parse(await host.Client.GetStringAsync("/users/alice/recommendations?k=8&explain=true"));
        Assert.NotEqual(0, before.GetProperty("items")[0].GetProperty("because").GetArrayLength());
        var posted = await host.Client.SendAsync(host.Post("/events", """[{"user":"alice","item":"g","event":"purchase"},{"user":"alice","item":"h","event":"purchase"}]"""));
        Assert.Equal(System.Net.HttpStatusCode.OK, posted.StatusCode);
        var after = Parse(await host.Client.GetStringAsync("/users/alice/recommendations?k=8"));
        Assert.Equal(2, after.GetProperty("newEvents").GetInt32());
        var afterIds = after.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()).ToArray();
        Assert.DoesNotContain("g", afterIds);
        Assert.DoesNotContain("h", afterIds);
        var folded = Parse(await host.Client.GetStringAsync("/users/alice/embedding"));
        Assert.NotEqual(user.GetProperty("vector")[0].GetSingle(), folded.GetProperty("vector")[0].GetSingle());

        // A brand-new user with events is folded in too.
        await host.Client.SendAsync(host.Post("/events", """{"user":"newcomer","item":"d","event":"view"}"""));
        var fresh = Parse(await host.Client.GetStringAsync("/users/newcomer/recommendations?k=3"));
        Assert.False(fresh.GetProperty("coldStart").GetBoolean());
        Assert.Equal(3, fresh.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Ease_uses_new_events_at_once_and_explains_with_each_history_items_share()
    {
        var path = ServerHost.TrainModel("ease", parameters: new Dictionary<string, string> { ["lambda"] = "1" });
        await using var host = await ServerHost.StartAsync(path);
        var recs = Parse(await host.Client.GetStringAsync("/users/alice/recommendations?k=3&explain=true"));
        Assert.NotEqual(0, recs.GetProperty("items")[0].GetProperty("because").GetArrayLength());
        await host.Client.SendAsync(host.Post("/events", """{"user":"alice","item":"e","event":"purchase"}"""));
        var after = Parse(await host.Client.GetStringAsync("/users/alice/recommendations?k=8"));
        Assert.Equal(1, after.GetProperty("newEvents").GetInt32());
        Assert.DoesNotContain("e", after.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()));
        var problem = await host.Client.GetAsync("/items/a/embedding");
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, problem.StatusCode);
    }
}

/// <summary>`trove serve --data`: titles from the data set when the model file has none.</summary>
public class DataTitlesTests
{
    [Fact]
    public async Task Titles_come_from_the_data_set_given_with_data()
    {
        var folder = Support.TestPaths.Dataset("ml-100k");
        var data = Trove.Data.Readers.DatasetLoader.Load(folder);
        var path = Path.Combine(Support.TestPaths.NewTempDirectory(), "pop.trove");
        ModelTrainer.Train(data, "popularity", null, Trove.Core.Training.FitContext.Default, path);
        await using var host = await ServerHost.StartAsync(path, o => o with { DataPath = folder });
        var item = JsonDocument.Parse(await host.Client.GetStringAsync("/items/50")).RootElement;
        Assert.Equal("Star Wars (1977)", item.GetProperty("title").GetString());
        var recs = JsonDocument.Parse(await host.Client.GetStringAsync("/users/2/recommendations?k=1")).RootElement;
        Assert.False(string.IsNullOrEmpty(recs.GetProperty("items")[0].GetProperty("title").GetString()));
        var stats = JsonDocument.Parse(await host.Client.GetStringAsync("/api/stats")).RootElement;
        Assert.Equal("Star Wars (1977)", stats.GetProperty("data").GetProperty("topItems")[0].GetProperty("title").GetString());
    }
}

[Collection(ConsoleCollection.Name)]
public class ServeCommandTests
{
    [Fact]
    public void Serve_with_a_missing_model_file_is_a_clear_user_error()
    {
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        try
        {
            int code = Trove.Cli.Program.BuildRoot().Parse(["serve", "--model", "/nonexistent/model.trove", "--port", "0"]).Invoke();
            Assert.Equal(2, code);
        }
        finally { Console.SetError(original); }
        Assert.Contains("does not exist", error.ToString());
    }

    [Fact]
    public void Two_models_with_the_same_name_are_refused()
    {
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        try
        {
            int code = Trove.Cli.Program.BuildRoot().Parse(["serve", "--model", "a=/x/one.trove", "--model", "a=/x/two.trove"]).Invoke();
            Assert.Equal(2, code);
        }
        finally { Console.SetError(original); }
        Assert.Contains("Two models are named 'a'", error.ToString());
    }
}
