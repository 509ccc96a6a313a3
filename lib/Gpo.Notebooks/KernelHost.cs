using System.Text;
using System.Text.Json.Nodes;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Microsoft.DotNet.Interactive.CSharp;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.Formatting;
using DiagnosticSeverity = Microsoft.CodeAnalysis.DiagnosticSeverity;

namespace Gpo.Notebooks;

/// <summary>
/// The kernel process of <see cref="NotebookRunner"/>: a .NET Interactive <c>CompositeKernel</c> with one
/// <c>CSharpKernel</c> (kernel helpers such as <c>display</c> and <c>HTML</c>, as in Polyglot Notebooks and
/// the dotnet-interactive Jupyter kernel), fed one cell at a time over a line protocol so that a cell that
/// overflows the stack, hangs or is interrupted takes only this process down, never the runner.
/// <para>
/// Protocol (UTF-8 JSON, one object per line). The host says <c>{"ready": true}</c> once its kernel exists. The runner writes <c>{"where": "cell 3 (id 'x')", "code": "…"}</c>
/// on standard input; the host answers on its original standard output, while the cell runs, with
/// <c>{"add": output}</c> (an nbformat output) and <c>{"replace": i, "output": output}</c> (a display updated
/// in place), then <c>{"done": true, "failure": null | "message"}</c>. Console output of the notebook goes to the
/// cell; anything written outside a cell goes to standard error. End of input ends the process (threads the
/// notebook started included).
/// </para>
/// </summary>
public static class KernelHost
{
    /// <summary>The first argument that makes <c>Gpo.Notebooks.dll</c> a kernel host.</summary>
    public const string Argument = "--kernel-host";

    /// <summary>
    /// Compiler warnings that describe the kernel's own assemblies, not the notebook: CS1702 says a kernel
    /// package was built against Microsoft.AspNetCore.Html.Abstractions 2.3.0 while 2.3.13 is the one restored.
    /// </summary>
    private static readonly HashSet<string> HostWarnings = new(StringComparer.Ordinal) { "CS1702" };

    /// <summary>Entry point of the kernel process (<c>dotnet Gpo.Notebooks.dll --kernel-host [runner process id]</c>).</summary>
    public static async Task<int> Main(string[] args)
    {
        if (args.Length is < 1 or > 2 || args[0] != Argument || (args.Length == 2 && !int.TryParse(args[1], out _)))
        {
            await Console.Error.WriteLineAsync($"Gpo.Notebooks: the notebook kernel host, started by `gpo notebook run`; run it with {Argument}.").ConfigureAwait(false);
            return 2;
        }
        if (args.Length == 2) ExitWithParent(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture));
        var protocol = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
        Console.SetOut(Console.Error);
        using var kernel = CreateKernel();
        Send(protocol, new JsonObject { ["ready"] = true });
        using var input = new StreamReader(Console.OpenStandardInput(), Encoding.UTF8);
        while (await input.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            var request = JsonNode.Parse(line)!.AsObject();
            var failure = await RunCellAsync(kernel, (string)request["code"]!, (string)request["where"]!, message => Send(protocol, message)).ConfigureAwait(false);
            Send(protocol, new JsonObject { ["done"] = true, ["failure"] = failure });
        }
        // Foreground threads a notebook started must not keep the process alive.
        Environment.Exit(0);
        return 0;
    }

    /// <summary>Ends this process when the runner's process ends, even while a cell is busy (a killed runner leaves no kernel behind).</summary>
    private static void ExitWithParent(int parentId)
    {
        new Thread(() =>
        {
            try
            {
                using var parent = System.Diagnostics.Process.GetProcessById(parentId);
                parent.WaitForExit();
            }
            catch (ArgumentException)
            {
                // Already gone.
            }
            Environment.Exit(1);
        }) { IsBackground = true, Name = "parent watch" }.Start();
    }

    private static void Send(StreamWriter protocol, JsonObject message)
    {
        lock (protocol) protocol.WriteLine(message.ToJsonString());
    }

    /// <summary>A C# kernel as Polyglot Notebooks sets it up for a C# notebook.</summary>
    public static CompositeKernel CreateKernel()
    {
        var kernel = new CompositeKernel { new CSharpKernel().UseKernelHelpers().UseValueSharing() };
        kernel.DefaultKernelName = "csharp";
        return kernel;
    }

    /// <summary>
    /// Submits one cell and reports its outputs as they happen through <paramref name="send"/>; returns null,
    /// or the failure (naming <paramref name="where"/>): compile errors with line and column, or the exception.
    /// </summary>
    public static async Task<string?> RunCellAsync(Kernel kernel, string code, string where, Action<JsonObject> send)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(send);
        var displayed = new Dictionary<string, int>(StringComparer.Ordinal);
        var count = 0;
        void Add(JsonObject output)
        {
            send(new JsonObject { ["add"] = output });
            count++;
        }
        var command = new SubmitCode(code);
        string? failure = null;
        var errors = new List<string>();
        using var subscription = kernel.KernelEvents.Subscribe(new Observer(e =>
        {
            switch (e)
            {
                case StandardOutputValueProduced stdout:
                    Add(Stream("stdout", Text(stdout.FormattedValues)));
                    break;
                case StandardErrorValueProduced stderr:
                    Add(Stream("stderr", Text(stderr.FormattedValues)));
                    break;
                case DisplayedValueUpdated updated when updated.ValueId is not null && displayed.TryGetValue(updated.ValueId, out var index):
                    send(new JsonObject { ["replace"] = index, ["output"] = DisplayData(updated.Value, updated.FormattedValues) });
                    break;
                case ReturnValueProduced result:
                    Add(ExecuteResult(result.Value, result.FormattedValues));
                    break;
                case DisplayedValueProduced shown:
                    if (shown.ValueId is not null) displayed[shown.ValueId] = count;
                    Add(DisplayData(shown.Value, shown.FormattedValues));
                    break;
                case DiagnosticsProduced diagnostics:
                    foreach (var diagnostic in diagnostics.Diagnostics)
                    {
                        var text = $"{where}, line {diagnostic.LinePositionSpan.Start.Line + 1}, column {diagnostic.LinePositionSpan.Start.Character + 1}: {diagnostic.Severity.ToString().ToLowerInvariant()} {diagnostic.Code}: {diagnostic.Message}";
                        if (diagnostic.Severity == DiagnosticSeverity.Error) errors.Add(text);
                        else if (diagnostic.Severity == DiagnosticSeverity.Warning && !HostWarnings.Contains(diagnostic.Code)) Add(Stream("stderr", text + "\n"));
                    }
                    break;
                case ErrorProduced error:
                    Add(Stream("stderr", error.Message + "\n"));
                    break;
            }
        }));
        var result = await kernel.SendAsync(command).ConfigureAwait(false);
        var failed = result.Events.OfType<CommandFailed>().FirstOrDefault();
        if (failed is null) return null;
        if (errors.Count > 0 || failed.Exception is CodeSubmissionCompilationErrorException)
        {
            var lines = errors.Count > 0 ? errors : [$"{where}: {failed.Message}"];
            Add(Error("CompilationError", failed.Message, lines));
            failure = $"{where} does not compile:\n  {string.Join("\n  ", lines)}";
        }
        else if (failed.Exception is { } exception)
        {
            Add(Error(exception.GetType().FullName ?? exception.GetType().Name, exception.Message, exception.ToString().Split('\n').Select(l => l.TrimEnd('\r'))));
            failure = $"{where} threw {exception.GetType().FullName}: {exception.Message}";
        }
        else
        {
            Add(Error("CommandFailed", failed.Message, failed.Message.Split('\n')));
            failure = $"{where} failed: {failed.Message}";
        }
        return failure;
    }

    private static string Text(IReadOnlyCollection<FormattedValue> values) =>
        string.Concat(values.Where(v => v.MimeType == PlainTextFormatter.MimeType).Select(v => v.Value));

    private static JsonObject Stream(string name, string text) => new()
    {
        ["name"] = name,
        ["output_type"] = "stream",
        ["text"] = Notebook.SplitLines(text),
    };

    private static JsonObject DisplayData(object? value, IReadOnlyCollection<FormattedValue> formatted) => new()
    {
        ["data"] = Bundle(value, formatted),
        ["metadata"] = new JsonObject(),
        ["output_type"] = "display_data",
    };

    private static JsonObject ExecuteResult(object? value, IReadOnlyCollection<FormattedValue> formatted) => new()
    {
        ["data"] = Bundle(value, formatted),
        ["execution_count"] = 0, // numbered by the runner
        ["metadata"] = new JsonObject(),
        ["output_type"] = "execute_result",
    };

    private static JsonObject Error(string name, string value, IEnumerable<string> traceback) => new()
    {
        ["ename"] = name,
        ["evalue"] = value,
        ["output_type"] = "error",
        ["traceback"] = new JsonArray(traceback.Select(l => (JsonNode?)l).ToArray()),
    };

    /// <summary>
    /// The MIME bundle of a displayed value: every MIME type a <c>TypeFormatterSourceAttribute</c> type offers
    /// (figures: plotly JSON, HTML, a static image; see <see cref="RichOutput"/>) — the kernel itself picks only the
    /// preferred one, which viewers without plotly cannot draw; text/plain alone for numbers, strings and other
    /// plain values; what the kernel formatted (HTML tables for objects and DataFrames) plus text/plain otherwise.
    /// </summary>
    private static JsonObject Bundle(object? value, IReadOnlyCollection<FormattedValue> formatted)
    {
        if (value is not null && RichOutput.HasFormatterSource(value.GetType())) return RichOutput.Bundle(value, []);
        var bundle = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (!IsPlain(value))
            foreach (var item in formatted) bundle[item.MimeType] = item.Value;
        if (!bundle.ContainsKey(PlainTextFormatter.MimeType))
            bundle[PlainTextFormatter.MimeType] = value is null ? "<null>" : value.ToDisplayString(PlainTextFormatter.MimeType);
        var data = new JsonObject();
        foreach (var (mimeType, text) in bundle)
            data[mimeType] = RichOutput.IsJsonMimeType(mimeType) ? JsonNode.Parse(text) : Notebook.SplitLines(text.ReplaceLineEndings("\n"));
        return data;
    }

    private static bool IsPlain(object? value) =>
        value is null or string or bool or char or Enum || value.GetType().IsPrimitive || value is decimal or IFormattable and not System.Collections.IEnumerable;

    /// <summary>An <see cref="IObserver{T}"/> from a callback (the kernel's event stream never errors or completes for us).</summary>
    private sealed class Observer(Action<KernelEvent> onNext) : IObserver<KernelEvent>
    {
        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }

        public void OnNext(KernelEvent value) => onNext(value);
    }
}
