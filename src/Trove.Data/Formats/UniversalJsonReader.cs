using System.Text;
using System.Text.Json;
using Trove.Core.Data;
using Trove.Core.Errors;

namespace Trove.Data.Formats;

/// <summary>How the universal JSON reader turns records into a dataset.</summary>
public sealed record UniversalJsonOptions
{
    /// <summary>Weights of interaction types (an unknown type gets <see cref="EventWeights.UnknownEventWeight"/>, or is an error when that is null).</summary>
    public EventWeights EventWeights { get; init; } = EventWeights.Default;
    /// <summary>Initial read buffer (bytes); it grows only for a single record larger than this.</summary>
    public int BufferSize { get; init; } = 1 << 16;
    /// <summary>When true, interactions may only name users/items listed in user_data/item_data.</summary>
    public bool RequireKnownIds { get; init; }
}

/// <summary>A dataset read from the universal format together with what was found in it.</summary>
public sealed record UniversalJsonResult(Dataset Dataset, UniversalSchema Schema);

/// <summary>
/// Reads the universal JSON format:
/// <code>
/// { "user_data": [ { "user_id": 1, "image": {..}, "text": {..}, "categorical": {..}, "continuous": {..}, "temporal": {..} } ],
///   "item_data": [ { "item_id": 101, ... same groups ... } ],
///   "interactions": [ { "user_id": 1, "item_id": 101, "interaction_type": "purchase", "timestamp": "2024-01-15T10:30:00" } ] }
/// </code>
/// Streaming: records are parsed one at a time from a buffered stream (memory is bounded by the
/// largest record plus the buffer, not the file). Sections may come in any order; unknown
/// top-level keys are skipped. Errors are <see cref="DataFormatException"/>s naming the file, the
/// line, the record (e.g. <c>interactions[1234]</c>) and the field.
/// Interaction weight = explicit "weight" if given, else event weight x ("score"/"rating", default 1).
/// </summary>
public static class UniversalJsonReader
{
    /// <summary>Reads a whole file into a dataset.</summary>
    public static Dataset Read(string path, UniversalJsonOptions? options = null) => ReadWithSchema(path, options).Dataset;

    public static UniversalJsonResult ReadWithSchema(string path, UniversalJsonOptions? options = null)
    {
        options ??= new UniversalJsonOptions();
        using var stream = Open(path, options.BufferSize);
        return ReadWithSchema(stream, path, options);
    }

    public static UniversalJsonResult ReadWithSchema(Stream stream, string name, UniversalJsonOptions? options = null)
    {
        options ??= new UniversalJsonOptions();
        var builder = new UniversalDatasetBuilder(name, options);
        var schema = new UniversalSchemaBuilder();
        foreach (var record in ReadRecords(stream, name, options.BufferSize))
        {
            builder.Add(record);
            schema.Add(record);
        }
        return new UniversalJsonResult(builder.Build(), schema.Build());
    }

    /// <summary>Only the schema: which features each group has, their types and counts (streams, builds no dataset).</summary>
    public static UniversalSchema InferSchema(string path)
    {
        using var stream = Open(path, 1 << 16);
        var schema = new UniversalSchemaBuilder();
        foreach (var record in ReadRecords(stream, path)) schema.Add(record);
        return schema.Build();
    }

    /// <summary>
    /// The records of a file, lazily, in file order: <see cref="UniversalEntityRecord"/>s of user_data and
    /// item_data and <see cref="UniversalInteractionRecord"/>s. Nothing past the current record is read.
    /// </summary>
    public static IEnumerable<UniversalRecord> ReadRecords(string path, int bufferSize = 1 << 16)
    {
        using var stream = Open(path, bufferSize);
        foreach (var r in ReadRecords(stream, path, bufferSize)) yield return r;
    }

    public static IEnumerable<UniversalRecord> ReadRecords(Stream stream, string name, int bufferSize = 1 << 16)
    {
        using var json = new JsonRecordStream(stream, name, bufferSize, ownsStream: false);
        var first = json.NextToken(out _);
        if (first == JsonTokenType.None) throw new DataFormatException(name, 1, null, "the file is empty.");
        if (first != JsonTokenType.StartObject)
            throw new DataFormatException(name, json.Line, null, "expected a JSON object with \"user_data\", \"item_data\" and \"interactions\" arrays.");
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (true)
        {
            var t = json.NextToken(out var key);
            if (t == JsonTokenType.EndObject) break;
            if (t != JsonTokenType.PropertyName) throw new DataFormatException(name, json.Line, null, "unexpected end of file.");
            string? section = key!.ToLowerInvariant() switch
            {
                "user_data" or "users" => UniversalRecordParser.Users,
                "item_data" or "items" => UniversalRecordParser.Items,
                "interactions" => UniversalRecordParser.Interactions,
                _ => null,
            };
            var valueStart = json.NextToken(out _);
            if (section is null)
            {
                json.SkipRest(valueStart);
                continue;
            }
            if (!seen.Add(section)) throw new DataFormatException(name, json.Line, section, "the section appears twice.");
            if (valueStart == JsonTokenType.Null) continue;
            if (valueStart != JsonTokenType.StartArray)
                throw new DataFormatException(name, json.Line, section, "expected an array of records.");
            long index = 0;
            while (true)
            {
                long at = index;
                RecordParser<UniversalRecord> parse = section == UniversalRecordParser.Interactions
                    ? (bytes, line) => UniversalRecordParser.ParseInteraction(name, at, bytes, line)
                    : (bytes, line) => UniversalRecordParser.ParseEntity(name, section, at, bytes, line);
                var kind = json.NextElement(parse, out var record, out var firstToken);
                if (kind == JsonRecordStream.ElementKind.EndOfArray) break;
                if (kind == JsonRecordStream.ElementKind.Other)
                    throw new DataFormatException(name, json.Line, $"{section}[{index}]", $"expected an object, got {firstToken}.");
                index++;
                yield return record!;
            }
        }
    }

    /// <summary>True when the file starts like a universal JSON document (a JSON object with one of the section keys early on).</summary>
    public static bool LooksLikeUniversalJson(string path)
    {
        if (!File.Exists(path)) return false;
        using var s = File.OpenRead(path);
        var buf = new byte[8192];
        int n = s.ReadAtLeast(buf, buf.Length, throwOnEndOfStream: false);
        var text = Encoding.UTF8.GetString(buf, 0, n).TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        return text.StartsWith('{') && (text.Contains("\"user_data\"") || text.Contains("\"item_data\"") || text.Contains("\"interactions\""));
    }

    private static Stream Open(string path, int bufferSize)
    {
        if (!File.Exists(path)) throw new TroveException($"Data file '{path}' does not exist.");
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, Math.Max(4096, bufferSize), FileOptions.SequentialScan);
    }
}

/// <summary>Accumulates universal-format records into a <see cref="Dataset"/> (ids in first-seen order).</summary>
public sealed class UniversalDatasetBuilder(string source, UniversalJsonOptions? options = null)
{
    private readonly UniversalJsonOptions _options = options ?? new UniversalJsonOptions();
    private readonly IdMap _users = new(), _items = new();
    private readonly ColumnBuilder _userColumns = new(ImageBase(source)), _itemColumns = new(ImageBase(source));
    private readonly List<bool> _userListed = [], _itemListed = [];
    private readonly InteractionLogBuilder _log = new();
    private readonly Dictionary<short, float> _eventWeight = [];

    public void Add(UniversalRecord record)
    {
        switch (record)
        {
            case UniversalEntityRecord e when e.Section == UniversalRecordParser.Users: AddEntity(e, _users, _userListed, _userColumns); break;
            case UniversalEntityRecord e: AddEntity(e, _items, _itemListed, _itemColumns); break;
            case UniversalInteractionRecord i: AddInteraction(i); break;
        }
    }

    private void AddEntity(UniversalEntityRecord e, IdMap ids, List<bool> listed, ColumnBuilder columns)
    {
        int row = ids.GetOrAdd(e.Id);
        while (listed.Count <= row) listed.Add(false);
        if (listed[row])
            throw new DataFormatException(source, e.Line, $"{e.Where}.{(e.Section == UniversalRecordParser.Users ? "user_id" : "item_id")}", $"duplicate id '{e.Id}': it is listed twice in {e.Section}.");
        listed[row] = true;
        foreach (var f in e.Features) columns.Set(f, row);
    }

    private void AddInteraction(UniversalInteractionRecord i)
    {
        if (_options.RequireKnownIds)
        {
            if (!_users.Contains(i.UserId)) throw new DataFormatException(source, i.Line, $"{i.Where}.user_id", $"user '{i.UserId}' is not listed in user_data.");
            if (!_items.Contains(i.ItemId)) throw new DataFormatException(source, i.Line, $"{i.Where}.item_id", $"item '{i.ItemId}' is not listed in item_data.");
        }
        int u = _users.GetOrAdd(i.UserId);
        int it = _items.GetOrAdd(i.ItemId);
        short ev = _log.EventIndex(i.InteractionType);
        float weight;
        if (i.Weight is float explicitWeight) weight = explicitWeight;
        else
        {
            float ew = 1f;
            if (ev >= 0 && !_eventWeight.TryGetValue(ev, out ew))
            {
                if (!_options.EventWeights.TryGetWeight(i.InteractionType!, out ew))
                    throw new DataFormatException(source, i.Line, $"{i.Where}.interaction_type",
                        $"unknown interaction type '{i.InteractionType}'. Known: {string.Join(", ", _options.EventWeights.Weights.Keys)}.");
                _eventWeight[ev] = ew;
            }
            weight = ew * (i.Score ?? 1f);
        }
        _log.Add(u, it, weight, i.Timestamp ?? 0, ev);
    }

    public Dataset Build() =>
        new(_users, _items, _log.Build(), _userColumns.Build(_users.Count), _itemColumns.Build(_items.Count), source);

    /// <summary>
    /// The folder relative image paths are read from: the data file's own folder (so a data set and its images move
    /// together), or null when the source is not a file (a stream), where paths are kept as written.
    /// </summary>
    private static string? ImageBase(string source) =>
        source.Length > 0 && File.Exists(source) ? Path.GetDirectoryName(Path.GetFullPath(source)) : null;
}

/// <summary>Feature columns that grow as rows arrive in any order.</summary>
internal sealed class ColumnBuilder(string? imageBase = null)
{
    private readonly Dictionary<string, string?[]> _categorical = new(StringComparer.OrdinalIgnoreCase), _text = new(StringComparer.OrdinalIgnoreCase), _images = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, float[]> _numeric = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, float[]?[]> _sequences = new(StringComparer.OrdinalIgnoreCase);

    private static T[] Slot<T>(Dictionary<string, T[]> columns, string name, int row, T fill)
    {
        if (!columns.TryGetValue(name, out var a))
        {
            a = new T[Math.Max(16, row + 1)];
            if (!EqualityComparer<T>.Default.Equals(fill, default)) a.AsSpan().Fill(fill);
            columns[name] = a;
        }
        else if (a.Length <= row)
        {
            int old = a.Length;
            Array.Resize(ref a, Math.Max(row + 1, old * 2));
            if (!EqualityComparer<T>.Default.Equals(fill, default)) a.AsSpan(old).Fill(fill);
            columns[name] = a;
        }
        return a;
    }

    public void Set(FeatureValue f, int row)
    {
        switch (f.Group)
        {
            case FeatureGroup.Categorical: Slot(_categorical, f.Name, row, null)[row] = f.Text; break;
            case FeatureGroup.Text: Slot(_text, f.Name, row, null)[row] = f.Text; break;
            case FeatureGroup.Image: Slot(_images, f.Name, row, null)[row] = ResolveImage(f.Text); break;
            case FeatureGroup.Continuous: Slot(_numeric, f.Name, row, float.NaN)[row] = f.Number; break;
            case FeatureGroup.Temporal: Slot(_sequences, f.Name, row, null)[row] = f.Sequence; break;
        }
    }

    /// <summary>A relative image path made absolute against the data file's folder; URLs and absolute paths unchanged.</summary>
    private string? ResolveImage(string? path) =>
        imageBase is null || string.IsNullOrWhiteSpace(path) || path.Contains("://", StringComparison.Ordinal) || Path.IsPathRooted(path)
            ? path
            : Path.GetFullPath(Path.Combine(imageBase, path));

    private static void Copy<T>(Dictionary<string, T[]> from, Dictionary<string, T[]> to, int count, T fill)
    {
        foreach (var (name, a) in from)
        {
            var exact = new T[count];
            int n = Math.Min(count, a.Length);
            a.AsSpan(0, n).CopyTo(exact);
            if (n < count && !EqualityComparer<T>.Default.Equals(fill, default)) exact.AsSpan(n).Fill(fill);
            to[name] = exact;
        }
    }

    public FeatureTable Build(int count)
    {
        var t = new FeatureTable();
        Copy(_categorical, t.Categorical, count, null);
        Copy(_text, t.Text, count, null);
        Copy(_images, t.Images, count, null);
        Copy(_numeric, t.Numeric, count, float.NaN);
        Copy(_sequences, t.Sequences, count, null);
        return t;
    }
}
