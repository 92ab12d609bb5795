using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Data.Readers;
using Trove.Data.Stores;

namespace Trove.Data.LastFm;

/// <summary>What happened to one user.</summary>
public sealed record LastFmUserResult(string User, IngestStatus Status, long Interactions, string? Reason);

public sealed record LastFmFetchSummary(IReadOnlyList<LastFmUserResult> Users, int Requests, double Seconds)
{
    public int Fetched => Users.Count(u => u.Status == IngestStatus.Ok);
    public int Skipped => Users.Count(u => u.Status == IngestStatus.Skipped);
    public int Failed => Users.Count(u => u.Status == IngestStatus.Failed);
    public long Interactions => Users.Sum(u => u.Interactions);
}

/// <summary>
/// Fetches users' top tracks, albums, artists, loved tracks, profile (user.getInfo) and own tags (user.getTopTags, then
/// user.getPersonalTags per tag for tracks and artists) and stores them (seed 004's population script): items are
/// <c>track:ARTIST - NAME</c>, <c>album:ARTIST - NAME</c>, <c>artist:NAME</c> with features kind, name, artist, mbid;
/// interactions are "play" (weight = score = play count; entries with 0 plays are dropped), "love" (weight 1,
/// timestamp = when loved) and "tag" (weight = score = the user's tags on the item); the profile goes to lastfm_users
/// and the tag names to user_item_tags. Each user's previous play/love/tag rows, profile and tags are replaced in ONE
/// transaction, only after every fetch succeeded. Every fetch (user x method) is a row in ingest_logs; private
/// (error 17) and unknown (error 6) users are skipped with the reason logged.
/// </summary>
public sealed class LastFmFetcher(LastFmClient client, ICollaborativeStore store, Func<TimeSpan, CancellationToken, Task>? delay = null)
{
    public const string Source = "lastfm";
    private readonly Func<TimeSpan, CancellationToken, Task> _delay = delay ?? ((t, c) => Task.Delay(t, c));

    /// <summary>Called after each user (for progress lines).</summary>
    public Action<LastFmUserResult>? UserDone { get; init; }

    public async Task<LastFmFetchSummary> FetchAsync(IReadOnlyList<string> users, CancellationToken cancel = default)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int startRequests = client.RequestCount;
        var results = new List<LastFmUserResult>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int k = 0; k < users.Count; k++)
        {
            var user = users[k].Trim();
            if (user.Length == 0 || !seen.Add(user)) continue;
            if (results.Count > 0 && client.Options.DelayBetweenUsers > TimeSpan.Zero) await _delay(client.Options.DelayBetweenUsers, cancel).ConfigureAwait(false);
            var result = await FetchUserAsync(user, cancel).ConfigureAwait(false);
            results.Add(result);
            UserDone?.Invoke(result);
        }
        return new LastFmFetchSummary(results, client.RequestCount - startRequests, clock.Elapsed.TotalSeconds);
    }

    private int Max(LastFmMethod m) =>
        m == LastFmMethod.TopTracks ? client.Options.TopTracks :
        m == LastFmMethod.TopAlbums ? client.Options.TopAlbums :
        m == LastFmMethod.TopArtists ? client.Options.TopArtists : client.Options.LovedTracks;

    /// <summary>The kinds whose personal tags are fetched for each of the user's top tags.</summary>
    public static readonly IReadOnlyList<string> TaggedKinds = ["track", "artist"];

    /// <summary>A fetch that failed or skipped the user: the user's result, already logged.</summary>
    private sealed class UserStopped(LastFmUserResult result) : Exception
    {
        public LastFmUserResult Result { get; } = result;
    }

    public async Task<LastFmUserResult> FetchUserAsync(string user, CancellationToken cancel = default)
    {
        var fetched = new List<(LastFmMethod Method, List<LastFmEntry> Entries)>();
        LastFmUserProfile? profile = null;
        List<(string Tag, LastFmMethod Method, List<LastFmEntry> Entries)>? tagged = null;
        try
        {
            foreach (var method in LastFmMethod.All)
            {
                int max = Max(method);
                if (max <= 0) continue;
                fetched.Add((method, await Fetch(method.Name, user, () => client.GetAllAsync(method, user, max, cancel), e => e.Count).ConfigureAwait(false)));
            }
            if (client.Options.UserInfo)
            {
                var info = await Fetch("user.getInfo", user, () => client.GetUserInfoAsync(user, cancel), _ => 1).ConfigureAwait(false);
                profile = new LastFmUserProfile(user, info.RealName, info.Country, info.PlayCount, info.RegisteredUtc, info.Url);
            }
            if (client.Options.TopTags > 0)
            {
                tagged = [];
                var top = await Fetch(LastFmMethod.TopTags.Name, user, () => client.GetAllAsync(LastFmMethod.TopTags, user, client.Options.TopTags, cancel), e => e.Count).ConfigureAwait(false);
                foreach (var tag in top.Select(t => t.Name.Trim()).Where(t => t.Length > 0).Distinct(StringComparer.Ordinal))
                    foreach (var kind in TaggedKinds)
                    {
                        var method = LastFmMethod.PersonalTags(tag, kind);
                        var entries = await Fetch($"{method.Name}({kind}s, {tag})", user, () => client.GetAllAsync(method, user, client.Options.TaggedItems, cancel), e => e.Count).ConfigureAwait(false);
                        tagged.Add((tag, method, entries));
                    }
            }
        }
        catch (UserStopped stop) { return stop.Result; }

        var startedStore = DateTime.UtcNow;
        try
        {
            var (items, features, rows, tags) = ToRows(user, fetched, tagged);
            string[] replaced = tagged is null ? ["play", "love"] : ["play", "love", "tag"];
            var result = store.ReplaceUserInteractions(user, replaced, items, features, rows, profile, tags);
            Log("store", user, startedStore, result.Interactions, IngestStatus.Ok, null, 0);
            return new LastFmUserResult(user, IngestStatus.Ok, result.Interactions, null);
        }
        catch (TroveException e)
        {
            Log("store", user, startedStore, 0, IngestStatus.Failed, e.Message, 0);
            return new LastFmUserResult(user, IngestStatus.Failed, 0, e.Message);
        }
    }

    /// <summary>
    /// One logged fetch. Private (17) and unknown (6) users stop the user as skipped, other errors as failed; a bad API
    /// key stops the whole run.
    /// </summary>
    private async Task<T> Fetch<T>(string what, string user, Func<Task<(T Value, int Requests)>> call, Func<T, long> rows)
    {
        var started = DateTime.UtcNow;
        int before = client.RequestCount;
        try
        {
            var (value, _) = await call().ConfigureAwait(false);
            Log(what, user, started, rows(value), IngestStatus.Ok, null, client.RequestCount - before);
            return value;
        }
        catch (LastFmApiException e) when (e.IsUnknownOrPrivateUser)
        {
            var reason = e.Code == 17 ? $"private profile (error 17: {e.ApiMessage})" : $"user not found (error 6: {e.ApiMessage})";
            Log(what, user, started, 0, IngestStatus.Skipped, reason, client.RequestCount - before);
            throw new UserStopped(new LastFmUserResult(user, IngestStatus.Skipped, 0, reason));
        }
        catch (TroveException e)
        {
            Log(what, user, started, 0, IngestStatus.Failed, e.Message, client.RequestCount - before);
            // A bad API key fails every user: stop the run with the API's message.
            if (e is LastFmApiException { IsKeyProblem: true }) throw new TroveException($"{e.Message} (check --api-key); stopped at user '{user}'.", e);
            throw new UserStopped(new LastFmUserResult(user, IngestStatus.Failed, 0, e.Message));
        }
    }

    /// <summary>
    /// Items (with features), interactions and tags of one user's responses. Each tagged item gets one "tag" interaction
    /// whose weight and score are the number of the user's tags on it (a user who tagged a track "rock" and "90s" has
    /// shown more interest than one tag says); the tag names go to <c>user_item_tags</c>.
    /// </summary>
    public static (IdMap Items, FeatureTable Features, List<InteractionRecord> Rows, List<UserItemTag>? Tags) ToRows(string user,
        IEnumerable<(LastFmMethod Method, List<LastFmEntry> Entries)> fetched, IEnumerable<(string Tag, LastFmMethod Method, List<LastFmEntry> Entries)>? tagged)
    {
        var items = new IdMap();
        var features = new FeatureTableBuilder();
        features.AddColumn("kind", FeatureKind.Categorical);
        features.AddColumn("name", FeatureKind.Text);
        features.AddColumn("artist", FeatureKind.Text);
        features.AddColumn("mbid", FeatureKind.Text);
        string Item(string kind, LastFmEntry e)
        {
            var id = ItemId(kind, e.Name, e.Artist);
            int at = items.GetOrAdd(id);
            features.Set("kind", at, kind);
            features.Set("name", at, e.Name);
            if (e.Artist is not null) features.Set("artist", at, e.Artist);
            if (e.Mbid is not null) features.Set("mbid", at, e.Mbid);
            return id;
        }
        var rows = new List<InteractionRecord>();
        foreach (var (method, entries) in fetched)
        {
            foreach (var e in entries)
            {
                bool love = method.Event == "love";
                if (!love && e.PlayCount <= 0) continue; // seed 004: drop tracks with 0 plays
                var id = Item(method.Kind, e);
                rows.Add(love
                    ? new InteractionRecord(user, id, 1f, null, e.Timestamp, "love")
                    : new InteractionRecord(user, id, e.PlayCount, e.PlayCount, 0, "play"));
            }
        }
        List<UserItemTag>? tags = null;
        if (tagged is not null)
        {
            var unique = new HashSet<UserItemTag>();
            tags = [];
            foreach (var (tag, method, entries) in tagged)
                foreach (var e in entries)
                {
                    var row = new UserItemTag(user, Item(method.Kind, e), tag);
                    if (unique.Add(row)) tags.Add(row);
                }
            foreach (var group in tags.GroupBy(t => t.Item, StringComparer.Ordinal))
            {
                int n = group.Count();
                rows.Add(new InteractionRecord(user, group.Key, n, n, 0, "tag"));
            }
        }
        return (items, features.Build(items.Count), rows, tags);
    }

    public static string ItemId(string kind, string name, string? artist) =>
        kind == "artist" || string.IsNullOrEmpty(artist) ? $"{kind}:{name}" : $"{kind}:{artist} - {name}";

    private void Log(string what, string user, DateTime started, long rows, IngestStatus status, string? error, int requests) =>
        store.LogIngest(new IngestLogEntry
        {
            Source = $"{Source}:{what}", Target = user, StartedUtc = started, FinishedUtc = DateTime.UtcNow,
            Rows = rows, Status = status, Error = error, Requests = requests,
        });
}
