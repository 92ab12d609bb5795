using System.CommandLine;
using Trove.Cli.Infrastructure;
using Trove.Data.Formats;

namespace Trove.Cli.Commands;

/// <summary>`trove schema --data DATA.json`: the feature names per group and their types in a universal JSON file (to write a training config).</summary>
public static class SchemaCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data", "-d") { Description = "A universal JSON file (user_data, item_data, interactions).", Required = true };
        var command = new Command("schema", "Show the features (per group, with types) and interaction types of a universal JSON file, reading it as a stream.") { data };
        command.SetAction(r => CommandRunner.Run(() => Run(r.GetValue(data)!, Console.Out)));
        return command;
    }

    public static int Run(string path, TextWriter stdout)
    {
        stdout.WriteLine(UniversalJsonReader.InferSchema(path).ToString());
        return 0;
    }
}
