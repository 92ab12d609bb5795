using System.Text.Json;
using System.Text.Json.Nodes;
using Trove.Tests.Support;

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
        Assert.True(operations.Count >= 13, $"{operations.Count} operations");
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
        // Reads say explicitly that they need no key: one empty requirement.
        var read = operations["get /users/{user}/recommendations"].GetProperty("security");
        Assert.Equal(JsonValueKind.Object, Assert.Single(read.EnumerateArray()).ValueKind);
        Assert.Empty(read[0].EnumerateObject());
    }

    /// <summary>
    /// docs/openapi.json is the document users generate clients from, and the one the generated-client tests are
    /// compiled against at build time; it must be what the server serves. After an API change, regenerate it with
    /// <c>TROVE_UPDATE_OPENAPI=1 dotnet test --filter The_committed_document_is_the_served_one</c>.
    /// </summary>
    [Fact]
    public async Task The_committed_document_is_the_served_one()
    {
        var served = JsonNode.Parse((await Document()).GetRawText())!.AsObject();
        var text = served.ToJsonString(new JsonSerializerOptions { WriteIndented = true }).ReplaceLineEndings("\n") + "\n";
        var path = Path.Combine(TestPaths.RepositoryRoot, "docs", "openapi.json");
        if (Environment.GetEnvironmentVariable("TROVE_UPDATE_OPENAPI") == "1") File.WriteAllText(path, text);
        Assert.True(File.Exists(path) && File.ReadAllText(path).ReplaceLineEndings("\n") == text,
            "docs/openapi.json differs from the served document: run TROVE_UPDATE_OPENAPI=1 dotnet test --filter The_committed_document_is_the_served_one");
    }
}
