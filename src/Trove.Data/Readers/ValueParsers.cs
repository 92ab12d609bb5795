using System.Globalization;

namespace Trove.Data.Readers;

/// <summary>Number and time parsing shared by the readers (invariant culture, no allocation).</summary>
public static class ValueParsers
{
    public static bool TryParseFloat(ReadOnlySpan<char> s, out float value) =>
        float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value);

    public static bool TryParseDouble(ReadOnlySpan<char> s, out double value) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value);

    /// <summary>Unix seconds of 0001-01-01 and 9999-12-31T23:59:59Z: the range a timestamp must lie in (what DateTimeOffset can show).</summary>
    public const long MinUnixSeconds = -62_135_596_800, MaxUnixSeconds = 253_402_300_799;

    public static bool IsUnixSecondsInRange(long seconds) => seconds is >= MinUnixSeconds and <= MaxUnixSeconds;

    /// <summary>
    /// Longest user or item id (characters): the HTTP API serves ids up to this length, so an import refuses longer
    /// ones instead of storing ids no request could ask for.
    /// </summary>
    public const int MaxIdLength = 256;

    /// <summary>Integers above this are Unix milliseconds (as seconds they would be past the year 5138).</summary>
    public const long MillisecondsAbove = 100_000_000_000;

    /// <summary>
    /// One rule for integer timestamps everywhere (files and POST /events): above <see cref="MillisecondsAbove"/> the
    /// value is Unix milliseconds (JavaScript's Date.now()), else Unix seconds. Returns Unix seconds.
    /// </summary>
    public static long FromSecondsOrMilliseconds(long value) => value > MillisecondsAbove ? Math.DivRem(value, 1000).Quotient : value;

    /// <summary>
    /// Largest magnitude of an interaction score or weight (1e9): similarities and Gram matrices multiply and sum
    /// weights in single precision, and beyond this bound their sums could overflow float (3.4e38) and silently turn
    /// every recommendation into zeros. Ratings, counts and play counts are far below it.
    /// </summary>
    public const float MaxAbsScore = 1e9f;

    /// <summary>Null when <paramref name="value"/> is a usable score or weight, else the problem in words.</summary>
    public static string? ScoreProblem(float value) =>
        !float.IsFinite(value) ? "must be a finite number"
        : Math.Abs(value) > MaxAbsScore ? $"is {value.ToString("G4", CultureInfo.InvariantCulture)}, beyond the supported magnitude of 1e9 (scale the values down)"
        : null;

    /// <summary>
    /// Parses a timestamp as Unix seconds (an integer or decimal number) or ISO-8601 / RFC 3339
    /// ("2024-03-01", "2024-03-01T12:00:00Z", "2024-03-01 12:00:00+02:00"; no offset means UTC).
    /// Returns Unix seconds UTC.
    /// </summary>
    public static bool TryParseTimestamp(ReadOnlySpan<char> s, out long unixSeconds)
    {
        unixSeconds = 0;
        if (s.IsEmpty) return false;
        if (IsNumber(s))
        {
            if (long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out unixSeconds))
            {
                unixSeconds = FromSecondsOrMilliseconds(unixSeconds);
                return IsUnixSecondsInRange(unixSeconds);
            }
            if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) && Math.Abs(d) < 1e15)
            {
                unixSeconds = (long)Math.Floor(d);
                return IsUnixSecondsInRange(unixSeconds);
            }
            return false;
        }
        if (TryParseIsoFast(s, out unixSeconds)) return true;
        if (DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var dto))
        {
            unixSeconds = dto.ToUnixTimeSeconds();
            return true;
        }
        return false;
    }

    /// <summary>[+-]digits[.digits][(e|E)[+-]digits]: a number, not a date like 2024-03-01.</summary>
    private static bool IsNumber(ReadOnlySpan<char> s)
    {
        int i = 0;
        if (s[i] is '-' or '+') i++;
        int start = i;
        while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
        if (i < s.Length && s[i] == '.') { i++; while (i < s.Length && char.IsAsciiDigit(s[i])) i++; }
        if (i == start || (i == start + 1 && s[start] == '.')) return false;
        if (i < s.Length && s[i] is 'e' or 'E')
        {
            i++;
            if (i < s.Length && s[i] is '-' or '+') i++;
            int exp = i;
            while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
            if (i == exp) return false;
        }
        return i == s.Length;
    }

    /// <summary>Fast path for "yyyy-MM-ddTHH:mm:ss[Z]" and "yyyy-MM-dd HH:mm:ss" (UTC).</summary>
    private static bool TryParseIsoFast(ReadOnlySpan<char> s, out long unix)
    {
        unix = 0;
        if (s.Length != 19 && !(s.Length == 20 && s[19] == 'Z')) return false;
        if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':') return false;
        if (!D(s, 0, 4, out int y) || !D(s, 5, 2, out int mo) || !D(s, 8, 2, out int d) || !D(s, 11, 2, out int h) || !D(s, 14, 2, out int mi) || !D(s, 17, 2, out int se)) return false;
        if (mo is < 1 or > 12 || d < 1 || d > DateTime.DaysInMonth(Math.Max(1, y), mo) || h > 23 || mi > 59 || se > 59 || y < 1) return false;
        unix = new DateTimeOffset(y, mo, d, h, mi, se, TimeSpan.Zero).ToUnixTimeSeconds();
        return true;

        static bool D(ReadOnlySpan<char> s, int at, int len, out int v)
        {
            v = 0;
            for (int i = at; i < at + len; i++)
            {
                int c = s[i] - '0';
                if ((uint)c > 9) return false;
                v = v * 10 + c;
            }
            return true;
        }
    }
}
