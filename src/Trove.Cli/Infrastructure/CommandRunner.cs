using Trove.Core.Errors;

namespace Trove.Cli.Infrastructure;

/// <summary>
/// Runs a command body and turns user errors into one line on stderr with exit code 2, instead
/// of a stack trace. Unexpected exceptions (bugs) print one line with their type and message and exit
/// with code 1; TROVE_DEBUG=1 adds the stack trace for a bug report.
/// </summary>
public static class CommandRunner
{
    /// <summary>Exit code of a user error (bad input, missing file, impossible request).</summary>
    public const int UserError = 2;

    /// <summary>Exit code of a bug: an exception Trove did not expect.</summary>
    public const int InternalError = 1;

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");

    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e)
        {
            return Report(e);
        }
    }

    /// <summary>As <see cref="Run(Func{int})"/> for a body that awaits its I/O.</summary>
    public static async Task<int> RunAsync(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (Exception e)
        {
            return Report(e);
        }
    }

    private static int Report(Exception e)
    {
        switch (e)
        {
            case TroveException:
            case FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException:
            case Trove.Numerics.Native.NativeLibraryMissingException or Trove.Numerics.Native.LinearAlgebraException:
                Console.Error.WriteLine($"error: {e.Message}");
                return UserError;
            case OperationCanceledException:
                Console.Error.WriteLine("cancelled");
                return 130;
            default:
                Console.Error.WriteLine($"error: internal error ({e.GetType().Name}): {OneLine(e.Message)} (a bug: please report it; TROVE_DEBUG=1 prints the stack trace)");
                if (Environment.GetEnvironmentVariable("TROVE_DEBUG") == "1") Console.Error.WriteLine(e);
                return InternalError;
        }
    }

    public static int Run(Action body) => Run(() => { body(); return 0; });
}
