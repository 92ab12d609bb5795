using System.Diagnostics;
using System.Text.RegularExpressions;
using Trove.Core.Persistence;
using Trove.Tests.Support;

namespace Trove.Tests.Crash;

public class AtomicWriteTests
{
    /// <summary>
    /// Every file Trove writes goes through AtomicFile (temporary sibling + rename), so a crash never
    /// leaves a half-written output under its real name. Found and fixed: evaluate --json/--markdown,
    /// training curves (curves=...) and Npy.Write wrote in place.
    /// </summary>
    [Fact]
    public void Source_code_writes_files_only_through_AtomicFile()
    {
        var direct = new Regex(@"(?<![\w.])File\.(Create|OpenWrite|WriteAll\w*|AppendAll\w*)\(|FileMode\.(Create|CreateNew|Append|OpenOrCreate|Truncate)\b|new StreamWriter\(\s*(path|file|""|\w+Path)");
        // HnswIndex.Save(path) is a Trove.Numerics helper (no AtomicFile there) used only by tests; servers load indexes, never save them.
        string[] allowed = ["AtomicFile.cs", "HnswIndex.cs"];
        var offenders = Directory.EnumerateFiles(Path.Combine(TestPaths.RepositoryRoot, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !allowed.Contains(Path.GetFileName(f)))
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(x => direct.IsMatch(x.line))
            .Select(x => $"{Path.GetRelativePath(TestPaths.RepositoryRoot, x.f)}:{x.i + 1}: {x.line.Trim()}")
            .ToList();
        Assert.True(offenders.Count == 0, "write through AtomicFile instead:\n" + string.Join('\n', offenders));
    }

    [Fact]
    public void Temporary_files_of_dead_writers_are_removed_and_those_of_live_ones_kept()
    {
        var dir = TestPaths.NewTempDirectory();
        using var finished = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        finished.WaitForExit();
        var dead = Path.Combine(dir, $".out.json.{finished.Id}.{Guid.NewGuid():N}.tmp");
        var live = Path.Combine(dir, $".out.json.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        var otherFile = Path.Combine(dir, $".other.json.{finished.Id}.{Guid.NewGuid():N}.tmp");
        foreach (var f in new[] { dead, live, otherFile }) File.WriteAllText(f, "{\"half\": ");

        AtomicFile.WriteAllText(Path.Combine(dir, "out.json"), "{}");

        Assert.False(File.Exists(dead));      // a killed writer's leftover of the same file
        Assert.True(File.Exists(live));       // another writer still at work
        Assert.True(File.Exists(otherFile));  // another file's leftovers wait for that file's next write
        Assert.Equal("{}", File.ReadAllText(Path.Combine(dir, "out.json")));
        AtomicFile.RemoveStaleTemporaries(dir);
        Assert.False(File.Exists(otherFile));
        Assert.True(File.Exists(live));
    }
}
