using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging;
using Trove.Server.Http;

namespace Trove.Tests.Server;

/// <summary>
/// API hardening of `trove serve` (docs/RELIABILITY.md, "API hardening"): keys kept out of logs, rate limits,
/// input validation as problem details (never 500), no path traversal, CORS off unless asked, security headers.
/// </summary>
public class HardeningTests
{
    private static async Task<JsonElement> Problem(HttpResponseMessage response, HttpStatusCode expected, string? request = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{request}: expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement.Clone();
        Assert.Equal((int)expected, problem.GetProperty("status").GetInt32());
        return problem;
    }

    /// <summary>A client of the in-process server whose requests come from <paramref name="ip"/>.</summary>
    private static HttpClient ClientFrom(ServerHost host, string ip)
    {
        var server = host.App.GetTestServer();
        return new HttpClient(server.CreateHandler(c => c.Connection.RemoteIpAddress = IPAddress.Parse(ip))) { BaseAddress = server.BaseAddress };
    }

    [Fact]
    public async Task Api_keys_never_appear_in_the_log_of_start_requests_or_refusals()
    {
        const string key = "k3y-Given-At-Start-7f1c", wrong = "not-the-k3y-91ab";
        var log = new CapturingLoggerProvider();
        var model = ServerHost.TrainModel();
        var options = new Trove.Server.ServerOptions { Models = [new Trove.Server.ModelSource("knn", model)], ApiKey = key, Port = 0 };
        var app = Trove.Server.TroveServer.Build(options, b =>
        {
            b.WebHost.UseTestServer();
            b.Logging.AddProvider(log);
            b.Logging.AddFilter<CapturingLoggerProvider>(null, LogLevel.Trace); // everything, framework request logs included
        });
        await app.StartAsync();
        try
        {
            var client = app.GetTestClient();
            foreach (var (url, body, given) in new[]
                     {
                         ("/events", """{"user":"alice","item":"c","event":"view"}""", key),
                         ("/events", """{"user":"alice","item":"c","event":"view"}""", wrong),
                         ("/events", """{"user":"alice","event":"view"}""", key), // invalid: 400
                         ("/admin/reload", "", key),
                         ("/admin/reload?model=nope", "", key),
                     })
            {
                var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                request.Headers.Add("X-Api-Key", given);
                var response = await client.SendAsync(request);
                Assert.DoesNotContain(given, await response.Content.ReadAsStringAsync());
            }
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
        var lines = log.Lines;
        Assert.Contains(lines, l => l.Contains("serving model knn")); // start-up was captured...
        Assert.Contains(lines, l => l.Contains("/events")); // ...and the requests (hosting logs at Information/Debug)
        Assert.DoesNotContain(lines, l => l.Contains(key) || l.Contains(wrong));
    }

    [Fact]
    public async Task Rate_limits_refuse_with_429_problems_and_retry_after_per_client_ip_with_writes_counted_apart()
    {
        // Below one request per second the bucket holds one token, refilled after 1/rate seconds: no refill during the test.
        await using var host = await ServerHost.StartAsync(configure: o => o with { RateLimit = 0.1, WriteRateLimit = 0.1 });
        using var a = ClientFrom(host, "10.0.0.1");
        using var b = ClientFrom(host, "10.0.0.2");

        Assert.Equal(HttpStatusCode.OK, (await a.GetAsync("/users/alice/recommendations")).StatusCode);
        var refused = await a.GetAsync("/items/a/similar");
        var problem = await Problem(refused, HttpStatusCode.TooManyRequests);
        Assert.Equal("Too many requests", problem.GetProperty("title").GetString());
        var retryAfter = int.Parse(refused.Headers.GetValues("Retry-After").Single());
        Assert.InRange(retryAfter, 1, 10);

        // Another client has its own bucket; health, readiness and metrics have a bucket of their own, not the exhausted one.
        Assert.Equal(HttpStatusCode.OK, (await b.GetAsync("/users/alice/recommendations")).StatusCode);
        foreach (var url in new[] { "/health", "/ready", "/metrics", "/health" })
            Assert.Equal(HttpStatusCode.OK, (await a.GetAsync(url)).StatusCode);
        // ...which is generous but bounded: a flood of probes from one client is refused once it is spent.
        int answered = 0;
        HttpStatusCode last = HttpStatusCode.OK;
        while (answered < 20 * Hardening.ProbesPerSecond && (last = (await b.GetAsync("/health")).StatusCode) == HttpStatusCode.OK) answered++;
        Assert.Equal(HttpStatusCode.TooManyRequests, last);
        Assert.True(answered >= Hardening.ProbesPerSecond, $"{answered} probes answered before the first refusal");

        // Writes have their own bucket: the exhausted read bucket does not block the first write, the second write is refused.
        Assert.Equal(HttpStatusCode.OK, (await a.SendAsync(host.Post("/events", """{"user":"alice","item":"c","event":"view"}"""))).StatusCode);
        var second = await a.SendAsync(host.Post("/events", """{"user":"alice","item":"d","event":"view"}"""));
        await Problem(second, HttpStatusCode.TooManyRequests);
        Assert.True(second.Headers.Contains("Retry-After"));
        // The refused event was not stored: d is still recommended to alice (asked by a third client, whose bucket is full).
        using var c = ClientFrom(host, "10.0.0.3");
        var recs = JsonDocument.Parse(await c.GetStringAsync("/users/alice/recommendations?k=8")).RootElement;
        Assert.Contains("d", recs.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()));
        Assert.DoesNotContain("c", recs.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()));
    }

    [Fact]
    public async Task Without_limits_a_burst_of_requests_is_all_served()
    {
        await using var host = await ServerHost.StartAsync();
        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => host.Client.GetAsync("/users/alice/recommendations")));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
    }

    public static TheoryData<string, string, string?, int> BadRequests() => new()
    {
        // method, url, body, expected status
        { "GET", "/users/alice/recommendations?k=NaN", null, 400 },
        { "GET", "/users/alice/recommendations?k=99999999999999", null, 400 },
        { "GET", "/users/alice/recommendations?k=2147483647", null, 400 },
        { "GET", "/users/alice/recommendations?k=10&offset=2147483647", null, 400 },
        { "GET", "/users/alice/recommendations?k=1e3", null, 400 },
        { "GET", "/users/alice/recommendations?offset=-5", null, 400 },
        { "GET", "/users/alice/recommendations?excludeSeen=maybe", null, 400 },
        { "GET", "/users/alice/recommendations?filter=nocolon", null, 400 },
        { "GET", "/users/alice/recommendations?model=%00", null, 400 },
        { "GET", "/users/alice/recommendations?model=" + new string('m', 300), null, 400 },
        { "GET", "/users/" + new string('u', 300) + "/recommendations", null, 400 },
        { "GET", "/users/al%0Aice/history", null, 400 },
        { "GET", "/users/%1B%5B31m/similar", null, 400 },
        { "GET", "/users/alice/similar?k=-1", null, 400 },
        { "GET", "/items/a%01/similar", null, 400 },
        { "GET", "/items/a/similar?k=NaN", null, 400 },
        { "GET", "/items/" + new string('i', 257), null, 400 },
        { "GET", "/items/a%7F/embedding", null, 400 },
        { "POST", "/events", "{not json", 400 },
        { "POST", "/events", "", 400 },
        { "POST", "/events", "null", 400 },
        { "POST", "/events", """{"user":{"id":1},"item":"c","event":"view"}""", 400 },
        { "POST", "/events", """{"user":"alice","item":["c"],"event":"view"}""", 400 },
        { "POST", "/events", """{"user":"alice","item":"c","event":42}""", 400 },
        { "POST", "/events", """{"user":"al\u0000ice","item":"c","event":"view"}""", 400 },
        { "POST", "/events", """{"user":"alice","item":"c\nd","event":"view"}""", 400 },
        { "POST", "/events", """{"user":"\ud800","item":"c","event":"view"}""", 400 },
        { "POST", "/events", "{\"user\":\"" + new string('u', 257) + "\",\"item\":\"c\",\"event\":\"view\"}", 400 },
        { "POST", "/events", """{"user":"alice","item":"c","event":"view","timestamp":"NaN"}""", 400 },
        { "POST", "/events", """{"user":"alice","item":"c","event":"view","timestamp":1e400}""", 400 },
        { "POST", "/events", """{"user":"alice","item":"c","event":"view","timestamp":-1}""", 400 },
        { "POST", "/scores", """{"pairs":[{"user":"\udc00x","item":"a"}]}""", 400 },
        { "POST", "/scores", "{not json", 400 },
        { "POST", "/scores", "", 400 },
        { "POST", "/scores", """{"pairs":5}""", 400 },
        { "POST", "/scores", """{"pairs":[{"user":1,"item":"a"}]}""", 400 },
        { "POST", "/scores", """{"pairs":[{"user":"al\u0001ice","item":"a"}]}""", 400 },
        { "POST", "/scores", """{"pairs":[{"user":"alice","item":NaN}]}""", 400 },
        { "POST", "/scores", """{"model":7,"pairs":[{"user":"alice","item":"a"}]}""", 400 },
        { "POST", "/admin/reload?model=..%2F..%2Fetc%2Fpasswd", "", 404 },
        { "POST", "/admin/reload?model=/etc/passwd", "", 404 },
    };

    [Theory, MemberData(nameof(BadRequests))]
    public async Task Malformed_input_is_a_problem_details_4xx_never_a_500(string method, string url, string? body, int status)
    {
        await using var host = await ServerHost.StartAsync();
        var request = body is null ? new HttpRequestMessage(new HttpMethod(method), url) : host.Post(url, body);
        await Problem(await host.Client.SendAsync(request), (HttpStatusCode)status, $"{method} {url} {body}");
        // The server is unharmed.
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/users/alice/recommendations")).StatusCode);
    }

    [Fact]
    public async Task Bodies_over_the_limit_are_413_problems_on_a_real_socket()
    {
        await using var host = await ServerHost.StartAsync(configure: o => o with { MaxRequestBytes = 2000 }, realPort: true);
        var pairs = "{\"pairs\":[" + string.Join(",", Enumerable.Repeat("""{"user":"alice","item":"a"}""", 200)) + "]}";
        await Problem(await host.Client.SendAsync(host.Post("/scores", pairs)), HttpStatusCode.RequestEntityTooLarge, "POST /scores");
        // Chunked (no Content-Length): the limit holds while reading.
        var events = "[" + string.Join(",", Enumerable.Repeat("""{"user":"alice","item":"c","event":"view"}""", 200)) + "]";
        // Sent in one write over a raw socket: the server answers 413 and closes as soon as the limit is passed, and a
        // client still writing its body then (HttpClient writes chunk by chunk) fails with a broken pipe before it reads
        // the answer; that race is the client's, not the server's.
        var server = host.Client.BaseAddress!;
        var request = $"POST /events HTTP/1.1\r\nHost: {server.Authority}\r\nX-Api-Key: {ServerHost.Key}\r\n"
            + $"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{Encoding.UTF8.GetByteCount(events):x}\r\n{events}\r\n0\r\n\r\n";
        var (status, answer) = await FirstAnswer(server, request);
        Assert.True(status == 413, $"POST /events chunked: expected 413, got {status}: {answer}");
        Assert.Equal(413, JsonDocument.Parse(answer).RootElement.GetProperty("status").GetInt32());
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/users/alice/recommendations")).StatusCode);
    }

    [Fact]
    public async Task Over_long_targets_and_header_blocks_are_problem_details_on_a_real_socket()
    {
        await using var host = await ServerHost.StartAsync(realPort: true);
        var longQuery = "/users/alice/recommendations?exclude=" + string.Join(",", Enumerable.Repeat("item", Hardening.MaxRequestTarget / 4));
        var problem = await Problem(await host.Client.GetAsync(longQuery), HttpStatusCode.RequestUriTooLong, "long target");
        Assert.Equal("Request target too long", problem.GetProperty("title").GetString());

        using var heavy = new HttpRequestMessage(HttpMethod.Get, "/users/alice/recommendations");
        for (int i = 0; i < 5; i++) heavy.Headers.Add($"X-Padding-{i}", new string('p', Hardening.MaxRequestHeaders / 4));
        problem = await Problem(await host.Client.SendAsync(heavy), HttpStatusCode.RequestHeaderFieldsTooLarge, "large headers");
        Assert.Equal("Request headers too large", problem.GetProperty("title").GetString());

        // Just under the limits the request is served.
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/users/alice/recommendations?exclude=" + new string('x', Hardening.MaxRequestTarget - 100))).StatusCode);
    }

    [Fact]
    public async Task Requests_kestrel_refuses_itself_get_problem_details_on_a_real_socket()
    {
        await using var host = await ServerHost.StartAsync(realPort: true);
        var server = host.Client.BaseAddress!;
        string hostHeader = $"Host: {server.Authority}\r\n";
        var cases = new (string Name, string Request, int Status)[]
        {
            ("malformed request line", "GET /users/a b/recommendations HTTP/1.1\r\n" + hostHeader + "\r\n", 400),
            ("not HTTP at all", "\u0016\u0003\u0001 hello\r\n\r\n", 400),
            ("malformed header", "GET /health HTTP/1.1\r\n" + hostHeader + "No colon here\r\n\r\n", 400),
            ("request line past Kestrel's limit", $"GET /users/alice/recommendations?exclude={new string('x', 3 * Hardening.MaxRequestTarget)} HTTP/1.1\r\n" + hostHeader + "\r\n", 414),
            ("headers past Kestrel's limit", "GET /health HTTP/1.1\r\n" + hostHeader
                + string.Concat(Enumerable.Range(0, 10).Select(i => $"X-Padding-{i}: {new string('p', Hardening.MaxRequestHeaders / 4)}\r\n")) + "\r\n", 431),
        };
        foreach (var (name, request, status) in cases)
        {
            var answers = await RawExchange(server, request);
            var (answerStatus, headers, body) = Assert.Single(answers);
            Assert.True(status == answerStatus, $"{name}: expected {status}, got {answerStatus}");
            Assert.Equal("application/problem+json", headers["content-type"]);
            Assert.Equal(Encoding.UTF8.GetByteCount(body).ToString(System.Globalization.CultureInfo.InvariantCulture), headers["content-length"]);
            Assert.Equal("close", headers["connection"]);
            Assert.Equal("nosniff", headers["x-content-type-options"]);
            Assert.Equal(Hardening.ApiPolicy, headers["content-security-policy"]);
            var problem = JsonDocument.Parse(body).RootElement;
            Assert.Equal(status, problem.GetProperty("status").GetInt32());
            Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()), name);
            Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()), name);
        }
    }

    [Fact]
    public async Task Answers_before_a_refused_request_on_the_same_connection_are_untouched()
    {
        await using var host = await ServerHost.StartAsync(realPort: true);
        var server = host.Client.BaseAddress!;
        string hostHeader = $"Host: {server.Authority}\r\n";
        var pairs = "{\"pairs\":[" + string.Join(",", Enumerable.Repeat("""{"user":"alice","item":"d"}""", 2000)) + "]}";
        // Pipelined on one keep-alive connection: a small answer, a chunked 100 KB one, the application's own 404 problem, then garbage.
        var answers = await RawExchange(server,
            "GET /health HTTP/1.1\r\n" + hostHeader + "\r\n" +
            $"POST /scores HTTP/1.1\r\n{hostHeader}Content-Type: application/json\r\nContent-Length: {pairs.Length}\r\n\r\n{pairs}" +
            "GET /users/nobody/recommendations HTTP/1.1\r\n" + hostHeader + "\r\n" +
            "GET /a b c HTTP/1.1\r\n" + hostHeader + "\r\n");
        Assert.Equal([200, 200, 404, 400], answers.Select(a => a.Status).ToArray());
        Assert.Equal("ok", JsonDocument.Parse(answers[0].Body).RootElement.GetProperty("status").GetString());
        Assert.Equal("chunked", answers[1].Headers["transfer-encoding"]);
        Assert.Equal(2000, JsonDocument.Parse(answers[1].Body).RootElement.GetProperty("scores").GetArrayLength());
        Assert.Equal("Unknown user", JsonDocument.Parse(answers[2].Body).RootElement.GetProperty("title").GetString());
        Assert.Equal("application/problem+json", answers[3].Headers["content-type"]);
        Assert.Equal(400, JsonDocument.Parse(answers[3].Body).RootElement.GetProperty("status").GetInt32());
    }

    /// <summary>Sends <paramref name="request"/> (one or several pipelined requests, the last one refused) on a new connection and reads every answer until the server closes it.</summary>
    /// <summary>
    /// Writes <paramref name="request"/> in one write and reads the first answer (status line, headers, a body of
    /// Content-Length bytes or chunks). A reset after the answer is complete is not an error: a server that closes with unread
    /// input resets the connection, and the answer it sent before stays readable.
    /// </summary>
    private static async Task<(int Status, string Body)> FirstAnswer(Uri server, string request)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request));
        var received = new MemoryStream();
        var buffer = new byte[8192];
        while (true)
        {
            var bytes = received.ToArray();
            int end = bytes.AsSpan().IndexOf("\r\n\r\n"u8);
            if (end > 0)
            {
                var lines = Encoding.ASCII.GetString(bytes, 0, end).Split("\r\n");
                var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim().ToLowerInvariant(), p => p[1].Trim());
                int status = int.Parse(lines[0].Split(' ')[1]);
                if (headers.TryGetValue("content-length", out var length))
                {
                    if (bytes.Length >= end + 4 + int.Parse(length)) return (status, Encoding.UTF8.GetString(bytes, end + 4, int.Parse(length)));
                }
                else if (bytes.AsSpan(end + 4).IndexOf("\r\n0\r\n\r\n"u8) >= 0)
                {
                    var body = new MemoryStream();   // chunked: size line, data, CRLF, until the zero-size chunk
                    for (int at = end + 4; ;)
                    {
                        int lineEnd = bytes.AsSpan(at).IndexOf("\r\n"u8);
                        int size = Convert.ToInt32(Encoding.ASCII.GetString(bytes, at, lineEnd), 16);
                        if (size == 0) return (status, Encoding.UTF8.GetString(body.ToArray()));
                        body.Write(bytes, at + lineEnd + 2, size);
                        at += lineEnd + 2 + size + 2;
                    }
                }
            }
            int read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(read > 0, $"the connection closed before a complete answer: {Encoding.UTF8.GetString(received.ToArray())}");
            received.Write(buffer, 0, read);
        }
    }

    private static async Task<List<(int Status, Dictionary<string, string> Headers, string Body)>> RawExchange(Uri server, string request)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        var stream = tcp.GetStream();
        // The last request is one the server refuses, so it closes the connection after its last answer. (Not a half-close
        // of ours: Kestrel takes the end of its input for the end of the connection and answers nothing more.)
        await stream.WriteAsync(Encoding.Latin1.GetBytes(request));
        using var all = new MemoryStream();
        await stream.CopyToAsync(all).WaitAsync(TimeSpan.FromSeconds(30));
        var bytes = all.ToArray();
        var answers = new List<(int, Dictionary<string, string>, string)>();
        int at = 0;
        while (at < bytes.Length)
        {
            int end = bytes.AsSpan(at).IndexOf("\r\n\r\n"u8);
            Assert.True(end > 0, "an answer without a complete header block");
            var lines = Encoding.ASCII.GetString(bytes, at, end).Split("\r\n");
            var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim().ToLowerInvariant(), p => p[1].Trim());
            at += end + 4;
            var body = new MemoryStream();
            if (headers.TryGetValue("content-length", out var length))
            {
                body.Write(bytes, at, int.Parse(length));
                at += int.Parse(length);
            }
            else if (headers.TryGetValue("transfer-encoding", out var coding) && coding == "chunked")
            {
                while (true)
                {
                    int lineEnd = bytes.AsSpan(at).IndexOf("\r\n"u8);
                    int size = Convert.ToInt32(Encoding.ASCII.GetString(bytes, at, lineEnd), 16);
                    at += lineEnd + 2;
                    body.Write(bytes, at, size);
                    at += size + 2;
                    if (size == 0) break;
                }
            }
            answers.Add((int.Parse(lines[0].Split(' ')[1]), headers, Encoding.UTF8.GetString(body.ToArray())));
        }
        return answers;
    }

    [Fact]
    public async Task Control_characters_in_the_path_are_refused_by_the_real_server()
    {
        await using var host = await ServerHost.StartAsync(realPort: true);
        foreach (var path in new[] { "/users/al%00ice/recommendations", "/users/al%01ice/recommendations", "/items/a%0D%0ASet-Cookie:x=1/similar" })
        {
            var (status, response) = await RawGet(host.Client.BaseAddress!, path);
            Assert.True(status == 400, $"{path}: {status}");
            Assert.DoesNotContain("Set-Cookie", response.Split("\r\n\r\n")[0]);
        }
    }

    [Fact]
    public async Task Paths_cannot_escape_the_dashboard_or_the_figures_folder()
    {
        var root = Support.TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(root, "secret.txt"), "TOP-SECRET");
        var figures = Directory.CreateDirectory(Path.Combine(root, "figures")).FullName;
        File.WriteAllBytes(Path.Combine(figures, "chart.svg"), Encoding.UTF8.GetBytes("<svg xmlns=\"http://www.w3.org/2000/svg\"/>"));
        await using var host = await ServerHost.StartAsync(configure: o => o with { FiguresPath = figures }, realPort: true);

        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/figures/chart.svg")).StatusCode); // the folder is served...
        foreach (var url in new[]
                 {
                     "/figures/..%2Fsecret.txt", "/figures/%2e%2e/secret.txt", "/figures/..%5Csecret.txt", "/figures/..%2F..%2F..%2Fetc%2Fpasswd",
                     "/figures/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/figures//etc/passwd",
                     "/dashboard/..%2F..%2Fetc%2Fpasswd", "/dashboard/%2e%2e/%2e%2e/etc/passwd", "/dashboard/..%5C..%5Cappsettings.json",
                     "/dashboard/../Trove.Server.dll", "/dashboard/%2e%2e%2fTrove.Server.dll",
                 })
        {
            // ...nothing outside it. Sent over a raw socket: HttpClient would normalise "..".
            var (status, body) = await RawGet(host.Client.BaseAddress!, url);
            Assert.True(status is 404 or 400, $"{url}: {status}");
            Assert.DoesNotContain("TOP-SECRET", body);
            Assert.DoesNotContain("root:", body);
        }
        using (var reload = host.Post("/admin/reload?model=..%2F..%2F" + Uri.EscapeDataString(Path.Combine(root, "secret.txt")), ""))
            await Problem(await host.Client.SendAsync(reload), HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/users/alice/recommendations")).StatusCode);
    }

    private static async Task<(int Status, string Response)> RawGet(Uri server, string path)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: {server.Authority}\r\nConnection: close\r\n\r\n"));
        var response = await new StreamReader(stream).ReadToEndAsync();
        return (int.Parse(response.Split(' ')[1]), response);
    }

    [Fact]
    public async Task Cors_is_off_by_default()
    {
        await using var host = await ServerHost.StartAsync();
        var get = new HttpRequestMessage(HttpMethod.Get, "/users/alice/recommendations");
        get.Headers.Add("Origin", "https://evil.example");
        var response = await host.Client.SendAsync(get);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));

        var preflight = Preflight("https://evil.example");
        var answer = await host.Client.SendAsync(preflight);
        Assert.False(answer.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.False(answer.Headers.Contains("Access-Control-Allow-Methods"));
    }

    [Fact]
    public async Task Cors_allows_only_the_configured_origins()
    {
        await using var host = await ServerHost.StartAsync(configure: o => o with { CorsOrigins = ["https://shop.example"] });
        var preflight = await host.Client.SendAsync(Preflight("https://shop.example"));
        Assert.Equal("https://shop.example", preflight.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("POST", string.Join(",", preflight.Headers.GetValues("Access-Control-Allow-Methods")));
        Assert.Contains("x-api-key", string.Join(",", preflight.Headers.GetValues("Access-Control-Allow-Headers")), StringComparison.OrdinalIgnoreCase);

        var get = new HttpRequestMessage(HttpMethod.Get, "/users/alice/recommendations");
        get.Headers.Add("Origin", "https://shop.example");
        Assert.Equal("https://shop.example", (await host.Client.SendAsync(get)).Headers.GetValues("Access-Control-Allow-Origin").Single());

        foreach (var other in new[] { "https://evil.example", "https://shop.example.evil.example", "http://shop.example" })
        {
            var foreign = new HttpRequestMessage(HttpMethod.Get, "/users/alice/recommendations");
            foreign.Headers.Add("Origin", other);
            Assert.False((await host.Client.SendAsync(foreign)).Headers.Contains("Access-Control-Allow-Origin"), other);
            Assert.False((await host.Client.SendAsync(Preflight(other))).Headers.Contains("Access-Control-Allow-Origin"), other);
        }
    }

    private static HttpRequestMessage Preflight(string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, "/events");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "content-type,x-api-key");
        return request;
    }

    [Fact]
    public async Task Every_response_carries_security_headers_and_the_dashboard_policy_allows_no_inline_code()
    {
        await using var host = await ServerHost.StartAsync();
        foreach (var (url, key) in new[]
                 {
                     ("/health", (string?)null), ("/users/alice/recommendations", null), ("/users/nobody/recommendations", null),
                     ("/openapi/v1.json", null), ("/dashboard/", null), ("/dashboard/app.js", null), ("/no/such/route", null), ("/events", "wrong"),
                 })
        {
            var request = key is null ? new HttpRequestMessage(HttpMethod.Get, url) : host.Post(url, "{}", key);
            var response = await host.Client.SendAsync(request);
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
            Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
            var policy = response.Headers.GetValues("Content-Security-Policy").Single();
            Assert.Contains("frame-ancestors 'none'", policy);
            Assert.DoesNotContain("unsafe-inline", policy);
            Assert.DoesNotContain("unsafe-eval", policy);
            Assert.Equal(url.StartsWith("/dashboard") ? Hardening.DashboardPolicy : Hardening.ApiPolicy, policy);
        }
    }
}

/// <summary>Collects every formatted log message (and exception) of a server, for tests that read its log.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly List<string> _lines = new();

    public IReadOnlyList<string> Lines { get { lock (_lines) return _lines.ToList(); } }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            // The message and every structured value: a key passed as a parameter would show here even if the template hid it.
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(" ", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
            lock (owner._lines) owner._lines.Add($"{logLevel} {category}: {formatter(state, exception)} {values} {exception}");
        }
    }
}

/// <summary>The hardening options of `trove serve` refuse values they cannot honour, before anything starts.</summary>
[Collection(Support.ConsoleCollection.Name)]
public class ServeHardeningOptionsTests
{
    [Theory]
    [InlineData("--rate-limit", "fast", "Invalid rate 'fast'")]
    [InlineData("--write-rate-limit", "5/week", "Unknown rate unit 'week'")]
    [InlineData("--cors-origin", "shop.example.com", "is not an origin")]
    [InlineData("--cors-origin", "https://shop.example.com/app", "is not an origin")]
    [InlineData("--cors-origin", "ftp://shop.example.com", "is not an origin")]
    public void Bad_values_exit_2_with_a_message_naming_them(string option, string value, string message)
    {
        var (code, _, err) = Data.DataCliTests.Run("serve", "--model", "/nonexistent/model.trove", "--port", "0", option, value);
        Assert.Equal(2, code);
        Assert.Contains(message, err);
    }
}
