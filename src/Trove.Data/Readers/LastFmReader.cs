using System.Text;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Training;

namespace Trove.Data.Readers;

/// <summary>
/// Reads the HetRec 2011 Last.fm folder: <c>user_artists.dat</c> (userID, artistID, weight = play count)
/// gives the interactions (weight and score = play count, event "play"); <c>artists.dat</c> gives the
/// item text feature <c>name</c>; <c>user_taggedartists.dat</c> + <c>tags.dat</c> give the categorical
/// item feature <c>tags</c>: an artist's most-used tags, '|'-joined; every item gets the categorical feature
/// <c>kind</c> = <c>artist</c> (stored in the items.kind column); <c>user_friends.dat</c> gives the categorical user
/// feature <c>friends</c>: the user's friends' ids, '|'-joined in file order (friends outside the data set are kept too).
/// All files are tab-separated with a header.
/// </summary>
public static class LastFmReader
{
    public const string PlayEvent = "play";

    /// <summary>How many of an artist's most frequent tags go into the <c>tags</c> feature.</summary>
    public const int TopTags = 5;

    public static bool IsLastFm(string folder) => Directory.Exists(folder) && File.Exists(Path.Combine(folder, "user_artists.dat"));

    public static Dataset Read(string folder, bool requireInteractions = true, IProgressReporter? progress = null)
    {
        if (!Directory.Exists(folder)) throw new TroveException($"Last.fm folder '{folder}' does not exist.");
        var b = new DatasetBuilder();
        var plays = Path.Combine(folder, "user_artists.dat");
        if (File.Exists(plays)) ReadPlays(plays, b, progress);
        else if (requireInteractions) throw new TroveException($"Last.fm folder '{folder}' has no user_artists.dat, so it has no interactions.");

        var artists = Path.Combine(folder, "artists.dat");
        if (File.Exists(artists))
        {
            b.ItemFeatures.AddColumn("name", FeatureKind.Text);
            using var r = Open(artists, Encoding.UTF8, out var header);
            int id = Column(header, "id", artists), name = Column(header, "name", artists);
            while (r.Read())
            {
                if (r.FieldCount <= Math.Max(id, name)) throw new DataFormatException(artists, r.LineNumber, null, $"expected {header.Length} tab-separated fields, found {r.FieldCount}.");
                var key = r[id].Trim();
                if (key.IsEmpty) throw new DataFormatException(artists, r.LineNumber, "id", "empty artist id.");
                b.ItemFeatures.Set("name", b.Items.GetOrAdd(key), r.GetString(name).Trim());
            }
        }

        var tagged = Path.Combine(folder, "user_taggedartists.dat");
        var tagsFile = Path.Combine(folder, "tags.dat");
        if (File.Exists(tagged) && File.Exists(tagsFile)) ReadTags(tagged, tagsFile, b);
        b.ItemFeatures.AddColumn(KindFeature, FeatureKind.Categorical);
        for (int item = 0; item < b.Items.Count; item++) b.ItemFeatures.Set(KindFeature, item, ArtistKind);
        var friends = Path.Combine(folder, "user_friends.dat");
        if (File.Exists(friends)) ReadFriends(friends, b);
        return b.Build(Path.GetFullPath(folder));
    }

    public const string KindFeature = "kind";
    public const string ArtistKind = "artist";
    public const string FriendsFeature = "friends";

    private static void ReadFriends(string path, DatasetBuilder b)
    {
        var lists = new Dictionary<int, List<string>>();
        using (var r = Open(path, Encoding.UTF8, out var header))
        {
            int u = Column(header, "userID", path), f = Column(header, "friendID", path);
            while (r.Read())
            {
                if (r.FieldCount <= Math.Max(u, f)) throw new DataFormatException(path, r.LineNumber, null, $"expected {header.Length} tab-separated fields, found {r.FieldCount}.");
                var user = r.GetString(u).Trim(); var friend = r.GetString(f).Trim();
                if (user.Length == 0 || friend.Length == 0) throw new DataFormatException(path, r.LineNumber, user.Length == 0 ? "userID" : "friendID", "empty id.");
                // Friends of users without plays are not users of this data set.
                if (!b.Users.TryGetIndex(user, out int at)) continue;
                if (!lists.TryGetValue(at, out var list)) lists[at] = list = new List<string>();
                list.Add(friend);
            }
        }
        b.UserFeatures.AddColumn(FriendsFeature, FeatureKind.Categorical);
        foreach (var (user, list) in lists) b.UserFeatures.Set(FriendsFeature, user, string.Join('|', list));
    }

    private static void ReadPlays(string path, DatasetBuilder b, IProgressReporter? progress)
    {
        using var task = progress.StartBytes($"read {Path.GetFileName(path)}", new FileInfo(path).Length);
        using var r = Open(path, Encoding.UTF8, out var header);
        long last = 0;
        int u = Column(header, "userID", path), i = Column(header, "artistID", path), w = Column(header, "weight", path);
        short ev = b.Interactions.EventIndex(PlayEvent);
        int need = Math.Max(u, Math.Max(i, w)) + 1;
        while (r.Read())
        {
            if (r.FieldCount < need) throw new DataFormatException(path, r.LineNumber, header[Math.Min(r.FieldCount, header.Length - 1)], $"too few fields: expected {need}, found {r.FieldCount}.");
            var user = r[u].Trim(); var item = r[i].Trim(); var weight = r[w].Trim();
            if (user.IsEmpty) throw new DataFormatException(path, r.LineNumber, "userID", "empty user id.");
            if (item.IsEmpty) throw new DataFormatException(path, r.LineNumber, "artistID", "empty item id.");
            if (!ValueParsers.TryParseFloat(weight, out var plays) || !float.IsFinite(plays)) throw new DataFormatException(path, r.LineNumber, "weight", $"not a finite number: '{weight.ToString()}'.");
            if (ValueParsers.ScoreProblem(plays) is { } problem) throw new DataFormatException(path, r.LineNumber, "weight", $"{problem}.");
            if (plays < 0) throw new DataFormatException(path, r.LineNumber, "weight", $"negative weight {plays}.");
            b.Interactions.Add(b.Users.GetOrAdd(user), b.Items.GetOrAdd(item), plays, 0, ev, plays);
            if ((r.RecordCount & 0xFFFF) == 0 && task is not null) { task.Advance(r.BytesRead - last); last = r.BytesRead; }
        }
        task?.Advance(r.BytesTotal - last);
    }

    private static void ReadTags(string taggedPath, string tagsPath, DatasetBuilder b)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        using (var r = Open(tagsPath, Encoding.Latin1, out var header))
        {
            int id = Column(header, "tagID", tagsPath), value = Column(header, "tagValue", tagsPath);
            while (r.Read())
                if (r.FieldCount > Math.Max(id, value))
                    names[r.GetString(id).Trim()] = r.GetString(value).Trim().Replace('|', '/');
        }
        // Per artist: tag -> count (and first-seen order for ties).
        var counts = new Dictionary<int, Dictionary<string, int>>();
        using (var r = Open(taggedPath, Encoding.UTF8, out var header))
        {
            int artist = Column(header, "artistID", taggedPath), tag = Column(header, "tagID", taggedPath);
            while (r.Read())
            {
                if (r.FieldCount <= Math.Max(artist, tag)) continue;
                // Tags of artists without plays or names are ignored (they are not items of this data set).
                if (!b.Items.TryGetIndex(r[artist].Trim(), out int item)) continue;
                if (!names.TryGetValue(r.GetString(tag).Trim(), out var tagName)) continue;
                if (!counts.TryGetValue(item, out var perTag)) counts[item] = perTag = new Dictionary<string, int>(StringComparer.Ordinal);
                perTag[tagName] = perTag.GetValueOrDefault(tagName) + 1;
            }
        }
        b.ItemFeatures.AddColumn("tags", FeatureKind.Categorical);
        foreach (var (item, perTag) in counts)
        {
            var top = perTag.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(TopTags).Select(kv => kv.Key);
            b.ItemFeatures.Set("tags", item, string.Join('|', top));
        }
    }

    private static DelimitedReader Open(string path, Encoding encoding, out string[] header)
    {
        var r = DelimitedReader.Open(path, '\t', quoting: false, encoding);
        if (!r.Read()) { r.Dispose(); throw new DataFormatException(path, 1, null, "the file is empty (expected a header line)."); }
        header = r.GetStrings().Select(h => h.Trim()).ToArray();
        return r;
    }

    private static int Column(string[] header, string name, string path)
    {
        int at = Array.FindIndex(header, h => string.Equals(h, name, StringComparison.OrdinalIgnoreCase));
        return at >= 0 ? at : throw new DataFormatException(path, 1, name, $"missing required column '{name}' (header has: {string.Join(", ", header)}).");
    }
}
