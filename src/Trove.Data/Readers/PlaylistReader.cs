using System.Text;
using System.Text.Json;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Data.Formats;

namespace Trove.Data.Readers;

/// <summary>
/// Reads playlists as interactions (the music recommender's real-data input):
/// <code>
/// [ { "id": "playlist_1", "song_ids": ["song_1", "song_2"], "user_handle": "user123" }, ... ]
/// </code>
/// Each song of a playlist is one interaction (event "playlist", weight 1 or the --event-weights value of
/// "playlist") of the playlist's creator (<c>user_handle</c>) or, when the playlist has no creator, of the
/// playlist itself as a pseudo-user (its id, as the original system does). A song in two playlists of the
/// same user counts twice. Ids may be strings or integers; other keys are ignored. Streams the file one
/// playlist at a time; errors name the file, the line, the record and the field
/// (e.g. <c>playlists[3].song_ids[1]</c>).
/// </summary>
public static class PlaylistReader
{
    public const string FormatName = "playlists";
    public const string EventName = "playlist";

    /// <summary>True when the file starts like a JSON array whose records have "song_ids".</summary>
    public static bool LooksLikePlaylists(string path)
    {
        if (!File.Exists(path) || !path.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) return false;
        using var s = File.OpenRead(path);
        var buf = new byte[8192];
        int n = s.ReadAtLeast(buf, buf.Length, throwOnEndOfStream: false);
        var text = Encoding.UTF8.GetString(buf, 0, n).TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        return text.StartsWith('[') && text.Contains("\"song_ids\"");
    }

    /// <summary>One playlist as read from the file.</summary>
    public sealed record Playlist(string Id, string? UserHandle, string[] SongIds, long Line);

    public static Dataset Read(string path, EventWeights? weights = null)
    {
        var b = new DatasetBuilder();
        float weight = (weights ?? EventWeights.Default).TryGetWeight(EventName, out var w) ? w : 1f;
        short ev = b.Interactions.EventIndex(EventName);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        long index = 0;
        foreach (var p in ReadPlaylists(path))
        {
            if (!ids.Add(p.Id)) throw new DataFormatException(path, p.Line, $"playlists[{index}].id", $"duplicate playlist id '{p.Id}'.");
            int u = b.Users.GetOrAdd(p.UserHandle ?? p.Id);
            foreach (var song in p.SongIds) b.Interactions.Add(u, b.Items.GetOrAdd(song), weight, 0, ev);
            index++;
        }
        return b.Build(Path.GetFullPath(path));
    }

    /// <summary>The playlists of a file, lazily, in file order.</summary>
    public static IEnumerable<Playlist> ReadPlaylists(string path)
    {
        if (!File.Exists(path)) throw new TroveException($"Data file '{path}' does not exist.");
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        using var json = new JsonRecordStream(stream, path);
        var first = json.NextToken(out _);
        if (first == JsonTokenType.None) throw new DataFormatException(path, 1, null, "the file is empty (expected a JSON array of playlists).");
        if (first != JsonTokenType.StartArray)
            throw new DataFormatException(path, json.Line, null, "expected a JSON array of playlists: [{\"id\": ..., \"song_ids\": [...], \"user_handle\": ...}].");
        long index = 0;
        while (true)
        {
            long at = index;
            var kind = json.NextElement((bytes, line) => Parse(path, at, bytes, line), out var playlist, out var firstToken);
            if (kind == JsonRecordStream.ElementKind.EndOfArray) break;
            if (kind == JsonRecordStream.ElementKind.Other)
                throw new DataFormatException(path, json.Line, $"playlists[{index}]", $"expected an object, got {firstToken}.");
            index++;
            yield return playlist!;
        }
        if (json.NextToken(out _) != JsonTokenType.None)
            throw new DataFormatException(path, json.Line, null, "unexpected content after the array of playlists.");
    }

    private static Playlist Parse(string file, long index, ReadOnlySpan<byte> bytes, long line)
    {
        var r = new Utf8JsonReader(bytes, isFinalBlock: true, new JsonReaderState(new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }));
        var c = new Ctx { File = file, Where = $"playlists[{index}]", Line = line, Bytes = bytes };
        c.Read(ref r, "id"); // StartObject
        string? id = null, user = null;
        List<string>? songs = null;
        while (true)
        {
            c.Read(ref r, "id");
            if (r.TokenType == JsonTokenType.EndObject) break;
            var key = r.GetString()!;
            switch (key)
            {
                case "id":
                    c.Read(ref r, key);
                    id = c.Id(ref r, key);
                    break;
                case "user_handle":
                    c.Read(ref r, key);
                    // No creator (null or blank): the playlist is its own user, as in the original system.
                    user = r.TokenType == JsonTokenType.Null || (r.TokenType == JsonTokenType.String && string.IsNullOrWhiteSpace(r.GetString())) ? null : c.Id(ref r, key);
                    break;
                case "song_ids":
                    c.Read(ref r, key);
                    if (r.TokenType != JsonTokenType.StartArray) throw c.Fail(ref r, key, $"expected an array of song ids, got {Describe(r.TokenType)}.");
                    songs = [];
                    while (true)
                    {
                        c.Read(ref r, key);
                        if (r.TokenType == JsonTokenType.EndArray) break;
                        songs.Add(c.Id(ref r, $"{key}[{songs.Count}]"));
                    }
                    break;
                default:
                    c.Read(ref r, key);
                    if (r.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) r.Skip();
                    break;
            }
        }
        if (id is null) throw new DataFormatException(file, line, $"{c.Where}.id", "missing playlist id.");
        if (songs is null) throw new DataFormatException(file, line, $"{c.Where}.song_ids", "missing song_ids (an array of song ids).");
        return new Playlist(id, user, songs.ToArray(), line);
    }

    private ref struct Ctx
    {
        public string File;
        public string Where;
        public long Line;
        public ReadOnlySpan<byte> Bytes;

        public readonly DataFormatException Fail(ref Utf8JsonReader r, string field, string problem)
        {
            int at = (int)Math.Min(r.TokenStartIndex, Bytes.Length);
            return new DataFormatException(File, Line + Bytes[..at].Count((byte)'\n'), $"{Where}.{field}", problem);
        }

        public readonly void Read(ref Utf8JsonReader r, string field)
        {
            try { if (!r.Read()) throw Fail(ref r, field, "unexpected end of record."); }
            catch (JsonException e) { throw Fail(ref r, field, "malformed JSON: " + e.Message.Split(" LineNumber:")[0]); }
        }

        public readonly string Id(ref Utf8JsonReader r, string field)
        {
            var id = r.TokenType switch
            {
                JsonTokenType.String => r.GetString()!.Trim(),
                JsonTokenType.Number when r.TryGetInt64(out long n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => throw Fail(ref r, field, $"expected a string or integer id, got {Describe(r.TokenType)}."),
            };
            if (id.Length == 0) throw Fail(ref r, field, "the id is empty.");
            return id;
        }
    }

    private static string Describe(JsonTokenType t) => Formats.UniversalRecordParser.Describe(t);
}
