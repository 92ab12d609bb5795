using System.Globalization;
using System.Net;
using System.Text.Json;
using Trove.Core.Errors;

namespace Trove.Data.LastFm;

/// <summary>Configuration of the Last.fm API client: endpoint, key, request rate, retries, page sizes.</summary>
public sealed record LastFmOptions
{
    public const string DefaultApiUrl = "https://ws.audioscrobbler.com/2.0/";

    /// <summary>The API root (requests are GET {ApiUrl}?method=...&amp;format=json).</summary>
    public string ApiUrl { get; init; } = DefaultApiUrl;
    public string ApiKey { get; init; } = "";
    /// <summary>At most this many requests per second (0 = unlimited). Last.fm asks for at most ~5/s; seed 004 used 30/min.</summary>
    public double RequestsPerSecond { get; init; } = 5;
    /// <summary>Pause between two users.</summary>
    public TimeSpan DelayBetweenUsers { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Retries after the first attempt, on HTTP 429/5xx, network errors and Last.fm errors 8, 11, 16, 29.</summary>
    public int MaxRetries { get; init; } = 4;
    /// <summary>First backoff; doubles on every retry (a Retry-After header wins when longer).</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(500);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Items per page (Last.fm's limit parameter, max 1000).</summary>
    public int PageSize { get; init; } = 50;
    /// <summary>Top items per user and method (seed 004: tracks 100, albums 50, artists 30); loved tracks are not capped unless set.</summary>
    public int TopTracks { get; init; } = 100;
    public int TopAlbums { get; init; } = 50;
    public int TopArtists { get; init; } = 30;
    public int LovedTracks { get; init; } = 1000;
    /// <summary>Fetch user.getInfo (the profile kept in lastfm_users).</summary>
    public bool UserInfo { get; init; } = true;
    /// <summary>The user's top tags to follow (user.getTopTags); 0 = fetch no tags.</summary>
    public int TopTags { get; init; } = 10;
    /// <summary>Items per tag and kind (tracks, artists) the user tagged with it (user.getPersonalTags).</summary>
    public int TaggedItems { get; init; } = 50;

    /// <summary>Parses a rate such as <c>5/s</c>, <c>30/min</c>, <c>1000/h</c> or <c>2.5</c> (per second).</summary>
    public static double ParseRate(string spec)
    {
        var s = spec.Trim().ToLowerInvariant();
        double per = 1;
        int slash = s.IndexOf('/');
        if (slash >= 0)
        {
            per = s[(slash + 1)..].Trim() switch
            {
                "s" or "sec" or "second" => 1,
                "m" or "min" or "minute" => 60,
                "h" or "hour" => 3600,
                var unit => throw new TroveException($"Unknown rate unit '{unit}' in '{spec}': use /s, /min or /h."),
            };
            s = s[..slash];
        }
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) || n < 0 || !double.IsFinite(n))
            throw new TroveException($"Invalid rate '{spec}': expected e.g. 5/s or 30/min.");
        return n / per;
    }
}

/// <summary>A Last.fm API error response ({"error": 6, "message": "User not found"}).</summary>
public sealed class LastFmApiException(int code, string message, int httpStatus)
    : TroveException($"Last.fm error {code}: {message}")
{
    public int Code { get; } = code;
    public string ApiMessage { get; } = message;
    public int HttpStatus { get; } = httpStatus;

    /// <summary>6: invalid parameters / user not found; 17: login required (private profile).</summary>
    public bool IsUnknownOrPrivateUser => Code is 6 or 17;
    /// <summary>8 operation failed, 11 service offline, 16 temporarily unavailable, 29 rate limit exceeded.</summary>
    public bool IsTransient => Code is 8 or 11 or 16 or 29;
    /// <summary>4 authentication failed, 10 invalid API key, 26 suspended key: no user can be fetched.</summary>
    public bool IsKeyProblem => Code is 4 or 10 or 26;
}

/// <summary>One page of a user.getTop*/user.getLovedTracks response.</summary>
public sealed record LastFmPage(IReadOnlyList<LastFmEntry> Entries, int Page, int TotalPages, int Total, int Requests);

/// <summary>One track/album/artist of a response: play count for top lists, love time for loved tracks.</summary>
public sealed record LastFmEntry(string Name, string? Artist, string? Mbid, long PlayCount, int Rank, long Timestamp, string? Url);

/// <summary>
/// A paged user method the fetcher uses, with its JSON root and list names (and, for user.getPersonalTags, the
/// container between them and the extra query parameters).
/// </summary>
public sealed record LastFmMethod(string Name, string Root, string List, string Kind, string Event)
{
    public static readonly LastFmMethod TopTracks = new("user.getTopTracks", "toptracks", "track", "track", "play");
    public static readonly LastFmMethod TopAlbums = new("user.getTopAlbums", "topalbums", "album", "album", "play");
    public static readonly LastFmMethod TopArtists = new("user.getTopArtists", "topartists", "artist", "artist", "play");
    public static readonly LastFmMethod LovedTracks = new("user.getLovedTracks", "lovedtracks", "track", "track", "love");
    /// <summary>The user's most used tags (entries: tag name and how often the user applied it).</summary>
    public static readonly LastFmMethod TopTags = new("user.getTopTags", "toptags", "tag", "tag", "tag");
    public static IReadOnlyList<LastFmMethod> All { get; } = [TopTracks, TopAlbums, TopArtists, LovedTracks];

    /// <summary>The object between <see cref="Root"/> and <see cref="List"/> (user.getPersonalTags: "tracks", "artists").</summary>
    public string? Container { get; init; }
    /// <summary>Extra query parameters, already escaped, starting with '&amp;'.</summary>
    public string Query { get; init; } = "";

    /// <summary>user.getPersonalTags: the <paramref name="kind"/>s (track, album, artist) the user tagged with <paramref name="tag"/>.</summary>
    public static LastFmMethod PersonalTags(string tag, string kind) =>
        new("user.getPersonalTags", "taggings", kind, kind, "tag")
        {
            Container = kind + "s",
            Query = $"&tag={Uri.EscapeDataString(tag)}&taggingtype={Uri.EscapeDataString(kind)}",
        };
}

/// <summary>A user.getInfo response: the profile fields Trove keeps.</summary>
public sealed record LastFmUserInfo(string Name, string? RealName, string? Country, long? PlayCount, DateTime? RegisteredUtc, string? Url);

/// <summary>
/// A small client for the public Last.fm API (JSON): rate-limited (a minimum interval between request starts),
/// retries with exponential backoff on HTTP 429/5xx, network errors/timeouts and transient API errors.
/// Non-transient API errors (6 user not found, 17 login required, 10 invalid key...) throw <see cref="LastFmApiException"/> at once.
/// </summary>
public sealed class LastFmClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Func<TimeSpan, CancellationToken, Task> _delay;
    private DateTime _nextSlot = DateTime.MinValue;

    public LastFmOptions Options { get; }
    /// <summary>HTTP requests sent so far (including retries).</summary>
    public int RequestCount { get; private set; }

    public LastFmClient(LastFmOptions options, HttpClient? http = null, Func<TimeSpan, CancellationToken, Task>? delay = null)
    {
        if (string.IsNullOrWhiteSpace(options.ApiUrl) || !Uri.TryCreate(options.ApiUrl, UriKind.Absolute, out _))
            throw new TroveException($"Invalid Last.fm API URL '{options.ApiUrl}'.");
        if (options.PageSize is < 1 or > 1000) throw new TroveException($"Last.fm page size must be 1..1000, got {options.PageSize}.");
        Options = options;
        _ownsHttp = http is null;
        _http = http ?? new HttpClient { Timeout = Timeout.InfiniteTimeSpan }; // RequestTimeout applies per attempt below
        _delay = delay ?? ((t, c) => Task.Delay(t, c));
    }

    /// <summary>Up to <paramref name="max"/> entries of <paramref name="method"/> for <paramref name="user"/>, following pages.</summary>
    public async Task<(List<LastFmEntry> Entries, int Requests)> GetAllAsync(LastFmMethod method, string user, int max, CancellationToken cancel = default)
    {
        var all = new List<LastFmEntry>();
        int requests = 0;
        for (int page = 1; all.Count < max; page++)
        {
            var p = await GetPageAsync(method, user, page, Math.Min(Options.PageSize, Math.Max(1, max)), cancel).ConfigureAwait(false);
            requests += p.Requests;
            all.AddRange(p.Entries.Take(max - all.Count));
            if (p.Entries.Count == 0 || page >= p.TotalPages) break;
        }
        return (all, requests);
    }

    public async Task<LastFmPage> GetPageAsync(LastFmMethod method, string user, int page, int limit, CancellationToken cancel = default)
    {
        var (body, attempts) = await SendAsync(method.Name, user, $"{method.Query}&page={page}&limit={limit}", $" page {page}", cancel).ConfigureAwait(false);
        return Parse(method, body, attempts);
    }

    /// <summary>user.getInfo: the user's profile (one request, retried like the others).</summary>
    public async Task<(LastFmUserInfo Info, int Requests)> GetUserInfoAsync(string user, CancellationToken cancel = default)
    {
        var (body, attempts) = await SendAsync("user.getInfo", user, "", "", cancel).ConfigureAwait(false);
        return (ParseUserInfo(body), attempts);
    }

    /// <summary>One API call with the rate limit and retries; returns the body of the successful attempt.</summary>
    private async Task<(string Body, int Attempts)> SendAsync(string methodName, string user, string query, string where, CancellationToken cancel)
    {
        var url = $"{Options.ApiUrl.TrimEnd('?')}{(Options.ApiUrl.Contains('?') ? "&" : "?")}method={methodName.ToLowerInvariant()}" +
                  $"&user={Uri.EscapeDataString(user)}&api_key={Uri.EscapeDataString(Options.ApiKey)}&format=json{query}";
        int attempts = 0;
        var backoff = Options.InitialBackoff;
        while (true)
        {
            attempts++;
            TimeSpan? retryAfter = null;
            string? failure;
            try
            {
                await WaitForSlotAsync(cancel).ConfigureAwait(false);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                timeout.CancelAfter(Options.RequestTimeout);
                using var response = await _http.GetAsync(url, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
                RequestCount++;
                var body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
                int status = (int)response.StatusCode;
                var error = TryParseError(body, status);
                if (status == 429 || status >= 500 || error is { IsTransient: true })
                {
                    failure = error is not null ? $"{error.Message} (HTTP {status})" : $"HTTP {status} {response.ReasonPhrase}";
                    retryAfter = response.Headers.RetryAfter?.Delta;
                }
                else if (error is not null) throw error;
                else if (!response.IsSuccessStatusCode) throw new TroveException($"Last.fm {methodName} for '{user}': HTTP {status} {response.ReasonPhrase}.");
                else return (body, attempts);
            }
            catch (HttpRequestException e) { failure = e.Message; }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested) { failure = $"timed out after {Options.RequestTimeout.TotalSeconds:0.#}s"; }
            if (attempts > Options.MaxRetries)
                throw new LastFmRetriesExhaustedException($"Last.fm {methodName} for '{user}'{where} failed after {attempts} attempts: {failure}", attempts);
            var wait = retryAfter is { } ra && ra > backoff ? ra : backoff;
            await _delay(wait > Options.MaxBackoff ? Options.MaxBackoff : wait, cancel).ConfigureAwait(false);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, Options.MaxBackoff.Ticks));
        }
    }

    /// <summary>Parses a user.getInfo body (public for tests and for recorded files).</summary>
    public static LastFmUserInfo ParseUserInfo(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (!doc.RootElement.TryGetProperty("user", out var u) || u.ValueKind != JsonValueKind.Object)
                throw new TroveException("Last.fm user.getInfo: the response has no 'user' object.");
            string name = Str(u, "name") ?? throw new TroveException("Last.fm user.getInfo: the user has no name.");
            DateTime? registered = null;
            if (u.TryGetProperty("registered", out var reg))
            {
                // {"unixtime": "1037793040", "#text": 1037793040}; older responses give the number alone.
                long unix = reg.ValueKind == JsonValueKind.Object ? Long(reg, "unixtime", Long(reg, "#text", 0))
                    : reg.ValueKind == JsonValueKind.Number ? reg.GetInt64()
                    : long.TryParse(reg.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : 0;
                if (unix > 0) registered = DateTime.UnixEpoch.AddSeconds(unix);
            }
            long plays = Long(u, "playcount", -1);
            var country = NullIfEmpty(Str(u, "country"));
            if (country is "None") country = null; // Last.fm's placeholder for an unset country
            return new LastFmUserInfo(name, NullIfEmpty(Str(u, "realname")), country, plays >= 0 ? plays : null, registered, NullIfEmpty(Str(u, "url")));
        }
        catch (JsonException e)
        {
            throw new TroveException($"Last.fm user.getInfo: malformed JSON response: {e.Message}", e);
        }
    }

    /// <summary>Rate limit: request starts are at least 1/rate apart.</summary>
    private async Task WaitForSlotAsync(CancellationToken cancel)
    {
        if (Options.RequestsPerSecond <= 0) return;
        var interval = TimeSpan.FromSeconds(1 / Options.RequestsPerSecond);
        await _gate.WaitAsync(cancel).ConfigureAwait(false);
        try
        {
            var now = DateTime.UtcNow;
            if (_nextSlot > now) await Task.Delay(_nextSlot - now, cancel).ConfigureAwait(false);
            _nextSlot = (DateTime.UtcNow > _nextSlot ? DateTime.UtcNow : _nextSlot) + interval;
        }
        finally { _gate.Release(); }
    }

    private static LastFmApiException? TryParseError(string body, int status)
    {
        if (string.IsNullOrWhiteSpace(body) || body.TrimStart()[0] != '{') return null;
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out var code))
            {
                int c = code.ValueKind == JsonValueKind.Number ? code.GetInt32() : int.Parse(code.GetString() ?? "0", CultureInfo.InvariantCulture);
                var message = doc.RootElement.TryGetProperty("message", out var m) ? m.GetString() ?? "" : "";
                return new LastFmApiException(c, message, status);
            }
        }
        catch (JsonException) { }
        catch (FormatException) { }
        return null;
    }

    /// <summary>Parses a response body of <paramref name="method"/> (public for tests and for recorded files).</summary>
    public static LastFmPage Parse(LastFmMethod method, string body, int requests = 1)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (!doc.RootElement.TryGetProperty(method.Root, out var root))
                throw new TroveException($"Last.fm {method.Name}: the response has no '{method.Root}' object.");
            var entries = new List<LastFmEntry>();
            var container = root;
            if (method.Container is { } c && !(root.TryGetProperty(c, out container) && container.ValueKind == JsonValueKind.Object)) container = default;
            if (container.ValueKind == JsonValueKind.Object && container.TryGetProperty(method.List, out var list))
            {
                // A single result comes as an object instead of an array.
                if (list.ValueKind == JsonValueKind.Array) foreach (var e in list.EnumerateArray()) entries.Add(Entry(e));
                else if (list.ValueKind == JsonValueKind.Object) entries.Add(Entry(list));
            }
            int page = 1, totalPages = 1, total = entries.Count;
            if (root.TryGetProperty("@attr", out var attr))
            {
                page = Int(attr, "page", 1);
                totalPages = Int(attr, "totalPages", 1);
                total = Int(attr, "total", entries.Count);
            }
            return new LastFmPage(entries, page, totalPages, total, requests);
        }
        catch (JsonException e)
        {
            throw new TroveException($"Last.fm {method.Name}: malformed JSON response: {e.Message}", e);
        }
    }

    private static LastFmEntry Entry(JsonElement e)
    {
        string name = Str(e, "name") ?? throw new TroveException("Last.fm response entry without a name.");
        string? artist = null;
        if (e.TryGetProperty("artist", out var a))
            artist = a.ValueKind == JsonValueKind.String ? a.GetString() : Str(a, "name") ?? Str(a, "#text");
        long plays = Long(e, "playcount", Long(e, "count", 0)); // tags carry "count": how often the user applied them
        int rank = e.TryGetProperty("@attr", out var attr) ? Int(attr, "rank", 0) : 0;
        long uts = e.TryGetProperty("date", out var date) && date.ValueKind == JsonValueKind.Object ? Long(date, "uts", 0) : 0;
        return new LastFmEntry(name, artist, NullIfEmpty(Str(e, "mbid")), plays, rank, uts, Str(e, "url"));
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number => v.GetRawText(),
            _ => null,
        } : null;

    private static int Int(JsonElement e, string name, int fallback) => (int)Long(e, name, fallback);

    private static long Long(JsonElement e, string name, long fallback) =>
        Str(e, name) is { } s && long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : fallback;

    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
        _gate.Dispose();
    }
}

/// <summary>Retries ran out (HTTP 429/5xx or transient errors every time).</summary>
public sealed class LastFmRetriesExhaustedException(string message, int attempts) : TroveException(message)
{
    public int Attempts { get; } = attempts;
}
