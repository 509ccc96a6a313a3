using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gpo.IO;

namespace Gpo.Notebooks;

/// <summary>A notebook that cannot be run as given: bad JSON, a magic command, an unknown parameter. The message names the file and cell.</summary>
public sealed class NotebookException(string message) : Exception(message);

/// <summary>
/// An <c>.ipynb</c> file (nbformat 4) held as its JSON tree, so every key the runner does not touch —
/// Polyglot metadata, cell metadata, attachments — is written back unchanged. Saving normalises to the
/// form Polyglot Notebooks writes: nbformat 4.5, every cell with an id, <c>source</c> and text outputs as
/// arrays of lines (each ending in <c>\n</c> except the last; trailing newlines of a cell's source are
/// dropped), one-space indentation, UTF-8 without BOM.
/// </summary>
public sealed class Notebook
{
    /// <summary>Polyglot's kernel metadata for a C# notebook.</summary>
    public const string KernelName = "csharp";

    private Notebook(string path, JsonObject root, JsonArray cells)
    {
        Path = path;
        Root = root;
        Cells = cells;
    }

    /// <summary>The file it was read from.</summary>
    public string Path { get; }

    public JsonObject Root { get; }

    /// <summary>The cells, in order; each a JSON object with at least <c>cell_type</c> and <c>source</c>.</summary>
    public JsonArray Cells { get; }

    /// <summary>Reads <paramref name="path"/>; throws <see cref="NotebookException"/> naming the file (and line, for bad JSON).</summary>
    public static Notebook Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NotebookException($"{path}: cannot read the notebook: {e.Message}");
        }
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false });
        }
        catch (JsonException e)
        {
            throw new NotebookException($"{path}: line {e.LineNumber + 1}: not valid JSON: {e.Message}");
        }
        if (root is not JsonObject document || document["cells"] is not JsonArray cells)
            throw new NotebookException($"{path}: not a notebook (no top-level \"cells\" array).");
        if (document["nbformat"] is not JsonValue format || !format.TryGetValue<int>(out var major) || major != 4)
            throw new NotebookException($"{path}: field \"nbformat\": only nbformat 4 notebooks are supported (the integer 4), found {document["nbformat"]?.ToJsonString() ?? "nothing"}.");
        if (document["nbformat_minor"] is { } minor && (minor is not JsonValue minorValue || !minorValue.TryGetValue<int>(out var minorNumber) || minorNumber < 0))
            throw new NotebookException($"{path}: field \"nbformat_minor\" must be a non-negative integer, found {minor.ToJsonString()}.");
        if (document["metadata"] is { } metadata && metadata is not JsonObject)
            throw new NotebookException($"{path}: field \"metadata\" must be an object, found {Abbreviate(metadata)}.");
        for (var i = 0; i < cells.Count; i++)
        {
            if (cells[i] is not JsonObject cell || cell["cell_type"]?.GetValueKind() != JsonValueKind.String)
                throw new NotebookException($"{path}: cells[{i}]: not an object with a string \"cell_type\".");
            if (cell["id"] is { } id && id.GetValueKind() != JsonValueKind.String)
                throw new NotebookException($"{path}: cells[{i}].id must be a string, found {Abbreviate(id)}.");
            CheckText(path, $"cells[{i}].source", cell["source"], required: true);
            if (cell["metadata"] is { } cellMetadata)
            {
                if (cellMetadata is not JsonObject metadataObject)
                    throw new NotebookException($"{path}: cells[{i}].metadata must be an object, found {Abbreviate(cellMetadata)}.");
                if (metadataObject["tags"] is { } tags && (tags is not JsonArray tagArray || tagArray.Any(t => t?.GetValueKind() != JsonValueKind.String)))
                    throw new NotebookException($"{path}: cells[{i}].metadata.tags must be an array of strings, found {Abbreviate(tags)}.");
            }
        }
        return new Notebook(path, document, cells);
    }

    /// <summary>Refuses an nbformat multiline string (a string or an array of strings) of another shape, naming file and field.</summary>
    private static void CheckText(string path, string field, JsonNode? text, bool required)
    {
        if (text is null)
        {
            if (required) throw new NotebookException($"{path}: {field} is missing (a string or an array of strings).");
            return;
        }
        if (text.GetValueKind() == JsonValueKind.String) return;
        if (text is not JsonArray lines)
            throw new NotebookException($"{path}: {field} must be a string or an array of strings, found {Abbreviate(text)}.");
        for (var l = 0; l < lines.Count; l++)
            if (lines[l]?.GetValueKind() != JsonValueKind.String)
                throw new NotebookException($"{path}: {field}[{l}] must be a string, found {Abbreviate(lines[l])}.");
    }

    /// <summary>A JSON value for a message: at most 40 characters of it.</summary>
    private static string Abbreviate(JsonNode? node)
    {
        var json = node?.ToJsonString() ?? "null";
        return json.Length <= 40 ? json : json[..40] + "…";
    }

    /// <summary>A cell's <c>cell_type</c>: code, markdown or raw.</summary>
    public static string CellType(JsonObject cell) => cell["cell_type"]!.GetValue<string>();

    /// <summary>A cell's <c>id</c>, or "(no id)".</summary>
    public static string CellId(JsonObject cell) =>
        cell["id"]?.GetValueKind() == JsonValueKind.String ? cell["id"]!.GetValue<string>() : "(no id)";

    /// <summary>"cell 3 (id 'abc')": how messages name a cell; the number counts from 1 in file order.</summary>
    public static string Describe(JsonObject cell, int index) => $"cell {index + 1} (id '{CellId(cell)}')";

    /// <summary>The cell's source as one string, whether stored as a string or as an array of lines.</summary>
    public static string Source(JsonObject cell) => JoinText(cell["source"]);

    /// <summary>The cell's <c>metadata.tags</c>.</summary>
    public static IReadOnlyList<string> Tags(JsonObject cell) =>
        cell["metadata"]?["tags"] is JsonArray tags
            ? tags.Where(t => t?.GetValueKind() == JsonValueKind.String).Select(t => t!.GetValue<string>()).ToList()
            : [];

    /// <summary>An nbformat "multiline string" (a string or an array of strings) as one string.</summary>
    public static string JoinText(JsonNode? text) => text switch
    {
        null => "",
        JsonArray lines => string.Concat(lines.Select(l => l?.GetValue<string>() ?? "")),
        _ when text.GetValueKind() == JsonValueKind.String => text.GetValue<string>(),
        _ => throw new NotebookException($"expected a string or an array of strings, found {text.ToJsonString()}"),
    };

    /// <summary>Text as an nbformat array of lines: each keeps its <c>\n</c> except the last; "" gives [].</summary>
    public static JsonArray SplitLines(string text)
    {
        var lines = new JsonArray();
        var start = 0;
        while (start < text.Length)
        {
            var end = text.IndexOf('\n', start);
            var next = end < 0 ? text.Length : end + 1;
            lines.Add(text[start..next]);
            start = next;
        }
        return lines;
    }

    /// <summary>A new code cell in Polyglot's form.</summary>
    public static JsonObject NewCodeCell(string id, string source, params string[] tags)
    {
        var metadata = CodeCellMetadata();
        if (tags.Length > 0) metadata["tags"] = new JsonArray(tags.Select(t => (JsonNode?)t).ToArray());
        return new JsonObject
        {
            ["cell_type"] = "code",
            ["execution_count"] = null,
            ["id"] = id,
            ["metadata"] = metadata,
            ["outputs"] = new JsonArray(),
            ["source"] = SplitLines(source),
        };
    }

    private static JsonObject CodeCellMetadata() => new()
    {
        ["dotnet_interactive"] = new JsonObject { ["language"] = KernelName },
        ["polyglot_notebook"] = new JsonObject { ["kernelName"] = KernelName },
    };

    /// <summary>
    /// Brings the tree into the form Polyglot writes (see the class summary): adds missing Polyglot metadata,
    /// cell ids (derived from position and source, so a re-run gives the same ids) and code-cell keys;
    /// keeps everything that is already there.
    /// </summary>
    public void Normalize()
    {
        Root["nbformat"] = 4;
        if (Root["nbformat_minor"]?.GetValueKind() != JsonValueKind.Number || Root["nbformat_minor"]!.GetValue<int>() < 5) Root["nbformat_minor"] = 5;
        var metadata = Root["metadata"] as JsonObject ?? [];
        Root["metadata"] = metadata;
        metadata["kernelspec"] ??= new JsonObject { ["display_name"] = ".NET (C#)", ["language"] = "C#", ["name"] = ".net-csharp" };
        metadata["language_info"] ??= new JsonObject { ["name"] = "C#" };
        metadata["polyglot_notebook"] ??= new JsonObject
        {
            ["kernelInfo"] = new JsonObject
            {
                ["defaultKernelName"] = KernelName,
                ["items"] = new JsonArray(new JsonObject { ["aliases"] = new JsonArray(), ["name"] = KernelName }),
            },
        };

        var usedIds = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Cells.Count; i++)
        {
            var cell = (JsonObject)Cells[i]!;
            var id = cell["id"]?.GetValueKind() == JsonValueKind.String ? cell["id"]!.GetValue<string>() : null;
            if (id is null || !NotebookValidator.IsValidCellId(id) || !usedIds.Add(id))
            {
                id = NewCellId(i, Source(cell), usedIds);
                usedIds.Add(id);
                cell["id"] = id;
            }
            // A trailing newline would make the last line end in "\n"; Polyglot's cells never end in one.
            cell["source"] = SplitLines(Source(cell).TrimEnd('\n'));
            if (cell["metadata"] is not JsonObject cellMetadata) cell["metadata"] = cellMetadata = [];
            if (CellType(cell) != "code") continue;
            cellMetadata["dotnet_interactive"] ??= new JsonObject { ["language"] = KernelName };
            cellMetadata["polyglot_notebook"] ??= new JsonObject { ["kernelName"] = KernelName };
            if (!cell.ContainsKey("execution_count")) cell["execution_count"] = null;
            if (cell["outputs"] is not JsonArray) cell["outputs"] = new JsonArray();
        }
    }

    private static string NewCellId(int index, string source, HashSet<string> usedIds)
    {
        for (var attempt = 0; ; attempt++)
        {
            var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{index}\n{attempt}\n{source}"));
            var id = Convert.ToHexStringLower(hash)[..12];
            if (!usedIds.Contains(id)) return id;
        }
    }

    /// <summary>The notebook as Polyglot writes it: JSON indented by one space, <c>\n</c> line ends, a final newline.</summary>
    public string ToJson()
    {
        Normalize();
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions
        {
            Indented = true,
            IndentSize = 1,
            NewLine = "\n",
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }))
        {
            Root.WriteTo(writer);
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    /// <summary>Normalises and writes the notebook to <paramref name="path"/> atomically (UTF-8, no BOM).</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, ToJson());
}
