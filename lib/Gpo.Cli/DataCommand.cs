using System.CommandLine;
using System.Text.Json;
using Gpo.Data;
using Spectre.Console;

namespace Gpo.Cli;

/// <summary><c>gpo data inspect &lt;path or preset&gt;</c>: what a dataset holds and what the loader found wrong with it.</summary>
internal sealed class DataCommand : ICliCommand
{
    public Command Build()
    {
        var data = new Command("data", "Inspect datasets (presets: " + string.Join(", ", DatasetLoader.Presets) + ").");
        var source = new Argument<string>("source") { Description = "A file, a folder, or a preset name." };
        var format = new Option<string?>("--format") { Description = "Format name (detected when absent): " + string.Join(", ", DatasetLoader.Formats) };
        var dataRoot = new Option<string?>("--data-root") { Description = "Folder with opinionqa/ and globalopinionqa/ (default: env GPO_DATA)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of tables." };
        var inspect = new Command("inspect", "Groups, questions, options per question, coverage and issues of a dataset.");
        inspect.Arguments.Add(source);
        inspect.Options.Add(format);
        inspect.Options.Add(dataRoot);
        inspect.Options.Add(json);
        inspect.SetAction(parseResult => Inspect(parseResult.GetValue(source)!, parseResult.GetValue(format), parseResult.GetValue(dataRoot),
            parseResult.GetValue(json), Console.Out, Console.Error));
        data.Subcommands.Add(inspect);
        return data;
    }

    /// <summary>Loads and describes a dataset; returns the exit code (1 with a message naming file/line/field on bad input).</summary>
    internal static int Inspect(string source, string? format, string? dataRoot, bool json, TextWriter stdout, TextWriter stderr)
    {
        return Terminal.Guard("data inspect", () =>
        {
            var dataset = DatasetLoader.Load(source, format, dataRoot);
            if (json) WriteJson(DatasetSummary.Of(dataset), stdout);
            else WriteTables(DatasetSummary.Of(dataset), stdout);
            return 0;
        }, stderr);
    }

    private static void WriteJson(DatasetSummary summary, TextWriter stdout)
    {
        using var buffer = new MemoryStream();
        using var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        writer.WriteStartObject();
        writer.WriteString("name", summary.Name);
        writer.WriteString("format", summary.Format);
        writer.WriteString("version", summary.Version);
        writer.WriteStartArray("sourceFiles");
        foreach (var f in summary.SourceFiles) writer.WriteStringValue(f);
        writer.WriteEndArray();
        writer.WriteStartArray("groups");
        foreach (var g in summary.Groups) writer.WriteStringValue(g);
        writer.WriteEndArray();
        writer.WriteNumber("questions", summary.QuestionCount);
        writer.WriteNumber("pairs", summary.PairCount);
        writer.WriteBoolean("dense", summary.IsDense);
        writer.WriteNumber("questionsWithOrdinals", summary.QuestionsWithOrdinals);
        if (summary.FeatureDimension is { } dim) writer.WriteNumber("featureDimension", dim);
        writer.WriteStartObject("optionsPerQuestion");
        foreach (var (k, n) in summary.OptionHistogram) writer.WriteNumber(k.ToString(System.Globalization.CultureInfo.InvariantCulture), n);
        writer.WriteEndObject();
        writer.WriteStartObject("questionsPerGroup");
        foreach (var (g, n) in summary.QuestionsPerGroup) writer.WriteNumber(g, n);
        writer.WriteEndObject();
        writer.WriteStartArray("issues");
        foreach (var issue in summary.Issues) writer.WriteStringValue(issue.ToString());
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
        stdout.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }

    private static void WriteTables(DatasetSummary summary, TextWriter stdout)
    {
        var console = Terminal.ConsoleOn(stdout);
        console.MarkupLine($"[bold]{Markup.Escape(Terminal.Sanitize(summary.Name))}[/] ({Markup.Escape(Terminal.Sanitize(summary.Format))}), version {summary.Version[..Math.Min(12, summary.Version.Length)]}");
        console.MarkupLine($"{summary.Groups.Count} groups, {summary.QuestionCount} questions, {summary.PairCount} (group, question) pairs, {(summary.IsDense ? "dense" : "sparse")}; {summary.QuestionsWithOrdinals} questions with ordinals{(summary.FeatureDimension is { } d ? $"; features d_x = {d}" : "")}");
        var options = new Table().AddColumn("options").AddColumn(new TableColumn("questions").RightAligned());
        foreach (var (k, n) in summary.OptionHistogram) options.AddRow(k.ToString(System.Globalization.CultureInfo.InvariantCulture), n.ToString(System.Globalization.CultureInfo.InvariantCulture));
        console.Write(options);
        var coverage = new Table().AddColumn("group").AddColumn(new TableColumn("questions").RightAligned());
        foreach (var (g, n) in summary.QuestionsPerGroup) coverage.AddRow(Markup.Escape(Terminal.Sanitize(g, 200)), n.ToString(System.Globalization.CultureInfo.InvariantCulture));
        console.Write(coverage);
        if (summary.Issues.Count == 0) console.MarkupLine("No issues.");
        else
        {
            console.MarkupLine($"[yellow]{summary.Issues.Count} issue(s):[/]");
            foreach (var issue in summary.Issues.Take(50)) console.MarkupLine("  " + Markup.Escape(Terminal.Sanitize(issue.ToString())));
            if (summary.Issues.Count > 50) console.MarkupLine($"  ... and {summary.Issues.Count - 50} more (use --json for all)");
        }
    }
}
