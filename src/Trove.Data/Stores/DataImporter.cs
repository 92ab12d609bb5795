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
    public static ImportResult Import(IInteractionStore store, string path, LoadOptions? options = null, IProgressReporter? progress = null, bool replaceInteractions = false)
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
            whole.AddDataset(data, progress);
            return whole.Commit();
        }

        using var session = store.BeginImport();
        if (replaceInteractions) session.ClearInteractions();
        string interactions = Directory.Exists(path) ? Path.Combine(path, "interactions.csv") : path;
        if (!File.Exists(interactions)) throw DatasetLoader.NoInteractionsCsv(path);
        long rows = session.AddInteractions(InteractionCsvReader.ReadRecords(interactions, options.Csv, progress), progress);
        if (rows == 0 && options.RequireInteractions) throw new TroveException($"'{interactions}' has a header but no interactions.");
        if (Directory.Exists(path))
        {
            var features = new DatasetBuilder();
            DatasetLoader.ReadFeatureFiles(path, features, options.Csv);
            var data = features.Build(path);
            session.AddUsers(data.Users, data.UserFeatures);
            session.AddItems(data.Items, data.ItemFeatures);
        }
        return session.Commit();
    }

    private static bool SameFile(string a, string b) =>
        string.Equals(Path.GetFullPath(a), Path.GetFullPath(b), StringComparison.Ordinal);
}
