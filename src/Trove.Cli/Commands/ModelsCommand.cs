using System.CommandLine;
using Trove.Cli.Infrastructure;
using Trove.Core.Persistence;
using Trove.Models;

namespace Trove.Cli.Commands;

/// <summary>
/// `trove models`: the algorithms available and their default parameters; `trove models FILE...`: what each
/// model file holds, after checking its checksums (a damaged file is refused with exit code 2).
/// </summary>
public static class ModelsCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("files") { Arity = ArgumentArity.ZeroOrMore, Description = "Model files to verify and describe (algorithm, version, data, checksum)." };
        var command = new Command("models", "List the available algorithms and their default parameters, or verify and describe model files.");
        command.Arguments.Add(files);
        command.SetAction(r => CommandRunner.Run(() =>
        {
            var paths = r.GetValue(files) ?? [];
            if (paths.Length > 0)
            {
                foreach (var path in paths) Describe(path);
                return;
            }
            Console.WriteLine($"dense math: {Program.DenseMathLine()}");
            var registry = BuiltInAlgorithms.Registry;
            foreach (var (name, description) in registry.Algorithms)
            {
                Console.WriteLine($"{name,-12} {description}");
                foreach (var p in registry.DefaultParameters(name).EnumerateObject())
                    Console.WriteLine($"{"",12}   {p.Name} = {p.Value}");
            }
        }));
        return command;
    }

    private static void Describe(string path)
    {
        var m = ModelFile.Describe(path);
        Console.WriteLine(path);
        Console.WriteLine($"  algorithm     {m.Algorithm} (model version {m.ModelVersion})");
        Console.WriteLine($"  format        {m.Format} {m.FormatVersion}, written by Trove {m.TroveVersion} at {m.CreatedUtc:u}");
        Console.WriteLine($"  data          {m.Data.Users:N0} users, {m.Data.Items:N0} items, {m.Data.Interactions:N0} interactions from {m.Data.Source}");
        Console.WriteLine($"  parameters    {System.Text.Json.JsonSerializer.Serialize(m.Parameters)}");
        Console.WriteLine(m.Checksum is null
            ? "  checksum      none (format 1, written before checksums)"
            : $"  checksum      {m.Checksum} (verified: manifest, {m.Entries!.Count} entries, whole file)");
    }
}
