using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Gpo.Training;
using Spectre.Console;

namespace Gpo.Cli;

/// <summary>
/// Console plumbing shared by the commands: human output on stderr, and one error policy — every failure becomes
/// one line <c>gpo NAME: message</c> (control characters made visible, long messages cut) and exit code
/// <see cref="ExitFailure"/>; usage errors exit <see cref="ExitUsage"/>; an interrupted command exits
/// <see cref="ExitInterrupted"/> (SIGINT or SIGTERM; its work so far is kept for a rerun).
/// </summary>
internal static class Terminal
{
    /// <summary>Bad input, a missing file, a failed or diverged run.</summary>
    public const int ExitFailure = 1;

    /// <summary>A usage error: unknown option, missing or out-of-range option value.</summary>
    public const int ExitUsage = 2;

    /// <summary>Stopped by SIGINT or SIGTERM (128 + SIGINT, as shells report it).</summary>
    public const int ExitInterrupted = 130;

    /// <summary>The longest message printed; longer ones (e.g. echoing a huge field) are cut with a note.</summary>
    public const int MaxMessageLength = 2000;

    /// <summary>Set (to anything) to print the stack trace of unexpected errors as well.</summary>
    public const string DebugVariable = "GPO_DEBUG";

    /// <summary>A Spectre console on standard error, so standard output stays clean for JSON.</summary>
    public static IAnsiConsole Error => ConsoleOn(Console.Error);

    /// <summary>
    /// A Spectre console writing to <paramref name="writer"/>: colours and styles only when it is the process's own
    /// stdout or stderr and that is a terminal; plain text into files, pipes and other writers.
    /// </summary>
    public static IAnsiConsole ConsoleOn(TextWriter writer)
    {
        var terminal = (ReferenceEquals(writer, Console.Error) && !Console.IsErrorRedirected) || (ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected);
        return AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
    }

    /// <summary>Whether progress may redraw in place (stderr is an interactive terminal); otherwise it prints plain lines.</summary>
    public static bool InteractiveProgress => !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("TERM") is not (null or "dumb");

    /// <summary>Runs a command body: any failure becomes one line on stderr and an exit code (see <see cref="Terminal"/>).</summary>
    public static int Guard(string name, Func<int> body) => Guard(name, body, Console.Error);

    /// <summary>As <see cref="Guard(string, Func{int})"/>, writing the error line to <paramref name="stderr"/>.</summary>
    public static int Guard(string name, Func<int> body, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(stderr);
        try
        {
            return body();
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine($"gpo {name}: interrupted; what was saved is kept: rerun the same command to resume.");
            return ExitInterrupted;
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"gpo {name}: {Sanitize(e.Message)}");
            return ExitUsage;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidDataException or IOException or Gpo.Data.DataFormatException
                                      or InvalidOperationException or KeyNotFoundException or UnauthorizedAccessException or Gpo.Embeddings.ModelFetchException
                                      or Gpo.Embeddings.EmbeddingServerException or HttpRequestException or System.Text.Json.JsonException
                                      or NotSupportedException or OverflowException or Gpo.Data.PythonLiteralException or Gpo.IO.LimitExceededException
                                      or Gpo.Llm.LlmServerException or Gpo.Llm.LlmResponseException)
        {
            stderr.WriteLine($"gpo {name}: {Sanitize(e.Message)}");
            return ExitFailure;
        }
        catch (OutOfMemoryException)
        {
            stderr.WriteLine($"gpo {name}: out of memory; the input is too large for this machine.");
            return ExitFailure;
        }
        catch (Exception e) when (e is not StackOverflowException)
        {
            // Not an expected failure, but still one line (a bug report needs the type; GPO_DEBUG adds the trace).
            stderr.WriteLine($"gpo {name}: unexpected error ({e.GetType().Name}): {Sanitize(e.Message)}");
            if (Environment.GetEnvironmentVariable(DebugVariable) is { Length: > 0 }) stderr.WriteLine(e.ToString());
            return ExitFailure;
        }
    }

    /// <summary>
    /// Text from data files, servers or exceptions made safe for a terminal: control characters (ESC, BEL, C1, DEL,
    /// bidirectional overrides; newlines too, since a message is one line) become visible <c>\u001b</c>-style escapes,
    /// and text beyond <paramref name="maxLength"/> characters is replaced by a count.
    /// </summary>
    public static string Sanitize(string? text, int maxLength = MaxMessageLength)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var builder = new StringBuilder(Math.Min(text.Length, maxLength) + 16);
        var i = 0;
        for (; i < text.Length && builder.Length < maxLength; i++)
        {
            var c = text[i];
            if (char.IsControl(c) || c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069')
                builder.Append(c == '\n' ? " " : string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"));
            else builder.Append(c);
        }
        if (i < text.Length) builder.Append(CultureInfo.InvariantCulture, $"… ({text.Length - i} more characters)");
        return builder.ToString();
    }

    /// <summary>
    /// Reports progress: a redrawn progress bar on a terminal; otherwise (a log file, a pipe) one plain line per update
    /// and never the same line twice.
    /// </summary>
    public static void WithProgress(IAnsiConsole console, string label, Action<Action<double, double, string>> work)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(work);
        if (!InteractiveProgress)
        {
            string? last = null;
            work((value, max, description) =>
            {
                var line = Sanitize(string.IsNullOrEmpty(description) ? string.Create(CultureInfo.InvariantCulture, $"{label} {value:0}/{max:0}") : description);
                if (line == last) return;
                last = line;
                Console.Error.WriteLine(line);
            });
            return;
        }
        console.Progress()
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape(label), maxValue: 1);
                work((value, max, description) =>
                {
                    task.MaxValue = Math.Max(1, max);
                    task.Value = value;
                    if (!string.IsNullOrEmpty(description)) task.Description = Markup.Escape(Sanitize(description));
                });
                task.Value = task.MaxValue;
            });
    }

    /// <summary>Trains with a progress bar (or plain lines) showing step, loss, validation score, steps/s and time left.</summary>
    public static TrainingResult TrainWithProgress(IAnsiConsole console, MetaTrainer trainer, RunFolder run, string label, JsonObject? describe, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(trainer);
        TrainingResult? result = null;
        WithProgress(console, label, report =>
        {
            result = trainer.Train(run, p => report(p.Step, p.TotalSteps, Describe(label, p)), cancellation, describe);
        });
        return result!;
    }

    /// <summary>One progress line of a training run.</summary>
    public static string Describe(string label, TrainingProgress p) => string.Create(CultureInfo.InvariantCulture,
        $"{label} step {p.Step}/{p.TotalSteps} loss {p.Loss:F4} val {(p.ValidationScore is { } v ? v.ToString("F4", CultureInfo.InvariantCulture) : "–")} best {p.BestScore:F4}@{p.BestStep} {p.StepsPerSecond:F1} steps/s");
}

/// <summary>A usage error found after parsing (e.g. two options that exclude each other): exit code 2.</summary>
internal sealed class UsageException : Exception
{
    public UsageException() { }
    public UsageException(string message) : base(message) { }
    public UsageException(string message, Exception inner) : base(message, inner) { }
}
