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
            var contextArray = Array(root, "context", source);
            if (contextArray.GetArrayLength() > IO.InputLimits.MaxContextTokens)
                throw new IO.LimitExceededException($"{source}: context: {contextArray.GetArrayLength()} tokens, beyond the limit of {IO.InputLimits.MaxContextTokens} per call");
            var targetArray = Array(root, "targets", source);
            long targetTokens = targetArray.EnumerateArray().Sum(t => t.ValueKind == JsonValueKind.Object && t.TryGetProperty("x", out var x) && x.ValueKind == JsonValueKind.Array ? (long)x.GetArrayLength() : 0);
            if (targetTokens > IO.InputLimits.MaxTargetTokens)
                throw new IO.LimitExceededException($"{source}: targets: {targetArray.GetArrayLength()} questions with {targetTokens} options, beyond the limit of {IO.InputLimits.MaxTargetTokens} options per call; split the input");
            var context = new List<ContextToken>();
            foreach (var (item, i) in contextArray.EnumerateArray().Select((item, i) => (item, i)))
            {
                string where = $"context[{i}]";
                if (item.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{source}: {where}: expected an object with \"x\" and \"y\"");
                var xProperty = Property(item, "x", where, source);
                if (inputs is { Population: true } && xProperty.ValueKind == JsonValueKind.Array && xProperty.GetArrayLength() == inputs.TextDimension)
                    throw new InvalidDataException($"{source}: {where}.x: this checkpoint ({inputs.MethodName}) reads population features: each x is the {inputs.TextDimension} text numbers followed by {inputs.Width - inputs.TextDimension} population numbers (docs/gpo-variants.md); use gpo adapt with the dataset, or the library's GpoPredictor");
                var x = Vector(xProperty, dimX, $"{where}.x", source);
                var y = Number(Property(item, "y", where, source), $"{where}.y", source);
                if (y is < 0 or > 1) throw new InvalidDataException($"{source}: {where}.y: a share must lie in [0, 1], not {y.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
                context.Add(new ContextToken(x, y));
            }
            if (context.Count == 0) throw new InvalidDataException($"{source}: context: needs at least one token");
            var targets = new List<TargetQuestion>();
            foreach (var (item, i) in targetArray.EnumerateArray().Select((item, i) => (item, i)))
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
                    for (var o = 0; o < shares.Length; o++)
                        if (shares[o] is < 0 or > 1) throw new InvalidDataException($"{source}: {where}.y[{o}]: a share must lie in [0, 1], not {shares[o].ToString(System.Globalization.CultureInfo.InvariantCulture)}");
                    var sum = shares.Sum(s => (double)s);
                    if (Math.Abs(sum - 1) > Data.PreferenceDatasetBuilder.SumTolerance)
                        throw new InvalidDataException($"{source}: {where}.y: the shares sum to {sum.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)}, not 1 (± {Data.PreferenceDatasetBuilder.SumTolerance.ToString(System.Globalization.CultureInfo.InvariantCulture)})");
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
        if (element.ValueKind != JsonValueKind.Number)
            throw new InvalidDataException($"{source}: {where}: expected a finite number, got {element.ValueKind.ToString().ToLowerInvariant()}");
        if (!element.TryGetDouble(out var value) || !float.IsFinite((float)value))
            throw new InvalidDataException($"{source}: {where}: {Clip(element.GetRawText())} is beyond the range of a 32-bit float (±3.4e38)");
        return (float)value;
    }

    private static string Clip(string text) => text.Length <= 40 ? text : text[..37] + "...";

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
