using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Trove.Tests.Support;

namespace Trove.Tests.Server;

/// <summary>Regressions for the findings of the hostile-input probe (issue 14): bounded state, no 500s, no paths without a key.</summary>
public class HostileInputTests
{
    private static async Task<(HttpStatusCode Status, string Body)> Send(HttpClient client, HttpRequestMessage request)
    {
        var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static HttpRequestMessage Scores(string json) =>
        new(HttpMethod.Post, "/scores") { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    [Theory]
    [InlineData("""{"pairs":[null]}""", "pairs[0]")]
    [InlineData("""{"pairs":[{"user":"alice","item":"a"},null]}""", "pairs[1]")]
    [InlineData("""{"pairs":[{"user":null,"item":"a"}]}""", "pairs[0].user")]
    public async Task Null_pairs_are_400_problems_not_500(string body, string field)
    {
        await using var host = await ServerHost.StartAsync();
        var (status, text) = await Send(host.Client, Scores(body));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(field, JsonDocument.Parse(text).RootElement.GetProperty("errors").EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task Scores_answer_pairs_in_order_and_cap_the_users_per_request()
    {
        await using var host = await ServerHost.StartAsync(configure: o => o with { MaxScoreUsers = 2 });
        var (status, text) = await Send(host.Client, Scores("""{"pairs":[{"user":"alice","item":"d"},{"user":"bob","item":"a"},{"user":"alice","item":"e"}]}"""));
        Assert.Equal(HttpStatusCode.OK, status);
        var scores = JsonDocument.Parse(text).RootElement.GetProperty("scores").EnumerateArray().ToList();
        Assert.Equal(["alice/d", "bob/a", "alice/e"], scores.Select(s => s.GetProperty("user").GetString() + "/" + s.GetProperty("item").GetString()).ToArray());

        // The same scores as the full vector a recommendation ranks by.
        var recs = JsonDocument.Parse(await host.Client.GetStringAsync("/users/alice/recommendations?k=10")).RootElement.GetProperty("items").EnumerateArray()
            .ToDictionary(i => i.GetProperty("item").GetString()!, i => i.GetProperty("score").GetSingle());
        if (recs.TryGetValue("d", out var d)) Assert.Equal(d, scores[0].GetProperty("score").GetSingle(), 5);

        (status, text) = await Send(host.Client, Scores("""{"pairs":[{"user":"alice","item":"d"},{"user":"bob","item":"a"},{"user":"carol","item":"a"}]}"""));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("At most 2 distinct users", text);
    }

    [Fact]
    public async Task Scores_are_the_json_the_serializer_writes_for_the_response_records_whatever_the_ids_hold()
    {
        // Ids that the writer must escape (markup, quotes, non-ASCII, a slash, a plus): POST /scores is written by hand
        // (PairScoresEndpoint), so its bytes are compared with what System.Text.Json makes of ScoresResponse with the app's settings.
        var toy = ServerHost.Toy();
        var data = new Trove.Core.Data.Dataset(new Trove.Core.Data.IdMap(["al<i>ce", "bö\"b", "carol", "dave", "erin", "frank"]),
            new Trove.Core.Data.IdMap(["a&b", "ü+1", "c", "d/e", "e", "f", "g", "h"]), toy.Interactions, itemFeatures: toy.ItemFeatures);
        await using var host = await ServerHost.StartAsync(ServerHost.TrainModel("als", data, parameters: new Dictionary<string, string> { ["factors"] = "4" }));
        // Property names in any case, unknown properties (nested too) ignored, ids escaped in the request: as the serializer reads them.
        var request = """{"Pairs":[{"USER":"al<i>ce","item":"a&b","extra":{"x":[1,2,{"y":null}]}},{"user":"b\u00f6\"b","\u0069tem":"\u00fc+1"},""" +
                      """{"user":"al\u003Ci>ce","item":"d/e"},{"item":"c","user":"carol"}],"model":null,"ignored":true}""";
        var (status, text) = await Send(host.Client, Scores(request));
        Assert.Equal(HttpStatusCode.OK, status);
        var root = JsonDocument.Parse(text).RootElement;
        var pairs = root.GetProperty("scores").EnumerateArray()
            .Select(s => new Trove.Server.Http.PairScore(s.GetProperty("user").GetString()!, s.GetProperty("item").GetString()!, s.GetProperty("score").GetSingle(), s.GetProperty("hidden").GetBoolean()))
            .ToArray();
        Assert.Equal(["al<i>ce/a&b", "bö\"b/ü+1", "al<i>ce/d/e", "carol/c"], pairs.Select(p => p.User + "/" + p.Item).ToArray());
        var options = host.App.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
        var expected = JsonSerializer.Serialize(new Trove.Server.Http.ScoresResponse(root.GetProperty("model").GetString()!, root.GetProperty("modelVersion").GetString()!, pairs), options);
        Assert.Equal(expected, text);

        // The scores are the model's: the same as the ranking of a recommendation request.
        var recs = JsonDocument.Parse(await host.Client.GetStringAsync("/users/carol/recommendations?k=8&excludeSeen=false")).RootElement.GetProperty("items").EnumerateArray()
            .ToDictionary(i => i.GetProperty("item").GetString()!, i => i.GetProperty("score").GetSingle());
        Assert.Equal(recs["c"], pairs[3].Score, 5);
    }

    [Theory]
    [InlineData("""{"pairs":[{"user":"alice","item":"d"}]} {}""", "body")]
    [InlineData("""[{"user":"alice","item":"d"}]""", "body")]
    [InlineData("""{"pairs":[{"user":"alice","item":"d"}],"model":["als"]}""", "model")]
    [InlineData("""{"pairs":[5]}""", "pairs[0]")]
    [InlineData("""{"pairs":[{"user":"alice","item":{"id":"d"}}]}""", "pairs[0].item")]
    [InlineData("""{"pairs":[{"user":"alice","item":"d"},{"user":"alice"}]}""", "pairs[1].item")]
    [InlineData("""{"pairs":[{"user":"alice","item":"d","user":null}]}""", "pairs[0].user")]
    public async Task Score_requests_of_the_wrong_shape_are_400_problems_naming_the_field(string body, string field)
    {
        await using var host = await ServerHost.StartAsync();
        var (status, text) = await Send(host.Client, Scores(body));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(field, JsonDocument.Parse(text).RootElement.GetProperty("errors").EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task Score_requests_that_are_not_json_are_415_problems()
    {
        await using var host = await ServerHost.StartAsync();
        var response = await host.Client.PostAsync("/scores", new StringContent("""{"pairs":[{"user":"alice","item":"d"}]}""", Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task With_a_rate_limit_each_scored_user_costs_a_request()
    {
        await using var host = await ServerHost.StartAsync(configure: o => o with { RateLimit = 3 });
        // Three users cost three permits: the bucket of three is empty afterwards.
        var (status, _) = await Send(host.Client, Scores("""{"pairs":[{"user":"alice","item":"d"},{"user":"bob","item":"a"},{"user":"carol","item":"a"}]}"""));
        Assert.Equal(HttpStatusCode.OK, status);
        var next = await host.Client.GetAsync("/users/alice/recommendations");
        Assert.Equal(HttpStatusCode.TooManyRequests, next.StatusCode);
    }

    [Fact]
    public async Task Made_up_methods_do_not_grow_the_metrics()
    {
        await using var host = await ServerHost.StartAsync();
        for (int i = 0; i < 50; i++)
            await host.Client.SendAsync(new HttpRequestMessage(new HttpMethod($"FOO{i}"), "/health"));
        for (int i = 0; i < 50; i++)
            await host.Client.GetAsync($"/no/such/path/{i}");
        var metrics = await host.Client.GetStringAsync("/metrics");
        Assert.DoesNotContain("FOO", metrics);
        Assert.Contains("method=\"OTHER\"", metrics);
        Assert.DoesNotContain("/no/such/path", metrics);
        var methods = PrometheusText.LabelValues(metrics, "trove_http_request_duration_seconds_count", "method");
        Assert.Subset(new HashSet<string> { "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "OTHER" }, methods);
    }

    [Fact]
    public async Task No_absolute_path_is_shown_without_a_key()
    {
        var model = ServerHost.TrainModel();
        var db = Path.Combine(TestPaths.NewTempDirectory(), "events.db");
        await using var host = await ServerHost.StartAsync(model, o => o with { DatabasePath = db });
        var directory = Path.GetDirectoryName(model)!;
        foreach (var url in new[] { "/models", "/ready", "/api/stats" })
        {
            var body = await host.Client.GetStringAsync(url);
            Assert.DoesNotContain(directory, body);
            Assert.DoesNotContain(Path.GetDirectoryName(db)!, body);
        }
        var (status, posted) = await Send(host.Client, host.Post("/events", """{"user":"alice","item":"c","event":"view"}"""));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.DoesNotContain(Path.GetDirectoryName(db)!, posted);
        Assert.Contains("events.db", posted);
    }

    [Fact]
    public async Task Reloads_of_an_unchanged_file_are_coalesced_and_a_replaced_model_stops_its_index_build()
    {
        var path = ServerHost.TrainModel("als", parameters: new Dictionary<string, string> { ["factors"] = "8", ["iterations"] = "2" });
        await using var host = await ServerHost.StartAsync(path, o => o with { HnswMinItems = 1 });
        var catalog = (Trove.Server.Models.ModelCatalog)host.App.Services.GetService(typeof(Trove.Server.Models.ModelCatalog))!;
        var first = catalog.Current.Default!;

        // Eight reloads of the same file: one model, one index build.
        for (int i = 0; i < 8; i++) catalog.Reload();
        Assert.Same(first, catalog.Current.Default);
        Assert.False(first.IsRetired);

        // A changed file replaces the model, and the old one is told to stop its background work.
        ServerHost.TrainModel("als", path: path, parameters: new Dictionary<string, string> { ["factors"] = "8", ["iterations"] = "3" });
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddSeconds(5)); // a different time even on coarse file-system clocks
        catalog.Reload();
        var second = catalog.Current.Default!;
        Assert.NotSame(first, second);
        Assert.True(first.IsRetired);
        await first.IndexReady.WaitAsync(TimeSpan.FromSeconds(30)); // finishes (built or cancelled), never faults
        await second.IndexReady.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotNull(second.RecommendationIndex);
    }

    /// <summary>On Kestrel (the in-memory test server does not keep the raw request target that tells the two apart).</summary>
    [Fact]
    public async Task Ids_are_percent_encoded_path_segments_so_a_slash_and_a_literal_escape_are_two_users()
    {
        await using var host = await ServerHost.StartAsync(realPort: true);
        var posted = await host.Client.SendAsync(host.Post("/events",
            """[{"user":"a/b","item":"c","event":"purchase"},{"user":"a%2Fb","item":"d","event":"view"},{"user":"a%2Fb","item":"e","event":"view"}]"""));
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        foreach (var (user, events) in new[] { ("a/b", 1), ("a%2Fb", 2) })
        {
            var response = await host.Client.GetAsync($"/users/{Uri.EscapeDataString(user)}/history");
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, body);
            var history = JsonDocument.Parse(body).RootElement;
            Assert.Equal(user, history.GetProperty("user").GetString());
            Assert.Equal(events, history.GetProperty("events").GetArrayLength());
        }
    }

    [Fact]
    public async Task Live_events_in_memory_are_bounded_and_evicted_users_come_back_from_the_database()
    {
        var db = Path.Combine(TestPaths.NewTempDirectory(), "events.db");
        using (var store = Trove.Data.Stores.SqliteStore.Open(db)) store.Import(ServerHost.Toy());
        await using var host = await ServerHost.StartAsync(configure: o => o with { DatabasePath = db, MaxEventsInMemory = 100 });
        for (int batch = 0; batch < 20; batch++)
        {
            var events = string.Join(",", Enumerable.Range(0, 10).Select(i => $$"""{"user":"visitor{{batch}}","item":"{{"abcdefgh"[i % 8]}}","event":"view"}"""));
            Assert.Equal(HttpStatusCode.OK, (await host.Client.SendAsync(host.Post("/events", $"[{events}]"))).StatusCode);
        }
        var ready = JsonDocument.Parse(await host.Client.GetStringAsync("/ready")).RootElement;
        Assert.Equal(100, ready.GetProperty("maxEventsInMemory").GetInt64());
        Assert.InRange(ready.GetProperty("events").GetInt64(), 1, 100);
        Assert.True(ready.GetProperty("evictedEvents").GetInt64() >= 100);
        Assert.Equal(100, PrometheusText.Value(await host.Client.GetStringAsync("/metrics"), "trove_events_memory_limit"));

        // visitor0 wrote first, so it was evicted; its 10 acknowledged events are read back from the database.
        var history = JsonDocument.Parse(await host.Client.GetStringAsync("/users/visitor0/history")).RootElement;
        Assert.Equal(10, history.GetProperty("events").GetArrayLength());
        var recs = JsonDocument.Parse(await host.Client.GetStringAsync("/users/visitor0/recommendations?k=3")).RootElement;
        Assert.False(recs.GetProperty("coldStart").GetBoolean());
    }

    [Fact]
    public async Task Without_a_database_memory_stays_within_the_bound()
    {
        var store = new Trove.Server.Events.InMemoryEventStore(maxPerUser: 50, maxEvents: 1000);
        var evicted = new List<string>();
        store.Evicted = u => { lock (evicted) evicted.Add(u); };
        await Parallel.ForEachAsync(Enumerable.Range(0, 400), async (u, cancel) =>
            await store.AppendAsync(Enumerable.Range(0, 10).Select(i => new Trove.Server.Events.UserEvent($"u{u}", $"i{i}", "view", 0.1f, DateTimeOffset.UnixEpoch, DateTimeOffset.UtcNow)).ToList(), cancel));
        Assert.InRange(store.Count, 1, 1000);
        Assert.Equal(4000, store.Count + store.EvictedEvents);
        Assert.NotEmpty(evicted);
        // A user evicted while its batch was being added keeps only the later part: never more than it sent.
        foreach (int u in Enumerable.Range(0, 400))
            Assert.InRange((await store.ForUserAsync($"u{u}")).Count, 0, 10);
    }
}
