using System.CommandLine;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Training;
using Trove.Data.Readers;
using Trove.Data.Stores;

namespace Trove.Cli.Infrastructure;

/// <summary>
/// The options every data-reading command shares, and how to load a dataset from them:
/// <code>
/// --data PATH            a CSV file, a folder (interactions.csv [+ items.csv, users.csv], MovieLens, Last.fm) or a .db file
/// --db FILE|URL          a Trove database (written by `trove import`): a SQLite file, or postgres://user@host:port/db / Host=... for PostgreSQL
/// --format NAME          csv | movielens | lastfm | sqlite | json | playlists | lightgcn (default: detected from the path)
/// --event-weights SPEC   e.g. view=0.1,add_to_cart=0.3,purchase=0.6 (on top of the defaults)
/// --columns SPEC         CSV header names, e.g. user=customer_id,item=sku,score=qty,timestamp=ts,event=type
/// --delimiter C          CSV delimiter: , ; tab | (default: detected from the header)
/// --min-user-interactions N, --min-item-interactions M   iterated k-core
/// --min-score X (--positive-threshold X)                  keep interactions with score >= X
/// </code>
/// The filters are applied where the data is loaded (<see cref="DataFilter"/>), so import, train, evaluate and stats
/// filter identically.
/// Usage in a command:
/// <code>
/// var data = new DataOptions();
/// var command = new Command("train", "...");
/// data.AddTo(command);
/// command.SetAction(r => CommandRunner.Run(() => { var dataset = data.Load(r, new ConsoleProgress()); ... }));
/// </code>
/// <see cref="Load"/> requires exactly one of --data and --db.
/// </summary>
public sealed class DataOptions
{
    public Option<string?> Data { get; } = new("--data")
    {
        Description = "Input data: a CSV file, a folder (interactions.csv + items.csv/users.csv, MovieLens ml-100k/ml-1m/latest/20m/25m/32m, Last.fm HetRec), a universal or playlists .json file, or a .db file.",
    };

    public Option<string?> Db { get; } = new("--db") { Description = "A Trove database (see `trove import`): a SQLite file, or PostgreSQL as postgres://user@host:port/database or Host=...;Database=...." };

    public Option<string?> Format { get; } = new("--format")
    {
        Description = $"Format of --data: {string.Join(", ", DatasetLoader.Formats.Select(f => f.Name))} (default: detected).",
    };

    public Option<string?> EventWeights { get; } = new("--event-weights")
    {
        Description = "Event-type weights on top of the defaults (view=0.1,add_to_cart=0.3,purchase=0.6,rating=0.2), e.g. view=0.05,purchase=1.",
    };

    public Option<string?> Columns { get; } = new("--columns")
    {
        Description = "CSV header names when they differ from user,item,score,timestamp,event, e.g. user=customer_id,item=sku.",
    };

    public Option<string?> Delimiter { get; } = new("--delimiter") { Description = "CSV delimiter: , ; tab | (default: detected from the header)." };

    public Option<int> MinUserInteractions { get; } = new("--min-user-interactions") { Description = "Keep users with at least N distinct items (iterated k-core with --min-item-interactions, until stable)." };

    public Option<int> MinItemInteractions { get; } = new("--min-item-interactions") { Description = "Keep items with at least M distinct users (iterated k-core with --min-user-interactions, until stable)." };

    public Option<float?> MinScore { get; } = new("--min-score", "--positive-threshold") { Description = "Keep interactions whose score (the rating or count, else the weight) is >= X as the positives, e.g. 3.5." };

    /// <summary>All options, to add to a command.</summary>
    public IEnumerable<Option> All => [Data, Db, Format, EventWeights, Columns, Delimiter, MinUserInteractions, MinItemInteractions, MinScore];

    /// <summary>The data filter from --min-user-interactions, --min-item-interactions and --min-score.</summary>
    public DataFilter Filter(ParseResult r) => new DataFilter
    {
        MinUserInteractions = r.GetValue(MinUserInteractions),
        MinItemInteractions = r.GetValue(MinItemInteractions),
        MinScore = r.GetValue(MinScore),
    }.Validate();

    public void AddTo(Command command)
    {
        foreach (var option in All) command.Options.Add(option);
    }

    /// <summary>Reading options from --format, --event-weights, --columns and --delimiter.</summary>
    public LoadOptions LoadOptions(ParseResult r, bool requireInteractions = true)
    {
        var weights = r.GetValue(EventWeights) is { } spec ? Core.Data.EventWeights.Parse(spec) : Core.Data.EventWeights.Default;
        return new LoadOptions
        {
            Format = r.GetValue(Format),
            Csv = new CsvOptions
            {
                Columns = CsvColumns.Parse(r.GetValue(Columns)),
                Delimiter = CsvOptions.ParseDelimiter(r.GetValue(Delimiter)),
                EventWeights = weights,
            },
            RequireInteractions = requireInteractions,
            Filter = Filter(r),
        };
    }

    /// <summary>Loads the dataset named by exactly one of --data and --db.</summary>
    public Dataset Load(ParseResult r, IProgressReporter? progress = null, bool requireInteractions = true)
    {
        var data = r.GetValue(Data);
        var db = r.GetValue(Db);
        if (data is null == db is null)
            throw new TroveException(data is null
                ? "Give the input data: --data PATH (a CSV file or a folder) or --db FILE (a database from `trove import`)."
                : "Give either --data or --db, not both.");
        if (db is not null)
        {
            if (!InteractionStores.Exists(db)) throw new TroveException($"Database '{db}' does not exist. Create one with: trove import --data PATH --db {db}");
            using var store = InteractionStores.Open(db, createIfMissing: false);
            var dataset = store.LoadDataset(progress);
            if (requireInteractions && dataset.Interactions.Count == 0)
                throw new TroveException($"Database '{db}' has no interactions. Import some with: trove import --data PATH --db {db}");
            return Filter(r).Apply(dataset, progress, requireInteractions);
        }
        return DatasetLoader.Load(data!, LoadOptions(r, requireInteractions), progress);
    }
}
