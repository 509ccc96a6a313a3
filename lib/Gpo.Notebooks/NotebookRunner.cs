using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Gpo.Notebooks;

/// <summary>How to run a notebook.</summary>
public sealed record NotebookRunOptions
{
    /// <summary>New values for variables of the cell tagged <c>parameters</c> (name → text, e.g. quick → "true").</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; init; } = new Dictionary<string, string>();

    /// <summary>Where the executed notebook goes: null writes it back in place, else to this folder under the same file name.</summary>
    public string? OutputFolder { get; init; }

    /// <summary>Progress lines ("cell 3/12 …"), or null for none.</summary>
    public TextWriter? Log { get; init; }

    /// <summary>The longest one cell may run; null for no limit. A cell over it is stopped (its kernel process ends) and the run fails.</summary>
    public TimeSpan? CellTimeout { get; init; }
}

/// <summary>The outcome of a run: where the notebook was written and, if a cell failed, which and why.</summary>
/// <param name="NotebookPath">The notebook that was run.</param>
/// <param name="OutputPath">Where the executed notebook was written.</param>
/// <param name="ExecutedCells">Code cells that ran (the failing one included).</param>
/// <param name="Failure">Null, or which cell failed and why (file, cell, line).</param>
/// <param name="Warnings">Compiler warnings the cells printed, one line each, naming cell, line and column.</param>
/// <param name="Interrupted">True when the run was cancelled (Ctrl+C, SIGTERM) while a cell ran.</param>
public sealed record NotebookRunResult(string NotebookPath, string OutputPath, int ExecutedCells, string? Failure, IReadOnlyList<string> Warnings, bool Interrupted = false)
{
    public bool Succeeded => Failure is null;
}

/// <summary>
/// Runs a C# notebook headlessly on the .NET Interactive C# kernel — the kernel Polyglot Notebooks and the
/// dotnet-interactive Jupyter kernel run — like <c>jupyter nbconvert --execute</c> or papermill: code cells in
/// order in one kernel session (variables and usings carry over), each cell's console output, displays,
/// result value, compiler warnings and error recorded as its outputs. The first failing cell stops the run;
/// the notebook is written either way (atomically), later cells left without outputs.
/// <para>
/// The kernel runs in a child process (<see cref="KernelHost"/>, the current directory set to the notebook's
/// folder, so <c>#r "../x.dll"</c> is relative to the notebook as in VS Code and Jupyter). A cell that overflows
/// the stack (which ends a .NET process), runs past <see cref="NotebookRunOptions.CellTimeout"/> or is
/// interrupted ends only that process: the cell gets an error output saying what happened, and the run reports
/// it. A first line <c>#!csharp</c> is accepted; other magic commands (<c>#!fsharp</c>, <c>#!time</c>, …) and
/// NuGet references (<c>#r "nuget: …"</c>, <c>#i</c>) are refused before anything runs.
/// </para>
/// </summary>
public static class NotebookRunner
{
    /// <summary>
    /// Runs <paramref name="notebookPath"/>. Throws <see cref="NotebookException"/> (naming file and cell or field)
    /// when the notebook cannot be run as given or its output cannot be written — before any cell runs; a cell
    /// that fails is reported in the result and in the notebook.
    /// </summary>
    public static async Task<NotebookRunResult> RunAsync(string notebookPath, NotebookRunOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new NotebookRunOptions();
        if (options.CellTimeout is { } limit && limit <= TimeSpan.Zero)
            throw new NotebookException($"the per-cell timeout must be positive, not {limit.TotalSeconds} s.");
        var fullPath = Path.GetFullPath(notebookPath);
        var notebook = Notebook.Load(fullPath);
        CheckDirectives(notebook);
        InjectParameters(notebook, options.Parameters);
        var outputPath = options.OutputFolder is null ? fullPath : Path.Combine(PrepareOutputFolder(options.OutputFolder), Path.GetFileName(fullPath));
        CheckWritable(outputPath);

        var (executed, failure, warnings, interrupted) = await ExecuteCellsAsync(notebook, fullPath, outputPath, options, cancellationToken).ConfigureAwait(false);
        notebook.Save(outputPath);
        NotebookValidator.ThrowIfInvalid(outputPath);
        return new NotebookRunResult(fullPath, outputPath, executed, failure, warnings, interrupted);
    }

    /// <summary>Creates the output folder if needed; refuses a path that is a file or cannot be created, naming it.</summary>
    private static string PrepareOutputFolder(string folder)
    {
        var full = Path.GetFullPath(folder);
        if (File.Exists(full)) throw new NotebookException($"--output {folder}: is a file; give a folder for the executed notebooks.");
        try
        {
            Directory.CreateDirectory(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NotebookException($"--output {folder}: cannot create the folder: {e.Message}");
        }
        return full;
    }

    /// <summary>Checks, before anything runs, that a file can be created next to <paramref name="outputPath"/> (the atomic write's temporary file).</summary>
    private static void CheckWritable(string outputPath)
    {
        var folder = Path.GetDirectoryName(outputPath)!;
        if (Directory.Exists(outputPath)) throw new NotebookException($"{outputPath}: is a folder; the executed notebook cannot be written there.");
        var probe = Path.Combine(folder, $".{Path.GetFileName(outputPath)}.{Environment.ProcessId}.probe");
        try
        {
            using (File.Create(probe, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NotebookException($"{folder}: cannot write the executed notebook there ({e.Message}); nothing was run.");
        }
    }

    /// <summary>
    /// Runs the code cells; after each one the notebook is saved (atomically) to <paramref name="outputPath"/>, with
    /// the later cells' outputs cleared, so a run ended from outside (SIGKILL, a second Ctrl+C) keeps what ran.
    /// </summary>
    private static async Task<(int Executed, string? Failure, List<string> Warnings, bool Interrupted)> ExecuteCellsAsync(
        Notebook notebook, string path, string outputPath, NotebookRunOptions options, CancellationToken cancellationToken)
    {
        var codeCellCount = notebook.Cells.Count(c => Notebook.CellType((JsonObject)c!) == "code");
        var executed = 0;
        string? failure = null;
        var interrupted = false;
        var warnings = new List<string>();
        KernelProcess? kernel = null;
        try
        {
            for (var i = 0; i < notebook.Cells.Count; i++)
            {
                var cell = (JsonObject)notebook.Cells[i]!;
                if (Notebook.CellType(cell) != "code") continue;
                var outputs = new JsonArray();
                cell["outputs"] = outputs;
                if (failure is not null)
                {
                    cell["execution_count"] = null;
                    continue;
                }
                executed++;
                cell["execution_count"] = executed;
                var where = Notebook.Describe(cell, i);
                options.Log?.WriteLine($"{Path.GetFileName(path)}: {where}, code cell {executed}/{codeCellCount}");
                kernel ??= KernelProcess.Start(path);
                var outcome = await kernel.RunCellAsync(WithoutKernelLine(Notebook.Source(cell)), where, outputs, options.CellTimeout, cancellationToken).ConfigureAwait(false);
                foreach (var output in outputs)
                {
                    if ((string?)output!["output_type"] == "execute_result") output["execution_count"] = executed;
                    if ((string?)output["output_type"] == "stream")
                        warnings.AddRange(Notebook.JoinText(output["text"]).Split('\n').Where(l => l.StartsWith(where, StringComparison.Ordinal) && l.Contains(": warning ", StringComparison.Ordinal)));
                }
                failure = outcome.Failure is null ? null : $"{path}: {outcome.Failure}";
                interrupted = outcome.Interrupted;
                if (failure is null) SaveSoFar(notebook, i, outputPath);
            }
        }
        finally
        {
            kernel?.Dispose();
        }
        return (executed, failure, warnings, interrupted);
    }

    /// <summary>Saves the notebook as it would be if the run stopped after cell <paramref name="last"/>: later code cells without outputs.</summary>
    private static void SaveSoFar(Notebook notebook, int last, string outputPath)
    {
        var later = new List<(JsonObject Cell, JsonNode? Outputs, JsonNode? Count)>();
        for (var j = last + 1; j < notebook.Cells.Count; j++)
        {
            var cell = (JsonObject)notebook.Cells[j]!;
            if (Notebook.CellType(cell) != "code") continue;
            later.Add((cell, cell["outputs"], cell["execution_count"]));
            cell["outputs"] = new JsonArray();
            cell["execution_count"] = null;
        }
        try
        {
            notebook.Save(outputPath);
        }
        finally
        {
            foreach (var (cell, outputs, count) in later)
            {
                cell["outputs"] = outputs;
                cell["execution_count"] = count;
            }
        }
    }

    /// <summary>The source with a first line <c>#!csharp</c> (or <c>#!c#</c>) blanked, so line numbers stay those of the cell.</summary>
    private static string WithoutKernelLine(string source)
    {
        var end = source.IndexOf('\n');
        var first = (end < 0 ? source : source[..end]).Trim();
        return IsKernelLine(first) ? (end < 0 ? "" : source[end..]) : source;
    }

    private static bool IsKernelLine(string line) => line is "#!csharp" or "#!c#" or "#!C#";

    /// <summary>Refuses magic commands other than a first-line <c>#!csharp</c>, and NuGet references, naming the cell and line.</summary>
    private static void CheckDirectives(Notebook notebook)
    {
        for (var i = 0; i < notebook.Cells.Count; i++)
        {
            var cell = (JsonObject)notebook.Cells[i]!;
            if (Notebook.CellType(cell) != "code") continue;
            var lines = Notebook.Source(cell).Split('\n');
            for (var l = 0; l < lines.Length; l++)
            {
                var line = lines[l].Trim();
                var where = $"{notebook.Path}: {Notebook.Describe(cell, i)}, line {l + 1}";
                if (line.StartsWith("#!", StringComparison.Ordinal) && !(l == 0 && IsKernelLine(line)))
                    throw new NotebookException($"{where}: the magic command '{line.Split(' ')[0]}' is not supported by gpo notebook run; only '#!csharp' as a cell's first line is (write plain C#).");
                if (line.StartsWith("#r", StringComparison.Ordinal) && line[2..].TrimStart().StartsWith("\"nuget:", StringComparison.OrdinalIgnoreCase))
                    throw new NotebookException($"{where}: NuGet references ({line}) are not supported by gpo notebook run; reference a built assembly with #r \"relative/path.dll\" (its dependencies next to it).");
                if (line.StartsWith("#i ", StringComparison.Ordinal) || line == "#i")
                    throw new NotebookException($"{where}: package sources (#i) are not supported by gpo notebook run.");
            }
        }
    }

    /// <summary>Removes injected-parameters cells of earlier runs; injects one after the <c>parameters</c> cell when values are given.</summary>
    private static void InjectParameters(Notebook notebook, IReadOnlyDictionary<string, string> values)
    {
        for (var i = notebook.Cells.Count - 1; i >= 0; i--)
            if (Notebook.Tags((JsonObject)notebook.Cells[i]!).Contains(NotebookParameters.InjectedTag)) notebook.Cells.RemoveAt(i);
        if (values.Count == 0) return;
        var index = Enumerable.Range(0, notebook.Cells.Count)
            .FirstOrDefault(i => Notebook.Tags((JsonObject)notebook.Cells[i]!).Contains(NotebookParameters.ParametersTag), -1);
        if (index < 0)
            throw new NotebookException($"{notebook.Path}: parameters {string.Join(", ", values.Keys)} were given, but no cell is tagged '{NotebookParameters.ParametersTag}'.");
        var cell = (JsonObject)notebook.Cells[index]!;
        var source = NotebookParameters.InjectedSource(Notebook.Source(cell), values, $"{notebook.Path}: {Notebook.Describe(cell, index)}");
        notebook.Cells.Insert(index + 1, Notebook.NewCodeCell(NotebookParameters.InjectedTag, source, NotebookParameters.InjectedTag));
    }

    /// <summary>What became of one cell: null failure when it ran cleanly.</summary>
    private sealed record CellOutcome(string? Failure, bool Interrupted = false);

    /// <summary>The kernel host process of one notebook run and its line protocol (see <see cref="KernelHost"/>).</summary>
    private sealed class KernelProcess : IDisposable
    {
        private const int StderrLinesKept = 200;
        private readonly Process _process;
        private readonly Channel<JsonObject> _messages = Channel.CreateUnbounded<JsonObject>();
        private readonly List<string> _stderr = [];
        private readonly Task _stderrReader;
        private int _stderrSeen;
        private bool _ready;

        private KernelProcess(Process process)
        {
            _process = process;
            _ = Task.Run(ReadMessagesAsync);
            _stderrReader = Task.Run(ReadErrorsAsync);
        }

        /// <summary>Starts <c>dotnet Gpo.Notebooks.dll --kernel-host</c> in the notebook's folder.</summary>
        public static KernelProcess Start(string notebookPath)
        {
            var host = typeof(KernelHost).Assembly.Location;
            var runtimeConfig = Path.ChangeExtension(host, ".runtimeconfig.json");
            if (!File.Exists(runtimeConfig))
                throw new NotebookException($"{runtimeConfig} is missing: the notebook kernel host cannot start (rebuild lib/Gpo.Notebooks).");
            var start = new ProcessStartInfo(DotnetHost())
            {
                WorkingDirectory = Path.GetDirectoryName(notebookPath)!,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                StandardInputEncoding = new UTF8Encoding(false),
                StandardOutputEncoding = Encoding.UTF8,
                StandardErrorEncoding = Encoding.UTF8,
            };
            start.ArgumentList.Add(host);
            start.ArgumentList.Add(KernelHost.Argument);
            start.ArgumentList.Add(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            try
            {
                return new KernelProcess(Process.Start(start) ?? throw new NotebookException("the notebook kernel process did not start."));
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new NotebookException($"cannot start the notebook kernel ({start.FileName} {host}): {e.Message}");
            }
        }

        /// <summary>The <c>dotnet</c> executable of the running runtime (…/dotnet/shared/Microsoft.NETCore.App/&lt;version&gt;/ is three folders below it).</summary>
        private static string DotnetHost()
        {
            var name = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
            var root = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
            var candidate = Path.Combine(root, name);
            if (File.Exists(candidate)) return candidate;
            return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath) ? hostPath : name;
        }

        private async Task ReadMessagesAsync()
        {
            try
            {
                while (await _process.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
                {
                    JsonObject? message;
                    try
                    {
                        message = JsonNode.Parse(line) as JsonObject;
                    }
                    catch (JsonException)
                    {
                        message = null;
                    }
                    if (message is not null) await _messages.Writer.WriteAsync(message).ConfigureAwait(false);
                }
            }
            finally
            {
                _messages.Writer.TryComplete();
            }
        }

        private async Task ReadErrorsAsync()
        {
            while (await _process.StandardError.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                lock (_stderr)
                {
                    if (_stderr.Count - _stderrSeen < StderrLinesKept) _stderr.Add(line);
                }
            }
        }

        /// <summary>Runs one cell, adding its outputs to <paramref name="outputs"/> as they come.</summary>
        /// <remarks>The kernel's start-up is not part of the first cell's time: the host's "ready" is awaited first.</remarks>
        public async Task<CellOutcome> RunCellAsync(string code, string where, JsonArray outputs, TimeSpan? timeout, CancellationToken cancellationToken)
        {
            while (!_ready)
            {
                try
                {
                    _ready = (await _messages.Reader.ReadAsync(cancellationToken).ConfigureAwait(false))["ready"] is not null;
                }
                catch (OperationCanceledException)
                {
                    Kill();
                    outputs.Add(Error("Interrupted", "the run was interrupted (Ctrl+C or SIGTERM) while the kernel started", [$"{where}: interrupted before it ran."]));
                    return new CellOutcome($"{where} was interrupted; the kernel process was stopped.", Interrupted: true);
                }
                catch (ChannelClosedException)
                {
                    var (exitCode, reason) = await ExitReasonAsync().ConfigureAwait(false);
                    throw new NotebookException($"the notebook kernel process did not start (exit code {exitCode}){reason}");
                }
            }
            lock (_stderr) _stderrSeen = _stderr.Count;
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (timeout is { } t) limit.CancelAfter(t);
            try
            {
                await _process.StandardInput.WriteLineAsync(new JsonObject { ["where"] = where, ["code"] = code }.ToJsonString()).ConfigureAwait(false);
                await _process.StandardInput.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (IOException)
            {
                // The process has ended; reading below reports why.
            }
            while (true)
            {
                JsonObject message;
                try
                {
                    message = await _messages.Reader.ReadAsync(limit.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    Kill();
                    if (cancellationToken.IsCancellationRequested)
                    {
                        outputs.Add(Error("Interrupted", "the run was interrupted (Ctrl+C or SIGTERM) while this cell ran", [$"{where}: interrupted; the kernel process was stopped."]));
                        return new CellOutcome($"{where} was interrupted; the kernel process was stopped.", Interrupted: true);
                    }
                    var seconds = timeout!.Value.TotalSeconds;
                    outputs.Add(Error("CellTimeout", $"the cell ran longer than the per-cell timeout of {seconds:0.###} s", [$"{where}: stopped after {seconds:0.###} s (per-cell timeout); the kernel process was stopped."]));
                    return new CellOutcome($"{where} ran longer than the per-cell timeout of {seconds:0.###} s and was stopped.");
                }
                catch (ChannelClosedException)
                {
                    var (exitCode, reason) = await ExitReasonAsync().ConfigureAwait(false);
                    outputs.Add(Error("KernelDied", $"the kernel process ended while this cell ran (exit code {exitCode}){reason}",
                        [$"{where}: the kernel process ended (exit code {exitCode}){reason}"]));
                    return new CellOutcome($"{where}: the kernel process ended while this cell ran (exit code {exitCode}){reason}");
                }
                if (message["add"] is JsonObject output) Add(outputs, output.DeepClone().AsObject());
                else if (message["replace"] is JsonValue index && message["output"] is JsonObject replacement)
                {
                    var at = (int)index;
                    if (at >= 0 && at < outputs.Count) outputs[at] = replacement.DeepClone();
                }
                else if (message["done"] is not null) return new CellOutcome((string?)message["failure"]);
            }
        }

        /// <summary>Consecutive text on one stream becomes one stream output, as Jupyter shows it.</summary>
        private static void Add(JsonArray outputs, JsonObject output)
        {
            if ((string?)output["output_type"] == "stream" && outputs.Count > 0 && outputs[^1] is JsonObject last
                && (string?)last["output_type"] == "stream" && (string?)last["name"] == (string?)output["name"])
            {
                last["text"] = Notebook.SplitLines(Notebook.JoinText(last["text"]) + Notebook.JoinText(output["text"]));
                return;
            }
            outputs.Add(output);
        }

        /// <summary>The exit code and, from the kernel's standard error during the cell, what it said (e.g. "Stack overflow.").</summary>
        private async Task<(int ExitCode, string Reason)> ExitReasonAsync()
        {
            await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            await _stderrReader.ConfigureAwait(false);
            List<string> said;
            lock (_stderr) said = _stderr.Skip(_stderrSeen).Select(l => l.Trim()).Where(l => l.Length > 0).Take(3).ToList();
            var stackOverflow = said.Any(l => l.StartsWith("Stack overflow", StringComparison.OrdinalIgnoreCase));
            var reason = stackOverflow ? ": stack overflow (infinite recursion?)"
                : said.Count > 0 ? ": " + string.Join(" ", said)
                : "";
            return (_process.ExitCode, reason);
        }

        private void Kill()
        {
            try
            {
                if (!_process.HasExited) _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        }

        private static JsonObject Error(string name, string value, IEnumerable<string> traceback) => new()
        {
            ["ename"] = name,
            ["evalue"] = value,
            ["output_type"] = "error",
            ["traceback"] = new JsonArray(traceback.Select(l => (JsonNode?)l).ToArray()),
        };

        public void Dispose()
        {
            try
            {
                _process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The process has ended.
            }
            if (!_process.WaitForExit(TimeSpan.FromSeconds(10))) Kill();
            _process.Dispose();
        }
    }
}
