using System.Text.Json.Nodes;

namespace Gpo.Notebooks;

/// <summary>HTML to show as it is (what <see cref="NotebookGlobals.HTML"/> returns), like Polyglot's <c>IHtmlContent</c>.</summary>
public sealed class HtmlString(string html)
{
    public string Html { get; } = html;

    public override string ToString() => Html;
}

/// <summary>An output shown with <see cref="NotebookGlobals.display"/>; <see cref="Update"/> replaces it in place (as in Polyglot).</summary>
public sealed class DisplayedValue
{
    private readonly CellOutputs _outputs;
    private readonly int _index;
    private readonly string[] _mimeTypes;

    internal DisplayedValue(CellOutputs outputs, int index, string[] mimeTypes)
    {
        _outputs = outputs;
        _index = index;
        _mimeTypes = mimeTypes;
    }

    public void Update(object? value) => _outputs.Replace(_index, RichOutput.DisplayData(value, _mimeTypes));
}

/// <summary>
/// What notebook code sees as globals: the same names Polyglot Notebooks gives C# cells, so a notebook
/// runs unchanged in both. Lower-case names are Polyglot's.
/// </summary>
#pragma warning disable CA1822, IDE1006 // instance members with Polyglot's exact lower-case names are the point
public sealed class NotebookGlobals
{
    internal CellOutputs? Outputs { get; set; }

    /// <summary>Shows <paramref name="value"/> as a display_data output (rich MIME bundle; only <paramref name="mimeTypes"/> when given).</summary>
    public DisplayedValue display(object? value, params string[] mimeTypes)
    {
        var outputs = Outputs ?? throw new InvalidOperationException("display() was called outside a running cell.");
        return new DisplayedValue(outputs, outputs.Add(RichOutput.DisplayData(value, mimeTypes)), mimeTypes);
    }

    /// <summary>Marks <paramref name="html"/> as HTML: as a cell's last expression or passed to <see cref="display"/> it shows as text/html.</summary>
    public HtmlString HTML(string html) => new(html);
}
#pragma warning restore CA1822, IDE1006

/// <summary>
/// The outputs of the running cell, in the order they happen. Consecutive text on one stream becomes one
/// stream output; its text is gathered in a builder and written into the JSON by <see cref="Flush"/>.
/// </summary>
internal sealed class CellOutputs
{
    private readonly Lock _lock = new();
    private readonly System.Text.StringBuilder _streamText = new();
    private string? _streamName;

    public CellOutputs(JsonArray outputs) => Items = outputs;

    public JsonArray Items { get; }

    public int Add(JsonObject output)
    {
        lock (_lock)
        {
            FlushLocked();
            Items.Add(output);
            return Items.Count - 1;
        }
    }

    public void Replace(int index, JsonObject output)
    {
        lock (_lock) Items[index] = output;
    }

    public void AppendStream(string name, string text)
    {
        if (text.Length == 0) return;
        lock (_lock)
        {
            if (_streamName != name)
            {
                FlushLocked();
                _streamName = name;
                Items.Add(new JsonObject { ["name"] = name, ["output_type"] = "stream", ["text"] = new JsonArray() });
            }
            _streamText.Append(text);
        }
    }

    /// <summary>Writes the gathered stream text into its output; later text starts a new stream output.</summary>
    public void Flush()
    {
        lock (_lock) FlushLocked();
    }

    private void FlushLocked()
    {
        if (_streamName is null) return;
        ((JsonObject)Items[^1]!)["text"] = Notebook.SplitLines(_streamText.ToString());
        _streamText.Clear();
        _streamName = null;
    }
}

/// <summary>Console.Out or Console.Error while a cell runs: everything written becomes that cell's stream output.</summary>
internal sealed class CellStreamWriter(CellOutputs outputs, string streamName) : TextWriter
{
    public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

    public override void Write(char value) => outputs.AppendStream(streamName, value.ToString());

    public override void Write(string? value) => outputs.AppendStream(streamName, value ?? "");

    public override void Write(char[] buffer, int index, int count) => outputs.AppendStream(streamName, new string(buffer, index, count));
}
