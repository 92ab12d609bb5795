using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Trove.Tests.LastFm;

/// <summary>
/// A local stand-in for ws.audioscrobbler.com on 127.0.0.1 (HttpListener, free port) that serves hand-written
/// responses in the documented JSON format. Responses are keyed by "method user page" (method lower-case; plus
/// "tag taggingtype" for user.getPersonalTags);
/// a key can hold a queue of responses (e.g. 429, 500, then 200) consumed one per request, the last one repeating.
/// </summary>
public sealed class FakeLastFmServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentDictionary<string, List<(int Status, string Body, string? RetryAfter)>> _responses = new();
    private readonly ConcurrentDictionary<string, int> _served = new();
    private readonly Task _loop;

    public string ApiUrl { get; }
    public ConcurrentQueue<(string Method, string User, int Page, int Limit, string ApiKey, DateTime At)> Requests { get; } = new();

    public FakeLastFmServer()
    {
        for (int attempt = 0; ; attempt++)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            int port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var prefix = $"http://127.0.0.1:{port}/";
            _listener.Prefixes.Clear();
            _listener.Prefixes.Add(prefix);
            try { _listener.Start(); ApiUrl = prefix + "2.0/"; break; }
            catch (HttpListenerException) when (attempt < 5) { }
        }
        _loop = Task.Run(Serve);
    }

    public void Add(string method, string user, int page, string body, int status = 200, string? retryAfter = null) =>
        _responses.GetOrAdd(Key(method, user, page), _ => new()).Add((status, body, retryAfter));

    /// <summary>A user.getPersonalTags response for one tag and tagging type (track, album, artist).</summary>
    public void AddTagged(string user, string tag, string taggingType, string body, int page = 1) =>
        _responses.GetOrAdd(Key("user.getPersonalTags", user, page, tag, taggingType), _ => new()).Add((200, body, null));

    /// <summary>Replaces the responses of a key with one response.</summary>
    public void Set(string method, string user, int page, string body, int status = 200) =>
        _responses[Key(method, user, page)] = [(status, body, null)];

    private static string Key(string method, string user, int page, string? tag = null, string? taggingType = null) =>
        $"{method.ToLowerInvariant()} {user} {page}" + (tag is null ? "" : $" {tag} {taggingType}");

    private async Task Serve()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception) { return; }
            var q = ctx.Request.QueryString;
            string method = q["method"] ?? "", user = q["user"] ?? "";
            int page = int.TryParse(q["page"], out var p) ? p : 1;
            int limit = int.TryParse(q["limit"], out var l) ? l : 50;
            Requests.Enqueue((method, user, page, limit, q["api_key"] ?? "", DateTime.UtcNow));
            var key = Key(method, user, page, q["tag"], q["taggingtype"]);
            (int Status, string Body, string? RetryAfter) response = (200, """{"error":6,"message":"User not found"}""", null);
            if (_responses.TryGetValue(key, out var list) && list.Count > 0)
            {
                int n = _served.AddOrUpdate(key, 1, (_, v) => v + 1);
                response = list[Math.Min(n - 1, list.Count - 1)];
            }
            else if (q["format"] != "json" || string.IsNullOrEmpty(q["api_key"]))
                response = (400, """{"error":10,"message":"Invalid API key - You must be granted a valid key by last.fm"}""", null);
            var bytes = Encoding.UTF8.GetBytes(response.Body);
            ctx.Response.StatusCode = response.Status;
            ctx.Response.ContentType = "application/json";
            if (response.RetryAfter is not null) ctx.Response.Headers["Retry-After"] = response.RetryAfter;
            ctx.Response.ContentLength64 = bytes.Length;
            await ctx.Response.OutputStream.WriteAsync(bytes);
            ctx.Response.Close();
        }
    }

    public void Dispose()
    {
        try { _listener.Stop(); _listener.Close(); } catch (ObjectDisposedException) { }
        try { _loop.Wait(TimeSpan.FromSeconds(2)); } catch (AggregateException) { }
    }
}

/// <summary>Hand-written responses in the format the Last.fm API documents (user.getTopTracks etc.).</summary>
public static class LastFmFixtures
{
    public static string TopTracksPage(string user, int page, int totalPages, int total, params (string Name, string Artist, int Plays, int Rank)[] tracks) =>
        "{\"toptracks\":{\"track\":[" + string.Join(",", tracks.Select(t =>
            $$$$"""{"streamable":{"fulltrack":"0","#text":"0"},"mbid":"","name":"{{{{t.Name}}}}","image":[{"size":"small","#text":""}],"artist":{"url":"https://www.last.fm/music/x","name":"{{{{t.Artist}}}}","mbid":"mb-{{{{t.Artist}}}}"},"url":"https://www.last.fm/music/x/_/y","duration":"215","@attr":{"rank":"{{{{t.Rank}}}}"},"playcount":"{{{{t.Plays}}}}"}""")) +
        $$$$"""],"@attr":{"user":"{{{{user}}}}","totalPages":"{{{{totalPages}}}}","page":"{{{{page}}}}","perPage":"2","total":"{{{{total}}}}"}}}""";

    public static string TopAlbums(string user) => $$$$"""
        {"topalbums":{"album":[
          {"artist":{"url":"https://www.last.fm/music/Radiohead","name":"Radiohead","mbid":"a74b1b7f"},"image":[],"mbid":"b1392450","url":"https://www.last.fm/music/Radiohead/OK+Computer","playcount":"40","@attr":{"rank":"1"},"name":"OK Computer"},
          {"artist":{"url":"https://www.last.fm/music/Bjork","name":"Björk","mbid":""},"image":[],"mbid":"","url":"https://www.last.fm/music/Bjork/Homogenic","playcount":"0","@attr":{"rank":"2"},"name":"Homogenic"}
        ],"@attr":{"user":"{{{{user}}}}","totalPages":"1","page":"1","perPage":"50","total":"2"}}}
        """;

    /// <summary>A single artist: the API returns an object, not an array.</summary>
    public static string TopArtistsSingle(string user) => $$$$"""
        {"topartists":{"artist":{"streamable":"0","image":[],"mbid":"a74b1b7f","url":"https://www.last.fm/music/Radiohead","playcount":"120","@attr":{"rank":"1"},"name":"Radiohead"},
         "@attr":{"user":"{{{{user}}}}","totalPages":"1","page":"1","perPage":"50","total":"1"}}}
        """;

    public static string Loved(string user) => $$$$"""
        {"lovedtracks":{"track":[
          {"artist":{"url":"https://www.last.fm/music/Radiohead","name":"Radiohead","mbid":"a74b1b7f"},"date":{"uts":"1700000000","#text":"14 Nov 2023, 22:13"},"mbid":"","url":"https://www.last.fm/music/Radiohead/_/Airbag","name":"Airbag","image":[],"streamable":{"fulltrack":"0","#text":"0"}}
        ],"@attr":{"user":"{{{{user}}}}","totalPages":"1","page":"1","perPage":"50","total":"1"}}}
        """;

    public static string Empty(string root, string list, string user) =>
        $$$$"""{"{{{{root}}}}":{"{{{{list}}}}":[],"@attr":{"user":"{{{{user}}}}","totalPages":"0","page":"1","perPage":"50","total":"0"}}}""";

    /// <summary>A user.getInfo response as the API documents it.</summary>
    public static string Info(string user, string realName = "Richard Jones", string country = "United Kingdom", long plays = 150316, long registered = 1037793040) => $$$$"""
        {"user":{"name":"{{{{user}}}}","age":"0","subscriber":"0","realname":"{{{{realName}}}}","bootstrap":"0","playcount":"{{{{plays}}}}","artist_count":"9000",
         "playlists":"0","track_count":"52000","album_count":"16000","image":[{"size":"small","#text":""}],
         "registered":{"unixtime":"{{{{registered}}}}","#text":{{{{registered}}}}},"country":"{{{{country}}}}","gender":"n","url":"https://www.last.fm/user/{{{{user}}}}","type":"alum"}}
        """;

    public static string TopTags(string user, params (string Name, int Count)[] tags) =>
        "{\"toptags\":{\"tag\":[" + string.Join(",", tags.Select(t => $$$$"""{"name":"{{{{t.Name}}}}","count":"{{{{t.Count}}}}","url":"https://www.last.fm/tag/{{{{t.Name}}}}"}""")) +
        $$$$"""],"@attr":{"user":"{{{{user}}}}"}}}""";

    /// <summary>user.getPersonalTags with taggingtype=track.</summary>
    public static string TaggedTracks(string user, string tag, params (string Name, string Artist)[] tracks) =>
        "{\"taggings\":{\"tracks\":{\"track\":[" + string.Join(",", tracks.Select(t =>
            $$$$"""{"name":"{{{{t.Name}}}}","duration":"284","mbid":"","url":"https://www.last.fm/music/x/_/y","streamable":{"#text":"0","fulltrack":"0"},"artist":{"name":"{{{{t.Artist}}}}","mbid":"","url":"https://www.last.fm/music/x"},"image":[]}""")) +
        $$$$"""]},"@attr":{"user":"{{{{user}}}}","tag":"{{{{tag}}}}","page":"1","perPage":"50","totalPages":"1","total":"{{{{tracks.Length}}}}"}}}""";

    /// <summary>user.getPersonalTags with taggingtype=artist.</summary>
    public static string TaggedArtists(string user, string tag, params string[] artists) =>
        "{\"taggings\":{\"artists\":{\"artist\":[" + string.Join(",", artists.Select(a =>
            $$$$"""{"name":"{{{{a}}}}","mbid":"","url":"https://www.last.fm/music/{{{{a}}}}","streamable":"0","image":[]}""")) +
        $$$$"""]},"@attr":{"user":"{{{{user}}}}","tag":"{{{{tag}}}}","page":"1","perPage":"50","totalPages":"1","total":"{{{{artists.Length}}}}"}}}""";

    public const string Private = """{"error":17,"message":"Login: User required to be logged in"}""";
    public const string NotFound = """{"error":6,"message":"User not found"}""";
    public const string RateLimited = """{"error":29,"message":"Rate Limit Exceeded - Your IP has made too many requests in a short period"}""";

    /// <summary>
    /// User "rj": 5 top tracks over 3 pages of 2, 2 albums (one with 0 plays), 1 artist, 1 loved track, a profile, and
    /// two tags: "rock" on the tracks Airbag and Teardrop and the artist Radiohead, "90s" on Airbag (no artists).
    /// </summary>
    public static void AddRj(FakeLastFmServer s, string user = "rj")
    {
        s.Add("user.getInfo", user, 1, Info(user));
        s.Add("user.getTopTags", user, 1, TopTags(user, ("rock", 3), ("90s", 1)));
        s.AddTagged(user, "rock", "track", TaggedTracks(user, "rock", ("Airbag", "Radiohead"), ("Teardrop", "Massive Attack")));
        s.AddTagged(user, "rock", "artist", TaggedArtists(user, "rock", "Radiohead"));
        s.AddTagged(user, "90s", "track", TaggedTracks(user, "90s", ("Airbag", "Radiohead")));
        s.AddTagged(user, "90s", "artist", TaggedArtists(user, "90s"));
        s.Add("user.getTopTracks", user, 1, TopTracksPage(user, 1, 3, 5, ("Airbag", "Radiohead", 12, 1), ("Hunter", "Björk", 9, 2)));
        s.Add("user.getTopTracks", user, 2, TopTracksPage(user, 2, 3, 5, ("Lucky", "Radiohead", 7, 3), ("Joga", "Björk", 5, 4)));
        s.Add("user.getTopTracks", user, 3, TopTracksPage(user, 3, 3, 5, ("Teardrop", "Massive Attack", 3, 5)));
        s.Add("user.getTopAlbums", user, 1, TopAlbums(user));
        s.Add("user.getTopArtists", user, 1, TopArtistsSingle(user));
        s.Add("user.getLovedTracks", user, 1, Loved(user));
    }
}
