using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Trove.Tests.Crash;
using Trove.Tests.Server;
using Trove.Tests.Support;

namespace Trove.Tests.Cli;

/// <summary>
/// `trove serve` reads what any ASP.NET Core app reads: appsettings.json in the current folder (section "Trove"),
/// environment variables over it (Trove__ApiKey), ASPNETCORE_URLS for the address; flags win over all of them.
/// </summary>
public class ServeConfigurationTests
{
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Serve_takes_models_key_and_address_from_appsettings_environment_and_aspnetcore_urls()
    {
        var dir = TestPaths.NewTempDirectory();
        ServerHost.TrainModel("itemknn", path: Path.Combine(dir, "knn.trove"));
        File.WriteAllText(Path.Combine(dir, "appsettings.json"), """
            { "Trove": { "Models": { "shop-knn": "knn.trove" }, "ApiKey": "from-appsettings", "MaxK": 5 } }
            """);
        int port = FreePort();
        using var server = ChildCli.StartWith(new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["Trove__ApiKey"] = "from-environment",
        }, dir, "serve");
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        JsonElement? ready = null;
        for (int attempt = 0; attempt < 240 && ready is null && !server.HasExited; attempt++)
        {
            try { ready = JsonDocument.Parse(await client.GetStringAsync("/ready")).RootElement; }
            catch (HttpRequestException) { await Task.Delay(250); }
        }
        Assert.True(ready is not null, "the server did not answer on ASPNETCORE_URLS:\n" + server.Output);
        Assert.Equal("shop-knn", ready!.Value.GetProperty("models")[0].GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/users/alice/recommendations?k=6")).StatusCode); // MaxK 5

        // The environment variable overrides appsettings.json, as in any ASP.NET Core app.
        async Task<HttpStatusCode> PostWith(string key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/events")
            { Content = new StringContent("""{"user":"alice","item":"c","event":"view"}""", Encoding.UTF8, "application/json") };
            request.Headers.Add("X-Api-Key", key);
            return (await client.SendAsync(request)).StatusCode;
        }
        Assert.Equal(HttpStatusCode.OK, await PostWith("from-environment"));
        Assert.Equal(HttpStatusCode.Unauthorized, await PostWith("from-appsettings"));
    }

    [Fact]
    public void An_unknown_setting_or_no_model_at_all_is_a_one_line_error()
    {
        var dir = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(dir, "appsettings.json"), """{ "Trove": { "Models": { "a": "a.trove" }, "ApiKye": "typo" } }""");
        var (code, output) = ChildCli.Run(dir, "serve");
        Assert.Equal(2, code);
        Assert.Contains("Configuration key 'Trove:ApiKye' is not a Trove setting", output);
        Assert.DoesNotContain("   at ", output);

        var empty = TestPaths.NewTempDirectory();
        (code, output) = ChildCli.Run(empty, "serve");
        Assert.Equal(2, code);
        Assert.Contains("No model to serve", output);
    }
}
