using System.Text;

namespace Trove.Tests.Fuzz;

/// <summary>
/// Deterministic mutations of a valid seed file (the classic mutation-fuzzer moves): truncation, bit flips,
/// random insertions and deletions, repeated or swapped lines (duplicate ids), special numbers (NaN, Infinity,
/// 1e309, negative values), invalid UTF-8, byte-order marks and UTF-16, huge fields, delimiters and quotes,
/// deep JSON nesting. Each call names the mutation it applied, so a failure can be reproduced by seed.
/// </summary>
public static class Mutator
{
    private static readonly string[] SpecialValues =
        ["NaN", "nan", "Infinity", "-Infinity", "1e309", "-1e309", "-1", "-0", "1e-400", "99999999999999999999999", "-9223372036854775809",
         "9223372036854775807", "", "\"", "\"\"", "null", "true", "[]", "{}", "0x10", "1,5", "٣", "\u00a0", "2024-13-45T99:99:99Z", "-62135596801"];

    private static readonly byte[][] InvalidUtf8 =
        [[0xFF], [0xFE, 0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0x80], [0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0x00]];

    private static readonly string[] Structure = [",", ";", "\t", "|", "::", "\"", "\n", "\r", "\r\n", "{", "}", "[", "]", ":", "(", ")", "\\", "\"\"\""];

    public static (byte[] Bytes, string Mutation) Mutate(byte[] seed, Random r)
    {
        int kind = r.Next(15);
        var b = new List<byte>(seed);
        int At() => b.Count == 0 ? 0 : r.Next(b.Count + 1);
        switch (kind)
        {
            case 0:
            {
                int at = r.Next(Math.Max(1, b.Count));
                return (seed[..Math.Min(at, seed.Length)], $"truncate at {at}");
            }
            case 1:
            {
                int n = 1 + r.Next(8);
                for (int k = 0; k < n && b.Count > 0; k++) { int at = r.Next(b.Count); b[at] ^= (byte)(1 << r.Next(8)); }
                return (b.ToArray(), $"flip {n} bits");
            }
            case 2:
            {
                int at = At(), n = 1 + r.Next(16);
                var junk = new byte[n]; r.NextBytes(junk);
                b.InsertRange(at, junk);
                return (b.ToArray(), $"insert {n} random bytes at {at}");
            }
            case 3:
            {
                if (b.Count == 0) return ([], "empty");
                int at = r.Next(b.Count), n = 1 + r.Next(Math.Min(64, b.Count - at));
                b.RemoveRange(at, n);
                return (b.ToArray(), $"delete {n} bytes at {at}");
            }
            case 4: return (RepeatLine(seed, r), "repeat a line (duplicate ids)");
            case 5: return (SwapLines(seed, r), "swap two lines");
            case 6:
            {
                var v = SpecialValues[r.Next(SpecialValues.Length)];
                return (ReplaceToken(seed, r, v), $"replace a token with '{v}'");
            }
            case 7:
            {
                var bad = InvalidUtf8[r.Next(InvalidUtf8.Length)];
                int at = At(); b.InsertRange(at, bad);
                return (b.ToArray(), $"insert invalid UTF-8 {Convert.ToHexString(bad)} at {at}");
            }
            case 8:
                return r.Next(4) switch
                {
                    0 => ([0xEF, 0xBB, 0xBF, .. seed], "UTF-8 BOM"),
                    1 => ([0xFF, 0xFE, .. Encoding.Convert(Encoding.UTF8, Encoding.Unicode, seed)], "UTF-16LE with BOM"),
                    2 => (Encoding.Convert(Encoding.UTF8, Encoding.BigEndianUnicode, seed), "UTF-16BE without BOM"),
                    _ => ([0xFE, 0xFF, .. seed], "UTF-16BE BOM before UTF-8 text"),
                };
            case 9:
            {
                int at = At(), n = 1000 << r.Next(10); // 1k .. 512k characters
                b.InsertRange(at, Enumerable.Repeat((byte)'7', n));
                return (b.ToArray(), $"huge field ({n} chars) at {at}");
            }
            case 10:
            {
                var s = Structure[r.Next(Structure.Length)];
                int at = At(); b.InsertRange(at, Encoding.UTF8.GetBytes(s));
                return (b.ToArray(), $"insert '{s.Replace("\n", "\\n").Replace("\r", "\\r").Replace("\t", "\\t")}' at {at}");
            }
            case 11:
            {
                int at = At(), depth = 10 << r.Next(14); // 10 .. 80k levels
                var open = r.Next(2) == 0 ? "["u8.ToArray() : "{\"a\":"u8.ToArray();
                for (int k = 0; k < depth; k++) b.InsertRange(at, open);
                return (b.ToArray(), $"nest {depth} levels at {at}");
            }
            case 12: return (ReplaceToken(seed, r, "-" + r.NextInt64(1, long.MaxValue)), "negative number (timestamp, id or weight)");
            case 13:
            {
                // Splice: a copy of a random chunk pasted elsewhere (structure from the seed itself).
                if (b.Count < 2) return (seed, "unchanged");
                int from = r.Next(b.Count), n = 1 + r.Next(Math.Min(200, b.Count - from));
                var chunk = b.GetRange(from, n);
                b.InsertRange(At(), chunk);
                return (b.ToArray(), $"splice {n} bytes");
            }
            default: return ([], "empty file");
        }
    }

    private static byte[] RepeatLine(byte[] seed, Random r)
    {
        var lines = Lines(seed);
        if (lines.Count == 0) return seed;
        var line = lines[r.Next(lines.Count)];
        lines.Insert(r.Next(lines.Count + 1), line);
        return Join(lines);
    }

    private static byte[] SwapLines(byte[] seed, Random r)
    {
        var lines = Lines(seed);
        if (lines.Count < 2) return seed;
        int a = r.Next(lines.Count), c = r.Next(lines.Count);
        (lines[a], lines[c]) = (lines[c], lines[a]);
        return Join(lines);
    }

    /// <summary>Replaces a random run of digits, letters or dots (a number, id or word) with <paramref name="value"/>.</summary>
    private static byte[] ReplaceToken(byte[] seed, Random r, string value)
    {
        if (seed.Length == 0) return Encoding.UTF8.GetBytes(value);
        int at = r.Next(seed.Length);
        static bool Part(byte c) => char.IsAsciiLetterOrDigit((char)c) || c is (byte)'.' or (byte)'-' or (byte)'_';
        while (at < seed.Length && !Part(seed[at])) at++;
        if (at == seed.Length) return seed;
        int start = at, end = at;
        while (start > 0 && Part(seed[start - 1])) start--;
        while (end < seed.Length && Part(seed[end])) end++;
        return [.. seed[..start], .. Encoding.UTF8.GetBytes(value), .. seed[end..]];
    }

    private static List<byte[]> Lines(byte[] seed)
    {
        var lines = new List<byte[]>();
        int start = 0;
        for (int i = 0; i < seed.Length; i++)
            if (seed[i] == (byte)'\n') { lines.Add(seed[start..(i + 1)]); start = i + 1; }
        if (start < seed.Length) lines.Add(seed[start..]);
        return lines;
    }

    private static byte[] Join(List<byte[]> lines) => lines.SelectMany(l => l).ToArray();
}
