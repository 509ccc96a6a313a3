using System.Text.Json.Nodes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Scripting;

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
}

/// <summary>The outcome of a run: where the notebook was written and, if a cell failed, which and why.</summary>
public sealed record NotebookRunResult(string NotebookPath, string OutputPath, int ExecutedCells, string? Failure)
{
    public bool Succeeded => Failure is null;
}

/// <summary>
/// Runs a Polyglot-format C# notebook headlessly, like <c>jupyter nbconvert --execute</c>: code cells in
/// order as one Roslyn script session (<c>CSharpScript.RunAsync</c> for the first cell,
/// <c>ScriptState.ContinueWithAsync</c> for each next one, so variables and usings carry over), with
/// .NET Interactive's default imports, <see cref="NotebookGlobals"/> (<c>display</c>, <c>HTML</c>), each
/// cell's console output, displays, trailing-expression value or error recorded as its outputs. The first
/// failing cell stops the run; the notebook is written either way (atomically), and later cells are left
/// without outputs.
/// <para>
/// <c>#r "x.dll"</c> paths are relative to the notebook's folder. Roslyn 5.12 resolves a relative <c>#r</c>
/// against the folder of <c>ScriptOptions.FilePath</c>, then the metadata resolver's base directory (either
/// alone is enough; without them it uses the process's current directory); both are set to the notebook,
/// and the source resolver's base directory too, for <c>#load</c>. The current directory is that folder
/// while the notebook runs, as in Jupyter and Polyglot. <c>#r</c> and <c>using</c> lines go at the top of
/// a cell. A first line <c>#!csharp</c> is accepted; other magic commands (<c>#!fsharp</c>, <c>#!time</c>,
/// …) and NuGet references (<c>#r "nuget: …"</c>, <c>#i</c>) are refused before anything runs.
/// </para>
/// Console output is captured by redirecting <see cref="Console"/>, which is process-wide, so runs in one
/// process take turns.
/// </summary>
public static class NotebookRunner
{
    /// <summary>The namespaces a Polyglot C# cell has without any <c>using</c>.</summary>
    public static IReadOnlyList<string> DefaultImports { get; } =
        ["System", "System.Text", "System.Collections", "System.Collections.Generic", "System.Threading.Tasks", "System.Linq"];

    private static readonly SemaphoreSlim OneRunAtATime = new(1, 1);

    /// <summary>
    /// Runs <paramref name="notebookPath"/>. Throws <see cref="NotebookException"/> (naming file and cell) when
    /// the notebook cannot be run as given; a cell that fails is reported in the result and in the notebook.
    /// </summary>
    public static async Task<NotebookRunResult> RunAsync(string notebookPath, NotebookRunOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new NotebookRunOptions();
        var fullPath = Path.GetFullPath(notebookPath);
        var notebook = Notebook.Load(fullPath);
        CheckDirectives(notebook);
        InjectParameters(notebook, options.Parameters);
        var outputPath = options.OutputFolder is null ? fullPath : Path.Combine(Path.GetFullPath(options.OutputFolder), Path.GetFileName(fullPath));

        await OneRunAtATime.WaitAsync(cancellationToken).ConfigureAwait(false);
        var (stdout, stderr, currentDirectory) = (Console.Out, Console.Error, Environment.CurrentDirectory);
        try
        {
            Environment.CurrentDirectory = Path.GetDirectoryName(fullPath)!;
            var (executed, failure) = await ExecuteCellsAsync(notebook, fullPath, options.Log, cancellationToken).ConfigureAwait(false);
            notebook.Save(outputPath);
            NotebookValidator.ThrowIfInvalid(outputPath);
            return new NotebookRunResult(fullPath, outputPath, executed, failure);
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
            Environment.CurrentDirectory = currentDirectory;
            OneRunAtATime.Release();
        }
    }

    /// <summary>The script options of every cell of the notebook at <paramref name="notebookPath"/>.</summary>
    public static ScriptOptions ScriptOptionsFor(string notebookPath)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(notebookPath))!;
        return ScriptOptions.Default
            .WithFilePath(Path.GetFullPath(notebookPath))
            .WithMetadataResolver(ScriptMetadataResolver.Default.WithBaseDirectory(folder))
            .WithSourceResolver(ScriptSourceResolver.Default.WithBaseDirectory(folder))
            .AddReferences(typeof(object).Assembly, typeof(Enumerable).Assembly, typeof(List<>).Assembly, typeof(Console).Assembly,
                typeof(System.Collections.ArrayList).Assembly, typeof(System.Text.RegularExpressions.Regex).Assembly)
            .WithImports(DefaultImports);
    }

    private static async Task<(int Executed, string? Failure)> ExecuteCellsAsync(Notebook notebook, string path, TextWriter? log, CancellationToken cancellationToken)
    {
        var scriptOptions = ScriptOptionsFor(path);
        var globals = new NotebookGlobals();
        ScriptState<object>? state = null;
        var codeCellCount = notebook.Cells.Count(c => Notebook.CellType((JsonObject)c!) == "code");
        var executed = 0;
        string? failure = null;
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
            var cellOutputs = new CellOutputs(outputs);
            globals.Outputs = cellOutputs;
            log?.WriteLine($"{Path.GetFileName(path)}: {Notebook.Describe(cell, i)}, code cell {executed}/{codeCellCount}");
            var code = WithoutKernelLine(Notebook.Source(cell));
            Console.SetOut(new CellStreamWriter(cellOutputs, "stdout"));
            Console.SetError(new CellStreamWriter(cellOutputs, "stderr"));
            try
            {
                state = state is null
                    ? await CSharpScript.RunAsync(code, scriptOptions, globals, typeof(NotebookGlobals), cancellationToken).ConfigureAwait(false)
                    : await state.ContinueWithAsync(code, scriptOptions, cancellationToken).ConfigureAwait(false);
                if (HasTrailingExpression(state.Script))
                    cellOutputs.Add(RichOutput.ExecuteResult(state.ReturnValue, executed));
            }
            catch (CompilationErrorException e)
            {
                var errors = e.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
                var lines = errors.Select(d => FormatDiagnostic(d, cell, i)).ToList();
                cellOutputs.Add(Error("CompilationError", string.Join("\n", errors.Select(d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture))), lines));
                failure = $"{path}: {Notebook.Describe(cell, i)} does not compile:\n  {string.Join("\n  ", lines)}";
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                cellOutputs.Add(Error(e.GetType().FullName ?? e.GetType().Name, e.Message, e.ToString().Split('\n').Select(l => l.TrimEnd('\r'))));
                failure = $"{path}: {Notebook.Describe(cell, i)} threw {e.GetType().FullName}: {e.Message}";
            }
            finally
            {
                cellOutputs.Flush();
                globals.Outputs = null;
            }
        }
        return (executed, failure);
    }

    /// <summary>
    /// True when the cell ends in an expression without a semicolon that has a value (not void, not a plain
    /// awaited Task) — the value Polyglot shows as the cell's result, even when it is null.
    /// </summary>
    private static bool HasTrailingExpression(Script script)
    {
        var compilation = script.GetCompilation();
        var tree = compilation.SyntaxTrees.Single();
        if (((CompilationUnitSyntax)tree.GetRoot()).Members.LastOrDefault() is not GlobalStatementSyntax { Statement: ExpressionStatementSyntax statement }
            || !statement.SemicolonToken.IsMissing)
            return false;
        var type = compilation.GetSemanticModel(tree).GetTypeInfo(statement.Expression).Type;
        return type is not null && type.SpecialType != SpecialType.System_Void;
    }

    private static JsonObject Error(string name, string value, IEnumerable<string> traceback) => new()
    {
        ["ename"] = name,
        ["evalue"] = value,
        ["output_type"] = "error",
        ["traceback"] = new JsonArray(traceback.Select(l => (JsonNode?)l).ToArray()),
    };

    /// <summary>"cell 3 (id 'abc'), line 2, column 5: error CS0103: The name 'x' does not exist …"; lines count within the cell.</summary>
    private static string FormatDiagnostic(Diagnostic diagnostic, JsonObject cell, int index)
    {
        var position = diagnostic.Location.GetLineSpan().StartLinePosition;
        return $"{Notebook.Describe(cell, index)}, line {position.Line + 1}, column {position.Character + 1}: error {diagnostic.Id}: {diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
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
}
