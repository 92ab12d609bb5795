using Trove.Tests.Support;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Trove.Server;
using Trove.Server.Hosting;
using Trove.Server.Http;

namespace Trove.Tests.Server;

/// <summary>Trove mounted in a host application: the host keeps its own routes, Trove answers under its prefix only.</summary>
public class HostingTests
{
    private static async Task<WebApplication> Shop(string model, string prefix = "/recs", bool realPort = false,
        Action<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>? kestrel = null)
    {
        var builder = WebApplication.CreateBuilder();
        if (!realPort) builder.WebHost.UseTestServer(); else builder.WebHost.UseUrls("http://127.0.0.1:0");
        if (kestrel is not null) builder.WebHost.ConfigureKestrel(kestrel);
        builder.Services.AddTrove(new ServerOptions { Models = [new ModelSource("knn", model)], ApiKey = ServerHost.Key });
        var app = builder.Build();
        app.MapGet("/", () => Results.Content("<h1>Our shop</h1>", "text/html"));
        app.MapGet("/health", () => Results.Text("shop is fine"));
        app.MapTrove(prefix);
        await app.StartAsync();
        return app;
    }

    [Fact]
    public async Task The_hosts_routes_stay_its_own_and_trove_answers_under_the_prefix()
    {
        await using var app = await Shop(ServerHost.TrainModel());
        var client = app.GetTestClient();
        Assert.Contains("shop", await client.GetStringAsync("/"));
        Assert.Equal("shop is fine", await client.GetStringAsync("/health"));

        var recs = JsonDocument.Parse(await client.GetStringAsync("/recs/users/alice/recommendations?k=3")).RootElement;
        Assert.Equal(3, recs.GetProperty("items").GetArrayLength());
        Assert.Equal("ok", JsonDocument.Parse(await client.GetStringAsync("/recs/health")).RootElement.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/users/alice/recommendations")).StatusCode);

        // Trove's rules hold under the prefix: unknown ids are 404 problems, writes need the key, ids are checked.
        var unknown = await client.GetAsync("/recs/users/nobody/recommendations");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
        var write = await client.PostAsync("/recs/events", new StringContent("""{"user":"alice","item":"c","event":"view"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Unauthorized, write.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync($"/recs/users/{new string('x', 300)}/recommendations")).StatusCode);

        // The dashboard is served under the prefix and finds its API there.
        var redirect = await client.GetAsync("/recs/");
        Assert.Equal("/recs/dashboard/", redirect.Headers.Location?.OriginalString);
        Assert.Contains("app.js", await client.GetStringAsync("/recs/dashboard/"));
        Assert.Contains(PrometheusText.LabelValues(await client.GetStringAsync("/recs/metrics"), "trove_http_request_duration_seconds_count", "route"),
            route => route.EndsWith("/dashboard/{**file}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Ids_with_a_slash_are_decoded_under_the_prefix_on_kestrel()
    {
        await using var app = await Shop(ServerHost.TrainModel(), realPort: true);
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        using var post = new HttpRequestMessage(HttpMethod.Post, "/recs/events") { Content = new StringContent("""{"user":"a/b","item":"c","event":"view"}""", System.Text.Encoding.UTF8, "application/json") };
        post.Headers.Add("X-Api-Key", ServerHost.Key);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(post)).StatusCode);
        var history = JsonDocument.Parse(await client.GetStringAsync($"/recs/users/{Uri.EscapeDataString("a/b")}/history")).RootElement;
        Assert.Equal("a/b", history.GetProperty("user").GetString());
    }

    [Fact]
    public async Task A_host_that_asks_for_it_answers_requests_kestrel_refuses_with_problem_details()
    {
        var model = ServerHost.TrainModel();
        // Kestrel's refusals are the server's, not Trove's routes': the host adds the rewriting to its endpoints (those from URLs too).
        await using var host = await Shop(model, realPort: true, kestrel: k => k.UseProblemDetailsForRejectedRequests());
        await using var plain = await Shop(model, realPort: true);
        var withIt = await Malformed(new Uri(host.Urls.First()));
        Assert.StartsWith("HTTP/1.1 400 ", withIt);
        Assert.Contains("Content-Type: application/problem+json", withIt);
        Assert.Equal(400, JsonDocument.Parse(withIt[(withIt.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]).RootElement.GetProperty("status").GetInt32());
        // Without it Kestrel's answer is bare: what the extension is for.
        var without = await Malformed(new Uri(plain.Urls.First()));
        Assert.StartsWith("HTTP/1.1 400 ", without);
        Assert.Contains("Content-Length: 0", without);
    }

    private static async Task<string> Malformed(Uri server)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"GET /recs/users/a b/history HTTP/1.1\r\nHost: {server.Authority}\r\n\r\n"));
        return await new StreamReader(stream).ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }
}
