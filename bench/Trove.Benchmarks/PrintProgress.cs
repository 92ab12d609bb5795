using Trove.Core.Training;

namespace Trove.Benchmarks;

/// <summary>Prints every status line (for --verbose runs).</summary>
public sealed class PrintProgress : IProgressReporter, IProgressTask
{
    private string _name = "";
    public IProgressTask Start(string description, long total) { _name = description; return this; }
    public void Info(string message) => Console.WriteLine("    " + message);
    public void Advance(long amount = 1) { }
    public void Status(string status) => Console.WriteLine($"    {_name}: {status}");
    public void Dispose() { }
}
