using System.Text;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Training;

namespace Trove.Data.Readers;

/// <summary>
/// Reads GroupLens MovieLens folders:
/// <list type="bullet">
/// <item>ml-100k: <c>u.data</c> (user TAB item TAB rating TAB timestamp), <c>u.item</c> (pipe-separated: title,
/// release date, 19 genre flags), <c>u.user</c> (age, gender, occupation, zip);</item>
/// <item>ml-1m: <c>ratings.dat</c>, <c>movies.dat</c>, <c>users.dat</c> with <c>::</c> separators;</item>
/// <item>ml-latest, ml-20m, ml-25m, ml-32m: <c>ratings.csv</c> (userId,movieId,rating,timestamp), <c>movies.csv</c>
/// (movieId,title,genres; quoted titles may hold commas) and optional <c>tags.csv</c> (userId,movieId,tag,timestamp),
/// UTF-8 with a header. Tags become the item text feature <c>tags</c> (distinct tags joined by ", ").</item>
/// </list>
/// The .dat files are ISO-8859-1. Ratings are the scores and the weights (event "rating", multiplier 1).
/// Item features: <c>title</c> (text), <c>genre</c> (categorical, '|'-joined), <c>year</c> (numeric);
/// user features: <c>age</c> (numeric), <c>gender</c>, <c>occupation</c>, <c>zip</c> (categorical).
/// When the ratings file is missing, features are read alone unless interactions are required.
/// </summary>
public static class MovieLensReader
{
    public const string RatingEvent = "rating";

    public static readonly string[] Genres100K =
    [
        "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
        "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
    ];

    /// <summary>ml-1m occupation codes (from the GroupLens README).</summary>
    public static readonly string[] Occupations1M =
    [
        "other", "academic/educator", "artist", "clerical/admin", "college/grad student", "customer service",
        "doctor/health care", "executive/managerial", "farmer", "homemaker", "K-12 student", "lawyer", "programmer",
        "retired", "sales/marketing", "scientist", "self-employed", "technician/engineer", "tradesman/craftsman",
        "unemployed", "writer",
    ];

    private static readonly Encoding Latin1 = Encoding.Latin1;

    /// <summary>True when the folder looks like ml-100k (u.data or u.item).</summary>
    public static bool Is100K(string folder) => File.Exists(Path.Combine(folder, "u.data")) || File.Exists(Path.Combine(folder, "u.item"));

    /// <summary>True when the folder looks like ml-1m (ratings.dat, movies.dat or users.dat with '::').</summary>
    public static bool Is1M(string folder) =>
        new[] { "ratings.dat", "movies.dat", "users.dat" }.Select(f => Path.Combine(folder, f)).Any(f => File.Exists(f) && FirstLine(f).Contains("::"));

    /// <summary>True when the folder has the CSV layout of ml-latest/20m/25m/32m (ratings.csv or movies.csv with their GroupLens headers).</summary>
    public static bool IsLatest(string folder) =>
        HasHeader(Path.Combine(folder, "ratings.csv"), LatestRatingsHeader) || HasHeader(Path.Combine(folder, "movies.csv"), LatestMoviesHeader);

    private static bool HasHeader(string path, string header)
    {
        if (!File.Exists(path)) return false;
        using var r = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return (r.ReadLine() ?? "").StartsWith(header, StringComparison.Ordinal);
    }

    private const string LatestRatingsHeader = "userId,movieId,rating", LatestMoviesHeader = "movieId,title,genres", LatestTagsHeader = "userId,movieId,tag";

    public static bool IsMovieLens(string path) => Directory.Exists(path) ? Is100K(path) || Is1M(path) || IsLatest(path) : IsRatingsFile(path);

    /// <summary>
    /// True for a MovieLens ratings file given on its own: <c>u.data</c>, a split such as <c>u1.base</c>/<c>ua.test</c>,
    /// or <c>ratings.dat</c>.
    /// </summary>
    public static bool IsRatingsFile(string path)
    {
        if (!File.Exists(path)) return false;
        var name = Path.GetFileName(path);
        if (name == "ratings.csv") return HasHeader(path, LatestRatingsHeader);
        return name == "u.data" || name == "ratings.dat" || System.Text.RegularExpressions.Regex.IsMatch(name, @"^u[0-9a-z]\.(base|test)$");
    }

    /// <summary>
    /// Reads a MovieLens folder, or a single ratings file (u.data, u1.base, ratings.dat, ratings.csv ...) together with the
    /// item and user files beside it.
    /// </summary>
    public static Dataset Read(string folder, bool requireInteractions = true, IProgressReporter? progress = null)
    {
        if (IsRatingsFile(folder)) return ReadRatingsFile(folder, progress);
        if (!Directory.Exists(folder)) throw new TroveException($"MovieLens folder '{folder}' does not exist.");
        var builder = new DatasetBuilder();
        if (Is100K(folder)) Read100K(folder, builder, requireInteractions, progress);
        else if (Is1M(folder)) Read1M(folder, builder, requireInteractions, progress);
        else if (IsLatest(folder)) ReadLatest(folder, builder, requireInteractions, progress);
        else throw new TroveException($"'{folder}' is not a MovieLens folder: looked for u.data/u.item (ml-100k), ratings.dat/movies.dat/users.dat (ml-1m) or ratings.csv/movies.csv (ml-latest, ml-20m, ml-25m, ml-32m).");
        return builder.Build(Path.GetFullPath(folder));
    }

    private static Dataset ReadRatingsFile(string path, IProgressReporter? progress)
    {
        var b = new DatasetBuilder();
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (Path.GetFileName(path) == "ratings.csv")
        {
            ReadLatest(folder, b, requireInteractions: true, progress);
            return b.Build(Path.GetFullPath(path));
        }
        bool oneM = Path.GetFileName(path) == "ratings.dat";
        if (oneM) ReadRatings(path, null, "::", b, progress);
        else ReadRatings(path, '\t', null, b, progress);
        if (oneM) Read1MFeatures(folder, b);
        else Read100KFeatures(folder, b);
        return b.Build(Path.GetFullPath(path));
    }

    private static void Read100K(string folder, DatasetBuilder b, bool requireInteractions, IProgressReporter? progress)
    {
        var data = Path.Combine(folder, "u.data");
        if (File.Exists(data)) ReadRatings(data, '\t', null, b, progress);
        else if (requireInteractions) throw MissingRatings(folder, "u.data");
        Read100KFeatures(folder, b);
    }

    private static void Read100KFeatures(string folder, DatasetBuilder b)
    {
        var itemFile = Path.Combine(folder, "u.item");
        if (File.Exists(itemFile))
        {
            b.ItemFeatures.AddColumn("title", FeatureKind.Text);
            b.ItemFeatures.AddColumn("genre", FeatureKind.Categorical);
            b.ItemFeatures.AddColumn("year", FeatureKind.Numeric);
            using var r = DelimitedReader.Open(itemFile, '|', quoting: false, Latin1);
            var genres = new List<string>();
            while (r.Read())
            {
                if (r.FieldCount < 5 + Genres100K.Length) throw new DataFormatException(itemFile, r.LineNumber, null, $"expected {5 + Genres100K.Length} '|'-separated fields, found {r.FieldCount}.");
                var id = r[0].Trim();
                if (id.IsEmpty) throw new DataFormatException(itemFile, r.LineNumber, "movie id", "empty id.");
                int index = b.Items.GetOrAdd(id);
                var title = r.GetString(1).Trim();
                b.ItemFeatures.Set("title", index, title);
                genres.Clear();
                for (int g = 0; g < Genres100K.Length; g++)
                    if (r[5 + g].Trim().SequenceEqual("1")) genres.Add(Genres100K[g]);
                if (genres.Count > 0) b.ItemFeatures.Set("genre", index, string.Join('|', genres));
                var date = r[2].Trim(); // 01-Jan-1995
                if (date.Length >= 4 && int.TryParse(date[^4..], out int year)) b.ItemFeatures.Set("year", index, year);
                else if (YearFromTitle(title) is int y) b.ItemFeatures.Set("year", index, y);
            }
        }

        var userFile = Path.Combine(folder, "u.user");
        if (File.Exists(userFile))
        {
            AddUserColumns(b);
            using var r = DelimitedReader.Open(userFile, '|', quoting: false, Latin1);
            while (r.Read())
            {
                if (r.FieldCount < 5) throw new DataFormatException(userFile, r.LineNumber, null, $"expected 5 '|'-separated fields (user id|age|gender|occupation|zip), found {r.FieldCount}.");
                SetUser(b, userFile, r.LineNumber, r[0], r[1], r[2], r.GetString(3), r[4]);
            }
        }
    }

    private static void Read1M(string folder, DatasetBuilder b, bool requireInteractions, IProgressReporter? progress)
    {
        var ratings = Path.Combine(folder, "ratings.dat");
        if (File.Exists(ratings)) ReadRatings(ratings, null, "::", b, progress);
        else if (requireInteractions) throw MissingRatings(folder, "ratings.dat");
        Read1MFeatures(folder, b);
    }

    private static void Read1MFeatures(string folder, DatasetBuilder b)
    {
        var movies = Path.Combine(folder, "movies.dat");
        if (File.Exists(movies))
        {
            b.ItemFeatures.AddColumn("title", FeatureKind.Text);
            b.ItemFeatures.AddColumn("genre", FeatureKind.Categorical);
            b.ItemFeatures.AddColumn("year", FeatureKind.Numeric);
            foreach (var (line, text) in LineReader.ReadLines(movies, Latin1))
            {
                if (text.Length == 0) continue;
                var f = text.Split("::");
                if (f.Length < 3) throw new DataFormatException(movies, line, null, $"expected MovieID::Title::Genres, found {f.Length} fields.");
                var id = f[0].Trim();
                if (id.Length == 0) throw new DataFormatException(movies, line, "MovieID", "empty id.");
                int index = b.Items.GetOrAdd(id);
                b.ItemFeatures.Set("title", index, f[1].Trim());
                if (f[2].Trim().Length > 0) b.ItemFeatures.Set("genre", index, f[2].Trim());
                if (YearFromTitle(f[1]) is int y) b.ItemFeatures.Set("year", index, y);
            }
        }

        var users = Path.Combine(folder, "users.dat");
        if (File.Exists(users))
        {
            AddUserColumns(b);
            foreach (var (line, text) in LineReader.ReadLines(users, Latin1))
            {
                if (text.Length == 0) continue;
                var f = text.Split("::");
                if (f.Length < 5) throw new DataFormatException(users, line, null, $"expected UserID::Gender::Age::Occupation::Zip-code, found {f.Length} fields.");
                var occupation = f[3].Trim();
                if (int.TryParse(occupation, out int code) && code >= 0 && code < Occupations1M.Length) occupation = Occupations1M[code];
                SetUser(b, users, line, f[0], f[2], f[1], occupation, f[4]);
            }
        }
    }

    private static void ReadLatest(string folder, DatasetBuilder b, bool requireInteractions, IProgressReporter? progress)
    {
        var ratings = Path.Combine(folder, "ratings.csv");
        if (File.Exists(ratings))
        {
            short ev = b.Interactions.EventIndex(RatingEvent);
            using var task = progress.StartBytes($"read {Path.GetFileName(ratings)}", new FileInfo(ratings).Length);
            using var r = OpenLatest(ratings, LatestRatingsHeader, "userId,movieId,rating,timestamp");
            long last = 0;
            while (r.Read())
            {
                if (r.FieldCount == 1 && r[0].Trim().IsEmpty) continue;
                if (r.FieldCount < 3) throw new DataFormatException(ratings, r.LineNumber, null, $"expected userId,movieId,rating,timestamp, found {r.FieldCount} fields.");
                AddRating(b, ev, ratings, r.LineNumber, r[0], r[1], r[2], r.FieldCount > 3 ? r[3] : default);
                if ((r.RecordCount & 0xFFFF) == 0 && task is not null) { task.Advance(r.BytesRead - last); last = r.BytesRead; }
            }
            task?.Advance(r.BytesTotal - last);
        }
        else if (requireInteractions) throw MissingRatings(folder, "ratings.csv");

        var movies = Path.Combine(folder, "movies.csv");
        if (File.Exists(movies))
        {
            b.ItemFeatures.AddColumn("title", FeatureKind.Text);
            b.ItemFeatures.AddColumn("genre", FeatureKind.Categorical);
            b.ItemFeatures.AddColumn("year", FeatureKind.Numeric);
            using var r = OpenLatest(movies, LatestMoviesHeader, "movieId,title,genres");
            while (r.Read())
            {
                if (r.FieldCount == 1 && r[0].Trim().IsEmpty) continue;
                if (r.FieldCount < 3) throw new DataFormatException(movies, r.LineNumber, null, $"expected movieId,title,genres, found {r.FieldCount} fields (quote a title that holds commas).");
                var id = r[0].Trim();
                if (id.IsEmpty) throw new DataFormatException(movies, r.LineNumber, "movieId", "empty id.");
                int index = b.Items.GetOrAdd(id);
                var title = r.GetString(1).Trim();
                b.ItemFeatures.Set("title", index, title);
                var genres = r[2].Trim();
                if (!genres.IsEmpty && !genres.SequenceEqual("(no genres listed)")) b.ItemFeatures.Set("genre", index, genres.ToString());
                if (YearFromTitle(title) is int y) b.ItemFeatures.Set("year", index, y);
            }
        }

        var tags = Path.Combine(folder, "tags.csv");
        if (File.Exists(tags))
        {
            // Distinct tags per movie (case-insensitive), in first-seen order.
            var byItem = new Dictionary<int, List<string>>();
            using (var r = OpenLatest(tags, LatestTagsHeader, "userId,movieId,tag,timestamp"))
            {
                while (r.Read())
                {
                    if (r.FieldCount == 1 && r[0].Trim().IsEmpty) continue;
                    if (r.FieldCount < 3) throw new DataFormatException(tags, r.LineNumber, null, $"expected userId,movieId,tag,timestamp, found {r.FieldCount} fields.");
                    var id = r[1].Trim();
                    if (id.IsEmpty) throw new DataFormatException(tags, r.LineNumber, "movieId", "empty id.");
                    var tag = r.GetString(2).Trim();
                    if (tag.Length == 0) continue;
                    int index = b.Items.GetOrAdd(id);
                    if (!byItem.TryGetValue(index, out var list)) byItem[index] = list = [];
                    if (!list.Contains(tag, StringComparer.OrdinalIgnoreCase)) list.Add(tag);
                }
            }
            b.ItemFeatures.AddColumn("tags", FeatureKind.Text);
            foreach (var (index, list) in byItem) b.ItemFeatures.Set("tags", index, string.Join(", ", list));
        }
    }

    /// <summary>Opens a GroupLens CSV (UTF-8, RFC 4180 quoting) and checks its header.</summary>
    private static DelimitedReader OpenLatest(string path, string header, string expected)
    {
        var r = DelimitedReader.Open(path, ',', quoting: true, Encoding.UTF8);
        if (!r.Read() || !string.Join(',', r.GetStrings().Select(h => h.Trim())).StartsWith(header, StringComparison.Ordinal))
        {
            r.Dispose();
            throw new DataFormatException(path, 1, null, $"expected the header {expected}.");
        }
        return r;
    }

    private static void AddUserColumns(DatasetBuilder b)
    {
        b.UserFeatures.AddColumn("age", FeatureKind.Numeric);
        b.UserFeatures.AddColumn("gender", FeatureKind.Categorical);
        b.UserFeatures.AddColumn("occupation", FeatureKind.Categorical);
        b.UserFeatures.AddColumn("zip", FeatureKind.Categorical);
    }

    private static void SetUser(DatasetBuilder b, string file, long line, ReadOnlySpan<char> id, ReadOnlySpan<char> age, ReadOnlySpan<char> gender, string occupation, ReadOnlySpan<char> zip)
    {
        id = id.Trim();
        if (id.IsEmpty) throw new DataFormatException(file, line, "user id", "empty id.");
        int u = b.Users.GetOrAdd(id);
        if (!ValueParsers.TryParseFloat(age.Trim(), out var a)) throw new DataFormatException(file, line, "age", $"not a number: '{age.ToString()}'.");
        b.UserFeatures.Set("age", u, a);
        if (!gender.Trim().IsEmpty) b.UserFeatures.Set("gender", u, gender.Trim().ToString());
        if (occupation.Trim().Length > 0) b.UserFeatures.Set("occupation", u, occupation.Trim());
        if (!zip.Trim().IsEmpty) b.UserFeatures.Set("zip", u, zip.Trim().ToString());
    }

    /// <summary>Reads user, item, rating, timestamp lines separated by one char or by a string such as "::".</summary>
    private static void ReadRatings(string path, char? delimiter, string? separator, DatasetBuilder b, IProgressReporter? progress)
    {
        var log = b.Interactions;
        short ev = log.EventIndex(RatingEvent);
        using var task = progress.StartBytes($"read {Path.GetFileName(path)}", new FileInfo(path).Length);
        if (delimiter is char d)
        {
            using var r = DelimitedReader.Open(path, d, quoting: false, Latin1);
            long last = 0;
            while (r.Read())
            {
                if (r.FieldCount < 3) throw new DataFormatException(path, r.LineNumber, null, $"expected user, item, rating[, timestamp], found {r.FieldCount} fields.");
                AddRating(b, ev, path, r.LineNumber, r[0], r[1], r[2], r.FieldCount > 3 ? r[3] : default);
                if ((r.RecordCount & 0xFFFF) == 0 && task is not null) { task.Advance(r.BytesRead - last); last = r.BytesRead; }
            }
            task?.Advance(r.BytesTotal - last);
        }
        else
        {
            Span<Range> parts = stackalloc Range[5];
            foreach (var (line, text) in LineReader.ReadLines(path, Latin1))
            {
                if (text.Length == 0) continue;
                var span = text.AsSpan();
                int n = span.Split(parts, separator!);
                if (n < 3) throw new DataFormatException(path, line, null, $"expected UserID{separator}MovieID{separator}Rating{separator}Timestamp, found {n} fields.");
                AddRating(b, ev, path, line, span[parts[0]], span[parts[1]], span[parts[2]], n > 3 ? span[parts[3]] : default);
            }
        }
    }

    private static void AddRating(DatasetBuilder b, short ev, string path, long line, ReadOnlySpan<char> user, ReadOnlySpan<char> item, ReadOnlySpan<char> rating, ReadOnlySpan<char> time)
    {
        user = user.Trim(); item = item.Trim();
        if (user.IsEmpty) throw new DataFormatException(path, line, "user id", "empty user id.");
        if (item.IsEmpty) throw new DataFormatException(path, line, "item id", "empty item id.");
        if (!ValueParsers.TryParseFloat(rating.Trim(), out var score) || !float.IsFinite(score))
            throw new DataFormatException(path, line, "rating", $"not a finite number: '{rating.ToString()}'.");
        if (score < 0) throw new DataFormatException(path, line, "rating", $"negative weight {score}.");
        long ts = 0;
        if (!time.Trim().IsEmpty && !ValueParsers.TryParseTimestamp(time.Trim(), out ts))
            throw new DataFormatException(path, line, "timestamp", $"cannot read timestamp '{time.ToString()}'.");
        b.Interactions.Add(b.Users.GetOrAdd(user), b.Items.GetOrAdd(item), score, ts, ev, score);
    }

    private static int? YearFromTitle(string title)
    {
        // "Toy Story (1995)" -> 1995
        var t = title.TrimEnd();
        if (t.Length >= 6 && t[^1] == ')' && t[^6] == '(' && int.TryParse(t.AsSpan(t.Length - 5, 4), out int y)) return y;
        return null;
    }

    private static TroveException MissingRatings(string folder, string file) =>
        new($"MovieLens folder '{folder}' has no {file}, so it has no interactions (only user/item features). This command needs interactions: add {file}, or use a folder that has it.");

    private static string FirstLine(string path)
    {
        using var r = new StreamReader(path, Latin1);
        return r.ReadLine() ?? "";
    }
}
