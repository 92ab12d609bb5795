namespace Trove.Core.Persistence;

/// <summary>
/// Writes a file through a temporary sibling and a rename, so readers see either the old file or
/// the complete new one, never a half-written file. A process killed while writing leaves a hidden
/// <c>.NAME.PID.GUID.tmp</c>; the next write of the same file removes such leftovers of dead processes.
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        RemoveStaleTemporaries(dir, Path.GetFileName(full));
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw;
        }
    }

    /// <summary>
    /// Deletes temporary files left in <paramref name="directory"/> by writers that died (of
    /// <paramref name="fileName"/> only, or of every file); those of running processes are kept.
    /// </summary>
    public static void RemoveStaleTemporaries(string directory, string? fileName = null)
    {
        if (!Directory.Exists(directory)) return;
        foreach (var temp in Directory.EnumerateFiles(directory, fileName is null ? ".*.tmp" : $".{fileName}.*.tmp"))
        {
            var parts = Path.GetFileName(temp).Split('.');
            if (parts.Length < 5 || parts[^2].Length != 32 || !int.TryParse(parts[^3], out int pid)) continue;
            if (fileName is not null && string.Join('.', parts[1..^3]) != fileName) continue;
            if (IsRunning(pid)) continue;
            try { File.Delete(temp); } catch (IOException) { }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    public static void WriteAllText(string path, string text) =>
        Write(path, s => { using var w = new StreamWriter(s, new System.Text.UTF8Encoding(false), leaveOpen: true); w.Write(text); });
}
