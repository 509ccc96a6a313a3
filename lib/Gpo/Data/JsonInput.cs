using System.Text.Json;

namespace Gpo.Data;

/// <summary>Reading JSON data files with errors that name file, line and field.</summary>
public static class JsonInput
{
    /// <summary>Parses a whole file; malformed JSON becomes <see cref="DataFormatException"/> with its line.</summary>
    public static JsonDocument Parse(string path, string displayName)
    {
        CheckFile(path, displayName);
        try
        {
            using var stream = File.OpenRead(path);
            return JsonDocument.Parse(stream, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow, MaxDepth = IO.InputLimits.MaxNestingDepth });
        }
        catch (JsonException e)
        {
            throw new DataFormatException(displayName, e.LineNumber is { } l ? (int)l + 1 : null, null,
                $"malformed JSON (byte {e.BytePositionInLine + 1} of the line): {e.Message.Split(" Path:")[0].Split(" LineNumber:")[0]}", e);
        }
    }

    /// <summary>Refuses a missing, empty, device/pipe or oversized data file (<see cref="IO.InputLimits"/>) before reading it.</summary>
    public static void CheckFile(string path, string displayName)
    {
        if (IO.InputLimits.FileProblem(path).Problem is { } problem) throw new DataFormatException(displayName, null, null, problem);
    }

    public static JsonElement Property(JsonElement record, string name, SourceRef at)
    {
        if (record.ValueKind != JsonValueKind.Object) throw (at with { Field = at.Field }).Error($"expected an object, found {record.ValueKind}");
        return record.TryGetProperty(name, out var value) ? value : throw (at with { Field = Join(at.Field, name) }).Error("missing");
    }

    public static string String(JsonElement record, string name, SourceRef at)
    {
        var value = Property(record, name, at);
        return value.ValueKind == JsonValueKind.String ? value.GetString()! : throw (at with { Field = Join(at.Field, name) }).Error($"expected a string, found {value.ValueKind}");
    }

    /// <summary>A list of option texts; numbers become their Python text (1.0 → "1.0"), as in the original CSV.</summary>
    public static List<string> Options(JsonElement record, string name, SourceRef at)
    {
        var value = Property(record, name, at);
        var field = at with { Field = Join(at.Field, name) };
        if (value.ValueKind != JsonValueKind.Array) throw field.Error($"expected a list of options, found {value.ValueKind}");
        return value.EnumerateArray().Select((o, i) => o.ValueKind switch
        {
            JsonValueKind.String => o.GetString()!,
            JsonValueKind.Number => QuestionIdentity.OptionText(o.TryGetDouble(out var d) && double.IsFinite(d) ? d : throw field.Error($"option {i} is a number beyond the range of a double")),
            _ => throw field.Error($"option {i} is {o.ValueKind}"),
        }).ToList();
    }

    /// <summary>A list of numbers (a distribution or counts).</summary>
    public static double[] Numbers(JsonElement value, SourceRef field)
    {
        if (value.ValueKind != JsonValueKind.Array) throw field.Error($"expected a list of numbers, found {value.ValueKind}");
        return value.EnumerateArray().Select((v, i) => v.ValueKind != JsonValueKind.Number ? throw field.Error($"element {i} is {v.ValueKind}, not a number")
            : v.TryGetDouble(out var d) && double.IsFinite(d) ? d : throw field.Error($"element {i} is beyond the range of a double")).ToArray();
    }

    public static string Join(string? prefix, string name) => string.IsNullOrEmpty(prefix) ? name : $"{prefix}.{name}";
}
