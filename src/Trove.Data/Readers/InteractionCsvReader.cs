using System.Text;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Training;

namespace Trove.Data.Readers;

/// <summary>One parsed interaction with external ids (what streaming import consumes).</summary>
/// <param name="Score">The raw score, or null when the row had none.</param>
/// <param name="Timestamp">Unix seconds UTC, 0 when unknown.</param>
/// <param name="Event">The event type, or null when the input had none.</param>
public readonly record struct InteractionRecord(string User, string Item, float Weight, float? Score = null, long Timestamp = 0, string? Event = null);

/// <summary>
/// Reads an interactions CSV: a header line, then one interaction per line with columns
/// <c>user,item[,score][,timestamp][,event]</c> (names configurable through <see cref="CsvColumns"/>).
/// Weight = event weight x score (score 1 when absent or empty; event weight 1 without an event column).
/// Timestamps: Unix seconds or ISO-8601, stored as Unix seconds UTC. Streams the file; a malformed
/// line throws <see cref="DataFormatException"/> naming the file, line and field.
/// </summary>
public static class InteractionCsvReader
{
    /// <summary>Reads the whole file into a new <see cref="Dataset"/> (no features).</summary>
    public static Dataset Read(string path, CsvOptions? options = null, IProgressReporter? progress = null)
    {
        var builder = new DatasetBuilder();
        ReadInto(path, builder, options, progress);
        return builder.Build(path);
    }

    /// <summary>Appends the file's interactions to <paramref name="builder"/> (ids in first-seen order).</summary>
    public static long ReadInto(string path, DatasetBuilder builder, CsvOptions? options = null, IProgressReporter? progress = null)
    {
        using var parser = new InteractionCsvParser(path, options ?? CsvOptions.Default, progress);
        var log = builder.Interactions;
        var events = new SmallSpanCache<short>();
        long rows = 0;
        while (parser.Next())
        {
            int u = builder.Users.GetOrAdd(parser.User);
            int i = builder.Items.GetOrAdd(parser.Item);
            short e = -1;
            var ev = parser.Event;
            if (!ev.IsEmpty && !events.TryGet(ev, out e))
            {
                e = log.EventIndex(new string(ev));
                events.Add(ev, e);
            }
            if (parser.HasScoreColumn) log.Add(u, i, parser.Weight, parser.Timestamp, e, parser.HasScore ? parser.Score : float.NaN);
            else log.Add(u, i, parser.Weight, parser.Timestamp, e);
            rows++;
        }
        return rows;
    }

    /// <summary>Streams the file as records with external ids (ids and event names are pooled strings).</summary>
    public static IEnumerable<InteractionRecord> ReadRecords(string path, CsvOptions? options = null, IProgressReporter? progress = null)
    {
        using var parser = new InteractionCsvParser(path, options ?? CsvOptions.Default, progress);
        var users = new StringPool();
        var items = new StringPool();
        var events = new StringPool(1000);
        while (parser.Next())
        {
            yield return new InteractionRecord(users.Get(parser.User), items.Get(parser.Item), parser.Weight,
                parser.HasScore ? parser.Score : null, parser.Timestamp, parser.Event.IsEmpty ? null : events.Get(parser.Event));
        }
    }

    /// <summary>The header's column names (for error messages and format detection).</summary>
    public static string[] ReadHeader(string path, CsvOptions? options = null)
    {
        options ??= CsvOptions.Default;
        using var reader = DelimitedReader.Open(path, ',', true, options.Encoding);
        reader.Delimiter = options.Delimiter ?? reader.DetectDelimiter() ?? ',';
        return reader.Read() ? reader.GetStrings() : [];
    }
}

/// <summary>
/// The row-level parser behind <see cref="InteractionCsvReader"/>: validates each line and exposes its
/// fields as spans (valid until the next <see cref="Next"/>).
/// </summary>
public sealed class InteractionCsvParser : IDisposable
{
    private readonly DelimitedReader _reader;
    private readonly string _file;
    private readonly CsvOptions _options;
    private readonly int _user, _item, _score, _time, _event, _minFields;
    private readonly string[] _header;
    private readonly SmallSpanCache<float> _weights = new();
    private readonly FileStream? _stream;
    private readonly IProgressTask? _task;
    private long _reported;

    public InteractionCsvParser(string path, CsvOptions options, IProgressReporter? progress = null)
    {
        _file = path;
        _options = options;
        if (!File.Exists(path)) throw new TroveException($"File '{path}' does not exist.");
        _stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        _reader = new DelimitedReader(new StreamReader(_stream, options.Encoding ?? Encoding.UTF8, true, 1 << 16), ',', true, 1 << 17) { Name = path };
        try
        {
            var delimiter = options.Delimiter ?? _reader.DetectDelimiter();
            if (delimiter is null)
            {
                if (!_reader.Read()) throw new DataFormatException(path, 1, null, "the file is empty (expected a header line such as user,item,score,timestamp,event).");
                throw new DataFormatException(path, 1, null, $"cannot find the delimiter in the header '{_reader.GetString(0)}': expected at least the columns {options.Columns.User} and {options.Columns.Item} separated by , ; tab or |.");
            }
            _reader.Delimiter = delimiter.Value;
            if (!_reader.Read()) throw new DataFormatException(path, 1, null, "the file is empty (expected a header line such as user,item,score,timestamp,event).");
            _header = _reader.GetStrings().Select(h => h.Trim()).ToArray();
            var c = options.Columns;
            _user = Find(c.User, required: true);
            _item = Find(c.Item, required: true);
            _score = Find(c.Score, false);
            _time = Find(c.Timestamp, false);
            _event = Find(c.Event, false);
            _minFields = Math.Max(Math.Max(_user, _item), Math.Max(_score, Math.Max(_time, _event))) + 1;
            _task = progress.StartBytes($"read {Path.GetFileName(path)}", _stream.Length);
        }
        catch
        {
            _reader.Dispose();
            throw;
        }
    }

    /// <summary>Common alternative header names, tried only when a column keeps its default name and that name is absent.</summary>
    private static readonly Dictionary<string, string[]> Aliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["user"] = ["user_id", "userid"],
        ["item"] = ["item_id", "itemid"],
        ["score"] = ["rating"],
        ["timestamp"] = ["time", "ts"],
        ["event"] = ["event_type"],
    };

    private int Find(string name, bool required)
    {
        int at = Array.FindIndex(_header, h => string.Equals(h, name, StringComparison.OrdinalIgnoreCase));
        if (at < 0 && Aliases.TryGetValue(name, out var aliases))
            foreach (var alias in aliases)
                if ((at = Array.FindIndex(_header, h => string.Equals(h, alias, StringComparison.OrdinalIgnoreCase))) >= 0) break;
        if (at < 0 && required)
            throw new DataFormatException(_file, 1, name, $"missing required column '{name}' (header has: {string.Join(", ", _header)}). Map other names with --columns, e.g. user=customer_id,item=sku.");
        return at;
    }

    public IReadOnlyList<string> Header => _header;
    public bool HasScoreColumn => _score >= 0;
    public bool HasTimestampColumn => _time >= 0;
    public bool HasEventColumn => _event >= 0;

    /// <summary>The current row's user id (an unquoted id trimmed, a quoted one exactly as written).</summary>
    public ReadOnlySpan<char> User => _reader.Value(_user);
    public ReadOnlySpan<char> Item => _reader.Value(_item);
    /// <summary>The current row's event type; empty when none.</summary>
    public ReadOnlySpan<char> Event => _event >= 0 ? _reader[_event].Trim() : default;
    public float Weight { get; private set; }
    public bool HasScore { get; private set; }
    public float Score { get; private set; }
    public long Timestamp { get; private set; }
    public long LineNumber => _reader.LineNumber;
    public long Rows { get; private set; }

    public bool Next()
    {
        var r = _reader;
        do
        {
            if (!r.Read())
            {
                ReportProgress(final: true);
                return false;
            }
        } while (r.FieldCount == 1 && r[0].Trim().IsEmpty); // whitespace-only line
        if (r.FieldCount < _minFields)
        {
            string missing = _header[r.FieldCount];
            throw Error(missing, $"too few fields: expected {_minFields}, found {r.FieldCount}.");
        }
        var user = r.Value(_user);
        if (user.Trim().IsEmpty) throw Error(_header[_user], "empty user id.");
        if (user.Length > ValueParsers.MaxIdLength) throw Error(_header[_user], $"a user id has at most {ValueParsers.MaxIdLength} characters; this one has {user.Length}.");
        var item = r.Value(_item);
        if (item.Trim().IsEmpty) throw Error(_header[_item], "empty item id.");
        if (item.Length > ValueParsers.MaxIdLength) throw Error(_header[_item], $"an item id has at most {ValueParsers.MaxIdLength} characters; this one has {item.Length}.");

        float score = 1f;
        HasScore = false;
        if (_score >= 0)
        {
            var s = r[_score].Trim();
            if (!s.IsEmpty)
            {
                if (!ValueParsers.TryParseFloat(s, out score)) throw Error(_header[_score], $"not a number: '{s}'.");
                if (ValueParsers.ScoreProblem(score) is { } problem) throw Error(_header[_score], $"{problem}, got '{s}'.");
                HasScore = true;
            }
        }
        Score = score;

        float eventWeight = 1f;
        if (_event >= 0)
        {
            var e = r[_event].Trim();
            if (!e.IsEmpty)
            {
                if (!_weights.TryGet(e, out eventWeight))
                {
                    var name = new string(e);
                    if (!_options.EventWeights.TryGetWeight(name, out eventWeight))
                        throw Error(_header[_event], $"unknown event type '{name}' (known: {string.Join(", ", _options.EventWeights.Weights.Keys)}).");
                    _weights.Add(e, eventWeight);
                }
            }
        }
        float weight = eventWeight * score;
        if (weight < 0) throw Error(_header[_score], $"negative weight {weight.ToString(System.Globalization.CultureInfo.InvariantCulture)} (score {score.ToString(System.Globalization.CultureInfo.InvariantCulture)} x event weight {eventWeight.ToString(System.Globalization.CultureInfo.InvariantCulture)}); weights must be >= 0.");
        Weight = weight;

        Timestamp = 0;
        if (_time >= 0)
        {
            var t = r[_time].Trim();
            if (!t.IsEmpty)
            {
                if (!ValueParsers.TryParseTimestamp(t, out long ts))
                    throw Error(_header[_time], $"cannot read timestamp '{t}': expected Unix seconds or ISO-8601 such as 2024-03-01T12:00:00Z.");
                Timestamp = ts;
            }
        }
        Rows++;
        if ((Rows & 0xFFFF) == 0) ReportProgress(false);
        return true;
    }

    private void ReportProgress(bool final)
    {
        if (_task is null || _stream is null) return;
        long pos = final ? _stream.Length : Math.Min(_stream.Position, _stream.Length);
        if (pos > _reported) { _task.Advance(pos - _reported); _reported = pos; }
        if (final) _task.Dispose();
    }

    private DataFormatException Error(string field, string problem) => new(_file, _reader.LineNumber, field, problem);

    public void Dispose()
    {
        _reader.Dispose();
        _task?.Dispose();
    }
}

/// <summary>
/// Span-keyed lookup for the few distinct values of a column such as the event type: a linear scan of
/// the first entries (exact match), then a case-insensitive dictionary.
/// </summary>
internal sealed class SmallSpanCache<T>
{
    private readonly List<(string Key, T Value)> _recent = new();
    private readonly Dictionary<string, T> _all = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, T>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public SmallSpanCache() => _lookup = _all.GetAlternateLookup<ReadOnlySpan<char>>();

    public bool TryGet(ReadOnlySpan<char> key, out T value)
    {
        foreach (var (k, v) in System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_recent))
            if (key.SequenceEqual(k)) { value = v; return true; }
        if (_lookup.TryGetValue(key, out value!))
        {
            if (_recent.Count < 16) _recent.Add((new string(key), value));
            return true;
        }
        return false;
    }

    public void Add(ReadOnlySpan<char> key, T value)
    {
        var s = new string(key);
        _all[s] = value;
        if (_recent.Count < 16) _recent.Add((s, value));
    }
}
