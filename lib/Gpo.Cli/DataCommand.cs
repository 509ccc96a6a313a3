using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Gpo.Data;
using Gpo.Data.Fetch;
using Gpo.IO;
using Spectre.Console;

namespace Gpo.Cli;

/// <summary>
/// <c>gpo data inspect &lt;path or preset&gt;</c>: what a dataset holds and what the loader found wrong with it;
/// <c>gpo data fetch [preset|all]</c>: downloads the files the presets read, checked against their pinned digests.
/// </summary>
internal sealed class DataCommand : ICliCommand
{
    public Command Build()
    {
        var data = new Command("data", "Inspect datasets (presets: " + string.Join(", ", DatasetLoader.Presets) + ") and fetch the real ones.");
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
        data.Subcommands.Add(BuildFetch());
        return data;
    }

    private static Command BuildFetch()
    {
        var fetch = new Command("fetch", "Download the files a preset reads from their public sources at pinned commits, check each against its pinned "
            + "git blob id and size, and put them where the presets find them; prints their sources and licences.");
        var preset = new Argument<string>("preset")
        {
            Description = $"{string.Join(", ", DataCatalogue.Presets)} or {DataCatalogue.All}.",
            DefaultValueFactory = _ => DataCatalogue.All,
        };
        preset.AcceptOnlyFromAmong([.. DataCatalogue.Presets, DataCatalogue.All]);
        var destination = new Option<string?>("--dest") { Description = "Data root to fill (default: {cache root}/data, which the presets find without --data-root or GPO_DATA)." };
        var mirror = new Option<string?>("--mirror") { Description = "Take every file from a copy of a data root instead: an http(s) URL or a local folder. Files are checked all the same." };
        var github = new Option<string>("--github-base-url") { Description = "Base of GitHub raw-file addresses ({base}{owner}/{repo}/{commit}/{path}).", DefaultValueFactory = _ => new DataFetchOptions().GitHubBaseUrl.AbsoluteUri };
        var huggingFace = new Option<string>("--hf-base-url") { Description = "Base of Hugging Face addresses ({base}datasets/{repo}/resolve/{revision}/{path}).", DefaultValueFactory = _ => new DataFetchOptions().HuggingFaceBaseUrl.AbsoluteUri };
        var timeout = new Option<double>("--timeout") { Description = "Seconds allowed per file.", DefaultValueFactory = _ => new DataFetchOptions().Timeout.TotalSeconds };
        fetch.Arguments.Add(preset);
        foreach (var option in new Option[] { destination, mirror, github, huggingFace, timeout }) fetch.Options.Add(option);
        fetch.SetAction((parseResult, cancellation) => Task.FromResult(Terminal.Guard("data fetch", () =>
        {
            var seconds = parseResult.GetValue(timeout);
            if (!(seconds > 0) || double.IsInfinity(seconds)) throw new ArgumentException($"--timeout must be a positive number of seconds, not {seconds.ToString(CultureInfo.InvariantCulture)}");
            var options = new DataFetchOptions
            {
                GitHubBaseUrl = BaseUrl(parseResult.GetValue(github)!, "--github-base-url"),
                HuggingFaceBaseUrl = BaseUrl(parseResult.GetValue(huggingFace)!, "--hf-base-url"),
                Mirror = parseResult.GetValue(mirror),
                Timeout = TimeSpan.FromSeconds(seconds),
            };
            return Fetch(parseResult.GetValue(preset)!, parseResult.GetValue(destination) ?? DatasetLoader.DefaultDataRoot(), options, Console.Out, Console.Error, cancellation);
        })));
        return fetch;
    }

    private static Uri BaseUrl(string value, string option) =>
        Uri.TryCreate(value.EndsWith('/') ? value : value + "/", UriKind.Absolute, out var url) && url.Scheme is "http" or "https"
            ? url : throw new ArgumentException($"{option} '{value}' is not an absolute http(s) URL");

    /// <summary>
    /// Fetches each preset of <paramref name="choice"/> in turn (a failed preset installs nothing and does not stop the
    /// others), writes SOURCES.md beside the files, prints sources and licences to <paramref name="stderr"/> and the files
    /// in place to <paramref name="stdout"/>; returns 0, or 1 when a preset failed.
    /// </summary>
    internal static int Fetch(string choice, string destination, DataFetchOptions options, TextWriter stdout, TextWriter stderr, CancellationToken cancellation = default)
    {
        var root = Path.GetFullPath(destination);
        var presets = choice == DataCatalogue.All ? DataCatalogue.Presets : [choice];
        var progress = new ByteProgress(stderr, ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected);
        var failures = new List<string>();
        var done = new List<string>();
        var printed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var preset in presets)
        {
            var files = DataCatalogue.FilesOf(preset);
            stderr.WriteLine($"{preset}: {files.Count} file(s) into {root}");
            try
            {
                var placed = DataFetcher.Fetch(files, root, options, line => { progress.End(); stderr.WriteLine("  " + line); }, progress.Report, cancellation);
                progress.End();
                var kept = placed.Count(f => f.From is null);
                stderr.WriteLine($"{preset}: ok ({placed.Count - kept} downloaded, {kept} already in place and matching their pins)");
                foreach (var file in placed.Where(f => printed.Add(f.Path))) stdout.WriteLine(file.Path);
                done.Add(preset);
            }
            catch (DownloadException e)
            {
                progress.End();
                stderr.WriteLine($"gpo data fetch: {preset}: {e.Message}");
                stderr.WriteLine($"gpo data fetch: {preset}: nothing of it was installed; rerun to retry");
                failures.Add(preset);
            }
        }
        var sources = DataFetcher.WriteSources(root, DataCatalogue.Files);
        if (done.Count > 0)
        {
            stderr.WriteLine("Sources and licences (also in " + string.Join(", ", sources) + "):");
            foreach (var line in DataFetcher.LicenceLines(done.SelectMany(DataCatalogue.FilesOf))) stderr.WriteLine("  " + line);
        }
        var environment = Environment.GetEnvironmentVariable("GPO_DATA");
        if (!string.IsNullOrWhiteSpace(environment) && Path.GetFullPath(environment) != root)
            stderr.WriteLine($"note: GPO_DATA is set to {environment}; presets read from there, not from {root}, unless given --data-root {root}");
        if (failures.Count == 0) return 0;
        stderr.WriteLine($"gpo data fetch: {failures.Count} of {presets.Count} preset(s) failed: {string.Join(", ", failures)}");
        return 1;
    }

    /// <summary>Bytes of the file being downloaded, on one rewritten line when standard error is a terminal; nothing otherwise.</summary>
    private sealed class ByteProgress(TextWriter stderr, bool enabled)
    {
        private bool open;
        private long lastShown;

        public void Report(DataFile file, long bytes, long? total)
        {
            if (!enabled || (bytes - lastShown < (1 << 18) && bytes != total)) return;
            lastShown = bytes;
            stderr.Write($"\r    {DataFetcher.FormatBytes(bytes)}{(total is { } t ? " of " + DataFetcher.FormatBytes(t) : "")}   ");
            open = true;
        }

        public void End()
        {
            if (open) stderr.WriteLine();
            open = false;
            lastShown = 0;
        }
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
