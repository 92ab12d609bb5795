namespace Trove.Core.Errors;

/// <summary>
/// An error the user can act on (bad input, unknown id, missing library). The CLI prints its
/// message on one line and exits with code 2 instead of showing a stack trace.
/// </summary>
public class TroveException : Exception
{
    public TroveException(string message) : base(message) { }
    public TroveException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>Malformed input: names the file, the 1-based line and the field at fault.</summary>
public sealed class DataFormatException : TroveException
{
    public string File { get; }
    public long Line { get; }
    public string? Field { get; }
    public string Problem { get; }

    public DataFormatException(string file, long line, string? field, string problem)
        : base(Format(file, line, field, problem))
    {
        File = file; Line = line; Field = field; Problem = problem;
    }

    private static string Format(string file, long line, string? field, string problem)
    {
        var where = line > 0 ? $"{file}:{line}" : file;
        return field is null ? $"{where}: {problem}" : $"{where}: field '{field}': {problem}";
    }
}
