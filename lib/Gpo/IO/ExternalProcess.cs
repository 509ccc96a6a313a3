using System.ComponentModel;
using System.Diagnostics;

namespace Gpo.IO;

/// <summary>The outcome of <see cref="ExternalProcess.Run"/>: exit code (-1 when killed at the timeout) and captured output.</summary>
public sealed record ProcessResult(int ExitCode, bool TimedOut, string StandardOutput, string StandardError)
{
    public bool Succeeded => !TimedOut && ExitCode == 0;
}

/// <summary>Runs a helper program (npm, chromium) with arguments, a working folder and a timeout.</summary>
public static class ExternalProcess
{
    /// <summary>
    /// Runs <paramref name="fileName"/> with <paramref name="arguments"/> (passed as separate arguments, no
    /// shell), capturing stdout and stderr. Kills the whole process tree when <paramref name="timeout"/> passes.
    /// Throws <see cref="FileNotFoundException"/> when the program cannot be started.
    /// </summary>
    public static ProcessResult Run(string fileName, IEnumerable<string> arguments, TimeSpan timeout, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new FileNotFoundException($"Cannot start '{fileName}': {e.Message}", fileName, e);
        }
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var exited = process.WaitForExit(timeout);
        if (!exited)
        {
            try { process.Kill(entireProcessTree: true); }
            catch (InvalidOperationException) { }
            process.WaitForExit();
        }
        else
        {
            process.WaitForExit(); // drains the redirected streams
        }
        return new ProcessResult(exited ? process.ExitCode : -1, !exited, stdout.Result, stderr.Result);
    }

    /// <summary>The full path of <paramref name="name"/> found on PATH, or null.</summary>
    public static string? FindOnPath(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var folder in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(folder, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
