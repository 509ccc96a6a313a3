using System.Text.Json;
using Gpo.Data.Fetch;
using Gpo.IO;

namespace Gpo.Data;

/// <summary>
/// Loads a dataset from a preset name or a path, detecting the format when none is given.
/// Presets (<see cref="Presets"/>) resolve paths under a data root: the <c>dataRoot</c> argument, else the
/// environment variable <c>GPO_DATA</c>, else <see cref="DefaultDataRoot"/> (where <c>gpo data fetch</c> puts the
/// files) when it exists; the root holds <c>opinionqa/</c> and <c>globalopinionqa/</c> laid out like the public
/// downloads (see data.md). A preset whose files are missing says which <c>gpo data fetch</c> command gets them.
/// </summary>
public static class DatasetLoader
{
    public const string OpinionQa500 = "opinionqa-500";
    public const string OpinionQa22 = "opinionqa-22";
    public const string GlobalQa14 = "globalqa-14";
    public const string GlobalQaFull = "globalqa-full";
    public const string Synthetic = "synthetic";

    /// <summary>Named presets.</summary>
    public static readonly IReadOnlyList<string> Presets = [OpinionQa500, OpinionQa22, GlobalQa14, GlobalQaFull, Synthetic];

    /// <summary>The 9 groups of the disagreement-500 counts files (POLPARTY, RACE, SEX).</summary>
    public static readonly IReadOnlyList<string> OpinionQa500Groups =
        ["Democrat", "Republican", "Independent", "Asian", "Black", "Hispanic", "White", "Female", "Male"];

    /// <summary>Format names accepted by <see cref="Load"/>.</summary>
    public static readonly IReadOnlyList<string> Formats =
    [
        GlobalOpinionQa.CsvFormat, GlobalOpinionQa.BenchFormat, GlobalOpinionQa.ModularPluralismFormat, GlobalOpinionQa.GlobalValuesFormat,
        GlobalOpinionQa.UnionFormat, OpinionQa.CountsFormat, OpinionQa.ModularPluralismFormat, OpinionQa.DistributionCsvFormat,
        OpinionQa.ResponsesFormat, SyntheticBenchmark.Format,
    ];

    /// <summary>
    /// The data root: <paramref name="dataRoot"/> if given, else env <c>GPO_DATA</c>, else <see cref="DefaultDataRoot"/>
    /// if that folder exists, else null.
    /// </summary>
    public static string? ResolveDataRoot(string? dataRoot = null)
    {
        var root = string.IsNullOrWhiteSpace(dataRoot) ? Environment.GetEnvironmentVariable("GPO_DATA") : dataRoot;
        if (!string.IsNullOrWhiteSpace(root)) return Path.GetFullPath(root);
        var fetched = DefaultDataRoot();
        return Directory.Exists(fetched) ? fetched : null;
    }

    /// <summary>Where <c>gpo data fetch</c> puts the files by default: <c>{cache root}/data</c> (<see cref="CacheFolder.Root"/>).</summary>
    public static string DefaultDataRoot() => Path.GetFullPath(Path.Combine(CacheFolder.Root(), "data"));

    /// <summary>Loads a preset or a file/folder (format detected unless <paramref name="format"/> is given).</summary>
    public static PreferenceDataset Load(string presetOrPath, string? format = null, string? dataRoot = null)
    {
        try
        {
            return LoadUnchecked(presetOrPath, format, dataRoot);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or KeyNotFoundException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            // A value of an unexpected JSON type or shape that no loader check named: still one line naming the input.
            throw new DataFormatException(Path.GetFileName(presetOrPath), null, null, $"a value has the wrong type or shape ({e.Message})", e);
        }
    }

    private static PreferenceDataset LoadUnchecked(string presetOrPath, string? format, string? dataRoot)
    {
        ArgumentException.ThrowIfNullOrEmpty(presetOrPath);
        if (format is null && Presets.Contains(presetOrPath) && !File.Exists(presetOrPath) && !Directory.Exists(presetOrPath))
            return LoadPreset(presetOrPath, dataRoot);
        if (format == SyntheticBenchmark.Format) return SyntheticBenchmark.Generate();
        if (!File.Exists(presetOrPath) && !Directory.Exists(presetOrPath))
            throw new DataFormatException(presetOrPath, null, null, $"no such file or folder, and not a preset ({string.Join(", ", Presets)})");
        if (File.Exists(presetOrPath)) JsonInput.CheckFile(presetOrPath, presetOrPath);
        format ??= DetectFormat(presetOrPath);
        return format switch
        {
            GlobalOpinionQa.CsvFormat => GlobalOpinionQa.LoadOriginalCsv(presetOrPath),
            GlobalOpinionQa.BenchFormat => GlobalOpinionQa.LoadGlobalOpinionBench(presetOrPath),
            GlobalOpinionQa.ModularPluralismFormat => GlobalOpinionQa.LoadModularPluralism(presetOrPath),
            GlobalOpinionQa.GlobalValuesFormat => GlobalOpinionQa.LoadGlobalValues(presetOrPath),
            GlobalOpinionQa.UnionFormat => GlobalOpinionQa.LoadUnion(Directory.Exists(presetOrPath) ? presetOrPath : Path.GetDirectoryName(Path.GetFullPath(presetOrPath))!),
            OpinionQa.CountsFormat => Directory.Exists(presetOrPath)
                ? OpinionQa.LoadCounts(presetOrPath)
                : OpinionQa.LoadCounts(Path.GetDirectoryName(Path.GetFullPath(presetOrPath))!, [CountsAttribute(presetOrPath)]),
            OpinionQa.ModularPluralismFormat => OpinionQa.LoadModularPluralism(presetOrPath, FindInfoFiles(presetOrPath)),
            OpinionQa.DistributionCsvFormat => OpinionQa.LoadDistributionCsv(presetOrPath, FindInfoFiles(presetOrPath)),
            OpinionQa.ResponsesFormat => LoadResponses(presetOrPath),
            _ => throw new DataFormatException(presetOrPath, null, null, $"unknown format '{format}'; known formats: {string.Join(", ", Formats)}"),
        };
    }

    /// <summary>Loads a named preset (see <see cref="Presets"/>).</summary>
    public static PreferenceDataset LoadPreset(string preset, string? dataRoot = null)
    {
        if (preset == Synthetic) return SyntheticBenchmark.Generate();
        if (!Presets.Contains(preset)) throw new DataFormatException(preset, null, null, $"unknown preset; known presets: {string.Join(", ", Presets)}");
        var root = ResolveDataRoot(dataRoot)
            ?? throw new DataFormatException(preset, null, null, $"this preset needs the real data: run `gpo data fetch {preset}` (or `all`), or give --data-root / set GPO_DATA");
        RequireFiles(preset, root);
        var humanResp = Path.Combine(root, "opinionqa", "human_resp");
        return preset switch
        {
            OpinionQa500 => OpinionQa.LoadCounts(Path.Combine(humanResp, "Pew_American_Trends_Panel_disagreement_500"), ["POLPARTY", "RACE", "SEX"], OpinionQa500Groups, OpinionQa500),
            OpinionQa22 => OpinionQa.LoadModularPluralism(Path.Combine(root, "opinionqa", "derived_subsets", "modular_pluralism", "steerable_test_opinionqa_small.json"),
                InfoFilesUnder(humanResp), OpinionQa.GpoGroups, OpinionQa22),
            GlobalQa14 => GlobalOpinionQa.LoadUnion(Path.Combine(root, "globalopinionqa"), GlobalOpinionQa.GpoCountries, GlobalQa14),
            GlobalQaFull => GlobalOpinionQa.LoadOriginalCsv(Path.Combine(root, "globalopinionqa", "global_opinions.csv"), GlobalOpinionQa.GpoCountries).WithIssues([], GlobalQaFull),
            _ => throw new DataFormatException(preset, null, null, "unknown preset"),
        };
    }

    /// <summary>
    /// Checks that every file <paramref name="preset"/> reads (<see cref="DataCatalogue.FilesOf"/>) is under
    /// <paramref name="root"/>; the error names the first missing one and the <c>gpo data fetch</c> command that gets them.
    /// </summary>
    private static void RequireFiles(string preset, string root)
    {
        var missing = DataCatalogue.FilesOf(preset).Select(f => Path.Combine(root, f.RelativePath.Replace('/', Path.DirectorySeparatorChar))).Where(p => !File.Exists(p)).ToList();
        if (missing.Count == 0) return;
        var destination = root == DefaultDataRoot() ? "" : root.Contains(' ', StringComparison.Ordinal) ? $" --dest \"{root}\"" : $" --dest {root}";
        var more = missing.Count > 1 ? $" (and {missing.Count - 1} more of its files)" : "";
        throw new DataFormatException(missing[0], null, null, $"file of preset {preset} missing under the data root{more}; `gpo data fetch {preset}{destination}` gets it");
    }

    /// <summary>Guesses the format of a file or folder from its header / first record; throws naming the file when it cannot.</summary>
    public static string DetectFormat(string path)
    {
        if (Directory.Exists(path))
        {
            if (GlobalOpinionQa.SubsetFiles.Any(f => File.Exists(Path.Combine(path, f)))) return GlobalOpinionQa.UnionFormat;
            if (File.Exists(Path.Combine(path, "info.csv")) && File.Exists(Path.Combine(path, "responses.csv"))) return OpinionQa.ResponsesFormat;
            if (File.Exists(Path.Combine(path, "info.csv")) && Directory.GetFiles(path, "*_data.json").Length > 0) return OpinionQa.CountsFormat;
            throw new DataFormatException(path, null, null, "cannot tell the format of this folder (expected info.csv with *_data.json or responses.csv, or the GlobalOpinionQA subset files); give --format");
        }
        var name = Path.GetFileName(path);
        var extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension == ".csv")
        {
            var header = CsvRows.ReadHeader(path);
            if (new[] { "question", "selections", "options", "source" }.All(header.Contains)) return GlobalOpinionQa.CsvFormat;
            if (new[] { "qkey", "group", "D_H" }.All(header.Contains)) return OpinionQa.DistributionCsvFormat;
            if (header.Contains("key") && header.Contains("option_ordinal"))
                throw new DataFormatException(name, 1, null, "an info.csv holds questions but no distributions: load its folder (with *_data.json or responses.csv)");
            throw new DataFormatException(name, 1, null, $"cannot tell the format from the header ({string.Join(", ", header)}); give --format");
        }
        if (extension == ".json")
        {
            using var document = JsonInput.Parse(path, name);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Array)
            {
                var first = root.EnumerateArray().FirstOrDefault();
                if (first.ValueKind == JsonValueKind.Object && first.TryGetProperty("country", out _) && first.TryGetProperty("distribution", out _)) return GlobalOpinionQa.BenchFormat;
                if (first.ValueKind == JsonValueKind.Object && first.TryGetProperty("gold_distribution", out _) && first.TryGetProperty("attribute", out var attribute))
                {
                    var value = attribute.ValueKind == JsonValueKind.String ? attribute.GetString()! : "";
                    int underscore = value.IndexOf('_', StringComparison.Ordinal);
                    return underscore > 0 && OpinionQa.Attributes.Contains(value[..underscore]) ? OpinionQa.ModularPluralismFormat : GlobalOpinionQa.ModularPluralismFormat;
                }
            }
            else if (root.ValueKind == JsonValueKind.Object)
            {
                var first = root.EnumerateObject().FirstOrDefault();
                if (first.Value.ValueKind == JsonValueKind.Object && first.Value.TryGetProperty("MC_options", out _))
                    return first.Value.TryGetProperty("countries", out _) ? GlobalOpinionQa.GlobalValuesFormat : OpinionQa.CountsFormat;
            }
            throw new DataFormatException(name, 1, null, "cannot tell the format of this JSON from its first record; give --format");
        }
        throw new DataFormatException(name, null, null, $"cannot tell the format from the extension '{extension}'; give --format ({string.Join(", ", Formats)})");
    }

    /// <summary>The attribute of a counts file named <c>&lt;ATTR&gt;_data.json</c>; any other name is an error naming the rule.</summary>
    private static string CountsAttribute(string path)
    {
        var name = Path.GetFileName(path);
        const string suffix = "_data.json";
        var attribute = name.EndsWith(suffix, StringComparison.Ordinal) ? name[..^suffix.Length] : "";
        if (!OpinionQa.Attributes.Contains(attribute))
            throw new DataFormatException(name, null, null,
                $"--format {OpinionQa.CountsFormat} reads files named <ATTR>_data.json with ATTR one of {string.Join(", ", OpinionQa.Attributes)} (beside info.csv); rename the file or give its folder");
        return attribute;
    }

    /// <summary>All <c>info.csv</c> files under a <c>human_resp</c> folder (one per wave / question set), sorted.</summary>
    public static IReadOnlyList<string> InfoFilesUnder(string humanRespFolder) =>
        Directory.GetDirectories(humanRespFolder).Select(d => Path.Combine(d, "info.csv")).Where(File.Exists).OrderBy(f => f, StringComparer.Ordinal).ToList();

    /// <summary>info.csv files for a file: the one beside it, else those under the nearest ancestor's <c>human_resp</c>.</summary>
    private static IReadOnlyList<string> FindInfoFiles(string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (File.Exists(Path.Combine(folder, "info.csv"))) return [Path.Combine(folder, "info.csv")];
        for (var dir = new DirectoryInfo(folder); dir is not null; dir = dir.Parent)
            if (Directory.Exists(Path.Combine(dir.FullName, "human_resp"))) return InfoFilesUnder(Path.Combine(dir.FullName, "human_resp"));
        return [];
    }

    private static PreferenceDataset LoadResponses(string path)
    {
        var folder = Directory.Exists(path) ? path : Path.GetDirectoryName(Path.GetFullPath(path))!;
        var responses = Directory.Exists(path) ? Path.Combine(path, "responses.csv") : path;
        return OpinionQa.LoadResponses(RequireFile(responses), RequireFile(Path.Combine(folder, "info.csv")));
    }

    private static string RequireFile(string path) =>
        File.Exists(path) ? path : throw new DataFormatException(path, null, null, "expected file is missing");
}
