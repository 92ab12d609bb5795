using System.Buffers;
using System.Text;

namespace Trove.Data.Readers;

/// <summary>
/// A fast streaming tokenizer for delimited text (CSV, TSV, pipe-separated): one record at a time,
/// fields exposed as spans into an internal buffer (no string per field). Follows RFC 4180:
/// fields may be quoted with '"', a doubled quote inside a quoted field is one quote, and quoted
/// fields may hold delimiters and line breaks. Accepts LF and CRLF line ends, skips blank lines,
/// and handles a UTF-8 byte-order mark. A field's span is valid until the next <see cref="Read"/>.
/// </summary>
public sealed class DelimitedReader : IDisposable
{
    /// <summary>Delimiters tried by <see cref="DetectDelimiter"/>, in order of preference on a tie.</summary>
    public static readonly char[] Candidates = [',', '\t', ';', '|'];

    private readonly TextReader _reader;
    private readonly bool _quoting;
    private char[] _buf;
    private int _pos;   // start of unconsumed data
    private int _end;   // end of valid data
    private bool _eof;
    private char _delimiter;
    private SearchValues<char> _stops;
    private (int Start, int Length)[] _fields = new (int, int)[16];
    private bool[] _quoted = new bool[16];
    private long _nextLine = 1;

    /// <summary>
    /// Longest record accepted (in characters, 4 Mi): longer ones are almost always an unterminated quote or
    /// a file without line breaks. The limit bounds the buffer (8 MB) whatever the input.
    /// </summary>
    public const int MaxRecordChars = 1 << 22;

    /// <summary>File name used in error messages.</summary>
    public string Name { get; init; } = "input";

    public DelimitedReader(TextReader reader, char delimiter = ',', bool quoting = true, int bufferSize = 1 << 16)
    {
        _reader = reader;
        _quoting = quoting;
        _buf = new char[Math.Max(bufferSize, 16)];
        _delimiter = delimiter;
        _stops = MakeStops(delimiter, quoting);
    }

    /// <summary>Opens a file with a large read buffer (UTF-8 unless <paramref name="encoding"/> says otherwise; a BOM wins).</summary>
    public static DelimitedReader Open(string path, char delimiter = ',', bool quoting = true, Encoding? encoding = null)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return new DelimitedReader(new StreamReader(stream, encoding ?? Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16), delimiter, quoting) { Name = path };
    }

    public char Delimiter
    {
        get => _delimiter;
        set { _delimiter = value; _stops = MakeStops(value, _quoting); }
    }

    /// <summary>Bytes read from the underlying file so far (read-ahead included), for progress; 0 when unknown.</summary>
    public long BytesRead => _reader is StreamReader { BaseStream: { CanSeek: true } s } ? s.Position : 0;

    /// <summary>Length of the underlying file in bytes, or 0 when unknown.</summary>
    public long BytesTotal => _reader is StreamReader { BaseStream: { CanSeek: true } s } ? s.Length : 0;

    /// <summary>Number of fields in the current record.</summary>
    public int FieldCount { get; private set; }

    /// <summary>1-based line number where the current record starts.</summary>
    public long LineNumber { get; private set; }

    /// <summary>Records read so far (blank lines not counted).</summary>
    public long RecordCount { get; private set; }

    public ReadOnlySpan<char> this[int field] => _buf.AsSpan(_fields[field].Start, _fields[field].Length);

    public string GetString(int field) => new(this[field]);

    /// <summary>
    /// A field of the current record as data: a quoted field exactly as written between its quotes, an unquoted one
    /// without surrounding spaces (the spaces after a delimiter in "u1, i2" are layout, the ones in "\" u1 \"" are data).
    /// </summary>
    public ReadOnlySpan<char> Value(int field) => _quoted[field] ? this[field] : this[field].Trim();

    /// <summary>Whether the field was quoted in the input.</summary>
    public bool IsQuoted(int field) => _quoted[field];

    /// <summary>All fields of the current record as strings (for headers and small files).</summary>
    public string[] GetStrings()
    {
        var result = new string[FieldCount];
        for (int i = 0; i < result.Length; i++) result[i] = GetString(i);
        return result;
    }

    /// <summary>
    /// Looks at the first line (without consuming it) and picks the candidate delimiter that occurs most
    /// often outside quotes; null when none occurs (a one-column file, or an empty one).
    /// </summary>
    public char? DetectDelimiter(IReadOnlyList<char>? candidates = null)
    {
        candidates ??= Candidates;
        while (true)
        {
            var span = _buf.AsSpan(_pos, _end - _pos);
            int nl = span.IndexOfAny('\n', '\r');
            if (nl >= 0 || _eof)
            {
                var line = nl >= 0 ? span[..nl] : span;
                char? best = null; int bestCount = 0;
                foreach (var c in candidates)
                {
                    int count = 0; bool inQuotes = false;
                    foreach (var ch in line)
                    {
                        if (ch == '"' && _quoting) inQuotes = !inQuotes;
                        else if (ch == c && !inQuotes) count++;
                    }
                    if (count > bestCount) { best = c; bestCount = count; }
                }
                return best;
            }
            if (!Fill()) continue;
        }
    }

    /// <summary>Reads the next record; false at the end of the input.</summary>
    public bool Read()
    {
        while (true)
        {
            int consumed = TryParseRecord(out bool blank);
            if (consumed >= 0)
            {
                _pos = consumed;
                if (blank) continue;
                RecordCount++;
                return true;
            }
            if (_eof && _pos >= _end) return false;
            Fill();
        }
    }

    /// <summary>
    /// Tries to parse one whole record starting at _pos. Returns the position after it, or -1 when the
    /// buffer does not hold the complete record yet (and the input is not at its end). Nothing in the
    /// buffer changes until the record is known to be complete, so a retry after Fill is safe.
    /// </summary>
    private int TryParseRecord(out bool blank)
    {
        blank = false;
        var buf = _buf;
        int p = _pos, end = _end;
        if (p >= end) return -1;
        long line = _nextLine;
        int field = 0;
        int escaped = 0;
        if (buf[p] == '\n' || buf[p] == '\r')
        {
            int after = SkipNewline(p);
            if (after < 0) return -1;
            blank = true;
            _nextLine++;
            return after;
        }
        while (true)
        {
            if (_quoting && p < end && buf[p] == '"')
            {
                int q = p + 1;
                bool closed = false, hasEscapes = false;
                while (true)
                {
                    int rel = buf.AsSpan(q, end - q).IndexOf('"');
                    if (rel < 0) break;
                    q += rel;
                    if (q + 1 < end)
                    {
                        if (buf[q + 1] == '"') { hasEscapes = true; q += 2; continue; }
                        closed = true;
                    }
                    else if (_eof) closed = true;
                    break;
                }
                int contentEnd;
                if (closed) { contentEnd = q; q++; }
                else
                {
                    if (!_eof) return -1;
                    throw new Trove.Core.Errors.DataFormatException(Name, line, null,
                        "unterminated quoted field: a field starts with '\"' but its closing quote is missing.");
                }
                line += CountLineBreaks(buf.AsSpan(p + 1, contentEnd - p - 1));
                if (hasEscapes) { if (escaped < _escaped.Length) _escaped[escaped] = field; escaped++; }
                AddField(field++, p + 1, contentEnd - p - 1, quoted: true);
                p = q;
                // Junk after the closing quote up to the delimiter or line end is dropped (lenient).
                if (p < end && buf[p] != _delimiter && buf[p] != '\n' && buf[p] != '\r')
                {
                    int rel = buf.AsSpan(p, end - p).IndexOfAny(_stops);
                    if (rel < 0) { if (!_eof) return -1; p = end; }
                    else p += rel;
                }
            }
            else
            {
                int rel = buf.AsSpan(p, end - p).IndexOfAny(_stops);
                if (rel < 0)
                {
                    if (!_eof) return -1;
                    AddField(field++, p, end - p);
                    p = end;
                }
                else
                {
                    AddField(field++, p, rel);
                    p += rel;
                }
            }
            int next;
            if (p >= end)
            {
                if (!_eof) return -1;
                next = end;
            }
            else if (buf[p] == _delimiter)
            {
                p++;
                continue;
            }
            else
            {
                next = SkipNewline(p);
                if (next < 0) return -1;
            }
            FieldCount = field; LineNumber = _nextLine; _nextLine = line + 1;
            if (escaped > 0) Unescape(escaped);
            return next;
        }
    }

    private readonly int[] _escaped = new int[64];

    /// <summary>Turns doubled quotes into single ones, in place, in the fields that have them.</summary>
    private void Unescape(int count)
    {
        if (count > _escaped.Length)
        {
            for (int f = 0; f < FieldCount; f++) UnescapeField(f);
            return;
        }
        for (int k = 0; k < count; k++) UnescapeField(_escaped[k]);
    }

    private void UnescapeField(int f)
    {
        var (start, length) = _fields[f];
        int w = start;
        for (int r = start; r < start + length; r++)
        {
            _buf[w++] = _buf[r];
            if (_buf[r] == '"' && r + 1 < start + length && _buf[r + 1] == '"') r++;
        }
        _fields[f] = (start, w - start);
    }

    private int SkipNewline(int p)
    {
        if (_buf[p] == '\n') return p + 1;
        // '\r'
        if (p + 1 < _end) return _buf[p + 1] == '\n' ? p + 2 : p + 1;
        return _eof ? p + 1 : -1;
    }

    private static int CountLineBreaks(ReadOnlySpan<char> s)
    {
        int n = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '\n') n++;
            else if (s[i] == '\r' && (i + 1 >= s.Length || s[i + 1] != '\n')) n++;
        }
        return n;
    }

    private void AddField(int index, int start, int length, bool quoted = false)
    {
        if (index >= _fields.Length)
        {
            Array.Resize(ref _fields, _fields.Length * 2);
            Array.Resize(ref _quoted, _fields.Length);
        }
        _fields[index] = (start, length);
        _quoted[index] = quoted;
    }

    /// <summary>Moves unconsumed data to the front (growing the buffer when one record fills it) and reads more.</summary>
    private bool Fill()
    {
        int remaining = _end - _pos;
        if (_pos > 0)
        {
            Array.Copy(_buf, _pos, _buf, 0, remaining);
            _pos = 0; _end = remaining;
        }
        else if (remaining == _buf.Length)
        {
            if (_buf.Length >= MaxRecordChars)
                throw new Trove.Core.Errors.DataFormatException(Name, _nextLine, null,
                    $"a record is longer than {MaxRecordChars:N0} characters: probably an unterminated quoted field.");
            Array.Resize(ref _buf, _buf.Length * 2);
        }
        int read = _reader.Read(_buf, _end, _buf.Length - _end);
        if (read == 0) _eof = true;
        _end += read;
        return read > 0;
    }

    private static SearchValues<char> MakeStops(char delimiter, bool quoting) =>
        SearchValues.Create([delimiter, '\n', '\r']);

    public void Dispose() => _reader.Dispose();
}
