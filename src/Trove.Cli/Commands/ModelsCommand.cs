using System.CommandLine;
using Trove.Cli.Infrastructure;
using Trove.Models;

namespace Trove.Cli.Commands;

/// <summary>`trove models`: the algorithms available and their default parameters.</summary>
public static class ModelsCommand
{
    public static Command Create()
    {
        var command = new Command("models", "List the available algorithms and their default parameters.");
        command.SetAction(_ => CommandRunner.Run(() =>
        {
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
}
