using Trove.Tests.Support;

namespace Trove.Tests.Crash;

/// <summary>`trove train --checkpoint-dir/--checkpoint-every/--resume`: user errors are one line with exit code 2.</summary>
[Collection(ConsoleCollection.Name)]
public class CheckpointCliTests
{
    private static (int Code, string Error) Train(params string[] args)
    {
        var previous = Console.Error;
        var error = new StringWriter();
        Console.SetError(error);
        try { return (Trove.Cli.Program.Main(["train", .. args]), error.ToString()); }
        finally { Console.SetError(previous); }
    }

    private static string Data()
    {
        var dir = TestPaths.NewTempDirectory();
        var csv = Path.Combine(dir, "interactions.csv");
        File.WriteAllLines(csv, ["user,item", .. Enumerable.Range(0, 60).Select(i => $"u{i % 12},i{(i * 7) % 15}")]);
        return csv;
    }

    [Fact]
    public void Resume_with_other_parameters_is_refused_on_one_line()
    {
        var csv = Data();
        var dir = Path.GetDirectoryName(csv)!;
        var ck = Path.Combine(dir, "ck");
        Assert.Equal(0, Train("--data", csv, "--model", "als", "--param", "factors=4", "--param", "iterations=3", "--out", Path.Combine(dir, "a.trove"), "--checkpoint-dir", ck).Code);
        Assert.Equal(2, Directory.GetFiles(ck, "als.*.ckpt").Length);

        var (code, error) = Train("--data", csv, "--model", "als", "--param", "factors=5", "--param", "iterations=3", "--out", Path.Combine(dir, "b.trove"), "--checkpoint-dir", ck, "--resume");
        Assert.Equal(2, code);
        Assert.StartsWith("error: cannot resume from ", error);
        Assert.Contains("\"factors\": 4", error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.False(File.Exists(Path.Combine(dir, "b.trove")));
    }

    [Theory]
    [InlineData("--resume")]                                        // no directory to resume from
    [InlineData("--checkpoint-dir", "ck", "--checkpoint-every", "0")]
    public void Bad_checkpoint_options_exit_with_code_2(params string[] extra)
    {
        var csv = Data();
        var (code, error) = Train(["--data", csv, "--model", "als", "--out", Path.Combine(Path.GetDirectoryName(csv)!, "m.trove"), .. extra]);
        Assert.Equal(2, code);
        Assert.StartsWith("error: ", error);
        Assert.Contains("--", error);
    }
}
