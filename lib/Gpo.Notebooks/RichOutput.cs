using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gpo.Notebooks;

/// <summary>
/// Turns a value of a type that formats itself into an nbformat MIME bundle with every MIME type it offers
/// (the kernel host uses it for such types; other values get the kernel's own formatting):
/// <list type="number">
/// <item>a type carrying an attribute named <c>TypeFormatterSourceAttribute</c> (matched by name, from
/// any assembly — Gpo's figures and tables use it) gets one entry per formatter its source creates
/// (<c>CreateTypeFormatters()</c> → objects with <c>MimeType</c> and <c>bool Format(object, TextWriter)</c>);</item>
/// <item>anything else is <c>text/plain</c>: strings as they are, collections as <c>[a, b, c]</c> (at most
/// 100 items), dictionaries as <c>{ key: value }</c>, numbers in invariant culture, null as <c>&lt;null&gt;</c>.</item>
/// </list>
/// Every bundle has <c>text/plain</c>. JSON MIME types (<c>application/…json</c>) are stored as JSON, the
/// rest as arrays of lines.
/// </summary>
public static class RichOutput
{
    private const int MaxCollectionItems = 100;

    /// <summary>A display_data output of <paramref name="value"/>, restricted to <paramref name="mimeTypes"/> when any are given.</summary>
    public static JsonObject DisplayData(object? value, params string[] mimeTypes) => new()
    {
        ["data"] = Bundle(value, mimeTypes),
        ["metadata"] = new JsonObject(),
        ["output_type"] = "display_data",
    };

    /// <summary>An execute_result output (a cell's trailing expression) of <paramref name="value"/>.</summary>
    public static JsonObject ExecuteResult(object? value, int executionCount) => new()
    {
        ["data"] = Bundle(value, []),
        ["execution_count"] = executionCount,
        ["metadata"] = new JsonObject(),
        ["output_type"] = "execute_result",
    };

    /// <summary>The MIME bundle (MIME type → content) of <paramref name="value"/>.</summary>
    public static JsonObject Bundle(object? value, IReadOnlyCollection<string> mimeTypes)
    {
        var formatted = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (value is not null) FormatByConvention(value, formatted);
        if (!formatted.ContainsKey("text/plain")) formatted["text/plain"] = PlainText(value);

        var bundle = new JsonObject();
        foreach (var (mimeType, text) in formatted)
        {
            if (mimeTypes.Count > 0 && !mimeTypes.Contains(mimeType) && mimeType != "text/plain") continue;
            bundle[mimeType] = IsJsonMimeType(mimeType) ? JsonNode.Parse(text) : Notebook.SplitLines(text);
        }
        return bundle;
    }

    /// <summary>True for <c>application/json</c> and <c>application/…+json</c>, which nbformat stores as JSON rather than text.</summary>
    public static bool IsJsonMimeType(string mimeType) =>
        mimeType.StartsWith("application/", StringComparison.Ordinal) && (mimeType.EndsWith("+json", StringComparison.Ordinal) || mimeType == "application/json");

    /// <summary>True when <paramref name="type"/> carries an attribute named <c>TypeFormatterSourceAttribute</c>.</summary>
    public static bool HasFormatterSource(Type type) =>
        type.GetCustomAttributes(inherit: true).Any(a => a.GetType().Name == "TypeFormatterSourceAttribute");

    /// <summary>Runs the formatters named by the value type's <c>TypeFormatterSourceAttribute</c>, if it has one.</summary>
    private static void FormatByConvention(object value, SortedDictionary<string, string> formatted)
    {
        var attribute = value.GetType().GetCustomAttributes(inherit: true)
            .FirstOrDefault(a => a.GetType().Name == "TypeFormatterSourceAttribute");
        if (attribute?.GetType().GetProperty("FormatterSourceType")?.GetValue(attribute) is not Type sourceType) return;
        var source = Activator.CreateInstance(sourceType, nonPublic: true);
        if (sourceType.GetMethod("CreateTypeFormatters", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic, Type.EmptyTypes)?.Invoke(source, null)
            is not IEnumerable formatters) return;
        foreach (var formatter in formatters)
        {
            if (formatter is null) continue;
            var type = formatter.GetType();
            var mimeType = type.GetProperty("MimeType")?.GetValue(formatter) as string;
            var format = type.GetMethod("Format", [typeof(object), typeof(TextWriter)]);
            if (mimeType is null || format is null || formatted.ContainsKey(mimeType)) continue;
            using var writer = new StringWriter(CultureInfo.InvariantCulture);
            bool written;
            try
            {
                written = format.Invoke(formatter, [value, writer]) is true;
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                throw new InvalidOperationException($"The {mimeType} formatter of {value.GetType().Name} failed: {e.InnerException.Message}", e.InnerException);
            }
            if (written) formatted[mimeType] = writer.ToString();
        }
    }

    /// <summary>The text/plain form of a value (see the class summary).</summary>
    public static string PlainText(object? value)
    {
        var text = new StringBuilder();
        AppendPlain(text, value, topLevel: true);
        return text.ToString();
    }

    private static void AppendPlain(StringBuilder text, object? value, bool topLevel)
    {
        switch (value)
        {
            case null:
                text.Append("<null>");
                break;
            case string s:
                text.Append(topLevel ? s : JsonSerializer.Serialize(s));
                break;
            case IDictionary dictionary:
                text.Append("{ ");
                var first = true;
                var shown = 0;
                foreach (DictionaryEntry entry in dictionary)
                {
                    if (!first) text.Append(", ");
                    if (++shown > MaxCollectionItems) { text.Append(CultureInfo.InvariantCulture, $"… ({dictionary.Count - MaxCollectionItems} more)"); break; }
                    AppendPlain(text, entry.Key, topLevel: false);
                    text.Append(": ");
                    AppendPlain(text, entry.Value, topLevel: false);
                    first = false;
                }
                text.Append(first ? "}" : " }");
                break;
            case IEnumerable sequence when value.GetType().GetMethod(nameof(ToString), Type.EmptyTypes)?.DeclaringType == typeof(object)
                                           || value is Array || IsBclCollection(value):
                text.Append('[');
                var count = 0;
                foreach (var item in sequence)
                {
                    if (count > 0) text.Append(", ");
                    if (count == MaxCollectionItems) { text.Append('…'); break; }
                    AppendPlain(text, item, topLevel: false);
                    count++;
                }
                text.Append(']');
                break;
            case IFormattable formattable:
                text.Append(formattable.ToString(null, CultureInfo.InvariantCulture));
                break;
            default:
                text.Append(value.ToString());
                break;
        }
    }

    /// <summary>List, HashSet and the other framework collections print their type name from ToString; show their items instead.</summary>
    private static bool IsBclCollection(object value) =>
        value.GetType().Namespace?.StartsWith("System.Collections", StringComparison.Ordinal) == true
        || value.GetType().Namespace == "System.Linq";
}
