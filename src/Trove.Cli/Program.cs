using System.CommandLine;
using Trove.Cli.Commands;

namespace Trove.Cli;

public static class Program
{
    /// <summary>
    /// Plugs the optional packages into the model layer: the "onnx" feature encoder (Trove.Onnx), the pretrained
    /// "minilm" text encoder (Trove.Semantic), the pretrained "resnet18" image encoder (Trove.Images) and the training-curves drawer (Trove.Reports). All are idempotent;
    /// a host that embeds Trove calls the same ones.
    /// </summary>
    public static void RegisterComponents()
    {
        Trove.Onnx.OnnxEncoders.Register();
        Trove.Semantic.SemanticEncoders.Register();
        Trove.Images.ImageEncoders.Register();
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
            SearchCommand.Create(),
            IndexCommand.Create(),
            EmbeddingsCommand.Create(),
            ModelsCommand.Create(),
            ImportCommand.Create(),
            StatsCommand.Create(),
            SimulateCommand.Create(),
            EvaluateCommand.Create(),
            TuneCommand.Create(),
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

    /// <summary>The informational version of this build (package version, plus the commit when built from git).</summary>
    public static string Version =>
        typeof(Program).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion ?? "unknown";

    /// <summary>The dense backend in use (TROVE_BLAS, OpenBLAS or managed), or why it cannot be used.</summary>
    public static string DenseMathLine() => DenseMathError() is { } error ? $"unavailable: {error}" : Trove.Numerics.Dense.MathBackend.Describe();

    private static string? DenseMathError()
    {
        try { Trove.Numerics.Dense.MathBackend.Validate(); return null; }
        catch (Exception e) when (e is Trove.Numerics.Native.NativeLibraryMissingException or ArgumentException) { return e.Message; }
    }

    public static int Main(string[] args)
    {
        if (args is ["--version"])
        {
            Console.WriteLine($"trove {Version}");
            Console.WriteLine($"dense math: {DenseMathLine()}");
            return 0;
        }
        // A wrong TROVE_BLAS is reported before any work starts, not at the first matrix product.
        if (!args.Contains("--help") && !args.Contains("-h") && DenseMathError() is { } mathError)
        {
            Console.Error.WriteLine($"error: {mathError}");
            return Infrastructure.CommandRunner.UserError;
        }
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
