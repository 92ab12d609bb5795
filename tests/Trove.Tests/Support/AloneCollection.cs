namespace Trove.Tests.Support;

/// <summary>
/// Tests whose assertion includes a latency bound (the "no response slower than 2 s"): they run alone, after
/// the parallel tests, so a bound is judged on the server's own work and not on CPU taken by other test classes
/// on a 2-core machine.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection
{
    public const string Name = "Alone";
}
