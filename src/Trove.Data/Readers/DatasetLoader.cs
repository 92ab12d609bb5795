using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Training;
using Trove.Data.Stores;

namespace Trove.Data.Readers;

/// <summary>How <see cref="DatasetLoader"/> reads a path.</summary>
public sealed record LoadOptions
{
    /// <summary>csv, movielens, lastfm, sqlite (or another registered format); null detects it from the path.</summary>
    public string? Format { get; init; }
    /// <summary>Column names, delimiter, event weights and encoding for CSV input.</summary>
    public CsvOptions Csv { get; init; } = CsvOptions.Default;
    /// <summary>
    /// When true (the default), a source without interactions (e.g. ml-1m without ratings.dat) is an
    /// error; when false its features are read alone (import, stats).
    /// </summary>
    public bool RequireInteractions { get; init; } = true;
    /// <summary>Minimum score and iterated k-core, applied by <see cref="DatasetLoader.Load"/> after reading.</summary>
    public DataFilter Filter { get; init; } = DataFilter.None;

    public static LoadOptions Default { get; } = new();
}

/// <summary>
/// Loads a <see cref="Dataset"/> from a path, detecting its format:
/// <list type="bullet">
/// <item>a <c>.csv</c>/<c>.tsv</c> file: interactions CSV (<see cref="InteractionCsvReader"/>);</item>
/// <item>a folder with <c>interactions.csv</c> and optional <c>items.csv</c>/<c>users.csv</c> (the simulator's layout);</item>
/// <item>a MovieLens folder (ml-100k, ml-1m, or the CSV layout of ml-latest/20m/25m/32m); a HetRec Last.fm folder (<c>user_artists.dat</c>);</item>
/// <item>a <c>.db</c>/<c>.sqlite</c> file: the SQLite store;</item>
/// <item>a <c>.json</c> file: the universal format, or an array of playlists (<see cref="PlaylistReader"/>).</item>
/// </list>
/// Other formats plug in with <see cref="Register"/> (e.g. "ncf").
/// </summary>
public static class DatasetLoader
{
    /// <summary>A format: its name, a test that says whether a path is in it (for detection), and its reader.</summary>
    public sealed record Format(string Name, string Looks, Func<string, bool> Detect, Func<string, LoadOptions, IProgressReporter?, Dataset> Load);

    private static readonly List<Format> _formats =
    [
        new("sqlite", "a .db/.sqlite/.sqlite3 file", p => File.Exists(p) && SqliteStore.LooksLikeDatabase(p),
            (p, o, progress) => { using var s = SqliteStore.Open(p, createIfMissing: false); return s.LoadDataset(progress); }),
        new("csv", "a .csv/.tsv/.txt file with a header, or a folder with interactions.csv (+ items.csv, users.csv)",
            p => (File.Exists(p) && new[] { ".csv", ".tsv", ".txt" }.Any(e => p.EndsWith(e, StringComparison.OrdinalIgnoreCase)) && !MovieLensReader.IsRatingsFile(p))
                 || (Directory.Exists(p) && File.Exists(Path.Combine(p, "interactions.csv"))),
            LoadCsv),
        new("movielens", "a MovieLens folder (ml-100k: u.data, u.item, u.user; ml-1m: ratings.dat, movies.dat, users.dat; ml-latest/20m/25m/32m: ratings.csv, movies.csv, tags.csv) or one of its ratings files (u.data, u1.base, ratings.dat, ratings.csv)",
            MovieLensReader.IsMovieLens, (p, o, progress) => MovieLensReader.Read(p, o.RequireInteractions, progress)),
        new("lastfm", "a HetRec Last.fm folder (user_artists.dat, artists.dat, tags.dat, user_taggedartists.dat)",
            LastFmReader.IsLastFm, (p, o, progress) => LastFmReader.Read(p, o.RequireInteractions, progress)),
        // Only by name (--format lightgcn): its .txt files would otherwise be taken for header-less CSV.
        new(LightGcnReader.FormatName, "a LightGCN/NGCF adjacency-list file (user item item ... per line; give --format lightgcn)",
            _ => false, (p, o, progress) => LightGcnReader.Read(p)),
        new("json", "a .json file in the universal format (user_data, item_data, interactions)",
            p => File.Exists(p) && p.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && Trove.Data.Formats.UniversalJsonReader.LooksLikeUniversalJson(p),
            (p, o, progress) => Trove.Data.Formats.UniversalJsonReader.Read(p, new Trove.Data.Formats.UniversalJsonOptions { EventWeights = o.Csv.EventWeights })),
        new(PlaylistReader.FormatName, "a .json file with an array of playlists ([{\"id\", \"song_ids\": [...], \"user_handle\"}]; the creator, else the playlist, is the user)",
            PlaylistReader.LooksLikePlaylists, (p, o, progress) => PlaylistReader.Read(p, o.Csv.EventWeights)),
    ];

    private static readonly object Gate = new();

    public static IReadOnlyList<Format> Formats { get { lock (Gate) return _formats.ToArray(); } }

    /// <summary>Adds (or replaces) a format; detection tries formats in registration order.</summary>
    public static void Register(Format format)
    {
        lock (Gate)
        {
            _formats.RemoveAll(f => string.Equals(f.Name, format.Name, StringComparison.OrdinalIgnoreCase));
            _formats.Add(format);
        }
    }

    public static Dataset Load(string path, LoadOptions? options = null, IProgressReporter? progress = null)
    {
        options ??= LoadOptions.Default;
        var format = Resolve(path, options.Format);
        var data = format.Load(path, options, progress);
        if (options.RequireInteractions && data.Interactions.Count == 0)
            throw new TroveException($"'{path}' has no interactions ({data.UserCount} users, {data.ItemCount} items). This command needs interactions.");
        return options.Filter.Apply(data, progress, options.RequireInteractions);
    }

    /// <summary>The format of <paramref name="path"/>: the named one, or the first whose detection accepts the path.</summary>
    public static Format Resolve(string path, string? formatName = null)
    {
        var formats = Formats;
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new TroveException($"Data path '{path}' does not exist.");
        if (!string.IsNullOrWhiteSpace(formatName))
        {
            return formats.FirstOrDefault(f => string.Equals(f.Name, formatName.Trim(), StringComparison.OrdinalIgnoreCase))
                ?? throw new TroveException($"Unknown data format '{formatName}'. Known formats: {string.Join(", ", formats.Select(f => f.Name))}.");
        }
        foreach (var f in formats)
            if (f.Detect(path)) return f;
        if (File.Exists(path) && !Directory.Exists(path))
        {
            // Any other single file with a delimited header: try it as CSV.
            var csv = formats.First(f => f.Name == "csv");
            if (!SqliteStore.LooksLikeDatabase(path)) return csv;
        }
        throw new TroveException($"Cannot tell the format of '{path}'. Looked for: {string.Join("; ", formats.Select(f => $"{f.Name} = {f.Looks}"))}. Give --format {string.Join("|", formats.Select(f => f.Name))}.");
    }

    /// <summary>Interactions CSV file, or a folder with interactions.csv plus optional items.csv and users.csv.</summary>
    public static Dataset LoadCsv(string path, LoadOptions options, IProgressReporter? progress)
    {
        var b = new DatasetBuilder();
        if (Directory.Exists(path))
        {
            var interactions = Path.Combine(path, "interactions.csv");
            // A CSV folder is its interactions.csv: without it even import and stats refuse (not "0 interactions").
            if (!File.Exists(interactions)) throw NoInteractionsCsv(path);
            if (InteractionCsvReader.ReadInto(interactions, b, options.Csv, progress) == 0 && options.RequireInteractions)
                throw new DataFormatException(interactions, 0, null, "the file has a header but no interactions.");
            ReadFeatureFiles(path, b, options.Csv);
        }
        else InteractionCsvReader.ReadInto(path, b, options.Csv, progress);
        return b.Build(Path.GetFullPath(path));
    }

    /// <summary>The error for a CSV folder without interactions.csv.</summary>
    public static TroveException NoInteractionsCsv(string folder) =>
        new($"Folder '{folder}' has no interactions.csv (a CSV data folder holds interactions.csv, optionally with items.csv and users.csv).");

    /// <summary>Reads items.csv (column <c>item</c>) and users.csv (column <c>user</c>) when present in the folder.</summary>
    public static void ReadFeatureFiles(string folder, DatasetBuilder b, CsvOptions csv)
    {
        var featureCsv = csv with { Delimiter = null };
        var items = Path.Combine(folder, "items.csv");
        if (File.Exists(items)) FeatureCsvReader.ReadInto(items, csv.Columns.Item, b.Items, b.ItemFeatures, featureCsv);
        var users = Path.Combine(folder, "users.csv");
        if (File.Exists(users)) FeatureCsvReader.ReadInto(users, csv.Columns.User, b.Users, b.UserFeatures, featureCsv);
    }
}
