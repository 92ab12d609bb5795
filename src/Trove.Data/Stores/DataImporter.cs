using Trove.Core.Errors;
using Trove.Core.Training;
using Trove.Data.Readers;

namespace Trove.Data.Stores;

/// <summary>
/// Imports a data path into a store in one transaction. CSV input (a file, or a folder with
/// interactions.csv) is streamed row by row into the transaction, so a malformed line anywhere in the
/// file rolls back everything; other formats, and any input with a data filter, are loaded as a dataset first
/// (the filter needs the whole data, and <see cref="DatasetLoader.Load"/> is where it is applied).
/// </summary>
public static class DataImporter
{
    /// <param name="replaceInteractions">Delete the stored interactions first (in the same transaction), so a full log can be re-imported.</param>
    public static ImportResult Import(IInteractionStore store, string path, LoadOptions? options = null, IProgressReporter? progress = null, bool replaceInteractions = false) =>
        ImportCore(store, path, options, progress, replaceInteractions, isAsync: false, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>
    /// As <see cref="Import"/>, awaiting the database's round trips. A cancelled <paramref name="cancel"/> stops the
    /// import with <see cref="OperationCanceledException"/> and leaves the store exactly as before.
    /// </summary>
    public static Task<ImportResult> ImportAsync(IInteractionStore store, string path, LoadOptions? options = null, IProgressReporter? progress = null,
        bool replaceInteractions = false, CancellationToken cancel = default) =>
        ImportCore(store, path, options, progress, replaceInteractions, isAsync: true, cancel);

    /// <summary>Both imports: with <paramref name="isAsync"/> false nothing is awaited and the task is complete on return.</summary>
    private static async Task<ImportResult> ImportCore(IInteractionStore store, string path, LoadOptions? options, IProgressReporter? progress, bool replaceInteractions,
        bool isAsync, CancellationToken cancel)
    {
        options ??= LoadOptions.Default;
        var format = DatasetLoader.Resolve(path, options.Format);
        if (format.Name == "sqlite" && SameFile(path, store.Location))
            throw new TroveException($"Cannot import '{path}' into itself.");
        if (format.Name != "csv" || !options.Filter.IsNone)
        {
            var data = DatasetLoader.Load(path, options, progress);
            using var whole = store.BeginImport();
            if (replaceInteractions) whole.ClearInteractions();
            if (!isAsync) { whole.AddDataset(data, progress); return whole.Commit(); }
            await whole.AddDatasetAsync(data, progress, cancel);
            return await whole.CommitAsync(cancel);
        }

        using var session = store.BeginImport();
        if (replaceInteractions) session.ClearInteractions();
        string interactions = Directory.Exists(path) ? Path.Combine(path, "interactions.csv") : path;
        if (!File.Exists(interactions)) throw DatasetLoader.NoInteractionsCsv(path);
        var records = InteractionCsvReader.ReadRecords(interactions, options.Csv, progress);
        long rows = isAsync ? await session.AddInteractionsAsync(records, progress, cancel) : session.AddInteractions(records, progress);
        if (rows == 0 && options.RequireInteractions) throw new TroveException($"'{interactions}' has a header but no interactions.");
        if (Directory.Exists(path))
        {
            var features = new DatasetBuilder();
            DatasetLoader.ReadFeatureFiles(path, features, options.Csv);
            var data = features.Build(path);
            session.AddUsers(data.Users, data.UserFeatures);
            session.AddItems(data.Items, data.ItemFeatures);
        }
        return isAsync ? await session.CommitAsync(cancel) : session.Commit();
    }

    private static bool SameFile(string a, string b) =>
        string.Equals(Path.GetFullPath(a), Path.GetFullPath(b), StringComparison.Ordinal);
}
