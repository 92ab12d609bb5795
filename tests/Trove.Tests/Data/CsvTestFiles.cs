using System.Text;
using Trove.Tests.Support;

namespace Trove.Tests.Data;

/// <summary>Writes small input files into a fresh temp folder.</summary>
internal static class CsvTestFiles
{
    public static string Write(string content, string name = "interactions.csv", string? dir = null, Encoding? encoding = null)
    {
        dir ??= TestPaths.NewTempDirectory();
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, content, encoding ?? new UTF8Encoding(false));
        return path;
    }
}
