using System.Text.Json;

namespace Gpo.Model;

/// <summary>
/// Reads the <c>gpo predict</c> input document:
/// <c>{"context": [{"x": [dimX numbers], "y": share}, ...], "targets": [{"x": [[option 1], [option 2], ...], "y": [shares]?}, ...]}</c>.
/// Every error names the file and the field, e.g. <c>targets[3].x[1]: expected 384 numbers, got 383</c>.
/// </summary>
public static class PredictionInput
{
    /// <summary>
    /// Parses <paramref name="json"/> (from <paramref name="source"/>, used in messages) for a model with <paramref name="dimX"/>-wide
    /// inputs. A model that predicts an offset (<paramref name="inputs"/> with <see cref="GpoInputs.PriorOffset"/>) needs
    /// <c>"offset": [one number per option]</c> on every target (the log base shares); other models refuse one.
    /// </summary>
    public static (List<ContextToken> Context, List<TargetQuestion> Targets) Parse(string json, int dimX, string source, GpoInputs? inputs = null)
    {
        if (inputs is not null && inputs.Width != dimX) throw new ArgumentException($"inputs are {inputs.Width} wide, the model takes {dimX}", nameof(inputs));
        JsonDocument document;
        try { document = JsonDocument.Parse(json); }
        catch (JsonException e) { throw new InvalidDataException($"{source}: not well-formed JSON: {e.Message}", e); }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{source}: expected a JSON object with \"context\" and \"targets\"");
            var context = new List<ContextToken>();
            foreach (var (item, i) in Array(root, "context", source).EnumerateArray().Select((item, i) => (item, i)))
            {
                string where = $"context[{i}]";
                if (item.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{source}: {where}: expected an object with \"x\" and \"y\"");
                var xProperty = Property(item, "x", where, source);
                if (inputs is { Population: true } && xProperty.ValueKind == JsonValueKind.Array && xProperty.GetArrayLength() == inputs.TextDimension)
                    throw new InvalidDataException($"{source}: {where}.x: this checkpoint ({inputs.MethodName}) reads population features: each x is the {inputs.TextDimension} text numbers followed by {inputs.Width - inputs.TextDimension} population numbers (docs/gpo-variants.md); use gpo adapt with the dataset, or the library's GpoPredictor");
                var x = Vector(xProperty, dimX, $"{where}.x", source);
                var y = Number(Property(item, "y", where, source), $"{where}.y", source);
                context.Add(new ContextToken(x, y));
            }
            if (context.Count == 0) throw new InvalidDataException($"{source}: context: needs at least one token");
            var targets = new List<TargetQuestion>();
            foreach (var (item, i) in Array(root, "targets", source).EnumerateArray().Select((item, i) => (item, i)))
            {
                string where = $"targets[{i}]";
                if (item.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{source}: {where}: expected an object with \"x\"");
                var xElement = Property(item, "x", where, source);
                if (xElement.ValueKind != JsonValueKind.Array || xElement.GetArrayLength() == 0)
                    throw new InvalidDataException($"{source}: {where}.x: expected a non-empty array of options");
                var options = xElement.EnumerateArray().Select((option, o) => Vector(option, dimX, $"{where}.x[{o}]", source)).ToArray();
                float[]? shares = null;
                if (item.TryGetProperty("y", out var yElement) && yElement.ValueKind != JsonValueKind.Null)
                {
                    shares = Vector(yElement, options.Length, $"{where}.y", source);
                }
                float[]? offset = null;
                if (item.TryGetProperty("offset", out var offsetElement) && offsetElement.ValueKind != JsonValueKind.Null)
                {
                    if (inputs is not { PriorOffset: true }) throw new InvalidDataException($"{source}: {where}.offset: this checkpoint predicts no offset; remove the field");
                    offset = Vector(offsetElement, options.Length, $"{where}.offset", source);
                }
                else if (inputs is { PriorOffset: true })
                {
                    throw new InvalidDataException($"{source}: {where}: missing \"offset\": this checkpoint ({inputs.MethodName}) predicts an offset on the log {inputs.OffsetBase} shares, one number per option");
                }
                targets.Add(new TargetQuestion(options, shares, offset));
            }
            return (context, targets);
        }
    }

    private static JsonElement Array(JsonElement root, string name, string source)
    {
        if (!root.TryGetProperty(name, out var element)) throw new InvalidDataException($"{source}: missing \"{name}\"");
        if (element.ValueKind != JsonValueKind.Array) throw new InvalidDataException($"{source}: {name}: expected an array");
        return element;
    }

    private static JsonElement Property(JsonElement item, string name, string where, string source) =>
        item.TryGetProperty(name, out var element) ? element : throw new InvalidDataException($"{source}: {where}: missing \"{name}\"");

    private static float Number(JsonElement element, string where, string source)
    {
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetDouble(out var value) || !double.IsFinite(value))
            throw new InvalidDataException($"{source}: {where}: expected a finite number, got {element.ValueKind.ToString().ToLowerInvariant()}");
        return (float)value;
    }

    private static float[] Vector(JsonElement element, int length, string where, string source)
    {
        if (element.ValueKind != JsonValueKind.Array) throw new InvalidDataException($"{source}: {where}: expected an array of {length} numbers");
        int count = element.GetArrayLength();
        if (count != length) throw new InvalidDataException($"{source}: {where}: expected {length} numbers, got {count}");
        var values = new float[length];
        int i = 0;
        foreach (var item in element.EnumerateArray()) { values[i] = Number(item, $"{where}[{i}]", source); i++; }
        return values;
    }
}
