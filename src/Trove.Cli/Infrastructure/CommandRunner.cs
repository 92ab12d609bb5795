using Trove.Core.Errors;

namespace Trove.Cli.Infrastructure;

/// <summary>
/// Runs a command body and turns user errors into one line on stderr with exit code 2, instead
/// of a stack trace. Unexpected exceptions still print their type and message (exit code 1).
/// </summary>
public static class CommandRunner
{
    public const int UserError = 2;

    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (TroveException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return UserError;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return UserError;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled");
            return 130;
        }
    }

    public static int Run(Action body) => Run(() => { body(); return 0; });
}
