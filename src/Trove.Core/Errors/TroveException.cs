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

/// <summary>
/// Malformed input: names the file, the 1-based line and the field at fault. The message is always one
/// line of bounded length: problems often quote the input (a bad value, the rest of a JSON document after
/// a bad literal, a 10 MB field), so line breaks and control characters are escaped and a long problem is cut.
/// </summary>
public sealed class DataFormatException : TroveException
{
    /// <summary>Longest problem text kept in the message (characters).</summary>
    public const int MaxProblemChars = 400;

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
        problem = OneLine(problem, MaxProblemChars);
        return field is null ? $"{where}: {problem}" : $"{where}: field '{OneLine(field, 200)}': {problem}";
    }

    private static string OneLine(string text, int max)
    {
        var sb = new System.Text.StringBuilder(Math.Min(text.Length, max + 16));
        foreach (var c in text)
        {
            if (sb.Length >= max) return sb.Append(" [...]").ToString();
            sb.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }
        return sb.ToString();
    }
}
