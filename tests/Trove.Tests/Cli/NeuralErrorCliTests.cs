using System.Text;
using Trove.Tests.Crash;
using Trove.Tests.Support;

namespace Trove.Tests.Cli;

/// <summary>A neural model that cannot train says why on one line with exit code 2: no stack trace, no model trained on nonsense.</summary>
public class NeuralErrorCliTests
{
    [Theory]
    [InlineData("ncf", "learning_rate=-1", "learning_rate must be a positive number")]
    [InlineData("ncf", "negatives=0", "negatives must be at least 1")]
    [InlineData("ncf", "dropout=2", "dropout must be in [0, 1)")]
    [InlineData("ncf", "layers=7", "layers must be positive")]
    [InlineData("twotower", "hidden=0", "hidden layer sizes must be positive")]
    [InlineData("twotower", "negatives=-2", "negatives must be 0")]
    [InlineData("twotower", "id_dropout=1", "id_dropout must be in [0, 1)")]
    [InlineData("twotower", "lr_decay=0", "lr_decay must be in (0, 1]")]
    public void Bad_parameters_are_one_line_and_exit_code_2(string model, string parameter, string message)
    {
        var dir = TestPaths.NewTempDirectory();
        var csv = new StringBuilder("user,item\n");
        for (int u = 0; u < 30; u++) for (int i = 0; i < 5; i++) csv.Append($"u{u},i{(u + i * 7) % 40}\n");
        File.WriteAllText(Path.Combine(dir, "data.csv"), csv.ToString());
        var (code, output) = ChildCli.Run(dir, "train", "--data", "data.csv", "--model", model, "--param", parameter, "--out", "m.trove");
        Assert.Equal(2, code);
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line);
        Assert.Contains(message, line);
        Assert.False(File.Exists(Path.Combine(dir, "m.trove")));
    }
}
