using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Gpo.Notebooks;

/// <summary>Which rules <see cref="NotebookValidator"/> checks.</summary>
[Flags]
public enum NotebookRules
{
    /// <summary>The nbformat 4.5 JSON schema: keys per cell and output type, id pattern and uniqueness, version.</summary>
    Nbformat = 1,

    /// <summary>Polyglot's C# metadata: kernelspec, language_info, polyglot_notebook.kernelInfo, code-cell kernel metadata.</summary>
    Polyglot = 2,

    /// <summary>How Polyglot writes the file: UTF-8 without BOM, one-space indentation, sources as arrays of lines each ending in "\n" but the last.</summary>
    WriterStyle = 4,

    All = Nbformat | Polyglot | WriterStyle,
}

/// <summary>
/// Checks a notebook against the nbformat 4.5 rules (and, optionally, Polyglot's metadata and writing
/// style). Every problem is reported with its JSON location, e.g. <c>cells[3].outputs[0]: stream output
/// lacks "text"</c>. Used by the runner on what it writes and by the tests on every notebook.
/// </summary>
public static partial class NotebookValidator
{
    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex CellIdPattern();

    [GeneratedRegex(@"^[a-zA-Z0-9]+/[a-zA-Z0-9\-\+\.]+$")]
    private static partial Regex MimeTypePattern();

    [GeneratedRegex(@"^application/(.*\+)?json$")]
    private static partial Regex JsonMimeTypePattern();

    /// <summary>True for 1–64 characters of [A-Za-z0-9_-] (nbformat 4.5's cell id rule).</summary>
    public static bool IsValidCellId(string id) => CellIdPattern().IsMatch(id);

    /// <summary>The problems of the file at <paramref name="path"/>; empty when it is valid.</summary>
    public static IReadOnlyList<string> ValidateFile(string path, NotebookRules rules = NotebookRules.All)
    {
        var bytes = File.ReadAllBytes(path);
        var problems = new List<string>();
        if (bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble))
        {
            if (rules.HasFlag(NotebookRules.WriterStyle)) problems.Add("file starts with a UTF-8 byte-order mark");
            bytes = bytes[Encoding.UTF8.Preamble.Length..];
        }
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(bytes);
        }
        catch (JsonException e)
        {
            return [$"line {e.LineNumber + 1}: not valid JSON: {e.Message}"];
        }
        if (rules.HasFlag(NotebookRules.WriterStyle))
        {
            var text = Encoding.UTF8.GetString(bytes);
            var lines = text.Split('\n');
            if (lines.Length > 1 && !(lines[1].StartsWith(' ') && !lines[1].StartsWith("  ", StringComparison.Ordinal)))
                problems.Add("JSON is not indented by one space per level");
            if (text.Contains('\r', StringComparison.Ordinal)) problems.Add("file has CR line ends");
        }
        problems.AddRange(Validate(root, rules));
        return problems;
    }

    /// <summary>The problems of a parsed notebook; empty when it is valid.</summary>
    public static IReadOnlyList<string> Validate(JsonNode? root, NotebookRules rules = NotebookRules.All)
    {
        var problems = new List<string>();
        if (root is not JsonObject notebook) return ["top level is not a JSON object"];
        if (rules.HasFlag(NotebookRules.Nbformat)) CheckNbformat(notebook, problems);
        if (rules.HasFlag(NotebookRules.Polyglot)) CheckPolyglot(notebook, problems);
        if (rules.HasFlag(NotebookRules.WriterStyle) && notebook["cells"] is JsonArray cells)
            for (var i = 0; i < cells.Count; i++)
                if (cells[i] is JsonObject cell) CheckLines(cell["source"], $"cells[{i}].source", problems, requireArray: true);
        return problems;
    }

    /// <summary>Throws <see cref="NotebookException"/> listing the problems of <paramref name="path"/>, if any.</summary>
    public static void ThrowIfInvalid(string path, NotebookRules rules = NotebookRules.All)
    {
        var problems = ValidateFile(path, rules);
        if (problems.Count > 0) throw new NotebookException($"{path}: not a valid notebook:\n  " + string.Join("\n  ", problems));
    }

    private static void CheckNbformat(JsonObject notebook, List<string> problems)
    {
        RequireKeys(notebook, "notebook", ["metadata", "nbformat_minor", "nbformat", "cells"], ["metadata", "nbformat_minor", "nbformat", "cells"], problems);
        if (!IsInteger(notebook["nbformat"], out var major) || major != 4) problems.Add("nbformat must be 4");
        if (!IsInteger(notebook["nbformat_minor"], out var minor) || minor < 5) problems.Add("nbformat_minor must be an integer ≥ 5 (cell ids need 4.5)");
        if (notebook["metadata"] is JsonObject metadata)
        {
            if (metadata["kernelspec"] is { } kernelspec)
            {
                if (kernelspec is not JsonObject spec) problems.Add("metadata.kernelspec is not an object");
                else RequireKeys(spec, "metadata.kernelspec", ["name", "display_name"], null, problems);
            }
            if (metadata["language_info"] is { } languageInfo)
            {
                if (languageInfo is not JsonObject info) problems.Add("metadata.language_info is not an object");
                else RequireKeys(info, "metadata.language_info", ["name"], null, problems);
            }
        }
        else if (notebook.ContainsKey("metadata")) problems.Add("metadata is not an object");
        if (notebook["cells"] is not JsonArray cells)
        {
            if (notebook.ContainsKey("cells")) problems.Add("cells is not an array");
            return;
        }
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < cells.Count; i++)
        {
            var where = $"cells[{i}]";
            if (cells[i] is not JsonObject cell) { problems.Add($"{where}: not an object"); continue; }
            var type = cell["cell_type"]?.GetValueKind() == JsonValueKind.String ? cell["cell_type"]!.GetValue<string>() : null;
            string[] required, allowed;
            switch (type)
            {
                case "code":
                    required = ["id", "cell_type", "metadata", "source", "outputs", "execution_count"];
                    allowed = required;
                    break;
                case "markdown":
                    required = ["id", "cell_type", "metadata", "source"];
                    allowed = [.. required, "attachments"];
                    break;
                case "raw":
                    required = ["id", "cell_type", "metadata", "source"];
                    allowed = [.. required, "attachments"];
                    break;
                default:
                    problems.Add($"{where}: cell_type must be code, markdown or raw, not {cell["cell_type"]?.ToJsonString() ?? "missing"}");
                    continue;
            }
            RequireKeys(cell, where, required, allowed, problems);
            if (cell["id"] is { } idNode)
            {
                var id = idNode.GetValueKind() == JsonValueKind.String ? idNode.GetValue<string>() : null;
                if (id is null || !IsValidCellId(id)) problems.Add($"{where}.id {idNode.ToJsonString()} does not match ^[A-Za-z0-9_-]{{1,64}}$");
                else if (!ids.Add(id)) problems.Add($"{where}.id '{id}' is used by an earlier cell");
            }
            if (cell.ContainsKey("metadata"))
            {
                if (cell["metadata"] is not JsonObject cellMetadata) problems.Add($"{where}.metadata is not an object");
                else if (cellMetadata["tags"] is { } tags && (tags is not JsonArray tagArray || tagArray.Any(t => t?.GetValueKind() != JsonValueKind.String)
                    || tagArray.Select(t => t!.GetValue<string>()).Distinct().Count() != tagArray.Count))
                    problems.Add($"{where}.metadata.tags must be an array of distinct strings");
            }
            if (cell.ContainsKey("source")) CheckLines(cell["source"], $"{where}.source", problems, requireArray: false);
            if (type != "code") continue;
            if (!IsInteger(cell["execution_count"], out var count) ? cell["execution_count"] is not null : count < 0)
                problems.Add($"{where}.execution_count must be a non-negative integer or null");
            if (cell["outputs"] is JsonArray outputs)
                for (var o = 0; o < outputs.Count; o++) CheckOutput(outputs[o], $"{where}.outputs[{o}]", problems);
            else if (cell.ContainsKey("outputs")) problems.Add($"{where}.outputs is not an array");
        }
    }

    private static void CheckOutput(JsonNode? node, string where, List<string> problems)
    {
        if (node is not JsonObject output) { problems.Add($"{where}: not an object"); return; }
        var type = output["output_type"]?.GetValueKind() == JsonValueKind.String ? output["output_type"]!.GetValue<string>() : null;
        switch (type)
        {
            case "stream":
                RequireKeys(output, where, ["output_type", "name", "text"], ["output_type", "name", "text"], problems);
                if (output["name"] is { } name && !(name.GetValueKind() == JsonValueKind.String && name.GetValue<string>() is "stdout" or "stderr"))
                    problems.Add($"{where}.name must be stdout or stderr");
                if (output.ContainsKey("text")) CheckLines(output["text"], $"{where}.text", problems, requireArray: false);
                break;
            case "display_data":
                RequireKeys(output, where, ["output_type", "data", "metadata"], ["output_type", "data", "metadata", "transient"], problems);
                CheckMimeBundle(output, where, problems);
                break;
            case "execute_result":
                RequireKeys(output, where, ["output_type", "data", "metadata", "execution_count"], ["output_type", "data", "metadata", "execution_count"], problems);
                CheckMimeBundle(output, where, problems);
                if (!IsInteger(output["execution_count"], out var count) ? output["execution_count"] is not null : count < 0)
                    problems.Add($"{where}.execution_count must be a non-negative integer or null");
                break;
            case "error":
                RequireKeys(output, where, ["output_type", "ename", "evalue", "traceback"], ["output_type", "ename", "evalue", "traceback"], problems);
                foreach (var key in new[] { "ename", "evalue" })
                    if (output[key] is { } value && value.GetValueKind() != JsonValueKind.String) problems.Add($"{where}.{key} must be a string");
                if (output["traceback"] is { } traceback && (traceback is not JsonArray lines || lines.Any(l => l?.GetValueKind() != JsonValueKind.String)))
                    problems.Add($"{where}.traceback must be an array of strings");
                break;
            default:
                problems.Add($"{where}: output_type must be stream, display_data, execute_result or error, not {output["output_type"]?.ToJsonString() ?? "missing"}");
                break;
        }
    }

    private static void CheckMimeBundle(JsonObject output, string where, List<string> problems)
    {
        if (output["metadata"] is { } metadata && metadata is not JsonObject) problems.Add($"{where}.metadata is not an object");
        if (output["data"] is not JsonObject data)
        {
            if (output.ContainsKey("data")) problems.Add($"{where}.data is not an object");
            return;
        }
        foreach (var (mimeType, value) in data)
        {
            if (!MimeTypePattern().IsMatch(mimeType)) problems.Add($"{where}.data: '{mimeType}' is not a MIME type");
            else if (!JsonMimeTypePattern().IsMatch(mimeType)) CheckLines(value, $"{where}.data['{mimeType}']", problems, requireArray: false);
        }
    }

    /// <summary>An nbformat multiline string: a string or an array of strings (with the writer style: an array, lines ending in "\n" but the last).</summary>
    private static void CheckLines(JsonNode? node, string where, List<string> problems, bool requireArray)
    {
        if (node is JsonArray lines)
        {
            for (var i = 0; i < lines.Count; i++)
            {
                if (lines[i]?.GetValueKind() != JsonValueKind.String) { problems.Add($"{where}[{i}] is not a string"); return; }
                if (!requireArray) continue;
                var line = lines[i]!.GetValue<string>();
                var last = i == lines.Count - 1;
                var newlines = line.Count(c => c == '\n');
                if (!last && (newlines != 1 || !line.EndsWith('\n')) || last && newlines != 0)
                    problems.Add($"{where}[{i}] must {(last ? "not contain" : "end in exactly one")} \"\\n\" ({(last ? "last line" : "a line of an array")})");
            }
        }
        else if (node?.GetValueKind() == JsonValueKind.String)
        {
            if (requireArray) problems.Add($"{where} is a string; Polyglot writes an array of lines");
        }
        else
        {
            problems.Add($"{where} must be a string or an array of strings");
        }
    }

    private static void CheckPolyglot(JsonObject notebook, List<string> problems)
    {
        var metadata = notebook["metadata"] as JsonObject;
        void Expect(string path, JsonNode? actual, string expected)
        {
            if (actual is null || actual.GetValueKind() != JsonValueKind.String || actual.GetValue<string>() != expected)
                problems.Add($"{path} must be \"{expected}\", is {actual?.ToJsonString() ?? "missing"}");
        }
        Expect("metadata.kernelspec.display_name", metadata?["kernelspec"]?["display_name"], ".NET (C#)");
        Expect("metadata.kernelspec.language", metadata?["kernelspec"]?["language"], "C#");
        Expect("metadata.kernelspec.name", metadata?["kernelspec"]?["name"], ".net-csharp");
        Expect("metadata.language_info.name", metadata?["language_info"]?["name"], "C#");
        var kernelInfo = metadata?["polyglot_notebook"]?["kernelInfo"];
        Expect("metadata.polyglot_notebook.kernelInfo.defaultKernelName", kernelInfo?["defaultKernelName"], Notebook.KernelName);
        if (kernelInfo?["items"] is not JsonArray items || !items.Any(item => item?["name"]?.GetValueKind() == JsonValueKind.String
            && item["name"]!.GetValue<string>() == Notebook.KernelName && item["aliases"] is JsonArray))
            problems.Add("metadata.polyglot_notebook.kernelInfo.items must list {\"aliases\": [], \"name\": \"csharp\"}");
        if (notebook["cells"] is not JsonArray cells) return;
        for (var i = 0; i < cells.Count; i++)
        {
            if (cells[i] is not JsonObject cell || cell["cell_type"]?.GetValueKind() != JsonValueKind.String || Notebook.CellType(cell) != "code") continue;
            Expect($"cells[{i}].metadata.dotnet_interactive.language", cell["metadata"]?["dotnet_interactive"]?["language"], Notebook.KernelName);
            Expect($"cells[{i}].metadata.polyglot_notebook.kernelName", cell["metadata"]?["polyglot_notebook"]?["kernelName"], Notebook.KernelName);
        }
    }

    private static void RequireKeys(JsonObject node, string where, string[] required, string[]? allowed, List<string> problems)
    {
        foreach (var key in required)
            if (!node.ContainsKey(key)) problems.Add($"{where}: lacks \"{key}\"");
        if (allowed is null) return;
        foreach (var (key, _) in node)
            if (!allowed.Contains(key)) problems.Add($"{where}: unexpected key \"{key}\"");
    }

    private static bool IsInteger(JsonNode? node, out long value)
    {
        value = 0;
        // Through the JSON text: an in-memory JsonValue holding an int does not convert to long.
        return node?.GetValueKind() == JsonValueKind.Number && long.TryParse(node.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture, out value);
    }
}
