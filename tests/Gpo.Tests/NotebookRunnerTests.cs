using System.Text.Json.Nodes;
using Gpo.Figures;
using Gpo.Notebooks;

namespace Gpo.Tests;

/// <summary>Notebook runs each start a kernel process and compile much; on a small machine they take turns.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NotebookCollection
{
    public const string Name = "notebooks";
}

[Collection(NotebookCollection.Name)]
public sealed class NotebookRunnerTests : IDisposable
{
    private static readonly string FixtureFolder = Path.Combine(AppContext.BaseDirectory, "Fixtures", "notebooks");
    private readonly string _folder = Directory.CreateTempSubdirectory("gpo-notebook-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Copies a fixture notebook into the test's temporary folder and returns the copy's path.</summary>
    private string CopyFixture(string name)
    {
        var path = Path.Combine(_folder, name);
        File.Copy(Path.Combine(FixtureFolder, name), path);
        return path;
    }

    /// <summary>Copies the Gpo.dll these tests run with, and the package assemblies it references, into <paramref name="folder"/>.</summary>
    private static void CopyLibraryTo(string folder)
    {
        Directory.CreateDirectory(folder);
        var library = typeof(Figure).Assembly;
        foreach (var assembly in library.GetReferencedAssemblies().Select(a => Path.Combine(AppContext.BaseDirectory, a.Name + ".dll")).Where(File.Exists).Append(library.Location))
            File.Copy(assembly, Path.Combine(folder, Path.GetFileName(assembly)));
    }

    /// <summary>Runs a notebook with figures shown as SVG (no Chromium: fast, and the same on every machine).</summary>
    private static async Task<NotebookRunResult> RunWithoutPngAsync(string path, NotebookRunOptions options)
    {
        var previous = Environment.GetEnvironmentVariable("GPO_FIGURE_PNG");
        Environment.SetEnvironmentVariable("GPO_FIGURE_PNG", "off");
        try
        {
            return await NotebookRunner.RunAsync(path, options);
        }
        finally
        {
            Environment.SetEnvironmentVariable("GPO_FIGURE_PNG", previous);
        }
    }

    private static JsonObject ReadNotebook(string path) => (JsonObject)JsonNode.Parse(File.ReadAllText(path))!;

    private static JsonObject Cell(JsonObject notebook, string id) =>
        notebook["cells"]!.AsArray().Select(c => (JsonObject)c!).Single(c => (string?)c["id"] == id);

    private static JsonArray Outputs(JsonObject notebook, string id) => Cell(notebook, id)["outputs"]!.AsArray();

    private static string Text(JsonNode? multiline) => Notebook.JoinText(multiline);

    [Fact]
    public async Task Features_notebook_records_streams_displays_results_and_injected_parameters()
    {
        var path = CopyFixture("features.ipynb");
        var parameters = new Dictionary<string, string> { ["quick"] = "true", ["repeats"] = "3", ["scale"] = "0.25", ["label"] = "from \"cli\"" };

        var result = await NotebookRunner.RunAsync(path, new NotebookRunOptions { Parameters = parameters });

        Assert.True(result.Succeeded, result.Failure);
        Assert.Equal(path, result.OutputPath);
        Assert.Empty(NotebookValidator.ValidateFile(path));
        var notebook = ReadNotebook(path);
        var cells = notebook["cells"]!.AsArray().Select(c => (JsonObject)c!).ToList();

        // The injected cell follows the parameters cell, is tagged, and re-declares the values with the declared types.
        var injectedIndex = cells.FindIndex(c => (string?)c["id"] == NotebookParameters.InjectedTag);
        Assert.Equal(cells.FindIndex(c => (string?)c["id"] == "parameters") + 1, injectedIndex);
        Assert.Contains(NotebookParameters.InjectedTag, Notebook.Tags(cells[injectedIndex]));
        var injected = Notebook.Source(cells[injectedIndex]);
        Assert.Contains("bool quick = true;", injected, StringComparison.Ordinal);
        Assert.Contains("int repeats = 3;", injected, StringComparison.Ordinal);
        Assert.Contains("double scale = 0.25d;", injected, StringComparison.Ordinal);
        Assert.Contains("string label = \"from \\\"cli\\\"\";", injected, StringComparison.Ordinal);

        // Console output: stdout, stderr, stdout again, in order, with the overridden values.
        var streams = Outputs(notebook, "streams");
        Assert.Equal(["stdout", "stderr", "stdout"], streams.Select(o => (string)o!["name"]!));
        Assert.Equal("quick=True repeats=3 scale=0.25 label=from \"cli\"\n", Text(streams[0]!["text"]));
        Assert.Equal("to stderr\n", Text(streams[1]!["text"]));
        Assert.Equal("back to stdout\n", Text(streams[2]!["text"]));

        // display(): HTML as text/html; collections as readable text.
        var displays = Outputs(notebook, "displays");
        Assert.All(displays, o => Assert.Equal("display_data", (string)o!["output_type"]!));
        Assert.Equal("<b>bold</b>", Text(displays[0]!["data"]!["text/html"]));
        // The kernel's own plain-text formatting.
        Assert.Equal("[ 1, 2, 3 ]", Text(displays[1]!["data"]!["text/plain"]));
        Assert.Matches(@"Key: a\s+Value: 0\.5", Text(displays[2]!["data"]!["text/plain"]));

        // Top-level await and a trailing expression: an execute_result carrying the cell's execution count.
        var awaited = Assert.Single(Outputs(notebook, "await"))!;
        Assert.Equal("execute_result", (string)awaited["output_type"]!);
        Assert.Equal("42", Text(awaited["data"]!["text/plain"]));
        Assert.Equal((int)Cell(notebook, "await")["execution_count"]!, (int)awaited["execution_count"]!);

        var html = Assert.Single(Outputs(notebook, "trailing-html"))!;
        Assert.Equal("<i>trailing</i>", Text(html["data"]!["text/html"]));

        // A void call without semicolon is no result; a declaration has no output at all.
        Assert.Equal(["stream"], Outputs(notebook, "void-trailing").Select(o => (string)o!["output_type"]!));
        var generated = cells.Single(c => Notebook.Source(c) == "var noResult = 1;");
        Assert.Empty(generated["outputs"]!.AsArray());
        Assert.True(NotebookValidator.IsValidCellId((string)generated["id"]!));

        // Every code cell ran, numbered in order; the markdown cell is untouched.
        Assert.Equal(Enumerable.Range(1, 8), cells.Where(c => Notebook.CellType(c) == "code").Select(c => (int)c["execution_count"]!));
        Assert.Equal(Notebook.Source((JsonObject)ReadNotebook(Path.Combine(FixtureFolder, "features.ipynb"))["cells"]![0]!), Notebook.Source(cells[0]));
    }

    [Fact]
    public async Task Rerun_without_parameters_uses_the_defaults_and_drops_the_old_injected_cell()
    {
        var path = CopyFixture("features.ipynb");
        await NotebookRunner.RunAsync(path, new NotebookRunOptions { Parameters = new Dictionary<string, string> { ["quick"] = "true" } });
        var firstIds = ReadNotebook(path)["cells"]!.AsArray().Select(c => (string)c!["id"]!).ToList();

        var result = await NotebookRunner.RunAsync(path);

        Assert.True(result.Succeeded, result.Failure);
        var notebook = ReadNotebook(path);
        Assert.DoesNotContain(notebook["cells"]!.AsArray(), c => (string?)c!["id"] == NotebookParameters.InjectedTag);
        Assert.Equal("quick=False repeats=2 scale=0.5 label=default\n", Text(Outputs(notebook, "streams")[0]!["text"]));
        // Ids (including the one generated on the first run) stay as they were.
        Assert.Equal(firstIds.Where(id => id != NotebookParameters.InjectedTag), notebook["cells"]!.AsArray().Select(c => (string)c!["id"]!));
    }

    [Theory]
    [InlineData("unknown", "1", "unknown parameter 'unknown'")]
    [InlineData("repeats", "three", "parameter 'repeats' is int, and 'three' is not a int value")]
    [InlineData("computed", "2", "parameter 'computed' cannot be set")]
    public async Task Bad_parameters_are_refused_naming_the_cell_and_nothing_is_written(string name, string value, string message)
    {
        var path = CopyFixture("features.ipynb");
        var before = File.ReadAllBytes(path);

        var error = await Assert.ThrowsAsync<NotebookException>(() =>
            NotebookRunner.RunAsync(path, new NotebookRunOptions { Parameters = new Dictionary<string, string> { [name] = value } }));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Contains("cell 2 (id 'parameters')", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public async Task Relative_reference_to_the_built_library_displays_table_and_figure_bundles()
    {
        var path = CopyFixture("reference.ipynb");
        CopyLibraryTo(Path.Combine(_folder, "lib"));

        var result = await RunWithoutPngAsync(path, new NotebookRunOptions { OutputFolder = Path.Combine(_folder, "out") });

        Assert.True(result.Succeeded, result.Failure);
        Assert.Equal(Path.Combine(_folder, "out", "reference.ipynb"), result.OutputPath);
        Assert.Empty(NotebookValidator.ValidateFile(result.OutputPath));
        var notebook = ReadNotebook(result.OutputPath);

        var table = Assert.Single(Outputs(notebook, "reference"))!["data"]!;
        Assert.Contains("<td style=\"text-align: right; padding: 2px 8px;\">0.800 &#177; 0.010</td>", Text(table["text/html"]), StringComparison.Ordinal);
        Assert.Equal("method      alignment\n------  -------------\nGPO     0.800 ± 0.010", Text(table["text/plain"]));

        var figure = Assert.Single(Outputs(notebook, "figure"))!["data"]!.AsObject();
        Assert.Equal(["application/vnd.plotly.v1+json", "image/svg+xml", "text/html", "text/plain"], figure.Select(p => p.Key));
        var plotly = figure["application/vnd.plotly.v1+json"]!;
        Assert.Equal("scatter", (string)plotly["data"]![0]!["type"]!);
        Assert.Equal([0.7, 0.75, 0.8], plotly["data"]![0]!["y"]!.AsArray().Select(v => (double)v!));
        Assert.StartsWith("<svg", Text(figure["image/svg+xml"]), StringComparison.Ordinal);
        Assert.Contains("draw(window.Plotly)", Text(figure["text/html"]), StringComparison.Ordinal);
        Assert.Contains(Text(figure["image/svg+xml"]), Text(figure["text/html"]), StringComparison.Ordinal); // the static fallback inside the HTML
        // The source notebook is untouched when writing to another folder.
        Assert.Equal(File.ReadAllBytes(Path.Combine(FixtureFolder, "reference.ipynb")), File.ReadAllBytes(path));
    }

    [SkippableFact]
    public async Task Figure_in_a_notebook_gets_a_chromium_png_of_its_size()
    {
        var chromium = Chromium.Find();
        Skip.If(chromium is null, "No Chromium on this machine (install Debian's chromium) — the PNG path cannot run.");
        Skip.IfNot(PlotlyScript.TryEnsureCached(out _, out var problem), $"plotly.js cannot be had here: {problem}");
        var path = CopyFixture("reference.ipynb");
        CopyLibraryTo(Path.Combine(_folder, "lib"));

        var result = await NotebookRunner.RunAsync(path);

        Assert.True(result.Succeeded, result.Failure);
        var figure = Assert.Single(Outputs(ReadNotebook(path), "figure"))!["data"]!.AsObject();
        Assert.False(figure.ContainsKey("image/svg+xml"));
        var png = Convert.FromBase64String(Text(figure["image/png"]));
        Assert.Equal((400, 300), FigureExport.ReadPngSize(png));
        Assert.Contains($"<img src=\"data:image/png;base64,{Text(figure["image/png"])}\" width=\"400\" height=\"300\"", Text(figure["text/html"]), StringComparison.Ordinal);
    }

    /// <summary>
    /// The project's notebooks, run in quick mode from a copy laid out like the repository (notebooks/ beside
    /// lib/Gpo/bin/Release/net10.0/ holding the Gpo.dll and dependencies these tests were built with).
    /// </summary>
    [Theory]
    [MemberData(nameof(ProjectNotebooks))]
    public async Task Project_notebook_runs_in_quick_mode(string name)
    {
        var repository = RepositoryRoot();
        var notebooks = Directory.CreateDirectory(Path.Combine(_folder, "notebooks")).FullName;
        var path = Path.Combine(notebooks, name);
        File.Copy(Path.Combine(repository, "notebooks", name), path);
        CopyLibraryTo(Path.Combine(_folder, "lib", "Gpo", "bin", "Release", "net10.0"));

        var result = await RunWithoutPngAsync(path, new NotebookRunOptions { Parameters = new Dictionary<string, string> { ["quick"] = "true" } });

        Assert.True(result.Succeeded, result.Failure);
        Assert.Empty(result.Warnings);
        Assert.Empty(NotebookValidator.ValidateFile(path));
        var notebook = ReadNotebook(path);
        // No error output and no compiler warning printed by any cell.
        var outputs = notebook["cells"]!.AsArray().SelectMany(c => c!["outputs"]?.AsArray() ?? []).Select(o => o!).ToList();
        Assert.DoesNotContain(outputs, o => (string?)o["output_type"] == "error");
        Assert.DoesNotContain(outputs, o => (string?)o["output_type"] == "stream" && System.Text.RegularExpressions.Regex.IsMatch(Text(o["text"]), @"warning CS\d{4}"));
        Assert.Contains("bool quick = true;", Notebook.Source(Cell(notebook, NotebookParameters.InjectedTag)), StringComparison.Ordinal);
        Assert.All(notebook["cells"]!.AsArray().Where(c => (string?)c!["cell_type"] == "code"), c => Assert.NotNull(c!["execution_count"]));
        var parameters = notebook["cells"]!.AsArray().Select(c => (JsonObject)c!).Single(c => Notebook.Tags(c).Contains(NotebookParameters.ParametersTag));
        Assert.Equal("bool", NotebookParameters.Declarations(Notebook.Source(parameters))["quick"]);
    }

    /// <summary>Every notebook under notebooks/ (each must have a bool <c>quick</c> parameter).</summary>
    public static TheoryData<string> ProjectNotebooks() =>
        new(Directory.GetFiles(Path.Combine(RepositoryRoot(), "notebooks"), "*.ipynb").Select(Path.GetFileName).Order(StringComparer.Ordinal)!);

    private static string RepositoryRoot()
    {
        var folder = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(folder, "Gpo.slnx")))
            folder = Path.GetDirectoryName(folder.TrimEnd(Path.DirectorySeparatorChar)) ?? throw new DirectoryNotFoundException("No Gpo.slnx above the test folder.");
        return folder;
    }

    [Fact]
    public async Task Failing_cell_records_the_error_stops_the_run_and_clears_later_outputs()
    {
        var path = CopyFixture("failing.ipynb");

        var result = await NotebookRunner.RunAsync(path);

        Assert.False(result.Succeeded);
        Assert.Equal(2, result.ExecutedCells);
        Assert.Contains("cell 2 (id 'throws') threw System.InvalidOperationException: boom", result.Failure, StringComparison.Ordinal);
        Assert.Empty(NotebookValidator.ValidateFile(path));
        var notebook = ReadNotebook(path);
        Assert.Equal("before\n", Text(Assert.Single(Outputs(notebook, "before"))!["text"]));
        var outputs = Outputs(notebook, "throws");
        Assert.Equal("about to fail\n", Text(outputs[0]!["text"]));
        var error = outputs[1]!;
        Assert.Equal("error", (string)error["output_type"]!);
        Assert.Equal("System.InvalidOperationException", (string)error["ename"]!);
        Assert.Equal("boom", (string)error["evalue"]!);
        Assert.StartsWith("System.InvalidOperationException: boom", (string)error["traceback"]![0]!, StringComparison.Ordinal);
        Assert.Empty(Outputs(notebook, "after"));
        Assert.Null(Cell(notebook, "after")["execution_count"]);
    }

    [Fact]
    public async Task Compile_error_names_cell_line_and_diagnostic()
    {
        var path = CopyFixture("compile-error.ipynb");

        var result = await NotebookRunner.RunAsync(path);

        Assert.False(result.Succeeded);
        var error = Assert.Single(Outputs(ReadNotebook(path), "broken"))!;
        Assert.Equal("CompilationError", (string)error["ename"]!);
        var line = (string)Assert.Single(error["traceback"]!.AsArray())!;
        Assert.StartsWith("cell 2 (id 'broken'), line 2, column 5: error CS0103:", line, StringComparison.Ordinal);
        Assert.Contains("undefinedName", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("magic.ipynb", "cell 2 (id 'fsharp'), line 1: the magic command '#!fsharp' is not supported")]
    [InlineData("nuget.ipynb", "cell 1 (id 'package'), line 1: NuGet references (#r \"nuget: Newtonsoft.Json, 13.0.3\") are not supported")]
    public async Task Unsupported_magics_and_nuget_references_are_refused_before_anything_runs(string fixture, string message)
    {
        var path = CopyFixture(fixture);
        var before = File.ReadAllBytes(path);

        var error = await Assert.ThrowsAsync<NotebookException>(() => NotebookRunner.RunAsync(path));

        Assert.Contains($"{path}: {message}", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public async Task Cli_exits_non_zero_for_a_failing_notebook_and_zero_for_a_good_one()
    {
        var failing = CopyFixture("failing.ipynb");
        var good = CopyFixture("compile-error.ipynb");
        var (stdout, stderr) = (Console.Out, Console.Error);
        int failingExit, goodExit;
        try
        {
            Console.SetOut(TextWriter.Null);
            Console.SetError(TextWriter.Null);
            failingExit = await Gpo.Cli.Program.BuildRoot().Parse(["notebook", "run", failing]).InvokeAsync();
            // The compile-error notebook runs fine once its broken cell is replaced by a parameter-free one.
            var notebook = Notebook.Load(good);
            notebook.Cells.RemoveAt(1);
            notebook.Save(good);
            goodExit = await Gpo.Cli.Program.BuildRoot().Parse(["notebook", "run", good, "--output", Path.Combine(_folder, "out")]).InvokeAsync();
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }

        Assert.Equal(1, failingExit);
        Assert.Equal(0, goodExit);
        Assert.True(File.Exists(Path.Combine(_folder, "out", "compile-error.ipynb")));
    }

    /// <summary>Writes a notebook of code cells (id → source) into the test folder.</summary>
    private string WriteNotebook(string name, params (string Id, string Source)[] cells)
    {
        var path = Path.Combine(_folder, name);
        var root = new JsonObject
        {
            ["cells"] = new JsonArray(cells.Select(c => (JsonNode?)Notebook.NewCodeCell(c.Id, c.Source)).ToArray()),
            ["metadata"] = new JsonObject(),
            ["nbformat"] = 4,
            ["nbformat_minor"] = 5,
        };
        File.WriteAllText(path, root.ToJsonString());
        return path;
    }

    [Fact]
    public async Task Infinite_recursion_ends_the_kernel_process_not_the_runner_and_is_recorded_on_its_cell()
    {
        var path = WriteNotebook("recursion.ipynb", ("before", "Console.WriteLine(\"before\");"), ("recurse", "int Deeper(int n) => Deeper(n + 1) + 1;\nDeeper(0)"), ("after", "1"));

        var result = await NotebookRunner.RunAsync(path);

        Assert.False(result.Succeeded);
        Assert.Contains("cell 2 (id 'recurse'): the kernel process ended while this cell ran", result.Failure, StringComparison.Ordinal);
        Assert.Contains("stack overflow", result.Failure, StringComparison.Ordinal);
        var notebook = ReadNotebook(path);
        Assert.Equal("before\n", Text(Assert.Single(Outputs(notebook, "before"))!["text"]));
        Assert.Equal("KernelDied", (string)Assert.Single(Outputs(notebook, "recurse"))!["ename"]!);
        Assert.Empty(Outputs(notebook, "after"));
        Assert.Empty(NotebookValidator.ValidateFile(path));
    }

    [Fact]
    public async Task A_cell_over_the_timeout_is_stopped_and_the_run_fails()
    {
        // The hanging cell comes first: its time includes compiling it, which a loaded machine may make slow.
        var path = WriteNotebook("hang.ipynb", ("hang", "while (true) { }"), ("after", "1"));

        var result = await NotebookRunner.RunAsync(path, new NotebookRunOptions { CellTimeout = TimeSpan.FromSeconds(20) });

        Assert.False(result.Succeeded);
        Assert.False(result.Interrupted);
        Assert.Equal($"{path}: cell 1 (id 'hang') ran longer than the per-cell timeout of 20 s and was stopped.", result.Failure);
        var notebook = ReadNotebook(path);
        Assert.Equal("CellTimeout", (string)Assert.Single(Outputs(notebook, "hang"))!["ename"]!);
        Assert.Empty(Outputs(notebook, "after"));
        Assert.Null(Cell(notebook, "after")["execution_count"]);
        Assert.Empty(NotebookValidator.ValidateFile(path));
    }

    [Fact]
    public async Task Cancelling_a_run_stops_the_running_cell_and_writes_the_notebook()
    {
        var path = WriteNotebook("cancel.ipynb", ("first", "Console.WriteLine(\"ran\");"), ("hang", "System.Threading.Thread.Sleep(System.Threading.Timeout.Infinite);"));
        using var cancellation = new CancellationTokenSource();
        var log = new CancelOnLine("code cell 2/2", cancellation);

        var result = await NotebookRunner.RunAsync(path, new NotebookRunOptions { Log = log }, cancellation.Token);

        Assert.True(result.Interrupted);
        Assert.Contains("cell 2 (id 'hang') was interrupted", result.Failure, StringComparison.Ordinal);
        var notebook = ReadNotebook(path);
        Assert.Equal("ran\n", Text(Assert.Single(Outputs(notebook, "first"))!["text"]));
        Assert.Equal("Interrupted", (string)Assert.Single(Outputs(notebook, "hang"))!["ename"]!);
    }

    /// <summary>A log that cancels the run when the runner announces a given cell (so the cell is surely running or about to).</summary>
    private sealed class CancelOnLine(string marker, CancellationTokenSource cancellation) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value?.Contains(marker, StringComparison.Ordinal) == true) cancellation.CancelAfter(TimeSpan.FromSeconds(2));
        }
    }

    [Fact]
    public async Task A_foreground_thread_started_by_a_cell_does_not_keep_the_run_alive()
    {
        var path = WriteNotebook("thread.ipynb", ("thread", "new System.Threading.Thread(() => System.Threading.Thread.Sleep(System.Threading.Timeout.Infinite)) { IsBackground = false }.Start();\nConsole.WriteLine(\"started\");"));

        var result = await NotebookRunner.RunAsync(path, new NotebookRunOptions { CellTimeout = TimeSpan.FromMinutes(2) });

        Assert.True(result.Succeeded, result.Failure);
        Assert.Equal("started\n", Text(Assert.Single(Outputs(ReadNotebook(path), "thread"))!["text"]));
    }

    [Fact]
    public async Task Compiler_warnings_are_printed_on_their_cell_and_returned()
    {
        var path = WriteNotebook("warning.ipynb", ("nullable", "string? maybe = null;\nConsole.WriteLine(maybe is null);"), ("enabled", "#nullable enable\nstring? fine = null;\nConsole.WriteLine(fine is null);"));

        var result = await NotebookRunner.RunAsync(path);

        Assert.True(result.Succeeded, result.Failure);
        var warning = Assert.Single(result.Warnings);
        Assert.StartsWith("cell 1 (id 'nullable'), line 1, column 7: warning CS8632:", warning, StringComparison.Ordinal);
        var notebook = ReadNotebook(path);
        Assert.Contains(Outputs(notebook, "nullable"), o => (string?)o!["name"] == "stderr" && Text(o["text"]).StartsWith(warning, StringComparison.Ordinal));
        Assert.Equal(["stream"], Outputs(notebook, "enabled").Select(o => (string)o!["output_type"]!));
        Assert.Equal("True\n", Text(Outputs(notebook, "enabled")[0]!["text"]));
    }

    [Fact]
    public async Task Output_naming_a_file_or_an_uncreatable_folder_is_refused_before_anything_runs()
    {
        var path = WriteNotebook("side-effect.ipynb", ("touch", "System.IO.File.WriteAllText(\"ran.txt\", \"x\");"));
        var file = Path.Combine(_folder, "a-file");
        File.WriteAllText(file, "not a folder");

        var isFile = await Assert.ThrowsAsync<NotebookException>(() => NotebookRunner.RunAsync(path, new NotebookRunOptions { OutputFolder = file }));
        var under = await Assert.ThrowsAsync<NotebookException>(() => NotebookRunner.RunAsync(path, new NotebookRunOptions { OutputFolder = Path.Combine(file, "sub") }));

        Assert.Equal($"--output {file}: is a file; give a folder for the executed notebooks.", isFile.Message);
        Assert.StartsWith($"--output {Path.Combine(file, "sub")}: cannot create the folder:", under.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_folder, "ran.txt")));
    }

    [Theory]
    [InlineData("\"nbformat\": 4.5", "field \"nbformat\": only nbformat 4 notebooks are supported (the integer 4), found 4.5.")]
    [InlineData("\"nbformat\": \"4\"", "field \"nbformat\": only nbformat 4 notebooks are supported (the integer 4), found \"4\".")]
    [InlineData("\"source\": [\"a\", 3]", "cells[0].source[1] must be a string, found 3.")]
    [InlineData("\"source\": [null]", "cells[0].source[0] must be a string, found null.")]
    [InlineData("\"source\": {}", "cells[0].source must be a string or an array of strings, found {}.")]
    [InlineData("\"metadata\": {\"tags\": [1]}", "cells[0].metadata.tags must be an array of strings, found [1].")]
    [InlineData("\"id\": 7", "cells[0].id must be a string, found 7.")]
    public void Wrong_typed_fields_are_one_clear_error_naming_file_and_field(string replacement, string message)
    {
        var cell = new Dictionary<string, string> { ["source"] = "\"source\": \"1\"", ["metadata"] = "\"metadata\": {}", ["id"] = "\"id\": \"a\"" };
        var key = replacement.Split('"')[1];
        if (cell.ContainsKey(key)) cell[key] = replacement;
        var format = key == "nbformat" ? replacement : "\"nbformat\": 4";
        var path = Path.Combine(_folder, "typed.ipynb");
        File.WriteAllText(path, $"{{\"cells\": [{{\"cell_type\": \"code\", {string.Join(", ", cell.Values)}, \"outputs\": [], \"execution_count\": null}}], \"metadata\": {{}}, {format}, \"nbformat_minor\": 5}}");

        var error = Assert.Throws<NotebookException>(() => Notebook.Load(path));

        Assert.Equal($"{path}: {message}", error.Message);
    }
}
