using System.Globalization;
using Trove.Core.Data;
using Trove.Core.Errors;

namespace Trove.Cli.Infrastructure;

/// <summary>
/// Stop-gap reader for `trove eda --data` until the shared DataOptions (data branch) is merged:
/// a delimited file (tab, comma or spaces) with either a header naming its columns
/// (user, item, rating|score|weight, timestamp|time, event|event_type) or the positional layout
/// user item [rating [timestamp]] (MovieLens u.data). A directory is read through its
/// interactions.csv (trove simulate) or u.data (MovieLens 100K). Ratings/scores are kept as weights
/// (times the event weight) so the EDA can show their distribution.
/// </summary>
public static class EdaDataLoader
{
    public static Dataset Load(string path, EventWeights? weights = null)
    {
        weights ??= EventWeights.Default;
        if (Directory.Exists(path))
        {
            var candidate = new[] { "interactions.csv", "u.data", "ratings.dat", "ratings.csv", "user_artists.dat" }
                .Select(f => Path.Combine(path, f)).FirstOrDefault(File.Exists)
                ?? throw new TroveException($"The folder '{path}' has no interactions.csv, u.data or ratings file: give the interactions file itself.");
            path = candidate;
        }
        if (!File.Exists(path)) throw new TroveException($"The data file '{path}' does not exist.");
        var users = new IdMap(); var items = new IdMap(); var log = new InteractionLogBuilder();
        int cu = 0, ci = 1, cr = 2, ct = 3, ce = -1;
        long line = 0; bool first = true;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            var f = Split(text);
            if (first)
            {
                first = false;
                if (TryHeader(f, out var map)) { (cu, ci, cr, ct, ce) = map; continue; }
            }
            if (f.Length <= Math.Max(cu, ci)) throw new TroveException($"{path}:{line}: expected at least {Math.Max(cu, ci) + 1} fields, found {f.Length}.");
            float score = 1;
            if (cr >= 0 && cr < f.Length && f[cr].Length > 0 && !float.TryParse(f[cr], NumberStyles.Float, CultureInfo.InvariantCulture, out score))
                throw new TroveException($"{path}:{line}: rating '{f[cr]}' is not a number.");
            long ts = 0;
            if (ct >= 0 && ct < f.Length && f[ct].Length > 0 && !long.TryParse(f[ct], NumberStyles.Integer, CultureInfo.InvariantCulture, out ts))
            {
                if (DateTimeOffset.TryParse(f[ct], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when)) ts = when.ToUnixTimeSeconds();
                else throw new TroveException($"{path}:{line}: timestamp '{f[ct]}' is neither Unix seconds nor a date.");
            }
            string? ev = ce >= 0 && ce < f.Length && f[ce].Length > 0 ? f[ce] : null;
            float w = score;
            if (ev is not null)
            {
                if (!weights.TryGetWeight(ev, out var ew)) throw new TroveException($"{path}:{line}: unknown event type '{ev}'.");
                w *= ew;
            }
            log.Add(users.GetOrAdd(f[cu]), items.GetOrAdd(f[ci]), w, ts, log.EventIndex(ev));
        }
        if (log.Count == 0) throw new TroveException($"The data file '{path}' has no interactions.");
        return new Dataset(users, items, log.Build(), source: path);
    }

    private static string[] Split(string text)
    {
        if (text.Contains("::")) return text.Split("::", StringSplitOptions.TrimEntries);
        if (text.Contains('\t')) return text.Split('\t', StringSplitOptions.TrimEntries);
        if (text.Contains(',')) return text.Split(',', StringSplitOptions.TrimEntries);
        return text.Split(' ', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
    }

    private static bool TryHeader(string[] f, out (int User, int Item, int Rating, int Time, int Event) map)
    {
        int Find(params string[] names) => Array.FindIndex(f, c => names.Contains(c.Trim('"').ToLowerInvariant()));
        int u = Find("user", "user_id", "userid", "user id", "uid");
        int i = Find("item", "item_id", "itemid", "movie", "movieid", "movie_id", "artist", "artistid", "artist_id", "product", "product_id");
        map = (u, i, Find("rating", "score", "weight", "value"), Find("timestamp", "time", "ts", "date"), Find("event", "event_type", "type"));
        if (u >= 0 && i >= 0) return true;
        // A header with unknown names: skip it when its 3rd or 4th field is not numeric, keep positional columns.
        bool numeric3 = f.Length < 3 || double.TryParse(f[2], NumberStyles.Float, CultureInfo.InvariantCulture, out _);
        bool numeric1 = f.Length < 2 || double.TryParse(f[1], NumberStyles.Float, CultureInfo.InvariantCulture, out _);
        map = (0, 1, 2, 3, -1);
        return !numeric3 && !numeric1;
    }
}
