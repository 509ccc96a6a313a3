using System.Globalization;

namespace Gpo.IO;

/// <summary>
/// An input beyond one of the documented <see cref="InputLimits"/> (nesting depth, file size, token counts): the
/// message names the input, the limit and its value.
/// </summary>
public sealed class LimitExceededException : Exception
{
    public LimitExceededException() { }
    public LimitExceededException(string message) : base(message) { }
    public LimitExceededException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// The limits every reader applies, so that no input can exhaust the stack, the memory or the patience of a user
/// (documented in docs/robustness.md). Each has a message that names it when it is exceeded.
/// </summary>
public static class InputLimits
{
    /// <summary>Deepest nesting of lists/dicts in a Python literal and of arrays/objects in JSON.</summary>
    public const int MaxNestingDepth = 64;

    /// <summary>Largest data file read (dataset files, embeddings, checkpoints): 2 GiB.</summary>
    public const long MaxDataFileBytes = 2L << 30;

    /// <summary>Largest <c>gpo predict</c> input document: 256 MiB.</summary>
    public const long MaxPredictInputBytes = 256L << 20;

    /// <summary>Most context tokens in one <c>gpo predict</c> call (every target attends to all of them).</summary>
    public const int MaxContextTokens = 10_000;

    /// <summary>Most target options (tokens) in one <c>gpo predict</c> call; they are evaluated in slices of <see cref="TargetTokensPerPass"/>.</summary>
    public const int MaxTargetTokens = 200_000;

    /// <summary>Target tokens per forward pass of <c>gpo predict</c> (bounds the attention memory).</summary>
    public const int TargetTokensPerPass = 4_096;

    /// <summary>
    /// Checks that <paramref name="path"/> is a non-empty regular file of at most <paramref name="maxBytes"/> bytes.
    /// Devices and pipes (<c>/dev/zero</c>, <c>/dev/stdin</c>) report no size and are refused before anything is read.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="display">How messages name it.</param>
    /// <param name="maxBytes">The size limit (default <see cref="MaxDataFileBytes"/>).</param>
    public static void CheckFile(string path, string display, long maxBytes = MaxDataFileBytes)
    {
        var (problem, isLimit) = FileProblem(path, maxBytes);
        if (problem is null) return;
        if (isLimit) throw new LimitExceededException($"{display}: {problem}");
        throw new InvalidDataException($"{display}: {problem}");
    }

    /// <summary>What is wrong with <paramref name="path"/> as an input file (null when nothing), and whether it is the size limit.</summary>
    public static (string? Problem, bool IsLimit) FileProblem(string path, long maxBytes = MaxDataFileBytes)
    {
        var info = new FileInfo(path);
        if (!info.Exists) return ("no such file", false);
        if (info.Length == 0) return ("empty, or not a regular file (a device or a pipe); give a data file", false);
        if (info.Length > maxBytes)
            return (string.Create(CultureInfo.InvariantCulture, $"{info.Length:N0} bytes, beyond the limit of {maxBytes:N0} bytes for this kind of input"), true);
        return (null, false);
    }
}
