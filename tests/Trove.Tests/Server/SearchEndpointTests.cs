using System.Net;
using System.Text.Json;

namespace Trove.Tests.Server;

/// <summary>GET /items/search over the toy model: found by labels and titles, filtered, personalised, bad input as 400 problems, in the OpenAPI document.</summary>
public class SearchEndpointTests
{
    private static async Task<JsonElement> Json(HttpResponseMessage response, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static string[] Items(JsonElement result) => result.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()!).ToArray();

    [Fact]
    public async Task Search_finds_filters_personalises_and_refuses_bad_input_with_problem_details()
    {
        await using var host = await ServerHost.StartAsync();
        var books = await Json(await host.Client.GetAsync("/items/search?q=books&mode=sparse&k=5"));
        Assert.Equal(["a", "b", "c"], Items(books).Order());
        Assert.Equal("sparse", books.GetProperty("mode").GetString());

        var hybrid = await Json(await host.Client.GetAsync("/items/search?q=Cosmos"));
        Assert.Equal("c", Items(hybrid)[0]);
        Assert.Equal("hybrid", hybrid.GetProperty("mode").GetString());
        Assert.Equal("Cosmos", hybrid.GetProperty("items")[0].GetProperty("title").GetString());

        var toys = await Json(await host.Client.GetAsync("/items/search?q=zenith&mode=sparse&filter=category:toys"));
        Assert.Equal(["g"], Items(toys));

        var personal = await Json(await host.Client.GetAsync("/items/search?q=acme&mode=sparse&user=dave&personalWeight=1&k=8"));
        Assert.All(personal.GetProperty("items").EnumerateArray(), i => Assert.Equal(JsonValueKind.Number, i.GetProperty("userScore").ValueKind));
        var userScores = personal.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("userScore").GetSingle()).ToArray();
        Assert.Equal(userScores.OrderDescending(), userScores); // weight 1: the user's order

        foreach (var (url, field) in new[]
                 {
                     ("/items/search", "q"), ("/items/search?q=%20", "q"), ("/items/search?q=a&mode=fuzzy", "mode"), ("/items/search?q=a&k=0", "k"),
                     ("/items/search?q=a&personalWeight=2", "query"), ("/items/search?q=a&filter=colour:red", "filter"), ("/items/search?q=" + new string('x', 1001), "q"),
                     ("/items/search?q=a&fusion=borda", "fusion"), ("/items/search?q=a&fusion=minmax&denseWeight=0&sparseWeight=0", "query"),
                 })
        {
            var problem = await Json(await host.Client.GetAsync(url), HttpStatusCode.BadRequest);
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{url}: {problem}");
        }
        // Every fusion and the adaptive BM25 weight are accepted and still find the title's item first.
        foreach (var fusion in new[] { "rrf", "minmax", "dbsf" })
            foreach (var adaptive in new[] { "true", "false" })
                Assert.Equal("c", Items(await Json(await host.Client.GetAsync($"/items/search?q=Cosmos&fusion={fusion}&adaptive={adaptive}&denseWeight=2")))[0]);
        await Json(await host.Client.GetAsync("/items/search?q=a&user=nobody"), HttpStatusCode.NotFound);
        await Json(await host.Client.GetAsync("/items/search?q=a&model=nope"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_endpoint_is_in_the_openapi_document_with_an_operation_id_and_a_typed_response()
    {
        await using var host = await ServerHost.StartAsync();
        var openapi = await Json(await host.Client.GetAsync("/openapi/v1.json"));
        var get = openapi.GetProperty("paths").GetProperty("/items/search").GetProperty("get");
        Assert.Equal("SearchItems", get.GetProperty("operationId").GetString());
        var schema = get.GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("schema");
        Assert.EndsWith("SearchResponse", schema.GetProperty("$ref").GetString());
        Assert.True(get.GetProperty("responses").TryGetProperty("400", out _));
        var parameters = get.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToArray();
        foreach (var name in new[] { "q", "user", "k", "mode", "fusion", "adaptive", "denseWeight", "sparseWeight" }) Assert.Contains(name, parameters, StringComparer.OrdinalIgnoreCase);
    }
}
