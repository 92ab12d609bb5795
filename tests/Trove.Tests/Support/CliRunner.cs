namespace Trove.Tests.Support;

/// <summary>Runs the real `trove` entry point in-process with stdout and stderr captured (tests in the Console collection).</summary>
public static class CliRunner
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var oldOut = Console.Out; var oldErr = Console.Error;
        var stdout = new StringWriter(); var stderr = new StringWriter();
        Console.SetOut(stdout); Console.SetError(stderr);
        try { return (Trove.Cli.Program.Main(args), stdout.ToString(), stderr.ToString()); }
        finally { Console.SetOut(oldOut); Console.SetError(oldErr); }
    }
}
