using Trove.Core.Data;
using Trove.Core.Errors;

namespace Trove.Data.Readers;

/// <summary>
/// A fixed train/test split given as two files in the LightGCN / NGCF adjacency-list layout.
/// Indices are the dense indices of <see cref="Train"/>'s id maps; test items that never occur in
/// the training file are added to the item map after the training items (no interactions).
/// </summary>
public sealed class LightGcnSplit
{
    public required Dataset Train { get; init; }
    /// <summary>The test interactions of users that also have training rows (weight 1, no timestamps).</summary>
    public required InteractionLog Test { get; init; }
    /// <summary>Test users (lines with at least one item) skipped because they have no training rows.</summary>
    public int SkippedTestUsers { get; init; }
    /// <summary>Test interactions of the skipped users.</summary>
    public int SkippedTestInteractions { get; init; }
}

/// <summary>
/// Reads the LightGCN / NGCF adjacency-list format (He et al. 2020, Wang et al. 2019): one line per
/// user, <c>user item item ...</c>, separated by spaces or tabs (e.g. the Gowalla, Yelp2018 and
/// Amazon-Book <c>train.txt</c> / <c>test.txt</c>). A line with only a user id registers the user
/// without interactions. Ids are kept as their original strings. Every pair is a positive
/// interaction of weight 1; a repeated item on a line is read once. Malformed input raises a
/// <see cref="DataFormatException"/> naming the file and the 1-based line.
/// </summary>
public static class LightGcnReader
{
    public const string FormatName = "lightgcn";

    /// <summary>Reads one adjacency-list file (e.g. <c>train.txt</c>) as a dataset.</summary>
    public static Dataset Read(string path)
    {
        RequireFile(path, "interactions");
        var users = new IdMap(); var items = new IdMap();
        var b = new InteractionLogBuilder();
        ReadInto(path, users, items, (u, i) => b.Add(u, i, 1f, 0), addUsers: true);
        if (b.Count == 0) throw new DataFormatException(path, 0, null, "the file has no interactions.");
        return new Dataset(users, items, b.Build(), source: Path.GetFullPath(path));
    }

    /// <summary>Reads a training and a test file sharing user and item ids.</summary>
    public static LightGcnSplit ReadSplit(string trainPath, string testPath)
    {
        RequireFile(trainPath, "training"); RequireFile(testPath, "test");
        var users = new IdMap(); var items = new IdMap();
        var train = new InteractionLogBuilder();
        ReadInto(trainPath, users, items, (u, i) => train.Add(u, i, 1f, 0), addUsers: true);
        if (train.Count == 0) throw new DataFormatException(trainPath, 0, null, "the training file has no interactions.");
        var log = train.Build();
        var hasTrain = new bool[users.Count];
        for (int r = 0; r < log.Count; r++) hasTrain[log.Users[r]] = true;

        var test = new InteractionLogBuilder();
        int skippedUsers = 0, skippedRows = 0;
        foreach (var (line, text) in LineReader.ReadLines(testPath))
        {
            var f = Fields(text);
            if (f.Length == 0) continue;
            var userId = CheckId(f[0], testPath, line, "user");
            if (f.Length == 1) continue;
            if (!users.TryGetIndex(userId, out int u) || !hasTrain[u])
            {
                for (int k = 1; k < f.Length; k++) CheckId(f[k], testPath, line, $"item {k}");
                skippedUsers++; skippedRows += f.Length - 1;
                continue;
            }
            var seen = new HashSet<int>();
            for (int k = 1; k < f.Length; k++)
            {
                int i = items.GetOrAdd(CheckId(f[k], testPath, line, $"item {k}"));
                if (seen.Add(i)) test.Add(u, i, 1f, 0);
            }
        }
        if (test.Count == 0) throw new DataFormatException(testPath, 0, null, "the test file has no interactions of users with training rows.");
        return new LightGcnSplit
        {
            Train = new Dataset(users, items, log, source: Path.GetFullPath(trainPath)),
            Test = test.Build(),
            SkippedTestUsers = skippedUsers,
            SkippedTestInteractions = skippedRows,
        };
    }

    /// <summary>True when the first non-empty line of a file looks like <c>int int int ...</c> with at least 3 fields.</summary>
    public static bool LooksLikeLightGcn(string path)
    {
        if (!File.Exists(path)) return false;
        try
        {
            foreach (var (_, text) in LineReader.ReadLines(path).Take(5))
            {
                var f = Fields(text);
                if (f.Length == 0) continue;
                return f.Length >= 3 && f.All(x => x.All(char.IsAsciiDigit));
            }
        }
        catch (Exception e) when (e is IOException or DataFormatException) { } // unreadable or a huge first line: not this format
        return false;
    }

    private static void ReadInto(string path, IdMap users, IdMap items, Action<int, int> add, bool addUsers)
    {
        var seenUsers = new HashSet<int>();
        foreach (var (line, text) in LineReader.ReadLines(path))
        {
            var f = Fields(text);
            if (f.Length == 0) continue;
            var userId = CheckId(f[0], path, line, "user");
            int u = users.GetOrAdd(userId);
            if (!seenUsers.Add(u)) throw new DataFormatException(path, line, "user", $"user '{userId}' has an earlier line too.");
            var seen = new HashSet<int>();
            for (int k = 1; k < f.Length; k++)
            {
                int i = items.GetOrAdd(CheckId(f[k], path, line, $"item {k}"));
                if (seen.Add(i)) add(u, i);
            }
        }
    }

    private static string[] Fields(string text) =>
        text.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The format's ids are non-negative integers; anything else means a wrong or corrupt file.</summary>
    private static string CheckId(string id, string file, long line, string field)
    {
        foreach (char c in id)
            if (!char.IsAsciiDigit(c))
                throw new DataFormatException(file, line, field, $"'{(id.Length <= 40 ? id : id[..37] + "...")}' is not a non-negative integer id (expected 'user item item ...').");
        return id;
    }

    private static void RequireFile(string path, string what)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new TroveException($"No {what} file given.");
        if (!File.Exists(path)) throw new TroveException($"The {what} file '{path}' does not exist.");
    }
}
