using System.Buffers;
using System.Text;
using System.Text.Json;
using Trove.Core.Errors;

namespace Trove.Data.Formats;

/// <summary>
/// Reads a large JSON document of the shape <c>{ "section": [ {record}, {record}, ... ], ... }</c>
/// one record at a time with <see cref="Utf8JsonReader"/> over a buffered stream. Only the
/// unconsumed part of the buffer plus one whole record is ever held in memory; the buffer grows
/// only when a single record is larger than it. Tracks 1-based line numbers for error messages.
/// </summary>
public sealed class JsonRecordStream : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _ownsStream;
    private byte[] _buffer;
    private int _start, _end;
    private bool _eof;
    private JsonReaderState _state = new(new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
    private long _line = 1;

    public JsonRecordStream(Stream stream, string name, int bufferSize = 1 << 16, bool ownsStream = true)
    {
        _stream = stream;
        _ownsStream = ownsStream;
        Name = name;
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(bufferSize, 16));
    }

    /// <summary>Largest single record (or top-level token) held in memory: bounds the buffer whatever the file (16 MiB).</summary>
    public const int MaxRecordBytes = 1 << 24;

    /// <summary>The file name used in error messages.</summary>
    public string Name { get; }
    /// <summary>Bytes read from the underlying stream so far.</summary>
    public long BytesRead { get; private set; }
    /// <summary>The largest the read buffer has been (bytes): bounded by the largest record, not the file.</summary>
    public int BufferSize => _buffer.Length;
    /// <summary>1-based line of the next unconsumed byte.</summary>
    public long Line => _line;

    private bool Fill()
    {
        if (_eof) return false;
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
        {
            if (_buffer.Length >= MaxRecordBytes)
                throw new DataFormatException(Name, _line, null, $"a single record or value is larger than {MaxRecordBytes:N0} bytes (or the JSON is not closed where it should be).");
            var bigger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
            Buffer.BlockCopy(_buffer, 0, bigger, 0, _end);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }
        int n = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (n == 0) _eof = true;
        else
        {
            bool first = BytesRead == 0;
            _end += n; BytesRead += n;
            // Skip a UTF-8 byte order mark (Utf8JsonReader rejects it).
            if (first && _end >= 3 && _buffer[0] == 0xEF && _buffer[1] == 0xBB && _buffer[2] == 0xBF) _start = 3;
        }
        return true;
    }

    private void Consume(int bytes)
    {
        _line += _buffer.AsSpan(_start, bytes).Count((byte)'\n');
        _start += bytes;
    }

    private DataFormatException Malformed(JsonException e, string? field = null)
    {
        // The reader state carries line numbers across chunks, so e.LineNumber is absolute (0-based).
        long line = e.LineNumber is long l ? l + 1 : _line;
        var message = e.Message;
        int cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut > 0) message = message[..cut];
        return new DataFormatException(Name, line, field, "malformed JSON: " + message.TrimEnd('.', ' ') + ".");
    }

    private DataFormatException InvalidText(long line) =>
        new(Name, line, null, "a string is not valid UTF-8 text (or holds a lone surrogate escape such as \\uD800); save the file as UTF-8.");

    /// <summary>Reads the next token (not a whole value). Returns its type and, for names and strings, its text.</summary>
    public JsonTokenType NextToken(out string? text)
    {
        while (true)
        {
            var reader = new Utf8JsonReader(_buffer.AsSpan(_start, _end - _start), _eof, _state);
            bool ok;
            try { ok = reader.Read(); }
            catch (JsonException e) { throw Malformed(e); }
            if (ok)
            {
                try { text = reader.TokenType is JsonTokenType.PropertyName or JsonTokenType.String ? reader.GetString() : null; }
                catch (InvalidOperationException) { throw InvalidText(_line); }
                var type = reader.TokenType;
                Consume((int)reader.BytesConsumed);
                _state = reader.CurrentState;
                return type;
            }
            if (_eof)
            {
                text = null;
                return JsonTokenType.None;
            }
            Fill();
        }
    }

    /// <summary>Skips a whole value whose first token was just read with <see cref="NextToken"/>, token by token.</summary>
    public void SkipRest(JsonTokenType first)
    {
        if (first is not (JsonTokenType.StartObject or JsonTokenType.StartArray)) return;
        int depth = 1;
        while (depth > 0)
        {
            var t = NextToken(out _);
            if (t is JsonTokenType.StartObject or JsonTokenType.StartArray) depth++;
            else if (t is JsonTokenType.EndObject or JsonTokenType.EndArray) depth--;
            else if (t == JsonTokenType.None) throw new DataFormatException(Name, _line, null, "unexpected end of file.");
        }
    }

    /// <summary>What <see cref="NextElement"/> found.</summary>
    public enum ElementKind { EndOfArray, Object, Other }

    /// <summary>
    /// Inside an array: reads the next element. For an object, the complete object's bytes (valid
    /// only during the call) and its starting line are handed to <paramref name="parse"/>, whose
    /// result is returned in <paramref name="value"/>. Other values are skipped and reported as
    /// <see cref="ElementKind.Other"/> with their first token type.
    /// </summary>
    public ElementKind NextElement<T>(RecordParser<T> parse, out T? value, out JsonTokenType firstToken)
    {
        value = default;
        while (true)
        {
            var reader = new Utf8JsonReader(_buffer.AsSpan(_start, _end - _start), _eof, _state);
            bool complete;
            var first = JsonTokenType.None;
            try
            {
                complete = reader.Read();
                first = reader.TokenType;
                if (complete && first is JsonTokenType.StartObject or JsonTokenType.StartArray)
                    complete = reader.TrySkip();
            }
            catch (JsonException e) { throw Malformed(e); }
            if (complete)
            {
                firstToken = first;
                int consumed = (int)reader.BytesConsumed;
                if (first == JsonTokenType.EndArray)
                {
                    Consume(consumed);
                    _state = reader.CurrentState;
                    return ElementKind.EndOfArray;
                }
                var kind = ElementKind.Other;
                if (first == JsonTokenType.StartObject)
                {
                    var all = _buffer.AsSpan(_start, consumed);
                    int open = all.IndexOf((byte)'{');
                    long startLine = _line + all[..open].Count((byte)'\n');
                    kind = ElementKind.Object;
                    // Utf8JsonReader checks structure, not the text inside strings: GetString throws
                    // InvalidOperationException for invalid UTF-8 or a lone surrogate escape (\uD800).
                    try { value = parse(all[open..], startLine); }
                    catch (InvalidOperationException) { throw InvalidText(startLine); }
                }
                Consume(consumed);
                _state = reader.CurrentState;
                return kind;
            }
            if (_eof) throw new DataFormatException(Name, _line, null, "unexpected end of file inside an array.");
            Fill();
        }
    }

    public void Dispose()
    {
        if (_ownsStream) _stream.Dispose();
        if (_buffer.Length > 0) ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}

public delegate T RecordParser<T>(ReadOnlySpan<byte> record, long line);

internal static class Utf8Text
{
    public static string Get(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);
}
