using Trove.Data.LastFm;
using Trove.Data.Stores;
using Trove.Tests.Postgres;
using Trove.Tests.Support;
using Xunit.Abstractions;

namespace Trove.Tests.LastFm;

public class LastFmClientTests
{
    private static LastFmOptions Options(FakeLastFmServer s, List<TimeSpan>? delays = null) => new()
    {
        ApiUrl = s.ApiUrl, ApiKey = "test-key", RequestsPerSecond = 0, DelayBetweenUsers = TimeSpan.Zero,
        PageSize = 2, MaxRetries = 3, InitialBackoff = TimeSpan.FromMilliseconds(100),
    };

    private static Func<TimeSpan, CancellationToken, Task> Record(List<TimeSpan> delays) => (t, _) => { lock (delays) delays.Add(t); return Task.CompletedTask; };

    [Fact]
    public void The_documented_response_format_parses()
    {
        var page = LastFmClient.Parse(LastFmMethod.TopTracks, LastFmFixtures.TopTracksPage("rj", 2, 3, 5, ("Lucky", "Radiohead", 7, 3)));
        Assert.Equal((2, 3, 5), (page.Page, page.TotalPages, page.Total));
        var t = Assert.Single(page.Entries);
        Assert.Equal(("Lucky", "Radiohead", 7L, 3, (string?)null), (t.Name, t.Artist, t.PlayCount, t.Rank, t.Mbid));
        var loved = Assert.Single(LastFmClient.Parse(LastFmMethod.LovedTracks, LastFmFixtures.Loved("rj")).Entries);
        Assert.Equal(1700000000L, loved.Timestamp);
        Assert.Equal("Radiohead", Assert.Single(LastFmClient.Parse(LastFmMethod.TopArtists, LastFmFixtures.TopArtistsSingle("rj")).Entries).Name);
    }

    [Fact]
    public async Task Pages_are_followed_until_totalPages_and_the_key_is_sent()
    {
        using var s = new FakeLastFmServer();
        LastFmFixtures.AddRj(s);
        using var client = new LastFmClient(Options(s));
        var (entries, requests) = await client.GetAllAsync(LastFmMethod.TopTracks, "rj", 100);
        Assert.Equal(["Airbag", "Hunter", "Lucky", "Joga", "Teardrop"], entries.Select(e => e.Name));
        Assert.Equal(3, requests);
        Assert.Equal([1, 2, 3], s.Requests.Select(r => r.Page));
        Assert.All(s.Requests, r => Assert.Equal(("user.gettoptracks", "test-key", 2), (r.Method, r.ApiKey, r.Limit)));
        // A cap stops paging early.
        var (three, _) = await client.GetAllAsync(LastFmMethod.TopTracks, "rj", 3);
        Assert.Equal(3, three.Count);
    }

    [Fact]
    public async Task Http_429_5xx_and_rate_limit_errors_are_retried_with_exponential_backoff()
    {
        using var s = new FakeLastFmServer();
        s.Add("user.getTopAlbums", "rj", 1, "Too Many Requests", 429);
        s.Add("user.getTopAlbums", "rj", 1, "<html>Bad Gateway</html>", 502);
        s.Add("user.getTopAlbums", "rj", 1, LastFmFixtures.RateLimited, 200);
        s.Add("user.getTopAlbums", "rj", 1, LastFmFixtures.TopAlbums("rj"));
        var delays = new List<TimeSpan>();
        using var client = new LastFmClient(Options(s), delay: Record(delays));
        var page = await client.GetPageAsync(LastFmMethod.TopAlbums, "rj", 1, 50);
        Assert.Equal(2, page.Entries.Count);
        Assert.Equal(4, page.Requests);
        Assert.Equal([100, 200, 400], delays.Select(d => (int)d.TotalMilliseconds));
    }

    [Fact]
    public async Task Retry_after_is_honoured_and_retries_run_out_with_a_clear_error()
    {
        using var s = new FakeLastFmServer();
        s.Add("user.getTopAlbums", "rj", 1, "slow down", 429, retryAfter: "2");
        s.Add("user.getTopAlbums", "rj", 1, "down", 503);
        var delays = new List<TimeSpan>();
        using var client = new LastFmClient(Options(s), delay: Record(delays));
        var e = await Assert.ThrowsAsync<LastFmRetriesExhaustedException>(() => client.GetPageAsync(LastFmMethod.TopAlbums, "rj", 1, 50));
        Assert.Equal(4, e.Attempts);
        Assert.Contains("HTTP 503", e.Message);
        Assert.Equal([2000, 200, 400], delays.Select(d => (int)d.TotalMilliseconds));
    }

    [Fact]
    public async Task Private_and_unknown_users_are_not_retried()
    {
        using var s = new FakeLastFmServer();
        s.Add("user.getTopTracks", "hidden", 1, LastFmFixtures.Private, 403);
        using var client = new LastFmClient(Options(s));
        var e = await Assert.ThrowsAsync<LastFmApiException>(() => client.GetPageAsync(LastFmMethod.TopTracks, "hidden", 1, 50));
        Assert.Equal((17, true), (e.Code, e.IsUnknownOrPrivateUser));
        var unknown = await Assert.ThrowsAsync<LastFmApiException>(() => client.GetPageAsync(LastFmMethod.TopTracks, "nobody", 1, 50));
        Assert.Equal(6, unknown.Code);
        Assert.Equal(2, s.Requests.Count);
    }

    [Fact]
    public async Task The_request_rate_is_limited()
    {
        using var s = new FakeLastFmServer();
        LastFmFixtures.AddRj(s);
        using var client = new LastFmClient(Options(s) with { RequestsPerSecond = LastFmOptions.ParseRate("20/s") });
        // One request first, outside the measurement: the first one also opens the connection, which would shorten
        // the span the server sees between the first and the last arrival by the connection's set-up time.
        await client.GetPageAsync(LastFmMethod.TopArtists, "rj", 1, 50);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int k = 0; k < 6; k++) await client.GetPageAsync(LastFmMethod.TopArtists, "rj", 1, 50);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(5 * 50 - 10), $"6 requests at 20/s took {clock.Elapsed.TotalMilliseconds:F0} ms");
        var times = s.Requests.Skip(1).Select(r => r.At).ToList();
        // Arrival times jitter a little; over 5 intervals the server sees at least ~5 x 50 ms.
        Assert.True(times[^1] - times[0] >= TimeSpan.FromMilliseconds(5 * 50 - 25), $"first to last request only {(times[^1] - times[0]).TotalMilliseconds:F0} ms");
        Assert.Equal(0.5, LastFmOptions.ParseRate("30/min"), 6);
        Assert.Equal(5, LastFmOptions.ParseRate("5"));
        Assert.Throws<Trove.Core.Errors.TroveException>(() => LastFmOptions.ParseRate("5/week"));
    }
}

/// <summary>The fetcher into each store (theory rows "sqlite" and "postgres").</summary>
public sealed class LastFmFetcherTests(PostgresTestServer server) : IClassFixture<PostgresTestServer>
{
    private string NewLocation(string kind)
    {
        if (kind == StoresAttribute.Sqlite) return Path.Combine(TestPaths.NewTempDirectory(), "lastfm.db");
        server.Require();
        return server.NewSchema();
    }

    private static LastFmOptions Options(FakeLastFmServer s) => new()
    {
        ApiUrl = s.ApiUrl, ApiKey = "k", RequestsPerSecond = 0, DelayBetweenUsers = TimeSpan.FromSeconds(1),
        PageSize = 2, MaxRetries = 2, InitialBackoff = TimeSpan.FromMilliseconds(10),
    };

    [Theory, Stores, PostgresData]
    public async Task Users_are_fetched_private_and_unknown_users_skipped_and_every_fetch_logged(string kind)
    {
        var location = NewLocation(kind);
        using var s = new FakeLastFmServer();
        LastFmFixtures.AddRj(s);
        s.Add("user.getTopTracks", "hidden", 1, LastFmFixtures.Private, 403);
        LastFmFixtures.AddRj(s, "broken");
        s.Set("user.getTopArtists", "broken", 1, "oops", 500);
        var waits = new List<TimeSpan>();
        using var store = InteractionStores.Open(location);
        using var client = new LastFmClient(Options(s), delay: (_, _) => Task.CompletedTask);
        var fetcher = new LastFmFetcher(client, store.Collaborative(), (t, _) => { waits.Add(t); return Task.CompletedTask; });
        var summary = await fetcher.FetchAsync(["rj", "hidden", "ghost", "broken", "rj"]);

        Assert.Equal(["rj", "hidden", "ghost", "broken"], summary.Users.Select(u => u.User));
        Assert.Equal([IngestStatus.Ok, IngestStatus.Skipped, IngestStatus.Skipped, IngestStatus.Failed], summary.Users.Select(u => u.Status));
        Assert.Contains("private profile", summary.Users[1].Reason);
        Assert.Contains("user not found", summary.Users[2].Reason);
        Assert.Equal(3, waits.Count); // a pause between users, none before the first
        // rj: 5 tracks + 1 album (the 0-play one dropped) + 1 artist plays + 1 love + 3 tagged items (Airbag, Teardrop, Radiohead).
        Assert.Equal(11, summary.Users[0].Interactions);
        var counts = store.Counts();
        Assert.Equal((1L, 11L), (counts.Users, counts.Interactions));

        var c = store.Collaborative();
        var stats = Assert.Single(c.UserStats());
        Assert.Equal(("rj", 12 + 9 + 7 + 5 + 3 + 40 + 120.0, 1L, 7L), (stats.User, stats.TotalPlays, stats.Loves, stats.Items));
        var profile = Assert.Single(c.LastFmUsers());
        Assert.Equal(("rj", "Richard Jones", "United Kingdom", 150316L, new DateTime(2002, 11, 20, 11, 50, 40, DateTimeKind.Utc), "https://www.last.fm/user/rj"),
            (profile.User, profile.RealName, profile.Country, profile.PlayCount, profile.RegisteredUtc, profile.ProfileUrl));
        Assert.InRange(profile.FetchedUtc!.Value, DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow.AddMinutes(1));
        Assert.Equal(
        [
            new UserItemTag("rj", "artist:Radiohead", "rock"), new UserItemTag("rj", "track:Massive Attack - Teardrop", "rock"),
            new UserItemTag("rj", "track:Radiohead - Airbag", "90s"), new UserItemTag("rj", "track:Radiohead - Airbag", "rock"),
        ], c.UserItemTags());
        var tagRows = store.LoadDataset();
        // One "tag" interaction per tagged item, weighted by the number of the user's tags on it.
        var log = tagRows.Interactions;
        var tagWeights = Enumerable.Range(0, log.Count).Where(k => log.Events[k] >= 0 && log.EventNames[log.Events[k]] == "tag")
            .ToDictionary(k => tagRows.Items[log.Items[k]], k => log.Weights[k]);
        Assert.Equal(new Dictionary<string, float> { ["track:Radiohead - Airbag"] = 2, ["track:Massive Attack - Teardrop"] = 1, ["artist:Radiohead"] = 1 }, tagWeights);
        var pop = c.ItemPopularity();
        var airbag = pop.Single(p => p.Item == "track:Radiohead - Airbag");
        Assert.Equal(("track", 12.0, 1L), (airbag.Kind, airbag.Plays, airbag.Loves));
        Assert.Equal("album", pop.Single(p => p.Item == "album:Radiohead - OK Computer").Kind);
        Assert.Equal("artist", pop.Single(p => p.Item == "artist:Radiohead").Kind);
        var data = store.LoadDataset();
        int at = data.Items.IndexOf("album:Radiohead - OK Computer");
        Assert.Equal(("OK Computer", "Radiohead", "b1392450"), (data.ItemFeatures.Text["name"][at], data.ItemFeatures.Text["artist"][at], data.ItemFeatures.Text["mbid"][at]));

        var logs = c.IngestLogs(1000).Reverse().ToList();
        Assert.Equal(
        [
            "lastfm:user.getTopTracks rj ok 5", "lastfm:user.getTopAlbums rj ok 2", "lastfm:user.getTopArtists rj ok 1", "lastfm:user.getLovedTracks rj ok 1",
            "lastfm:user.getInfo rj ok 1", "lastfm:user.getTopTags rj ok 2",
            "lastfm:user.getPersonalTags(tracks, rock) rj ok 2", "lastfm:user.getPersonalTags(artists, rock) rj ok 1",
            "lastfm:user.getPersonalTags(tracks, 90s) rj ok 1", "lastfm:user.getPersonalTags(artists, 90s) rj ok 0",
            "lastfm:store rj ok 11",
            "lastfm:user.getTopTracks hidden skipped 0", "lastfm:user.getTopTracks ghost skipped 0",
            "lastfm:user.getTopTracks broken ok 5", "lastfm:user.getTopAlbums broken ok 2", "lastfm:user.getTopArtists broken failed 0",
        ], logs.Select(l => $"{l.Source} {l.Target} {l.Status.ToString().ToLowerInvariant()} {l.Rows}"));
        Assert.Equal(3, logs[0].Requests);
        Assert.Equal("private profile (error 17: Login: User required to be logged in)", logs[11].Error);
        Assert.Contains("HTTP 500", logs[15].Error);
        Assert.Equal(3, logs[15].Requests);

        // Fetching rj again replaces rj's rows, profile and tags instead of adding to them.
        summary = await fetcher.FetchAsync(["rj"]);
        Assert.Equal(11, store.Counts().Interactions);
        Assert.Single(c.LastFmUsers());
        Assert.Equal(4, c.UserItemTags("rj").Count);
    }

    [Theory, Stores, PostgresData]
    public void The_cli_fetches_against_the_fake_server(string kind)
    {
        var location = NewLocation(kind);
        using var s = new FakeLastFmServer();
        LastFmFixtures.AddRj(s);
        s.Add("user.getTopTracks", "hidden", 1, LastFmFixtures.Private);
        int rc = Trove.Cli.Program.Main(["lastfm", "fetch", "--users", "rj,hidden", "--db", location, "--api-url", s.ApiUrl, "--api-key", "k",
            "--rate", "100/s", "--delay", "0", "--page-size", "2"]);
        Assert.Equal(0, rc);
        using var store = InteractionStores.Open(location, createIfMissing: false);
        Assert.Equal(11, store.Counts().Interactions);
        Assert.Contains(store.Collaborative().IngestLogs(), l => l.Target == "hidden" && l.Status == IngestStatus.Skipped);
        Assert.Equal(2, Trove.Cli.Program.Main(["lastfm", "fetch", "--users", "rj", "--db", location, "--api-url", s.ApiUrl, "--api-key", "k", "--rate", "fast"]));
        // Error 10 (invalid API key) stops the run (exit code 2) instead of failing every user in turn.
        s.Set("user.getTopTracks", "newbie", 1, """{"error":10,"message":"Invalid API key - You must be granted a valid key by last.fm"}""", 403);
        int before = s.Requests.Count;
        Assert.Equal(2, Trove.Cli.Program.Main(["lastfm", "fetch", "--users", "newbie,rj", "--db", location, "--api-url", s.ApiUrl, "--api-key", "bad", "--delay", "0"]));
        Assert.Equal(before + 1, s.Requests.Count);
        Assert.Equal(2, Trove.Cli.Program.Main(["lastfm", "fetch", "--users", "rj", "--db", location, "--api-url", s.ApiUrl, "--api-key", " "]));
    }
}
