using System.Text.Json;

namespace Gpo.Data;

/// <summary>
/// GlobalOpinionQA (Durmus et al. 2023): countries × questions, sparse. Loaders for the original CSV and for
/// the three public subsets (GlobalOpinionBench eval.json, modular-pluralism JSON, Global Values data.json)
/// and their union. All options are kept (including "DK/Refused"); a question is dropped when one of the
/// selected countries present in it has an empty or all-zero vector. Question ids are
/// <see cref="QuestionIdentity.Hash"/> of normalised text + options, so the same question in two files is one question.
/// </summary>
public static class GlobalOpinionQa
{
    public const string CsvFormat = "globalopinionqa-csv";
    public const string BenchFormat = "globalopinionbench-json";
    public const string ModularPluralismFormat = "modular-pluralism-globalqa-json";
    public const string GlobalValuesFormat = "global-values-json";
    public const string UnionFormat = "globalopinionqa-union";

    /// <summary>GPO's 14 countries (GlobalOpinionQA experiments).</summary>
    public static readonly IReadOnlyList<string> GpoCountries =
    [
        "Nigeria", "Egypt", "India (Current national sample)", "China", "Japan", "Germany", "France", "Spain",
        "United States", "Canada", "Brazil", "Argentina", "Australia", "New Zealand",
    ];

    /// <summary>The subset files of the union, relative to the globalopinionqa folder, in load order (first wins on duplicates).</summary>
    public static readonly IReadOnlyList<string> SubsetFiles =
    [
        "GlobalOpinionBench/eval.json",
        "meister2024_Global_Values/data.json",
        "modular_pluralism/distributional_test_globalopinionqa_small.json",
    ];

    /// <summary>
    /// The original <c>global_opinions.csv</c>: columns <c>question, selections, options, source</c>, where
    /// <c>selections</c> is <c>defaultdict(&lt;class 'list'&gt;, {'Country': [shares], ...})</c> and <c>options</c> a Python list.
    /// </summary>
    public static PreferenceDataset LoadOriginalCsv(string path, IReadOnlyCollection<string>? countries = null)
    {
        var root = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var name = DatasetProvenance.DisplayName(root, path);
        var builder = new PreferenceDatasetBuilder(Path.GetFileNameWithoutExtension(path));
        foreach (var row in CsvRows.Read(path, name, ["question", "selections", "options", "source"]))
        {
            List<string> options;
            try { options = PythonLiteral.ParseStringList(row["options"]); }
            catch (PythonLiteralException e) { throw row.At("options").Error($"bad Python list: {e.Message}", e); }
            PythonDict selections;
            try
            {
                selections = PythonLiteral.Parse(row["selections"]) as PythonDict
                    ?? throw row.At("selections").Error("expected defaultdict(<class 'list'>, {...}) or a dict");
            }
            catch (PythonLiteralException e) { throw row.At("selections").Error($"bad Python literal: {e.Message}", e); }
            var text = row["question"];
            if (options.Count == 0) throw row.At("options").Error("no options");
            var question = builder.AddQuestion(new Question(QuestionIdentity.Hash(text, options), text, options), row.At("question"));
            foreach (var (key, value) in selections.Entries)
            {
                var country = key as string ?? throw row.At("selections").Error($"country key {key} is not a string");
                if (countries is not null && !countries.Contains(country)) continue;
                if (value is not List<object?> list) throw row.At("selections").Error($"'{country}': expected a list of shares");
                var shares = list.Select((v, i) => v switch
                {
                    double d => d,
                    long l => (double)l,
                    _ => throw row.At("selections").Error($"'{country}': share {i} is not a number"),
                }).ToArray();
                if (shares.Length != 0 && shares.Length != options.Count)
                    throw row.At("selections").Error($"'{country}' has {shares.Length} shares for {options.Count} options");
                builder.AddDistribution(country, question.Id, shares, row.At($"selections['{country}']"));
            }
        }
        builder.DropQuestionsWithEmptyVectors(countries);
        return builder.Build(DatasetProvenance.FromFiles(CsvFormat, root, [path]), countries?.ToList());
    }

    /// <summary>GlobalOpinionBench <c>eval.json</c>: a list of <c>{country, question, options, distribution}</c>.</summary>
    public static PreferenceDataset LoadGlobalOpinionBench(string path, IReadOnlyCollection<string>? countries = null) =>
        LoadFiles([(path, BenchFormat)], Path.GetDirectoryName(Path.GetFullPath(path))!, BenchFormat, countries, Path.GetFileNameWithoutExtension(path));

    /// <summary>Modular-pluralism JSON: a list of <c>{question: "Question: ...\nOptions: ...\nAnswer:", options, attribute: country, gold_distribution, id}</c>.</summary>
    public static PreferenceDataset LoadModularPluralism(string path, IReadOnlyCollection<string>? countries = null) =>
        LoadFiles([(path, ModularPluralismFormat)], Path.GetDirectoryName(Path.GetFullPath(path))!, ModularPluralismFormat, countries, Path.GetFileNameWithoutExtension(path));

    /// <summary>Global Values <c>data.json</c>: <c>{question: {country: [shares], "MC_options": "[Python list]", "countries": [...]}}</c>.</summary>
    public static PreferenceDataset LoadGlobalValues(string path, IReadOnlyCollection<string>? countries = null) =>
        LoadFiles([(path, GlobalValuesFormat)], Path.GetDirectoryName(Path.GetFullPath(path))!, GlobalValuesFormat, countries, Path.GetFileNameWithoutExtension(path));

    /// <summary>
    /// The union of the three subsets under <paramref name="folder"/> (those present; at least one).
    /// Questions are matched by normalised text + options; the same (country, question) in two files keeps
    /// the first file's values and reports differences beyond <see cref="PreferenceDatasetBuilder.SumTolerance"/>.
    /// </summary>
    public static PreferenceDataset LoadUnion(string folder, IReadOnlyCollection<string>? countries = null, string? name = null)
    {
        var files = new List<(string, string)>();
        var formats = new[] { BenchFormat, GlobalValuesFormat, ModularPluralismFormat };
        for (int i = 0; i < SubsetFiles.Count; i++)
        {
            var path = Path.Combine(folder, SubsetFiles[i]);
            if (File.Exists(path)) files.Add((path, formats[i]));
        }
        if (files.Count == 0)
            throw new DataFormatException(folder, null, null, $"none of the GlobalOpinionQA subset files ({string.Join(", ", SubsetFiles)}) is in this folder");
        return LoadFiles(files, folder, UnionFormat, countries, name ?? "globalopinionqa-union");
    }

    private static PreferenceDataset LoadFiles(IReadOnlyList<(string Path, string Format)> files, string root, string format, IReadOnlyCollection<string>? countries, string name)
    {
        var builder = new PreferenceDatasetBuilder(name) { DuplicateTolerance = PreferenceDatasetBuilder.SumTolerance };
        foreach (var (path, fileFormat) in files)
        {
            var display = DatasetProvenance.DisplayName(root, path);
            using var document = JsonInput.Parse(path, display);
            switch (fileFormat)
            {
                case BenchFormat: ReadBench(document.RootElement, display, builder, countries); break;
                case ModularPluralismFormat: ReadModularPluralism(document.RootElement, display, builder, countries); break;
                case GlobalValuesFormat: ReadGlobalValues(document.RootElement, display, builder, countries); break;
                default: throw new DataFormatException(display, null, null, $"unknown GlobalOpinionQA file format '{fileFormat}'");
            }
        }
        builder.DropQuestionsWithEmptyVectors(countries);
        return builder.Build(DatasetProvenance.FromFiles(format, root, files.Select(f => f.Path)), countries?.ToList());
    }

    /// <summary>GlobalOpinionBench records: <c>{country, question, options, distribution}</c>.</summary>
    private static void ReadBench(JsonElement root, string file, PreferenceDatasetBuilder builder, IReadOnlyCollection<string>? countries) =>
        ReadLongRecords(root, file, builder, countries, "country", "distribution", (text, _) => text);

    /// <summary>Modular-pluralism records: <c>{question: "Question: ...\nOptions: ...", options, attribute: country, gold_distribution}</c>.</summary>
    private static void ReadModularPluralism(JsonElement root, string file, PreferenceDatasetBuilder builder, IReadOnlyCollection<string>? countries) =>
        ReadLongRecords(root, file, builder, countries, "attribute", "gold_distribution", ModularPluralismText.BareQuestion);

    /// <summary>A JSON list of one-(country, question)-per-record objects with <c>question</c> and <c>options</c>.</summary>
    private static void ReadLongRecords(JsonElement root, string file, PreferenceDatasetBuilder builder, IReadOnlyCollection<string>? countries,
        string countryField, string distributionField, Func<string, SourceRef, string> bareText)
    {
        if (root.ValueKind != JsonValueKind.Array)
            throw new DataFormatException(file, 1, null, $"expected a list of {{{countryField}, question, options, {distributionField}}} records");
        int index = 0;
        foreach (var record in root.EnumerateArray())
        {
            var at = new SourceRef(file, null, $"[{index++}]");
            var country = JsonInput.String(record, countryField, at);
            var text = bareText(JsonInput.String(record, "question", at), at with { Field = at.Field + ".question" });
            var options = JsonInput.Options(record, "options", at);
            var question = builder.AddQuestion(new Question(QuestionIdentity.Hash(text, options), text, options), at);
            if (countries is not null && !countries.Contains(country)) continue;
            var field = at with { Field = $"{at.Field}.{distributionField}" };
            builder.AddDistribution(country, question.Id, JsonInput.Numbers(JsonInput.Property(record, distributionField, at), field), field);
        }
    }

    private static void ReadGlobalValues(JsonElement root, string file, PreferenceDatasetBuilder builder, IReadOnlyCollection<string>? countries)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new DataFormatException(file, 1, null, "expected an object {question: {country: [shares], MC_options, countries}}");
        foreach (var entry in root.EnumerateObject())
        {
            var at = new SourceRef(file, null, entry.Name.Length <= 40 ? entry.Name : entry.Name[..37] + "...");
            var optionsText = JsonInput.String(entry.Value, "MC_options", at);
            List<string> options;
            try { options = PythonLiteral.ParseStringList(optionsText); }
            catch (PythonLiteralException e) { throw (at with { Field = at.Field + ".MC_options" }).Error($"bad Python list: {e.Message}", e); }
            var question = builder.AddQuestion(new Question(QuestionIdentity.Hash(entry.Name, options), entry.Name, options), at);
            foreach (var country in JsonInput.Property(entry.Value, "countries", at).EnumerateArray().Select(c => c.ValueKind == JsonValueKind.String ? c.GetString()! : throw (at with { Field = $"{at.Field}.countries" }).Error($"expected country names, found {c.ValueKind}")))
            {
                if (countries is not null && !countries.Contains(country)) continue;
                var field = at with { Field = $"{at.Field}.{country}" };
                builder.AddDistribution(country, question.Id, JsonInput.Numbers(JsonInput.Property(entry.Value, country, at), field), field);
            }
        }
    }
}

/// <summary>The prompt form of the modular-pluralism files: <c>"Question: {text}\nOptions: A. ... B. ...\nAnswer:"</c>.</summary>
public static class ModularPluralismText
{
    /// <summary>The bare question text between "Question: " and the last "\nOptions: ".</summary>
    public static string BareQuestion(string prompt, SourceRef at)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        const string prefix = "Question: ";
        int options = prompt.LastIndexOf("\nOptions:", StringComparison.Ordinal);
        if (!prompt.StartsWith(prefix, StringComparison.Ordinal) || options < prefix.Length)
            throw at.Error("expected \"Question: ...\\nOptions: ...\\nAnswer:\"");
        return prompt[prefix.Length..options].Trim();
    }
}
