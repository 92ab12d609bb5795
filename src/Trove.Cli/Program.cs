using System.CommandLine;
using Trove.Cli.Commands;

namespace Trove.Cli;

public static class Program
{
    /// <summary>Every `trove` sub-command; each lives in its own file under Commands/.</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("Trove: recommendations for .NET - simulate or import data, train, evaluate, recommend.");
        foreach (var command in new[]
        {
            DemoCommand.Create(),
            TrainCommand.Create(),
            RecommendCommand.Create(),
            SimilarCommand.Create(),
            ModelsCommand.Create(),
            ImportCommand.Create(),
            StatsCommand.Create(),
            SimulateCommand.Create(),
            EvaluateCommand.Create(),
        })
            root.Subcommands.Add(command);
        return root;
    }

    public static int Main(string[] args) => BuildRoot().Parse(args).Invoke();
}
