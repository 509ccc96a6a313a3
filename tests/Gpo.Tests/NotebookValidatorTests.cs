using System.Text;
using System.Text.Json.Nodes;
using Gpo.Notebooks;

namespace Gpo.Tests;

public sealed class NotebookValidatorTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpo-nbvalid-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>A minimal valid Polyglot notebook: one markdown cell and one code cell with one output of each type.</summary>
    private static JsonObject ValidNotebook() => (JsonObject)JsonNode.Parse("""
        {
          "cells": [
            { "cell_type": "markdown", "id": "text", "metadata": {}, "source": ["# Title\n", "prose"] },
            { "cell_type": "code", "execution_count": 1, "id": "code_1",
              "metadata": { "dotnet_interactive": { "language": "csharp" }, "polyglot_notebook": { "kernelName": "csharp" }, "tags": ["parameters"] },
              "outputs": [
                { "name": "stdout", "output_type": "stream", "text": ["hello\n"] },
                { "data": { "text/plain": ["1"], "application/vnd.plotly.v1+json": { "data": [] } }, "metadata": {}, "output_type": "display_data" },
                { "data": { "text/plain": "2" }, "execution_count": 1, "metadata": {}, "output_type": "execute_result" },
                { "ename": "E", "evalue": "v", "output_type": "error", "traceback": ["line"] }
              ],
              "source": ["var x = 1;\n", "x"] }
          ],
          "metadata": {
            "kernelspec": { "display_name": ".NET (C#)", "language": "C#", "name": ".net-csharp" },
            "language_info": { "name": "C#" },
            "polyglot_notebook": { "kernelInfo": { "defaultKernelName": "csharp", "items": [{ "aliases": [], "name": "csharp" }] } }
          },
          "nbformat": 4,
          "nbformat_minor": 5
        }
        """)!;

    [Fact]
    public void Valid_notebook_has_no_problems()
    {
        Assert.Empty(NotebookValidator.Validate(ValidNotebook()));
    }

    public static TheoryData<string, string> Breakages() => new()
    {
        { "duplicate-id", "cells[1].id 'text' is used by an earlier cell" },
        { "bad-id", "cells[1].id \"has space\" does not match" },
        { "long-id", "does not match ^[A-Za-z0-9_-]{1,64}$" },
        { "no-outputs", "cells[1]: lacks \"outputs\"" },
        { "markdown-outputs", "cells[0]: unexpected key \"outputs\"" },
        { "stream-no-name", "cells[1].outputs[0]: lacks \"name\"" },
        { "stream-bad-name", "cells[1].outputs[0].name must be stdout or stderr" },
        { "display-no-metadata", "cells[1].outputs[1]: lacks \"metadata\"" },
        { "result-no-count", "cells[1].outputs[2]: lacks \"execution_count\"" },
        { "traceback-string", "cells[1].outputs[3].traceback must be an array of strings" },
        { "bad-output-type", "cells[1].outputs[0]: output_type must be" },
        { "bad-mime", "cells[1].outputs[1].data: 'plain' is not a MIME type" },
        { "text-mime-object", "cells[1].outputs[1].data['text/plain'] must be a string or an array of strings" },
        { "minor-4", "nbformat_minor must be an integer ≥ 5" },
        { "major-3", "nbformat must be 4" },
        { "extra-top-key", "notebook: unexpected key \"worksheets\"" },
        { "negative-count", "cells[1].execution_count must be a non-negative integer or null" },
        { "kernelspec-no-name", "metadata.kernelspec: lacks \"name\"" },
        { "polyglot-kernel", "metadata.polyglot_notebook.kernelInfo.defaultKernelName must be \"csharp\"" },
        { "cell-kernel", "cells[1].metadata.polyglot_notebook.kernelName must be \"csharp\"" },
        { "source-string", "cells[1].source is a string; Polyglot writes an array of lines" },
        { "source-line-end", "cells[1].source[0] must end in exactly one \"\\n\"" },
        { "duplicate-tags", "cells[1].metadata.tags must be an array of distinct strings" },
    };

    [Theory]
    [MemberData(nameof(Breakages))]
    public void Each_broken_rule_is_reported_with_its_location(string breakage, string expected)
    {
        var notebook = ValidNotebook();
        var cells = notebook["cells"]!.AsArray();
        var code = cells[1]!.AsObject();
        var outputs = code["outputs"]!.AsArray();
        switch (breakage)
        {
            case "duplicate-id": code["id"] = "text"; break;
            case "bad-id": code["id"] = "has space"; break;
            case "long-id": code["id"] = new string('a', 65); break;
            case "no-outputs": code.Remove("outputs"); break;
            case "markdown-outputs": cells[0]!["outputs"] = new JsonArray(); break;
            case "stream-no-name": outputs[0]!.AsObject().Remove("name"); break;
            case "stream-bad-name": outputs[0]!["name"] = "stdlog"; break;
            case "display-no-metadata": outputs[1]!.AsObject().Remove("metadata"); break;
            case "result-no-count": outputs[2]!.AsObject().Remove("execution_count"); break;
            case "traceback-string": outputs[3]!["traceback"] = "line"; break;
            case "bad-output-type": outputs[0]!["output_type"] = "print"; break;
            case "bad-mime": outputs[1]!["data"]!["plain"] = "x"; break;
            case "text-mime-object": outputs[1]!["data"]!["text/plain"] = new JsonObject(); break;
            case "minor-4": notebook["nbformat_minor"] = 4; break;
            case "major-3": notebook["nbformat"] = 3; break;
            case "extra-top-key": notebook["worksheets"] = new JsonArray(); break;
            case "negative-count": code["execution_count"] = -1; break;
            case "kernelspec-no-name": notebook["metadata"]!["kernelspec"]!.AsObject().Remove("name"); break;
            case "polyglot-kernel": notebook["metadata"]!["polyglot_notebook"]!["kernelInfo"]!["defaultKernelName"] = "fsharp"; break;
            case "cell-kernel": code["metadata"]!["polyglot_notebook"]!["kernelName"] = "pwsh"; break;
            case "source-string": code["source"] = "var x = 1;"; break;
            case "source-line-end": code["source"] = new JsonArray("var x = 1;", "x"); break;
            case "duplicate-tags": code["metadata"]!["tags"] = new JsonArray("a", "a"); break;
            default: throw new ArgumentException(breakage);
        }

        var problems = NotebookValidator.Validate(notebook);

        Assert.Contains(problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void String_sources_are_valid_nbformat_but_not_polyglot_writer_style()
    {
        var notebook = ValidNotebook();
        notebook["cells"]![1]!["source"] = "var x = 1;\nx";
        Assert.Empty(NotebookValidator.Validate(notebook, NotebookRules.Nbformat | NotebookRules.Polyglot));
        Assert.NotEmpty(NotebookValidator.Validate(notebook, NotebookRules.WriterStyle));
    }

    [Fact]
    public void Saving_normalises_to_polyglot_form_with_ids_line_arrays_one_space_indent_and_no_bom()
    {
        // nbformat 4.4 style: no ids, string sources, no Polyglot metadata, a BOM.
        var path = Path.Combine(_folder, "old.ipynb");
        const string original = """
            {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# A\nb"},
                       {"cell_type": "code", "execution_count": null, "metadata": {"custom": 1}, "outputs": [], "source": "var a = 1;\nvar b = 2;\n"},
                       {"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [], "source": ""}],
             "metadata": {"kernelspec": {"display_name": ".NET (C#)", "language": "C#", "name": ".net-csharp"}, "extra": "kept"},
             "nbformat": 4, "nbformat_minor": 4}
            """;
        var withBom = new UTF8Encoding(encoderShouldEmitUTF8Identifier: true);
        File.WriteAllText(path, original, withBom);
        Assert.Contains(NotebookValidator.ValidateFile(path), p => p.Contains("byte-order mark", StringComparison.Ordinal));

        var notebook = Notebook.Load(path);
        notebook.Save(path);

        Assert.Empty(NotebookValidator.ValidateFile(path));
        var bytes = File.ReadAllBytes(path);
        Assert.Equal((byte)'{', bytes[0]);
        var text = Encoding.UTF8.GetString(bytes);
        Assert.StartsWith("{\n \"cells\": [\n  {\n   \"cell_type\": \"markdown\",", text, StringComparison.Ordinal);
        var saved = JsonNode.Parse(text)!;
        Assert.Equal(5, (int)saved["nbformat_minor"]!);
        Assert.Equal("kept", (string)saved["metadata"]!["extra"]!);
        Assert.Equal(1, (int)saved["cells"]![1]!["metadata"]!["custom"]!);
        Assert.Equal(["var a = 1;\n", "var b = 2;"], saved["cells"]![1]!["source"]!.AsArray().Select(l => (string)l!));
        Assert.Empty(saved["cells"]![2]!["source"]!.AsArray());
        var ids = saved["cells"]!.AsArray().Select(c => (string)c!["id"]!).ToList();
        Assert.Equal(3, ids.Distinct().Count());

        // Ids come from position and source, so normalising the original again gives the same file.
        var again = Path.Combine(_folder, "again.ipynb");
        File.WriteAllText(again, original, withBom);
        Notebook.Load(again).Save(again);
        Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(again));
    }

    [Theory]
    [InlineData("", new string[0])]
    [InlineData("a", new[] { "a" })]
    [InlineData("a\n", new[] { "a\n" })]
    [InlineData("a\nb", new[] { "a\n", "b" })]
    [InlineData("a\n\nb\n", new[] { "a\n", "\n", "b\n" })]
    public void Split_lines_keeps_each_newline_on_its_line(string text, string[] lines)
    {
        var split = Notebook.SplitLines(text);
        Assert.Equal(lines, split.Select(l => (string)l!));
        Assert.Equal(text, Notebook.JoinText(split));
    }

    [Fact]
    public void Bad_json_is_reported_with_file_and_line()
    {
        var path = Path.Combine(_folder, "bad.ipynb");
        File.WriteAllText(path, "{\n \"cells\": [\n  {,\n ]\n}");
        var error = Assert.Throws<NotebookException>(() => Notebook.Load(path));
        Assert.StartsWith($"{path}: line 3: not valid JSON", error.Message, StringComparison.Ordinal);
    }
}
