using System.Diagnostics;
using Trove.Core.Errors;
using Trove.Tests.Support;

namespace Trove.Tests.Fuzz;

/// <summary>
/// One reader under fuzzing: its valid seed files (written into a fresh folder) and how to read that folder.
/// <paramref name="Phrase"/>, when set, must appear in every error message too (e.g. "is corrupted").
/// </summary>
public sealed record FuzzTarget(string Name, IReadOnlyDictionary<string, byte[]> Seeds, Action<string> Read, string? Phrase = null)
{
    public override string ToString() => Name;
}

/// <summary>
/// Runs mutated inputs through a reader and checks Trove's promise for malformed input: the reader either
/// succeeds or throws a <see cref="TroveException"/> whose message is one line naming the file (never another
/// exception type), and it finishes within <see cref="CaseTimeout"/>. Deterministic for a given seed.
/// </summary>
public static class FuzzRunner
{
    /// <summary>Iterations per target: FUZZ_ITERATIONS when set (the long run, bench/fuzz), else the CI default.</summary>
    public static int Iterations(int ciDefault) =>
        int.TryParse(Environment.GetEnvironmentVariable("FUZZ_ITERATIONS"), out var n) && n > 0 ? n : ciDefault;

    /// <summary>FUZZ_SEED when set (a long run with other inputs), else <paramref name="fixedSeed"/>.</summary>
    public static int Seed(int fixedSeed) =>
        int.TryParse(Environment.GetEnvironmentVariable("FUZZ_SEED"), out var s) ? s : fixedSeed;

    public static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Runs <paramref name="iterations"/> random mutations of one seed file each; returns the findings.</summary>
    public static List<string> Mutations(FuzzTarget target, int iterations, int seed)
    {
        var findings = new List<string>();
        var files = target.Seeds.Keys.Order(StringComparer.Ordinal).ToArray();
        var dir = TestPaths.NewTempDirectory();
        try
        {
            for (int i = 0; i < iterations; i++)
            {
                var r = new Random(unchecked(seed * 1_000_003 + i)); // not HashCode.Combine: it is randomised per process
                var file = files[r.Next(files.Length)];
                var (bytes, mutation) = Mutator.Mutate(target.Seeds[file], r);
                if (Check(target, dir, file, bytes) is { } problem)
                    findings.Add($"{target.Name} seed {seed} iteration {i}: {file} <- {mutation}: {problem}");
            }
        }
        finally { Directory.Delete(dir, recursive: true); }
        return findings;
    }

    /// <summary>The hand-picked extremes for every file of the target; returns the findings.</summary>
    public static List<string> Extremes(FuzzTarget target)
    {
        var findings = new List<string>();
        var dir = TestPaths.NewTempDirectory();
        try
        {
            foreach (var file in target.Seeds.Keys.Order(StringComparer.Ordinal))
                foreach (var (name, bytes) in ExtremeInputs(target.Seeds[file]))
                    if (Check(target, dir, file, bytes) is { } problem) findings.Add($"{target.Name}: {file} <- {name}: {problem}");
        }
        finally { Directory.Delete(dir, recursive: true); }
        return findings;
    }

    public static IEnumerable<(string Name, byte[] Bytes)> ExtremeInputs(byte[] seed)
    {
        int firstLine = Array.IndexOf(seed, (byte)'\n') + 1;
        yield return ("empty file", []);
        yield return ("only a UTF-8 BOM", [0xEF, 0xBB, 0xBF]);
        yield return ("UTF-16LE with BOM", [0xFF, 0xFE, .. System.Text.Encoding.Convert(System.Text.Encoding.UTF8, System.Text.Encoding.Unicode, seed)]);
        yield return ("UTF-32LE BOM", [0xFF, 0xFE, 0x00, 0x00, .. seed]);
        yield return ("1000 NUL bytes", new byte[1000]);
        var random = new byte[4096]; new Random(7).NextBytes(random);
        yield return ("4 KB of random bytes", random);
        yield return ("first line, then a 10 MB line", [.. seed[..firstLine], .. Enumerable.Repeat((byte)'1', 10 << 20)]);
        yield return ("a 10 MB quoted field", [.. seed[..firstLine], (byte)'"', .. Enumerable.Repeat((byte)'x', 10 << 20)]);
        yield return ("100k nested arrays", [.. Enumerable.Repeat((byte)'[', 100_000)]);
        yield return ("100k nested objects after a key", [.. "{\"interactions\":"u8, .. Enumerable.Repeat((byte)'[', 100_000)]);
        yield return ("seed truncated to half", seed[..(seed.Length / 2)]);
        yield return ("seed twice (every id duplicated)", [.. seed, .. seed]);
        yield return ("CR line ends only", seed.Select(b => b == (byte)'\n' ? (byte)'\r' : b).ToArray());
    }

    /// <summary>Writes the seeds with <paramref name="file"/> replaced by <paramref name="bytes"/>, reads, and judges the outcome (null = kept the promise).</summary>
    public static string? Check(FuzzTarget target, string dir, string file, byte[] bytes)
    {
        foreach (var (name, content) in target.Seeds) File.WriteAllBytes(Path.Combine(dir, name), name == file ? bytes : content);
        var watch = Stopwatch.StartNew();
        var run = Task.Run(() => target.Read(dir));
        try
        {
            if (!run.Wait(CaseTimeout)) return $"no answer after {CaseTimeout.TotalSeconds:0} s (hang?)";
            return null;
        }
        catch (AggregateException wrapped) when (wrapped.InnerException is TroveException e)
        {
            if (e.Message.Contains('\n')) return $"message has several lines: {e.Message}";
            if (!target.Seeds.Keys.Any(e.Message.Contains)) return $"message names no file: {e.Message}";
            if (target.Phrase is { } phrase && !e.Message.Contains(phrase)) return $"message lacks '{phrase}': {e.Message}";
            return null;
        }
        catch (AggregateException wrapped)
        {
            var e = wrapped.InnerException!;
            var frame = e.StackTrace?.Split('\n').FirstOrDefault()?.Trim();
            return $"{e.GetType().Name}: {e.Message} ({frame})";
        }
    }
}
