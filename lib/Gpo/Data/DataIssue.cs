namespace Gpo.Data;

/// <summary>
/// Something a loader noticed and handled (a renormalised vector, a rejected row, a dropped question,
/// a conflict between files). Every issue names where it came from so a user can look at the row.
/// </summary>
/// <param name="File">Source file name (relative to the loaded path where possible).</param>
/// <param name="Line">1-based line in the file, when the format has lines that matter.</param>
/// <param name="Field">Column, JSON key or record field, when known.</param>
/// <param name="Message">What was found and what the loader did about it.</param>
public sealed record DataIssue(string File, int? Line, string? Field, string Message)
{
    public override string ToString() =>
        $"{File}{(Line is { } line ? $":{line}" : "")}{(Field is null ? "" : $" [{Field}]")}: {Message}";
}

/// <summary>
/// Malformed input that cannot be loaded (bad quoting, wrong column count, option/vector length mismatch,
/// unknown format, bad JSON). The message always names the file, and the line and field where known.
/// </summary>
public sealed class DataFormatException : Exception
{
    public DataFormatException(string file, int? line, string? field, string problem, Exception? inner = null)
        : base(Describe(file, line, field, problem), inner)
    {
        File = file;
        Line = line;
        Field = field;
        Problem = problem;
    }

    public DataFormatException() { File = ""; Problem = ""; }
    public DataFormatException(string message) : base(message) { File = ""; Problem = message; }
    public DataFormatException(string message, Exception inner) : base(message, inner) { File = ""; Problem = message; }

    public string File { get; }
    public int? Line { get; }
    public string? Field { get; }
    public string Problem { get; }

    private static string Describe(string file, int? line, string? field, string problem) =>
        $"{file}{(line is { } l ? $", line {l}" : "")}{(field is null ? "" : $", field '{field}'")}: {problem}";
}
