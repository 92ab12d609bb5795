using System.Text;
using Trove.Core.Errors;

namespace Trove.Data.Readers;

/// <summary>
/// Reads text lines like <see cref="File.ReadLines(string)"/> (LF, CRLF or CR ends; a BOM is honoured) but
/// with a length limit: a line longer than <see cref="DelimitedReader.MaxRecordChars"/> stops with a
/// <see cref="DataFormatException"/> naming the file and line instead of growing one string without bound
/// (a file without line breaks would otherwise be read whole into memory).
/// </summary>
public sealed class LineReader : IDisposable
{
    private readonly TextReader _reader;
    private readonly string _name;
    private readonly int _maxChars;
    private readonly char[] _buffer = new char[1 << 16];
    private readonly StringBuilder _line = new();
    private int _pos, _end;
    private bool _eof, _afterCr;

    public LineReader(TextReader reader, string name, int maxChars = DelimitedReader.MaxRecordChars)
    {
        _reader = reader;
        _name = name;
        _maxChars = maxChars;
    }

    /// <summary>1-based number of the line last returned.</summary>
    public long LineNumber { get; private set; }

    /// <summary>The lines of a file with their 1-based numbers (UTF-8 unless <paramref name="encoding"/> says otherwise; a BOM wins).</summary>
    public static IEnumerable<(long Number, string Text)> ReadLines(string path, Encoding? encoding = null)
    {
        using var r = new LineReader(new StreamReader(path, encoding ?? Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16), path);
        while (r.ReadLine() is { } text) yield return (r.LineNumber, text);
    }

    /// <summary>The next line without its end, or null at the end of the input.</summary>
    public string? ReadLine()
    {
        _line.Clear();
        bool any = false;
        while (true)
        {
            if (_pos == _end)
            {
                if (!_eof)
                {
                    _end = _reader.Read(_buffer, 0, _buffer.Length);
                    _pos = 0;
                    _eof = _end == 0;
                }
                if (_eof) break;
            }
            if (_afterCr)
            {
                _afterCr = false;
                if (_buffer[_pos] == '\n') { _pos++; continue; } // the LF of a CRLF split across reads
            }
            any = true;
            var span = _buffer.AsSpan(_pos, _end - _pos);
            int stop = span.IndexOfAny('\n', '\r');
            int take = stop < 0 ? span.Length : stop;
            if (_line.Length + take > _maxChars)
                throw new DataFormatException(_name, LineNumber + 1, null, $"a line is longer than {_maxChars:N0} characters (is this the right file?).");
            _line.Append(span[..take]);
            _pos += take;
            if (stop >= 0)
            {
                _afterCr = _buffer[_pos++] == '\r';
                LineNumber++;
                return _line.ToString();
            }
        }
        if (!any) return null;
        LineNumber++;
        return _line.ToString();
    }

    public void Dispose() => _reader.Dispose();
}
