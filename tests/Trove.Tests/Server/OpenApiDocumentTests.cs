using System.Text.Json;

namespace Trove.Tests.Server;

/// <summary>
/// The OpenAPI document is what client generators read (NSwag, Kiota): named operations, numbers typed as numbers
/// (not object/anyOf, which made generated clients throw or drop scores), the API-key scheme on the write operations,
/// and a typed body for every successful response.
/// </summary>
public class OpenApiDocumentTests
{
    private static async Task<JsonElement> Document()
    {
        await using var host = await ServerHost.StartAsync();
        return JsonDocument.Parse(await host.Client.GetStringAsync("/openapi/v1.json")).RootElement.Clone();
    }

    private static IEnumerable<(string Path, string Method, JsonElement Operation)> Operations(JsonElement doc) =>
        doc.GetProperty("paths").EnumerateObject().SelectMany(p => p.Value.EnumerateObject().Select(m => (p.Name, m.Name, m.Value)));

    [Fact]
    public async Task Every_operation_has_a_unique_operation_id_a_summary_and_a_typed_success_response()
    {
        var doc = await Document();
        var operations = Operations(doc).ToList();
        Assert.True(operations.Count >= 14, $"{operations.Count} operations");
        var ids = operations.Select(o => o.Operation.TryGetProperty("operationId", out var id) ? id.GetString() : null).ToList();
        Assert.All(ids, id => Assert.False(string.IsNullOrEmpty(id)));
        Assert.Equal(ids.Count, ids.Distinct().Count());
        foreach (var (path, method, op) in operations)
        {
            Assert.True(op.TryGetProperty("summary", out _), $"{method} {path} has no summary");
            var ok = op.GetProperty("responses").GetProperty("200");
            Assert.True(ok.TryGetProperty("content", out var content) && content.EnumerateObject().Any(c => c.Value.TryGetProperty("schema", out _)),
                $"{method} {path}: the 200 response has no schema");
        }
        Assert.DoesNotContain(operations, o => o.Path.StartsWith("/api/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Scores_are_numbers_not_objects()
    {
        var doc = await Document();
        var schemas = doc.GetProperty("components").GetProperty("schemas");
        Assert.DoesNotContain("\"NaN\"", schemas.GetRawText());
        foreach (var (schema, property) in new[] { ("RecommendedItem", "score"), ("PairScore", "score"), ("Neighbour", "score") })
        {
            var p = schemas.GetProperty(schema).GetProperty("properties").GetProperty(property);
            Assert.Equal("number", p.GetProperty("type").GetString());
            Assert.False(p.TryGetProperty("anyOf", out _), $"{schema}.{property} is anyOf");
        }
    }

    [Fact]
    public async Task Write_operations_declare_the_api_key_scheme()
    {
        var doc = await Document();
        var scheme = doc.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey");
        Assert.Equal("apiKey", scheme.GetProperty("type").GetString());
        Assert.Equal("header", scheme.GetProperty("in").GetString());
        Assert.Equal("X-Api-Key", scheme.GetProperty("name").GetString());
        var operations = Operations(doc).ToDictionary(o => $"{o.Method} {o.Path}", o => o.Operation);
        foreach (var write in new[] { "post /events", "post /admin/reload" })
            Assert.Contains("ApiKey", operations[write].GetProperty("security").GetRawText());
        Assert.False(operations["get /users/{user}/recommendations"].TryGetProperty("security", out _));
    }
}
