using System.Globalization;
using System.Text.Json;
using Gpo.Data;

namespace Gpo.Reward;

/// <summary>One context question of a group: its text, its options and the group's share of each option.</summary>
public sealed record ProfileQuestion(string Text, IReadOnlyList<string> Options, IReadOnlyList<double> Shares);

/// <summary>
/// What GPO knows about a group: a handful of questions with the group's answer distributions. It comes from a
/// dataset group (k of its questions) or from a small JSON file:
/// <code>
/// {"group": "my readers",
///  "context": [{"question": "...", "options": ["Yes", "No"], "shares": [0.7, 0.3]}, ...]}
/// </code>
/// Shares must be finite, non-negative and sum to 1 within 0.01 (they are renormalised).
/// </summary>
public sealed record GroupProfile(string Group, IReadOnlyList<ProfileQuestion> Context)
{
    /// <summary>The group's distributions on <paramref name="questionIds"/> of <paramref name="dataset"/>.</summary>
    public static GroupProfile FromDataset(PreferenceDataset dataset, string group, IEnumerable<string> questionIds)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(questionIds);
        dataset.GroupIndex(group);
        var context = questionIds.Select(id =>
        {
            var question = dataset.GetQuestion(id);
            return new ProfileQuestion(question.Text, question.Options, dataset.GetDistribution(group, id).ToArray());
        }).ToList();
        return new GroupProfile(group, context);
    }

    /// <summary>Reads a profile file; any problem is a <see cref="DataFormatException"/> naming the file and field.</summary>
    public static GroupProfile Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new DataFormatException(path, null, null, "no such file");
        JsonDocument document;
        try { document = JsonDocument.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new DataFormatException(path, (int?)(e.LineNumber + 1), null, $"not valid JSON: {e.Message}"); }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Bad(path, "(top level)", "expected an object with 'group' and 'context'");
            var group = root.TryGetProperty("group", out var g) && g.ValueKind == JsonValueKind.String && g.GetString()!.Length > 0
                ? g.GetString()! : throw Bad(path, "group", "expected a non-empty string");
            if (!root.TryGetProperty("context", out var context) || context.ValueKind != JsonValueKind.Array || context.GetArrayLength() == 0)
                throw Bad(path, "context", "expected a non-empty array of {question, options, shares}");
            var questions = new List<ProfileQuestion>();
            foreach (var item in context.EnumerateArray())
            {
                var where = $"context[{questions.Count}]";
                if (item.ValueKind != JsonValueKind.Object) throw Bad(path, where, "expected an object");
                var text = item.TryGetProperty("question", out var q) && q.ValueKind == JsonValueKind.String && q.GetString()!.Length > 0
                    ? q.GetString()! : throw Bad(path, where + ".question", "expected a non-empty string");
                var options = Strings(path, item, where + ".options", "options");
                var shares = Numbers(path, item, where + ".shares", "shares");
                questions.Add(Checked(path, where, text, options, shares));
            }
            return new GroupProfile(group, questions);
        }
    }

    /// <summary>Checks one question's options and shares (2+ options, one finite non-negative share each, sum 1 ± 0.01) and renormalises.</summary>
    internal static ProfileQuestion Checked(string file, string where, string text, IReadOnlyList<string> options, IReadOnlyList<double> shares)
    {
        if (options.Count < 2) throw Bad(file, where + ".options", $"a question needs at least 2 options, got {options.Count}");
        if (options.Count > 26) throw Bad(file, where + ".options", $"at most 26 options can be lettered, got {options.Count}");
        if (shares.Count != options.Count) throw Bad(file, where + ".shares", $"expected {options.Count} numbers (one per option), got {shares.Count}");
        for (var i = 0; i < shares.Count; i++)
            if (!double.IsFinite(shares[i]) || shares[i] < 0) throw Bad(file, $"{where}.shares[{i}]", $"{shares[i].ToString(CultureInfo.InvariantCulture)} is not a share (a finite number ≥ 0)");
        var sum = shares.Sum();
        if (Math.Abs(sum - 1) > 0.01) throw Bad(file, where + ".shares", $"the shares sum to {sum.ToString("0.####", CultureInfo.InvariantCulture)}, expected 1");
        return new ProfileQuestion(text, options, shares.Select(s => s / sum).ToArray());
    }

    private static List<string> Strings(string path, JsonElement item, string where, string name)
    {
        if (!item.TryGetProperty(name, out var array) || array.ValueKind != JsonValueKind.Array) throw Bad(path, where, "expected an array of strings");
        var list = new List<string>();
        foreach (var value in array.EnumerateArray())
        {
            if (value.ValueKind != JsonValueKind.String || value.GetString()!.Length == 0) throw Bad(path, $"{where}[{list.Count}]", "expected a non-empty string");
            list.Add(value.GetString()!);
        }
        return list;
    }

    private static List<double> Numbers(string path, JsonElement item, string where, string name)
    {
        if (!item.TryGetProperty(name, out var array) || array.ValueKind != JsonValueKind.Array) throw Bad(path, where, "expected an array of numbers");
        var list = new List<double>();
        foreach (var value in array.EnumerateArray())
        {
            if (value.ValueKind != JsonValueKind.Number) throw Bad(path, $"{where}[{list.Count}]", $"{value.GetRawText()} is not a number");
            list.Add(value.GetDouble());
        }
        return list;
    }

    private static DataFormatException Bad(string file, string field, string message) => new(file, null, field, message);
}
