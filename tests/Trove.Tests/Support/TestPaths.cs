namespace Trove.Tests.Support;

/// <summary>Where the repository and the read-only shared data sets are, from a test's point of view.</summary>
public static class TestPaths
{
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>../shared/datasets beside the repository (read-only; never copy these files into the repo).</summary>
    public static string Datasets => Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "datasets"));

    public static string Dataset(string name) => Path.Combine(Datasets, name);

    /// <summary>A fresh empty directory under the system temp folder, for a test's outputs.</summary>
    public static string NewTempDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "trove-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Trove.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Cannot find Trove.slnx above " + AppContext.BaseDirectory);
    }
}
