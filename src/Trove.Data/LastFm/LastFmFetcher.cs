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
/// Fetches users' top tracks, albums, artists and loved tracks and stores them (seed 004's population script):
/// items are <c>track:ARTIST - NAME</c>, <c>album:ARTIST - NAME</c>, <c>artist:NAME</c> with features kind, name,
/// artist, mbid; interactions are "play" (weight = score = play count; entries with 0 plays are dropped) and
/// "love" (weight 1, timestamp = when loved). Each user's previous play/love rows are replaced in ONE
/// transaction, only after all four methods succeeded. Every fetch (user x method) is a row in ingest_logs;
/// private (error 17) and unknown (error 6) users are skipped with the reason logged.
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

    public async Task<LastFmUserResult> FetchUserAsync(string user, CancellationToken cancel = default)
    {
        var fetched = new List<(LastFmMethod Method, List<LastFmEntry> Entries)>();
        foreach (var method in LastFmMethod.All)
        {
            int max = Max(method);
            if (max <= 0) continue;
            var started = DateTime.UtcNow;
            int before = client.RequestCount;
            try
            {
                var (entries, _) = await client.GetAllAsync(method, user, max, cancel).ConfigureAwait(false);
                fetched.Add((method, entries));
                Log(method, user, started, entries.Count, IngestStatus.Ok, null, client.RequestCount - before);
            }
            catch (LastFmApiException e) when (e.IsUnknownOrPrivateUser)
            {
                var reason = e.Code == 17 ? $"private profile (error 17: {e.ApiMessage})" : $"user not found (error 6: {e.ApiMessage})";
                Log(method, user, started, 0, IngestStatus.Skipped, reason, client.RequestCount - before);
                return new LastFmUserResult(user, IngestStatus.Skipped, 0, reason);
            }
            catch (TroveException e)
            {
                Log(method, user, started, 0, IngestStatus.Failed, e.Message, client.RequestCount - before);
                // A bad API key fails every user: stop the run with the API's message.
                if (e is LastFmApiException { IsKeyProblem: true }) throw new TroveException($"{e.Message} (check --api-key); stopped at user '{user}'.", e);
                return new LastFmUserResult(user, IngestStatus.Failed, 0, e.Message);
            }
        }
        var startedStore = DateTime.UtcNow;
        try
        {
            var (items, features, rows) = ToRows(user, fetched);
            var result = store.ReplaceUserInteractions(user, [LastFmMethod.TopTracks.Event, LastFmMethod.LovedTracks.Event], items, features, rows);
            Log("store", user, startedStore, result.Interactions, IngestStatus.Ok, null, 0);
            return new LastFmUserResult(user, IngestStatus.Ok, result.Interactions, null);
        }
        catch (TroveException e)
        {
            Log("store", user, startedStore, 0, IngestStatus.Failed, e.Message, 0);
            return new LastFmUserResult(user, IngestStatus.Failed, 0, e.Message);
        }
    }

    /// <summary>Items (with features) and interactions of one user's responses.</summary>
    public static (IdMap Items, FeatureTable Features, List<InteractionRecord> Rows) ToRows(string user, IEnumerable<(LastFmMethod Method, List<LastFmEntry> Entries)> fetched)
    {
        var items = new IdMap();
        var features = new FeatureTableBuilder();
        features.AddColumn("kind", FeatureKind.Categorical);
        features.AddColumn("name", FeatureKind.Text);
        features.AddColumn("artist", FeatureKind.Text);
        features.AddColumn("mbid", FeatureKind.Text);
        var rows = new List<InteractionRecord>();
        foreach (var (method, entries) in fetched)
        {
            foreach (var e in entries)
            {
                bool love = method.Event == "love";
                if (!love && e.PlayCount <= 0) continue; // seed 004: drop tracks with 0 plays
                var id = ItemId(method.Kind, e.Name, e.Artist);
                int at = items.GetOrAdd(id);
                features.Set("kind", at, method.Kind);
                features.Set("name", at, e.Name);
                if (e.Artist is not null) features.Set("artist", at, e.Artist);
                if (e.Mbid is not null) features.Set("mbid", at, e.Mbid);
                rows.Add(love
                    ? new InteractionRecord(user, id, 1f, null, e.Timestamp, "love")
                    : new InteractionRecord(user, id, e.PlayCount, e.PlayCount, 0, "play"));
            }
        }
        return (items, features.Build(items.Count), rows);
    }

    public static string ItemId(string kind, string name, string? artist) =>
        kind == "artist" || string.IsNullOrEmpty(artist) ? $"{kind}:{name}" : $"{kind}:{artist} - {name}";

    private void Log(LastFmMethod method, string user, DateTime started, long rows, IngestStatus status, string? error, int requests) =>
        Log(method.Name, user, started, rows, status, error, requests);

    private void Log(string what, string user, DateTime started, long rows, IngestStatus status, string? error, int requests) =>
        store.LogIngest(new IngestLogEntry
        {
            Source = $"{Source}:{what}", Target = user, StartedUtc = started, FinishedUtc = DateTime.UtcNow,
            Rows = rows, Status = status, Error = error, Requests = requests,
        });
}
