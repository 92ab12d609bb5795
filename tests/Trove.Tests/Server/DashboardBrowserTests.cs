using System.Text.Json;
using Microsoft.Playwright;

namespace Trove.Tests.Server;

/// <summary>Runs only where Debian's chromium is installed (Playwright never downloads a browser here).</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public const string Chromium = "/usr/bin/chromium";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(Chromium)) Skip = $"{Chromium} is absent: install Debian's browser with `apt-get install -y --no-install-recommends chromium` to run the dashboard browser test.";
    }
}

/// <summary>The dashboard in a real headless Chromium driven by Playwright, against a server on a loopback port.</summary>
public class DashboardBrowserTests
{
    private static readonly string[] ChromiumFlags =
    [
        "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    [ChromiumFact]
    public async Task The_dashboard_shows_statistics_evaluation_and_a_users_recommendations()
    {
        var report = Path.Combine(Support.TestPaths.NewTempDirectory(), "evaluation.json");
        File.WriteAllText(report, """{"protocol":"leave-one-out","results":[{"model":"itemknn","hr@10":0.61,"ndcg@10":0.35},{"model":"popularity","hr@10":0.42,"ndcg@10":0.23}]}""");
        await using var host = await ServerHost.StartAsync(configure: o => o with { EvaluationPath = report }, realPort: true);
        var baseUrl = host.Client.BaseAddress!.ToString().TrimEnd('/');

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumFactAttribute.Chromium, Headless = true, Args = ChromiumFlags,
        });
        var page = await browser.NewPageAsync();
        var consoleErrors = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") consoleErrors.Add(m.Text); };
        await page.GotoAsync(baseUrl + "/");
        await page.WaitForSelectorAsync("body[data-ready=true]", new() { Timeout = 15000 });

        // Data set statistics and charts.
        Assert.Contains("6", await page.InnerTextAsync("#stat-cards"));
        Assert.Contains("users", await page.InnerTextAsync("#stat-cards"));
        Assert.Equal(1, await page.Locator("#chart-users svg").CountAsync());
        Assert.True(await page.Locator("#chart-items rect.bar").CountAsync() > 0);
        Assert.Contains("Atlas", await page.InnerTextAsync("#top-items"));
        // The evaluation table.
        var evaluation = await page.InnerTextAsync("#evaluation-table");
        Assert.Contains("ndcg@10", evaluation);
        Assert.Contains("popularity", evaluation);

        // Look up a user: the recommendations shown are the API's, in order, with explanations.
        await page.FillAsync("#user-id", "alice");
        await page.ClickAsync("#lookup");
        await page.WaitForSelectorAsync("#recommendations li");
        var shown = await page.Locator("#recommendations > li").EvaluateAllAsync<string[]>("els => els.map(e => e.dataset.item)");
        var api = JsonDocument.Parse(await host.Client.GetStringAsync("/users/alice/recommendations?k=10&explain=true")).RootElement;
        var expected = api.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()!).ToArray();
        Assert.Equal(expected, shown);
        Assert.Equal("c", shown[0]);
        var first = await page.InnerTextAsync("#recommendations > li:first-child");
        Assert.Contains("Cosmos", first);
        Assert.Contains("because of", first);
        Assert.Contains("Atlas", await page.InnerTextAsync("#history"));
        await page.WaitForSelectorAsync("#similar-users li a");

        // A purchase posted to the API disappears from the user's list at the next lookup.
        var purchase = host.Post("/events", """{"user":"alice","item":"c","event":"purchase"}""");
        (await host.Client.SendAsync(purchase)).EnsureSuccessStatusCode();
        await page.ClickAsync("#lookup");
        await page.WaitForFunctionAsync("() => document.querySelector('#rec-meta').textContent.includes('new events')");
        var afterPurchase = await page.Locator("#recommendations > li").EvaluateAllAsync<string[]>("els => els.map(e => e.dataset.item)");
        Assert.DoesNotContain("c", afterPurchase);

        // The item page lists similar items.
        await page.ClickAsync("#recommendations > li:first-child a.item");
        await page.WaitForSelectorAsync("#item-panel:not([hidden]) #similar-items li");
        Assert.Contains("category", await page.InnerTextAsync("#item-features"));

        // A feature filter narrows the list to one category.
        await page.FillAsync("#filter", "category:music");
        await page.ClickAsync("#lookup");
        await page.WaitForFunctionAsync("() => { const li = [...document.querySelectorAll('#recommendations > li')]; return li.length > 0 && li.every(e => ['d', 'e', 'f'].includes(e.dataset.item)); }");
        await page.FillAsync("#filter", "");

        // An unknown user shows the API's problem message.
        await page.FillAsync("#user-id", "nobody");
        await page.ClickAsync("#lookup");
        await page.WaitForSelectorAsync("#user-error:not([hidden])");
        Assert.Contains("Unknown user", await page.InnerTextAsync("#user-error"));

        await page.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "trove-dashboard.png"), FullPage = true });
        Assert.DoesNotContain(consoleErrors, e => !e.Contains("404")); // the unknown user's 404 is expected
    }
}
