using Microsoft.Extensions.Logging;
using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Models;

namespace Trove.Server.Models;

/// <summary>Item titles (id -> title) read from the data set given with --data or --db, if any.</summary>
public sealed class ItemTitles(IReadOnlyDictionary<string, string>? byId)
{
    public IReadOnlyDictionary<string, string>? ById { get; } = byId is { Count: > 0 } ? byId : null;

    /// <summary>Titles (or names) of a data set's items: a "title"/"name" text or categorical column.</summary>
    public static ItemTitles From(Trove.Core.Data.Dataset? data)
    {
        if (data is null) return new ItemTitles(null);
        var f = data.ItemFeatures;
        string?[]? column = null;
        foreach (var name in (string[])["title", "name"])
            column ??= f.Text.TryGetValue(name, out var t) ? t : f.Categorical.TryGetValue(name, out var c) ? c : null;
        if (column is null) return new ItemTitles(null);
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < Math.Min(column.Length, data.Items.Count); i++) if (column[i] is { Length: > 0 } v) map[data.Items[i]] = v;
        return new ItemTitles(map);
    }
}

/// <summary>The models being served, as one immutable set. A reload builds a new set and swaps the reference.</summary>
public sealed class ModelSet(IReadOnlyList<LoadedModel> models, long generation)
{
    public IReadOnlyList<LoadedModel> Models { get; } = models;
    public long Generation { get; } = generation;
    public LoadedModel? Default => Models.Count > 0 ? Models[0] : null;

    /// <summary>The model named <paramref name="name"/> (its serving name or algorithm), or the default when null.</summary>
    public LoadedModel? Find(string? name) =>
        string.IsNullOrWhiteSpace(name) ? Default
        : Models.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase))
          ?? Models.FirstOrDefault(m => string.Equals(m.Manifest.Algorithm, name, StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// Loads the configured model files and hot-swaps them: <see cref="Reload"/> loads every file into
/// a new <see cref="ModelSet"/> and publishes it with one reference write, so a request that already
/// took <see cref="Current"/> finishes on the old models while new requests see the new ones. A file
/// that fails to load keeps its previous model (the error is reported by /ready and the reload call).
/// With file watching on, a changed model file is reloaded after a short quiet period.
/// </summary>
public sealed class ModelCatalog : IDisposable
{
    private readonly ServerOptions _options;
    private readonly ILogger _log;
    private readonly object _reloadLock = new();
    private readonly List<FileSystemWatcher> _watchers = new();
    private Timer? _debounce;
    private volatile ModelSet _current = new([], 0);
    // The configured files, until Replace points a name at another file (cluster mode: a newly registered model version).
    private volatile IReadOnlyList<ModelSource> _sources;

    private readonly ItemTitles _titles;

    public ModelCatalog(ServerOptions options, ILogger<ModelCatalog> log, ItemTitles titles)
    {
        _options = options; _log = log; _titles = titles;
        _sources = options.Models;
    }

    public ModelSet Current => _current;
    public DateTime? LastReloadUtc { get; private set; }
    public string? LastError { get; private set; }
    public long ReloadCount { get; private set; }
    public long ReloadFailures { get; private set; }

    /// <summary>First load at start-up: any failure is fatal (a clear TroveException).</summary>
    public void LoadInitial()
    {
        if (_sources.Count == 0) throw new TroveException("No model to serve: give --model PATH (a file written by `trove train`).");
        var loaded = _sources.Select(s => Load(s)).ToList();
        _current = new ModelSet(loaded, 1);
        LastReloadUtc = DateTime.UtcNow;
        foreach (var m in loaded) _log.LogInformation("serving model {Name}: {Version} ({Users} users, {Items} items) from {Path}", m.Name, m.Version, m.Trained.Users.Count, m.Trained.Items.Count, m.Path);
        if (_options.WatchModelFiles) Watch();
    }

    /// <summary>Reloads every model file (or only <paramref name="name"/>). Returns the new set; throws a TroveException when a file fails (the old model stays).</summary>
    public ModelSet Reload(string? name = null)
    {
        lock (_reloadLock)
        {
            var old = _current;
            var next = new List<LoadedModel>();
            var errors = new List<string>();
            foreach (var source in _sources)
            {
                var previous = old.Models.FirstOrDefault(m => m.Name == source.Name);
                if (name is not null && !string.Equals(source.Name, name, StringComparison.OrdinalIgnoreCase) && previous is not null)
                {
                    next.Add(previous);
                    continue;
                }
                // Coalescing: a reload of a file that has not changed since it was loaded keeps the loaded model (and its
                // vector index, built or building) instead of loading it again.
                if (previous is not null && Unchanged(previous, source)) { next.Add(previous); continue; }
                try { next.Add(Load(source)); }
                catch (Exception e) when (e is TroveException or IOException or InvalidDataException or System.Text.Json.JsonException or UnauthorizedAccessException)
                {
                    errors.Add($"{source.Name}: {e.Message}");
                    if (previous is not null) next.Add(previous);
                }
            }
            if (name is not null && !_sources.Any(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase)))
                throw new TroveException($"No model named '{name}' is configured. Configured: {string.Join(", ", _sources.Select(s => s.Name))}.");
            _current = new ModelSet(next, old.Generation + 1);
            foreach (var replaced in old.Models.Where(m => !next.Contains(m))) replaced.Retire();
            LastReloadUtc = DateTime.UtcNow;
            ReloadCount++;
            if (errors.Count > 0)
            {
                ReloadFailures++;
                LastError = string.Join("; ", errors);
                _log.LogWarning("model reload failed, previous model kept: {Error}", LastError);
                throw new TroveException("Reload failed, the previous model is still served: " + LastError);
            }
            LastError = null;
            foreach (var m in next) _log.LogInformation("model {Name} now {Version}", m.Name, m.Version);
            return _current;
        }
    }

    /// <summary>
    /// Serves another file under a configured name (cluster mode: a model version just registered in the database) and
    /// publishes the new set as <see cref="Reload"/> does. Throws when the file fails to load; the old model stays.
    /// </summary>
    public ModelSet Replace(ModelSource source)
    {
        lock (_reloadLock)
        {
            if (!_sources.Any(s => s.Name == source.Name))
                throw new TroveException($"No model named '{source.Name}' is configured. Configured: {string.Join(", ", _sources.Select(s => s.Name))}.");
            var loaded = Load(source);
            var old = _current;
            _sources = _sources.Select(s => s.Name == source.Name ? source : s).ToList();
            _current = new ModelSet(old.Models.Select(m => m.Name == source.Name ? loaded : m).ToList(), old.Generation + 1);
            foreach (var replaced in old.Models.Where(m => m.Name == source.Name)) replaced.Retire();
            LastReloadUtc = DateTime.UtcNow;
            ReloadCount++;
            LastError = null;
            _log.LogInformation("model {Name} now {Version} from {Path}", loaded.Name, loaded.Version, loaded.Path);
            return _current;
        }
    }

    /// <summary>Same path, same modification time and same length as when <paramref name="loaded"/> was read.</summary>
    private static bool Unchanged(LoadedModel loaded, ModelSource source)
    {
        var path = Path.GetFullPath(source.Path);
        if (path != loaded.Path || !File.Exists(path)) return false;
        var file = new FileInfo(path);
        return file.LastWriteTimeUtc == loaded.FileTimeUtc && file.Length == loaded.FileLength;
    }

    private LoadedModel Load(ModelSource source)
    {
        var path = Path.GetFullPath(source.Path);
        var time = File.Exists(path) ? File.GetLastWriteTimeUtc(path) : default;
        var trained = ModelFile.Load(path, BuiltInAlgorithms.Registry);
        return new LoadedModel(source.Name, path, trained, time, new IndexSettings(_options.Retrieval, _options.HnswMinItems, _options.Graph, _options.PersistIndexes, _options.ExactBatching), _titles.ById, _log);
    }

    private void Watch()
    {
        foreach (var dir in _sources.Select(s => Path.GetDirectoryName(Path.GetFullPath(s.Path))!).Distinct())
        {
            var names = _sources.Where(s => Path.GetDirectoryName(Path.GetFullPath(s.Path)) == dir).Select(s => Path.GetFileName(s.Path)).ToHashSet();
            var watcher = new FileSystemWatcher(dir) { IncludeSubdirectories = false, NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size };
            void Changed(string? file) { if (file is not null && names.Contains(Path.GetFileName(file))) _debounce?.Change(TimeSpan.FromMilliseconds(500), Timeout.InfiniteTimeSpan); }
            watcher.Changed += (_, e) => Changed(e.FullPath);
            watcher.Created += (_, e) => Changed(e.FullPath);
            watcher.Renamed += (_, e) => Changed(e.FullPath);
            watcher.EnableRaisingEvents = true;
            _watchers.Add(watcher);
        }
        _debounce = new Timer(_ =>
        {
            try { Reload(); }
            catch (Exception e) { _log.LogWarning("reload after a file change failed: {Message}", e.Message); }
        }, null, Timeout.Infinite, Timeout.Infinite);
    }

    public void Dispose()
    {
        foreach (var w in _watchers) w.Dispose();
        _debounce?.Dispose();
    }
}
