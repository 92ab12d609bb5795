using System.Globalization;
using Trove.Core.Data;
using Trove.Core.Errors;

namespace Trove.Data.Readers;

/// <summary>
/// The NCF paper's evaluation split (He et al. 2017): a training file, one held-out (user, item)
/// per user, and the sampled negatives each held-out item is ranked against. Indices are the dense
/// indices of <see cref="Train"/>'s id maps (test and negative items that never occur in the
/// training file are added to the item map after the training items, with no interactions).
/// </summary>
public sealed class NcfSplit
{
    public required Dataset Train { get; init; }
    /// <summary>The user of each test case (dense index).</summary>
    public required int[] TestUsers { get; init; }
    /// <summary>The held-out item of each test case (dense index).</summary>
    public required int[] TestItems { get; init; }
    /// <summary>The sampled negative items of each test case (dense indices), in file order.</summary>
    public required int[][] Negatives { get; init; }
    public int TestCount => TestUsers.Length;
    /// <summary>
    /// Negatives left out because they repeated the held-out item or an earlier negative of the same
    /// line (the NCF paper's evaluation collapses such repeats too).
    /// </summary>
    public int DroppedNegatives { get; init; }
}

/// <summary>
/// Reads the NCF files: <c>*.train.rating</c> and <c>*.test.rating</c> (<c>user TAB item TAB rating TAB timestamp</c>,
/// rating and timestamp optional) and <c>*.test.negative</c> (<c>(user,item) TAB neg1 TAB neg2 ...</c>).
/// Ids are kept as their original strings (user "0" stays "0"). Every training row is a positive
/// interaction of weight 1 unless <c>ratingAsWeight</c> is set. Malformed input raises a
/// <see cref="DataFormatException"/> naming the file, the 1-based line and the field.
/// </summary>
public static class NcfSplitReader
{
    /// <summary>Reads the three files of an NCF split.</summary>
    public static NcfSplit Read(string trainPath, string testPath, string negativesPath, bool ratingAsWeight = false)
    {
        RequireFile(trainPath, "training");
        return ReadCore(trainPath, testPath, negativesPath, ratingAsWeight);
    }

    /// <summary>
    /// Reads only the test and negatives files (e.g. the NCF ML-1M release, whose training file is
    /// missing), to check them or to inspect the held-out items. <see cref="NcfSplit.Train"/> has the
    /// users and items of these files and no interactions, so no model can be trained on it.
    /// </summary>
    public static NcfSplit ReadTestOnly(string testPath, string negativesPath) => ReadCore(null, testPath, negativesPath, false);

    private static NcfSplit ReadCore(string? trainPath, string testPath, string negativesPath, bool ratingAsWeight)
    {
        RequireFile(testPath, "test"); RequireFile(negativesPath, "negatives");
        var users = new IdMap();
        var items = new IdMap();
        var log = trainPath is null ? InteractionLog.Empty : ReadInteractionsInto(trainPath, users, items, ratingAsWeight);

        var testUsers = new List<int>(); var testItems = new List<int>();
        var pairIndex = new Dictionary<(int, int), int>();
        foreach (var (line, text) in LineReader.ReadLines(testPath))
        {
            if (string.IsNullOrWhiteSpace(text)) continue;
            var f = SplitFields(text);
            if (f.Length < 2) throw new DataFormatException(testPath, line, null, $"expected at least 2 tab-separated fields (user, item), found {f.Length}.");
            var userId = NonEmpty(f[0], testPath, line, "user");
            var itemId = NonEmpty(f[1], testPath, line, "item");
            int u;
            if (trainPath is null) u = users.GetOrAdd(userId);
            else if (!users.TryGetIndex(userId, out u))
                throw new DataFormatException(testPath, line, "user", $"user '{userId}' does not appear in the training file {trainPath}.");
            int i = items.GetOrAdd(itemId);
            if (!pairIndex.TryAdd((u, i), testUsers.Count))
                throw new DataFormatException(testPath, line, null, $"duplicate test pair ({userId},{itemId}).");
            testUsers.Add(u); testItems.Add(i);
        }
        if (testUsers.Count == 0) throw new DataFormatException(testPath, 0, null, "the test file has no rows.");

        var negatives = new int[testUsers.Count][];
        int dropped = 0;
        foreach (var (line, text) in LineReader.ReadLines(negativesPath))
        {
            if (string.IsNullOrWhiteSpace(text)) continue;
            var f = text.Split('\t', StringSplitOptions.TrimEntries);
            var pair = f[0];
            if (pair.Length < 5 || pair[0] != '(' || pair[^1] != ')' || pair.IndexOf(',') < 0)
                throw new DataFormatException(negativesPath, line, "pair", $"expected '(user,item)' as the first field, found '{Shorten(pair)}'.");
            var ids = pair[1..^1].Split(',', StringSplitOptions.TrimEntries);
            if (ids.Length != 2 || ids[0].Length == 0 || ids[1].Length == 0)
                throw new DataFormatException(negativesPath, line, "pair", $"expected '(user,item)' as the first field, found '{Shorten(pair)}'.");
            if (!users.TryGetIndex(ids[0], out int u) || !items.TryGetIndex(ids[1], out int i) || !pairIndex.TryGetValue((u, i), out int at))
                throw new DataFormatException(negativesPath, line, "pair", $"({ids[0]},{ids[1]}) is not a pair of the test file {testPath}.");
            if (negatives[at] is not null)
                throw new DataFormatException(negativesPath, line, "pair", $"({ids[0]},{ids[1]}) has negatives on an earlier line too.");
            var neg = new List<int>(f.Length - 1);
            for (int k = 1; k < f.Length; k++)
            {
                if (f[k].Length == 0)
                {
                    if (k == f.Length - 1) continue; // trailing tab
                    throw new DataFormatException(negativesPath, line, $"negative {k}", "empty item id.");
                }
                int n = items.GetOrAdd(f[k]);
                // The upstream ML-1M file lists the held-out item among its own negatives 156 times; the
                // paper's evaluate.py scores candidates through a dict, so such repeats collapse. Same here.
                if (n == i || neg.Contains(n)) { dropped++; continue; }
                neg.Add(n);
            }
            if (neg.Count == 0) throw new DataFormatException(negativesPath, line, null, "no negative items after the (user,item) pair.");
            negatives[at] = neg.ToArray();
        }
        for (int t = 0; t < negatives.Length; t++)
            if (negatives[t] is null)
                throw new DataFormatException(negativesPath, 0, null, $"no negatives for the test pair ({users[testUsers[t]]},{items[testItems[t]]}).");

        var train = new Dataset(users, items, log, source: trainPath ?? testPath);
        return new NcfSplit { Train = train, TestUsers = testUsers.ToArray(), TestItems = testItems.ToArray(), Negatives = negatives, DroppedNegatives = dropped };
    }

    /// <summary>
    /// Reads one interactions file (<c>user item [rating [timestamp]]</c>, separated by tabs, commas or
    /// spaces; a header line whose rating or timestamp is not a number is skipped) into a Dataset.
    /// Used for the NCF training file and for plain MovieLens-style files such as <c>u.data</c>.
    /// </summary>
    public static Dataset ReadInteractions(string path, bool ratingAsWeight = false)
    {
        RequireFile(path, "interactions");
        var users = new IdMap(); var items = new IdMap();
        var log = ReadInteractionsInto(path, users, items, ratingAsWeight);
        return new Dataset(users, items, log, source: path);
    }

    private static InteractionLog ReadInteractionsInto(string path, IdMap users, IdMap items, bool ratingAsWeight)
    {
        var builder = new InteractionLogBuilder();
        foreach (var (line, text) in LineReader.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(text)) continue;
            var f = SplitFields(text);
            if (f.Length < 2) throw new DataFormatException(path, line, null, $"expected at least 2 fields (user, item), found {f.Length}.");
            float rating = 1f; long timestamp = 0;
            bool ratingOk = f.Length < 3 || float.TryParse(f[2], NumberStyles.Float, CultureInfo.InvariantCulture, out rating);
            bool timeOk = f.Length < 4 || long.TryParse(f[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out timestamp);
            if (line == 1 && builder.Count == 0 && (!ratingOk || !timeOk)) continue; // header
            if (!ratingOk || !float.IsFinite(rating)) throw new DataFormatException(path, line, "rating", $"'{Shorten(f[2])}' is not a number.");
            if (!timeOk) throw new DataFormatException(path, line, "timestamp", $"'{Shorten(f[3])}' is not an integer (Unix seconds).");
            if (timestamp < 0) throw new DataFormatException(path, line, "timestamp", $"{timestamp} is negative.");
            if (!ValueParsers.IsUnixSecondsInRange(timestamp)) throw new DataFormatException(path, line, "timestamp", $"{timestamp} Unix seconds is after the year 9999.");
            int u = users.GetOrAdd(NonEmpty(f[0], path, line, "user"));
            int i = items.GetOrAdd(NonEmpty(f[1], path, line, "item"));
            builder.Add(u, i, ratingAsWeight ? rating : 1f, timestamp);
        }
        if (builder.Count == 0) throw new DataFormatException(path, 0, null, "the file has no interactions.");
        return builder.Build();
    }

    private static string[] SplitFields(string text)
    {
        if (text.Contains('\t')) return text.Split('\t', StringSplitOptions.TrimEntries);
        if (text.Contains(',')) return text.Split(',', StringSplitOptions.TrimEntries);
        return text.Split(' ', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
    }

    private static string NonEmpty(string value, string file, long line, string field) =>
        value.Length > 0 ? value : throw new DataFormatException(file, line, field, "empty id.");

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..37] + "...";

    private static void RequireFile(string path, string what)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new TroveException($"No {what} file given.");
        if (!File.Exists(path)) throw new TroveException($"The {what} file '{path}' does not exist.");
    }
}
