using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Trove.Data.Stores;
using Trove.Server;
using Trove.Server.Hosting;
using Trove.Server.Models;
using Trove.Tests.Support;

namespace Trove.Tests.Server;

/// <summary>
/// The catalogue API: items written with features (new ones recommended at once by models that score items from
/// features), hidden items returned by no list, popular and latest items, users with features; writes persist in the
/// database and survive a restart and a model reload.
/// </summary>
public class CatalogueTests
{
    private static HttpRequestMessage Put(string url, string json, string? key = ServerHost.Key)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (key is not null) request.Headers.Add("X-Api-Key", key);
        return request;
    }

    private static async Task<JsonElement> Ok(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static string[] Ids(JsonElement list, string property = "items", string id = "item") =>
        list.GetProperty(property).EnumerateArray().Select(e => e.GetProperty(id).GetString()!).ToArray();

    private static async Task<string[]> Recommended(HttpClient client, string user, string query = "k=20", string prefix = "") =>
        Ids(await Ok(await client.GetAsync($"{prefix}/users/{user}/recommendations?{query}")));

    [Fact]
    public async Task A_new_item_is_recommended_at_once_by_a_content_model_and_filtered_like_the_others()
    {
        await using var host = await ServerHost.StartAsync(ServerHost.TrainModel("content"));
        // Dave interacted with three music items; a new music item by the brand he knows is his best match.
        var put = await Ok(await host.Client.SendAsync(Put("/items/zine", """{"features": {"title": "Zine", "category": "music", "brand": "acme"}}""")));
        Assert.True(put.GetProperty("created").GetBoolean());
        Assert.Equal(["content"], put.GetProperty("recommendedBy").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("memory", put.GetProperty("store").GetString());

        var dave = await Recommended(host.Client, "dave");
        Assert.Equal("zine", dave[0]);
        Assert.Equal(6, dave.Length); // five unseen trained items and the new one
        Assert.Contains("zine", await Recommended(host.Client, "dave", "k=5&category=music"));
        Assert.DoesNotContain("zine", await Recommended(host.Client, "dave", "k=5&category=books"));
        Assert.DoesNotContain("zine", await Recommended(host.Client, "dave", "k=5&exclude=zine"));
        Assert.Equal(["zine"], await Recommended(host.Client, "dave", "k=5&allow=zine"));
        // Paging continues the merged ranking.
        Assert.Equal(dave[1..3], await Recommended(host.Client, "dave", "k=2&offset=1"));

        // Its item page and its score, through the same vector.
        var item = await Ok(await host.Client.GetAsync("/items/zine"));
        Assert.Equal(("Zine", false, false), (item.GetProperty("title").GetString(), item.GetProperty("inModel").GetBoolean(), item.GetProperty("hidden").GetBoolean()));
        var scores = await Ok(await host.Client.PostAsync("/scores", new StringContent("""{"pairs": [{"user": "dave", "item": "zine"}, {"user": "dave", "item": "a"}]}""", Encoding.UTF8, "application/json")));
        var pair = scores.GetProperty("scores").EnumerateArray().Select(s => s.GetProperty("score").GetSingle()).ToArray();
        Assert.True(pair[0] > pair[1]);

        // Once a user has seen it (a live event), it is excluded like any seen item.
        await Ok(await host.Client.SendAsync(host.Post("/events", """{"user": "dave", "item": "zine", "event": "view"}""")));
        Assert.DoesNotContain("zine", await Recommended(host.Client, "dave"));
    }

    [Fact]
    public async Task A_hidden_item_is_returned_by_no_list_until_shown_again()
    {
        // The graph answers by default (--retrieval hnsw), so both the graph walk and exact scoring are checked.
        await using var host = await ServerHost.StartAsync(ServerHost.TrainModel("als", parameters: new Dictionary<string, string> { ["factors"] = "4", ["iterations"] = "5" }),
            o => o with { Retrieval = RetrievalMode.Hnsw, HnswMinItems = 1 });
        await host.App.Services.GetRequiredService<ModelCatalog>().Current.Default!.IndexReady.WaitAsync(TimeSpan.FromSeconds(60));
        var client = host.Client;
        Assert.Contains("d", await Recommended(client, "alice"));
        Assert.Contains("d", Ids(await Ok(await client.GetAsync("/items/popular?k=8"))));

        var hidden = await Ok(await client.SendAsync(Put("/items/d", """{"hidden": true}""")));
        Assert.True(hidden.GetProperty("hidden").GetBoolean());
        Assert.False(hidden.GetProperty("created").GetBoolean());
        Assert.Empty(hidden.GetProperty("recommendedBy").EnumerateArray());

        // Every list leaves it out: recommendations (exact and graph), similar items, popular items.
        Assert.DoesNotContain("d", await Recommended(client, "alice"));
        Assert.Equal("hnsw", (await Ok(await client.GetAsync("/users/alice/recommendations?k=20"))).GetProperty("retrieval").GetString());
        Assert.DoesNotContain("d", await Recommended(client, "alice", "k=20&retrieval=exact"));
        Assert.Equal(5, (await Recommended(client, "alice", "k=20")).Length); // eight items, two seen, one hidden
        Assert.DoesNotContain("d", await Recommended(client, "nobody", "k=20&fallback=popular"));
        Assert.DoesNotContain("d", Ids(await Ok(await client.GetAsync("/items/e/similar?k=7")), id: "id"));
        Assert.DoesNotContain("d", Ids(await Ok(await client.GetAsync("/items/popular?k=8"))));
        Assert.Equal(7, Ids(await Ok(await client.GetAsync("/items/popular?k=8"))).Length);
        // Its page says so; a score asked for it by name is flagged.
        Assert.True((await Ok(await client.GetAsync("/items/d"))).GetProperty("hidden").GetBoolean());
        var score = await Ok(await client.PostAsync("/scores", new StringContent("""{"pairs": [{"user": "alice", "item": "d"}]}""", Encoding.UTF8, "application/json")));
        Assert.True(score.GetProperty("scores")[0].GetProperty("hidden").GetBoolean());

        await Ok(await client.SendAsync(Put("/items/d", """{"hidden": false}""")));
        Assert.Contains("d", await Recommended(client, "alice"));
    }

    [Fact]
    public async Task Popular_and_latest_items_take_filters_and_latest_orders_by_timestamp()
    {
        await using var host = await ServerHost.StartAsync();
        var client = host.Client;
        // Popularity is users per item in the training data: b and c have three users each, a has three too.
        var popular = await Ok(await client.GetAsync("/items/popular?k=3&category=books"));
        Assert.Equal(["a", "b", "c"], Ids(popular).Order());
        Assert.Equal(3, popular.GetProperty("items")[0].GetProperty("users").GetInt32());
        Assert.Equal(["d", "e", "f"], Ids(await Ok(await client.GetAsync("/items/popular?k=10&filter=category:music"))).Order());
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/items/popular?filter=colour:red")).StatusCode);

        Assert.Empty(Ids(await Ok(await client.GetAsync("/items/latest"))));
        await Ok(await client.SendAsync(Put("/items/old", """{"features": {"title": "Old kite", "category": "toys"}, "timestamp": "2026-01-01T00:00:00Z"}""")));
        await Ok(await client.SendAsync(Put("/items/new", """{"features": {"title": "New kite", "category": ["toys", "outdoor"]}, "timestamp": 1780000000}""")));
        await Ok(await client.SendAsync(Put("/items/book", """{"features": {"category": "books"}, "timestamp": 1770000000}""")));
        Assert.Equal(["new", "book", "old"], Ids(await Ok(await client.GetAsync("/items/latest"))));
        Assert.Equal(["new", "old"], Ids(await Ok(await client.GetAsync("/items/latest?category=toys"))));
        Assert.Equal(["new"], Ids(await Ok(await client.GetAsync("/items/latest?filter=category:outdoor"))));
        Assert.Equal(["old"], Ids(await Ok(await client.GetAsync("/items/latest?category=toys&offset=1"))));
        await Ok(await client.SendAsync(Put("/items/new", """{"hidden": true}""")));
        Assert.Equal(["book", "old"], Ids(await Ok(await client.GetAsync("/items/latest"))));
        // itemknn cannot score an item it never saw: the new items wait for retraining, and say so.
        var put = await Ok(await client.SendAsync(Put("/items/other", """{"features": {"category": "toys"}}""")));
        Assert.Empty(put.GetProperty("recommendedBy").EnumerateArray());
        Assert.DoesNotContain("other", await Recommended(client, "alice"));
    }

    [Fact]
    public async Task Catalogue_writes_need_the_key_and_valid_bodies()
    {
        await using var host = await ServerHost.StartAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Client.SendAsync(Put("/items/x", """{"hidden": true}""", key: null))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Client.SendAsync(Put("/users/u", """{"features": {}}""", key: "wrong"))).StatusCode);
        foreach (var body in new[] { "[1]", "not json", """{"hidden": "yes"}""", """{"features": {"price": {"amount": 1}}}""", """{"timestamp": "yesterday"}""", """{"colour": "red"}""" })
        {
            var response = await host.Client.SendAsync(Put("/items/x", body));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await host.Client.GetAsync("/items/x")).StatusCode); // nothing was stored
        var user = await Ok(await host.Client.SendAsync(Put("/users/newcomer", """{"features": {"country": "NO", "age": 31}}""")));
        Assert.Equal(("NO", "31"), (user.GetProperty("features").GetProperty("country").GetString(), user.GetProperty("features").GetProperty("age").GetString()));
    }

    [Fact]
    public async Task Catalogue_writes_count_against_the_write_rate_limit()
    {
        await using var host = await ServerHost.StartAsync(configure: o => o with { WriteRateLimit = 1, RateLimit = 100 });
        await Ok(await host.Client.SendAsync(Put("/items/x", """{"hidden": true}""")));
        Assert.Equal(HttpStatusCode.TooManyRequests, (await host.Client.SendAsync(Put("/items/x", """{"hidden": false}"""))).StatusCode);
        await Ok(await host.Client.GetAsync("/items/popular")); // reads have their own bucket
    }

    [Fact]
    public async Task Writes_persist_in_the_database_across_a_restart_and_a_reload()
    {
        var model = ServerHost.TrainModel("content");
        var db = Path.Combine(TestPaths.NewTempDirectory(), "trove.db");
        await using (var host = await ServerHost.StartAsync(model, o => o with { DatabasePath = db }))
        {
            var put = await Ok(await host.Client.SendAsync(Put("/items/zine", """{"features": {"title": "Zine", "category": "music", "brand": "acme"}}""")));
            Assert.StartsWith("sqlite", put.GetProperty("store").GetString());
            await Ok(await host.Client.SendAsync(Put("/items/a", """{"hidden": true}""")));
            await Ok(await host.Client.SendAsync(Put("/users/dave", """{"features": {"country": "NO"}}""")));
        }
        await using (var host = await ServerHost.StartAsync(model, o => o with { DatabasePath = db }))
        {
            Assert.Equal("zine", (await Recommended(host.Client, "dave"))[0]);
            Assert.DoesNotContain("a", await Recommended(host.Client, "dave"));
            Assert.Equal(["zine"], Ids(await Ok(await host.Client.GetAsync("/items/latest"))));
            // A reload serves a new model object: the catalogue is applied to it as well.
            File.SetLastWriteTimeUtc(model, DateTime.UtcNow.AddSeconds(5));
            await Ok(await host.Client.SendAsync(host.Post("/admin/reload", "")));
            Assert.Equal("zine", (await Recommended(host.Client, "dave"))[0]);
            Assert.DoesNotContain("a", await Recommended(host.Client, "dave"));
        }
        // The database holds them as training data for the next retraining.
        using var store = InteractionStores.Open(db, createIfMissing: false);
        var data = store.LoadDataset();
        Assert.Equal("music", data.ItemFeatures.Categorical["category"][data.Items.IndexOf("zine")]);
        Assert.Equal("NO", data.UserFeatures.Categorical["country"][data.Users.IndexOf("dave")]);
        Assert.True(store.CatalogueItems().Single(r => r.Id == "a").Hidden);
    }

    [Fact]
    public async Task The_catalogue_answers_under_maptroves_prefix()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddTrove(new ServerOptions { Models = [new ModelSource("content", ServerHost.TrainModel("content"))], ApiKey = ServerHost.Key });
        await using var app = builder.Build();
        app.MapGet("/", () => "shop");
        app.MapTrove("/recs");
        await app.StartAsync();
        var client = app.GetTestClient();
        Assert.Equal(HttpStatusCode.NotFound, (await client.SendAsync(Put("/items/zine", "{}"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(Put("/recs/items/zine", "{}", key: null))).StatusCode);
        await Ok(await client.SendAsync(Put("/recs/items/zine-2", """{"features": {"title": "Zine", "category": "music", "brand": "acme"}}""")));
        Assert.Equal("zine-2", (await Recommended(client, "dave", prefix: "/recs"))[0]);
        Assert.Equal(["zine-2"], Ids(await Ok(await client.GetAsync("/recs/items/latest"))));
        await Ok(await client.SendAsync(Put("/recs/items/zine-2", """{"hidden": true}""")));
        Assert.DoesNotContain("zine-2", await Recommended(client, "dave", prefix: "/recs"));
    }
}
