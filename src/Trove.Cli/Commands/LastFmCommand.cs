using System.CommandLine;
using System.Globalization;
using Trove.Cli.Infrastructure;
using Trove.Core.Errors;
using Trove.Data.LastFm;
using Trove.Data.Stores;

namespace Trove.Cli.Commands;

/// <summary>
/// `trove lastfm fetch --users u1,u2 --db ... [--api-url URL] [--api-key KEY] [--rate 5/s] [--delay 1s]`: fetches each
/// user's top tracks/albums/artists, loved tracks, profile and own tags from the Last.fm API into the store (see <see cref="LastFmFetcher"/>).
/// The key may also come from env LASTFM_API_KEY, the URL from LASTFM_API_URL.
/// </summary>
public static class LastFmCommand
{
    public static Command Create()
    {
        var command = new Command("lastfm", "Last.fm API: fetch users' listening data.");
        var users = new Option<string[]>("--users") { Description = "Last.fm user names (comma-separated or repeated).", AllowMultipleArgumentsPerToken = true, Required = true };
        var db = new Option<string>("--db") { Description = "The database (SQLite file or postgres://...).", Required = true };
        var apiUrl = new Option<string?>("--api-url") { Description = $"API root (default env LASTFM_API_URL or {LastFmOptions.DefaultApiUrl})." };
        var apiKey = new Option<string?>("--api-key") { Description = "API key (default env LASTFM_API_KEY)." };
        var rate = new Option<string>("--rate") { Description = "Maximum request rate, e.g. 5/s or 30/min (0 = unlimited).", DefaultValueFactory = _ => "5/s" };
        var delay = new Option<double>("--delay") { Description = "Seconds to wait between users.", DefaultValueFactory = _ => 1.0 };
        var retries = new Option<int>("--retries") { Description = "Retries on HTTP 429/5xx and transient errors (exponential backoff).", DefaultValueFactory = _ => 4 };
        var backoff = new Option<double>("--backoff") { Description = "First backoff in seconds (doubles per retry).", DefaultValueFactory = _ => 0.5 };
        var tracks = new Option<int>("--tracks") { Description = "Top tracks per user.", DefaultValueFactory = _ => 100 };
        var albums = new Option<int>("--albums") { Description = "Top albums per user.", DefaultValueFactory = _ => 50 };
        var artists = new Option<int>("--artists") { Description = "Top artists per user.", DefaultValueFactory = _ => 30 };
        var loved = new Option<int>("--loved") { Description = "Loved tracks per user (most recent first).", DefaultValueFactory = _ => 1000 };
        var tags = new Option<int>("--tags") { Description = "The user's top tags to follow (user.getTopTags, then the tracks and artists tagged with each); 0 = no tags.", DefaultValueFactory = _ => 10 };
        var taggedItems = new Option<int>("--tagged-items") { Description = "Tracks and artists per tag (user.getPersonalTags).", DefaultValueFactory = _ => 50 };
        var noProfile = new Option<bool>("--no-profile") { Description = "Skip user.getInfo (the profile kept in lastfm_users)." };
        var pageSize = new Option<int>("--page-size") { Description = "Items per API page (1-1000).", DefaultValueFactory = _ => 50 };
        var fetch = new Command("fetch", "Fetch top tracks/albums/artists, loved tracks, profiles and tags of --users into --db; every fetch is logged in ingest_logs.")
        {
            users, db, apiUrl, apiKey, rate, delay, retries, backoff, tracks, albums, artists, loved, tags, taggedItems, noProfile, pageSize,
        };
        fetch.SetAction(r => CommandRunner.Run(() =>
        {
            var names = (r.GetValue(users) ?? []).SelectMany(u => u.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
            if (names.Count == 0) throw new TroveException("Give at least one user: --users u1,u2.");
            var key = r.GetValue(apiKey) ?? Environment.GetEnvironmentVariable("LASTFM_API_KEY");
            if (string.IsNullOrWhiteSpace(key)) throw new TroveException("Give a Last.fm API key: --api-key KEY or env LASTFM_API_KEY.");
            double delaySeconds = r.GetValue(delay), backoffSeconds = r.GetValue(backoff);
            if (delaySeconds < 0 || backoffSeconds < 0) throw new TroveException("--delay and --backoff must be >= 0.");
            if (r.GetValue(retries) < 0) throw new TroveException("--retries must be >= 0.");
            if (r.GetValue(tags) < 0 || r.GetValue(taggedItems) < 0) throw new TroveException("--tags and --tagged-items must be >= 0.");
            var options = new LastFmOptions
            {
                ApiUrl = r.GetValue(apiUrl) ?? Environment.GetEnvironmentVariable("LASTFM_API_URL") ?? LastFmOptions.DefaultApiUrl,
                ApiKey = key,
                RequestsPerSecond = LastFmOptions.ParseRate(r.GetValue(rate)!),
                DelayBetweenUsers = TimeSpan.FromSeconds(delaySeconds),
                MaxRetries = r.GetValue(retries),
                InitialBackoff = TimeSpan.FromSeconds(backoffSeconds),
                TopTracks = r.GetValue(tracks), TopAlbums = r.GetValue(albums), TopArtists = r.GetValue(artists), LovedTracks = r.GetValue(loved),
                TopTags = r.GetValue(tags), TaggedItems = r.GetValue(taggedItems), UserInfo = !r.GetValue(noProfile),
                PageSize = r.GetValue(pageSize),
            };
            var target = r.GetValue(db)!;
            using var store = InteractionStores.Open(target);
            using var client = new LastFmClient(options);
            var fetcher = new LastFmFetcher(client, store.Collaborative())
            {
                UserDone = u => Console.Error.WriteLine(u.Status == IngestStatus.Ok
                    ? $"{u.User}: {u.Interactions:N0} interactions"
                    : $"{u.User}: {u.Status.ToString().ToLowerInvariant()} - {u.Reason}"),
            };
            var summary = fetcher.FetchAsync(names).GetAwaiter().GetResult();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"fetched {summary.Fetched} users ({summary.Interactions:N0} interactions), skipped {summary.Skipped}, failed {summary.Failed}; {summary.Requests} requests in {summary.Seconds:F1}s into {InteractionStores.Describe(target)}"));
            return summary.Failed > 0 ? 1 : 0;
        }));
        command.Subcommands.Add(fetch);
        return command;
    }
}
