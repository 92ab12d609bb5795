using System.Runtime.CompilerServices;
using System.Text;

namespace Trove.Data.Simulation;

/// <summary>
/// A growable byte buffer with allocation-free formatting of the few things CSV rows need
/// (integers, zero-padded ids, fixed-point decimals, ISO-8601 UTC timestamps, quoted text).
/// </summary>
internal sealed class Utf8Buffer(int capacity = 1 << 16)
{
    private byte[] _buf = new byte[Math.Max(16, capacity)];
    private int _len;

    public int Length => _len;
    public ReadOnlySpan<byte> Span => _buf.AsSpan(0, _len);
    public void Clear() => _len = 0;

    public void WriteTo(Stream stream) { stream.Write(_buf, 0, _len); _len = 0; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Ensure(int extra)
    {
        if (_len + extra > _buf.Length) Grow(extra);
    }

    private void Grow(int extra) => Array.Resize(ref _buf, Math.Max(_buf.Length * 2, _len + extra));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Byte(byte b) { Ensure(1); _buf[_len++] = b; }

    public void Ascii(ReadOnlySpan<byte> s) { Ensure(s.Length); s.CopyTo(_buf.AsSpan(_len)); _len += s.Length; }

    /// <summary>A non-negative or negative integer.</summary>
    public void Int(long v)
    {
        Ensure(20);
        if (v < 0) { _buf[_len++] = (byte)'-'; v = -v; }
        int digits = 1;
        for (long t = v; t >= 10; t /= 10) digits++;
        Digits(v, digits);
    }

    /// <summary>A non-negative integer left-padded with zeros to <paramref name="width"/> digits.</summary>
    public void Padded(long v, int width)
    {
        int digits = 1;
        for (long t = v; t >= 10; t /= 10) digits++;
        Ensure(Math.Max(width, digits));
        for (int k = digits; k < width; k++) _buf[_len++] = (byte)'0';
        Digits(v, digits);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Digits(long v, int digits)
    {
        int end = _len + digits;
        for (int p = end - 1; p >= _len; p--) { _buf[p] = (byte)('0' + (int)(v % 10)); v /= 10; }
        _len = end;
    }

    /// <summary><paramref name="scaled"/> / 10^decimals with exactly that many decimals (e.g. 4399, 2 -> 43.99).</summary>
    public void Fixed(long scaled, int decimals)
    {
        long pow = 1;
        for (int k = 0; k < decimals; k++) pow *= 10;
        if (scaled < 0) { Byte((byte)'-'); scaled = -scaled; }
        Int(scaled / pow);
        if (decimals == 0) return;
        Byte((byte)'.');
        Padded(scaled % pow, decimals);
    }

    /// <summary>yyyy-MM-dd.</summary>
    public void Date(long daysSinceEpoch)
    {
        Civil(daysSinceEpoch, out long y, out int m, out int d);
        Ensure(10);
        Padded(y, 4); _buf[_len++] = (byte)'-'; Two(m); _buf[_len++] = (byte)'-'; Two(d);
    }

    /// <summary>yyyy-MM-ddTHH:mm:ssZ (UTC).</summary>
    public void Timestamp(long unixSeconds)
    {
        long days = Math.DivRem(unixSeconds, 86400, out long secs);
        if (secs < 0) { secs += 86400; days--; }
        Date(days);
        Ensure(10);
        _buf[_len++] = (byte)'T';
        Two((int)(secs / 3600)); _buf[_len++] = (byte)':';
        Two((int)(secs / 60 % 60)); _buf[_len++] = (byte)':';
        Two((int)(secs % 60)); _buf[_len++] = (byte)'Z';
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Two(int v) { _buf[_len++] = (byte)('0' + v / 10); _buf[_len++] = (byte)('0' + v % 10); }

    /// <summary>A CSV field: quoted (with doubled quotes) when it holds a comma, quote or line break.</summary>
    public void Field(string? s)
    {
        if (string.IsNullOrEmpty(s)) return;
        bool quote = s.AsSpan().IndexOfAny(",\"\r\n") >= 0;
        if (!quote) { Text(s); return; }
        Byte((byte)'"');
        Text(s.Replace("\"", "\"\""));
        Byte((byte)'"');
    }

    private void Text(string s)
    {
        Ensure(Encoding.UTF8.GetMaxByteCount(s.Length));
        _len += Encoding.UTF8.GetBytes(s, _buf.AsSpan(_len));
    }

    /// <summary>Howard Hinnant's days-to-civil conversion (proleptic Gregorian).</summary>
    private static void Civil(long z, out long year, out int month, out int day)
    {
        z += 719468;
        long era = (z >= 0 ? z : z - 146096) / 146097;
        long doe = z - era * 146097;
        long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        long y = yoe + era * 400;
        long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long mp = (5 * doy + 2) / 153;
        day = (int)(doy - (153 * mp + 2) / 5 + 1);
        month = (int)(mp < 10 ? mp + 3 : mp - 9);
        year = month <= 2 ? y + 1 : y;
    }
}
