namespace Trove.Tests.Support;

/// <summary>
/// Tests that replace Console.Out or Console.Error to read what a command printed. The console is
/// process-wide, so these run alone, after the parallel tests: otherwise another test's output
/// (or capture) would mix into theirs.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCollection
{
    public const string Name = "Console";
}
