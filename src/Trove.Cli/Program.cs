using System.CommandLine;
using Trove.Cli.Commands;

namespace Trove.Cli;

public static class Program
{
    /// <summary>
    /// Plugs the optional packages into the model layer: the "onnx" feature encoder (Trove.Onnx) and the
    /// training-curves drawer (Trove.Reports). Both are idempotent; a host that embeds Trove calls the same two.
    /// </summary>
    public static void RegisterComponents()
    {
        Trove.Onnx.OnnxEncoders.Register();
        Trove.Reports.Plotting.TrainingCurvesPanels.Register();
    }

    /// <summary>Every `trove` sub-command; each lives in its own file under Commands/.</summary>
    public static RootCommand BuildRoot()
    {
        RegisterComponents();
        var root = new RootCommand("Trove: recommendations for .NET - simulate or import data, train, evaluate, recommend.");
        foreach (var command in new[]
        {
            DemoCommand.Create(),
            TrainCommand.Create(),
            RecommendCommand.Create(),
            SimilarCommand.Create(),
            EmbeddingsCommand.Create(),
            ModelsCommand.Create(),
            ImportCommand.Create(),
            StatsCommand.Create(),
            SimulateCommand.Create(),
            EvaluateCommand.Create(),
            EdaCommand.Create(),
            ServeCommand.Create(),
            FitCommand.Create(),
            InferCommand.Create(),
            SchemaCommand.Create(),
            DbCommand.Create(),
            SimilaritiesCommand.Create(),
            LastFmCommand.Create(),
            EventsCommand.Create(),
        })
            root.Subcommands.Add(command);
        return root;
    }

    public static int Main(string[] args)
    {
        var parsed = BuildRoot().Parse(args);
        // Usage errors (missing or malformed options) are user errors too: one line each, exit code 2.
        if (parsed.Errors.Count > 0 && !args.Contains("--help") && !args.Contains("-h"))
        {
            foreach (var error in parsed.Errors) Console.Error.WriteLine($"error: {error.Message}");
            Console.Error.WriteLine("Run `trove --help` or `trove COMMAND --help` for usage.");
            return Infrastructure.CommandRunner.UserError;
        }
        return parsed.Invoke();
    }
}
