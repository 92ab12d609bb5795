using Trove.Core.Training;

namespace Trove.Data.Readers;

/// <summary>Progress only for work big enough to be worth a bar (small inputs stay quiet, so an error is the only output).</summary>
public static class ProgressExtensions
{
    /// <summary>Files smaller than this many bytes are read without progress.</summary>
    public const long MinBytes = 8 << 20;

    /// <summary>Row loops shorter than this run without progress.</summary>
    public const long MinRows = 250_000;

    public static IProgressTask? StartBytes(this IProgressReporter? progress, string description, long bytes) =>
        progress is not null && bytes >= MinBytes ? progress.Start(description, bytes) : null;

    public static IProgressTask? StartRows(this IProgressReporter? progress, string description, long rows) =>
        progress is not null && rows >= MinRows ? progress.Start(description, rows) : null;
}
