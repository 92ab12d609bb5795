namespace Trove.Tests.Fuzz;

/// <summary>
/// Mutation fuzzing of every reader (seeds in <see cref="FuzzTargets"/>, mutations in <see cref="Mutator"/>):
/// malformed input ends in a one-line TroveException naming the file, never another exception and never a hang.
/// Fixed seeds; FUZZ_ITERATIONS / FUZZ_SEED make the long run (bench/fuzz).
/// </summary>
[Trait("Category", "Fuzz")]
public class ReaderFuzzTests
{
    [Theory]
    [MemberData(nameof(FuzzTargets.Names), MemberType = typeof(FuzzTargets))]
    public void Random_mutations_of_valid_files_fail_cleanly(string target)
    {
        var findings = FuzzRunner.Mutations(FuzzTargets.Get(target), FuzzRunner.Iterations(120), FuzzRunner.Seed(20261123));
        Assert.True(findings.Count == 0, $"{findings.Count} findings:\n" + string.Join("\n", findings.Take(25)));
    }

    [Theory]
    [MemberData(nameof(FuzzTargets.Names), MemberType = typeof(FuzzTargets))]
    public void Extreme_inputs_fail_cleanly(string target)
    {
        var findings = FuzzRunner.Extremes(FuzzTargets.Get(target));
        Assert.True(findings.Count == 0, $"{findings.Count} findings:\n" + string.Join("\n", findings.Take(25)));
    }
}
