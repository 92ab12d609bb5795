using Trove.Tests.Crash;
using Trove.Tests.Support;

namespace Trove.Tests.Cli;

/// <summary>`trove --version` names the dense backend, and TROVE_BLAS picks it or fails on one line.</summary>
public class DenseBackendCliTests
{
    private static (int Code, string Output) Trove(string? blas, params string[] args) =>
        ChildCli.RunWith(blas is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["TROVE_BLAS"] = blas },
            TestPaths.NewTempDirectory(), args);

    [Fact]
    public void Version_prints_the_build_and_the_backend()
    {
        var (code, output) = Trove(null, "--version");
        Assert.Equal(0, code);
        Assert.StartsWith("trove 0.", output);
        Assert.Contains("dense math: ", output);

        (code, output) = Trove("managed", "--version");
        Assert.Equal(0, code);
        Assert.Contains("dense math: managed (", output);
        Assert.Contains("TROVE_BLAS=managed", output);
    }

    [Fact]
    public void Models_lists_the_backend_before_the_algorithms()
    {
        var (code, output) = Trove("managed", "models");
        Assert.Equal(0, code);
        Assert.StartsWith("dense math: managed (", output);
        Assert.Contains("als", output);
    }

    [Fact]
    public void An_unknown_backend_is_one_line_and_exit_code_2()
    {
        var (code, output) = Trove("fastest", "models");
        Assert.Equal(2, code);
        Assert.Equal("error: TROVE_BLAS must be auto, managed or native, not 'fastest'.", output.Trim());
    }
}
