using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Trove.Tests.Server;

/// <summary>
/// Requests generated from the OpenAPI document, a few hundred per operation: path ids (known, unknown, empty, long,
/// escapes, control characters, non-ASCII), query values (edge numbers, wrong types, huge strings) and bodies (nulls,
/// wrong types, huge arrays, deep nesting, invalid UTF-8), with and without the key. No answer may be a 5xx, and none
/// may take more than 2 seconds.
/// </summary>
[Collection(Support.AloneCollection.Name)]
public class OpenApiRequestFuzzTests
{
    private const int RequestsPerOperation = 250;

    private static readonly string[] Ids =
        ["alice", "a", "zz-unknown", " ", "%", "%2F", "a%2Fb", "..", "ü-ñ-日本", "\u0001", "null", new string('x', 300), "' OR 1=1 --", "<script>"];

    private static readonly string[] QueryValues =
        ["", "0", "1", "-1", "3", "1001", "2147483648", "99999999999999999999", "1.5", "NaN", "abc", "true", "false", "exact", "hnsw", "popular",
         "category:x", "genre:", ":", "a,b,c", new string('k', 5000), "%00", "\u00e9"];

    private static string Body(Random r)
    {
        string Id() => JsonSerializer.Serialize(Ids[r.Next(Ids.Length)]);
        string Pair() => r.Next(6) switch
        {
            0 => "null",
            1 => "42",
            2 => $$"""{"user":{{Id()}}}""",
            3 => $$"""{"user":{{Id()}},"item":[1,2]}""",
            _ => $$"""{"user":{{Id()}},"item":{{Id()}}}""",
        };
        string Event() => r.Next(6) switch
        {
            0 => "null",
            1 => $$"""{"user":{{Id()}},"item":{{Id()}},"event":"view","timestamp":{{r.Next(3) switch { 0 => "-5", 1 => "99999999999999999999", _ => "\"2026-13-40\"" }}}}""",
            2 => $$"""{"user":{{Id()}},"item":{{Id()}},"event":{{Id()}}}""",
            3 => $$"""{"user":{{Id()}},"item":{{Id()}},"event":"purchase","weight":1e39}""",
            _ => $$"""{"user":{{Id()}},"item":{{Id()}},"event":"view"}""",
        };
        int n = r.Next(5) == 0 ? 20_000 : r.Next(1, 6);
        return r.Next(12) switch
        {
            0 => "",
            1 => "null",
            2 => "[]",
            3 => "{}",
            4 => new string('[', 5000) + new string(']', 5000),
            5 => $$"""{"pairs":[{{string.Join(",", Enumerable.Range(0, n).Select(_ => Pair()))}}]}""",
            6 => $$"""{"pairs":{{Pair()}}}""",
            7 => $"[{string.Join(",", Enumerable.Range(0, n).Select(_ => Event()))}]",
            8 => Event(),
            9 => $$"""{"model":{{Id()}},"pairs":[{{Pair()}}]}""",
            10 => "{\"pairs\": [{\"user\": \"a\u0000b\", \"item\": \"c\"}]}",
            _ => "{not json",
        };
    }

    [Fact]
    public async Task No_generated_request_gets_a_5xx_or_takes_over_2_seconds()
    {
        await using var host = await ServerHost.StartAsync();
        var doc = JsonDocument.Parse(await host.Client.GetStringAsync("/openapi/v1.json")).RootElement;
        // One untimed request per operation first: the first call of an endpoint also compiles its code.
        foreach (var path in doc.GetProperty("paths").EnumerateObject())
            foreach (var method in path.Value.EnumerateObject())
            {
                using var warmUp = new HttpRequestMessage(new HttpMethod(method.Name.ToUpperInvariant()), path.Name.Replace("{user}", "alice").Replace("{item}", "a"));
                using var _ = await host.Client.SendAsync(warmUp);
            }
        var random = new Random(14);
        var failures = new List<string>();
        int sent = 0;
        foreach (var path in doc.GetProperty("paths").EnumerateObject())
            foreach (var method in path.Value.EnumerateObject())
            {
                var parameters = method.Value.TryGetProperty("parameters", out var ps) ? ps.EnumerateArray().ToList() : [];
                bool hasBody = method.Value.TryGetProperty("requestBody", out _);
                for (int n = 0; n < RequestsPerOperation; n++)
                {
                    var url = path.Name;
                    var query = new List<string>();
                    foreach (var p in parameters)
                    {
                        string name = p.GetProperty("name").GetString()!;
                        if (p.GetProperty("in").GetString() == "path")
                            url = url.Replace("{" + name + "}", Uri.EscapeDataString(Ids[random.Next(Ids.Length)]));
                        else if (random.Next(3) > 0)
                            query.Add($"{Uri.EscapeDataString(name)}={Uri.EscapeDataString(QueryValues[random.Next(QueryValues.Length)])}");
                    }
                    if (query.Count > 0) url += "?" + string.Join("&", query);
                    using var request = new HttpRequestMessage(new HttpMethod(method.Name.ToUpperInvariant()), url);
                    if (hasBody || random.Next(10) == 0)
                    {
                        var body = Encoding.UTF8.GetBytes(Body(random));
                        if (random.Next(15) == 0) body = [.. body, 0xC0, 0x80, 0xFF]; // invalid UTF-8
                        request.Content = new ByteArrayContent(body);
                        request.Content.Headers.TryAddWithoutValidation("Content-Type", random.Next(8) == 0 ? "text/plain" : "application/json");
                    }
                    if (random.Next(3) > 0) request.Headers.Add("X-Api-Key", random.Next(5) == 0 ? "wrong" : ServerHost.Key);
                    var clock = Stopwatch.StartNew();
                    using var response = await host.Client.SendAsync(request);
                    var seconds = clock.Elapsed.TotalSeconds;
                    sent++;
                    if ((int)response.StatusCode >= 500 || seconds > 2)
                        failures.Add($"{method.Name.ToUpperInvariant()} {Shorten(url)} -> {(int)response.StatusCode} in {seconds:F2} s: {Shorten(await response.Content.ReadAsStringAsync())}");
                }
            }
        Assert.True(sent >= 13 * RequestsPerOperation, $"only {sent} requests");
        Assert.True(failures.Count == 0, $"{failures.Count} of {sent} requests failed:\n" + string.Join("\n", failures.Distinct().Take(20)));
    }

    private static string Shorten(string s) => s.Length > 160 ? s[..160] + "..." : s;
}
