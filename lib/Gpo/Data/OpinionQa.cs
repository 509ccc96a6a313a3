using System.Globalization;
using System.Text.Json;

namespace Gpo.Data;

/// <summary>
/// OpinionQA (Santurkar et al. 2023): US demographic groups × Pew survey questions. Refusal-type options
/// are dropped and distributions renormalised over the rest; ordinals come from <c>info.csv</c>; question
/// ids are the qkeys (e.g. <c>WORRYB_W26</c>). Group names are the bare group names ("Democrat"); a name
/// that occurs under two attributes (e.g. "Other" under RACE and POLPARTY) becomes "ATTRIBUTE:name".
/// </summary>
public static class OpinionQa
{
    public const string CountsFormat = "opinionqa-counts";
    public const string ModularPluralismFormat = "modular-pluralism-opinionqa-json";
    public const string DistributionCsvFormat = "opinionqa-distributions-csv";
    public const string ResponsesFormat = "opinionqa-responses";

    /// <summary>The 12 demographic attributes of OpinionQA's metadata.csv.</summary>
    public static readonly IReadOnlyList<string> Attributes =
        ["CREGION", "AGE", "SEX", "EDUCATION", "CITIZEN", "MARITAL", "RELIG", "RELIGATTEND", "POLPARTY", "INCOME", "POLIDEOLOGY", "RACE"];

    /// <summary>GPO's 22 OpinionQA groups.</summary>
    public static readonly IReadOnlyList<string> GpoGroups =
    [
        "Northeast", "South", "Female", "Male", "College graduate/some postgrad", "Less than high school", "Atheist", "Hindu",
        "Jewish", "Muslim", "Protestant", "Democrat", "Republican", "$100,000 or more", "Less than $30,000", "Conservative",
        "Liberal", "Moderate", "Asian", "Black", "Hispanic", "White",
    ];

    // ---------------------------------------------------------------- counts JSON (<ATTR>_data.json + info.csv)

    /// <summary>
    /// A folder with <c>info.csv</c> and one-attribute counts files <c>&lt;ATTR&gt;_data.json</c>
    /// (<c>{qkey: {MC_options, question_text, group: {option text: count}}}</c>, unweighted counts).
    /// Options come from info.csv <c>references</c> (MC_options was split on commas). Two-way files
    /// (<c>POLPARTY_RACE_data.json</c>) and <c>NONE_data.json</c> are not read.
    /// </summary>
    /// <param name="folder">The folder with info.csv and the counts files.</param>
    /// <param name="attributes">Attribute files to read (all one-attribute files when null).</param>
    /// <param name="groups">Groups to keep, in this order (all when null).</param>
    /// <param name="name">Dataset name (the folder name when null).</param>
    public static PreferenceDataset LoadCounts(string folder, IReadOnlyCollection<string>? attributes = null, IReadOnlyList<string>? groups = null, string? name = null)
    {
        var infoPath = Path.Combine(folder, "info.csv");
        if (!File.Exists(infoPath)) throw new DataFormatException(folder, null, null, "an OpinionQA counts folder needs info.csv beside the <ATTR>_data.json files");
        var info = OpinionQaInfo.Read(infoPath, "info.csv");
        var countFiles = Directory.GetFiles(folder, "*_data.json")
            .Select(f => (Path: f, Attribute: Path.GetFileName(f)[..^"_data.json".Length]))
            .Where(f => Attributes.Contains(f.Attribute) && (attributes is null || attributes.Contains(f.Attribute)))
            .OrderBy(f => f.Attribute, StringComparer.Ordinal).ToList();
        if (countFiles.Count == 0) throw new DataFormatException(folder, null, null, "no <ATTR>_data.json counts file for the requested attributes");
        var builder = new PreferenceDatasetBuilder(name ?? Path.GetFileName(Path.GetFullPath(folder)));
        var documents = countFiles.Select(f => (f.Attribute, File: Path.GetFileName(f.Path), Document: JsonInput.Parse(f.Path, Path.GetFileName(f.Path)))).ToList();
        try
        {
            var naming = GroupNaming.Build(documents.SelectMany(d => d.Document.RootElement.EnumerateObject()
                .SelectMany(q => q.Value.ValueKind == JsonValueKind.Object ? q.Value.EnumerateObject().Where(g => g.Value.ValueKind == JsonValueKind.Object).Select(g => (d.Attribute, g.Name)) : [])));
            var infoByKey = info.GroupBy(r => r.Key).ToDictionary(g => g.Key, g => g.ToList());
            var reportedKeys = new HashSet<string>();
            foreach (var (attribute, file, document) in documents)
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object) throw new DataFormatException(file, 1, null, "expected {qkey: {MC_options, question_text, group: {option: count}}}");
                foreach (var entry in document.RootElement.EnumerateObject())
                {
                    var at = new SourceRef(file, null, entry.Name);
                    if (entry.Value.ValueKind != JsonValueKind.Object) throw at.Error($"expected {{MC_options, question_text, group: {{option: count}}}}, found {entry.Value.ValueKind}");
                    if (!infoByKey.TryGetValue(entry.Name, out var rows))
                    {
                        builder.Issues.Add(at.Issue($"question {entry.Name} is not in info.csv; skipped"));
                        continue;
                    }
                    var text = entry.Value.TryGetProperty("question_text", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : null;
                    var infoRow = rows.Count == 1 ? rows[0] : rows.FirstOrDefault(r => text is not null && QuestionIdentity.Normalize(r.Text) == QuestionIdentity.Normalize(text)) ?? rows[0];
                    if (rows.Count > 1 && reportedKeys.Add(entry.Name))
                        builder.Issues.Add(infoRow.Where.Issue($"key {entry.Name} has {rows.Count} rows in info.csv with different wording; using \"{infoRow.Text}\""));
                    var question = builder.AddQuestion(infoRow.ToQuestion(), at);
                    foreach (var group in entry.Value.EnumerateObject())
                    {
                        if (group.Value.ValueKind != JsonValueKind.Object) continue; // MC_options, question_text
                        var field = at with { Field = $"{entry.Name}.{group.Name}" };
                        var counts = CountsOverAnswerOptions(infoRow, group.Value.EnumerateObject().Select(o => (o.Name, o.Value)), field);
                        var groupName = naming[(attribute, group.Name)];
                        builder.AddGroup(groupName);
                        builder.AddDistribution(groupName, question.Id, counts, field, isCounts: true);
                    }
                }
            }
        }
        finally
        {
            foreach (var d in documents) d.Document.Dispose();
        }
        ReportEmptyAsMissing(builder, groups);
        return builder.Build(DatasetProvenance.FromFiles(CountsFormat, folder, countFiles.Select(f => f.Path).Append(infoPath)), groups);
    }

    /// <summary>Counts (or weights) per answer option, from (option text, count) pairs; refusal-type options are dropped.</summary>
    private static double[] CountsOverAnswerOptions(OpinionQaInfoRow infoRow, IEnumerable<(string Option, JsonElement Value)> entries, SourceRef field)
    {
        var counts = new double[infoRow.Ordinals.Count];
        foreach (var (option, value) in entries)
        {
            int index = IndexOfOption(infoRow.References, option);
            if (index < 0) throw (field with { Field = $"{field.Field}.{option}" }).Error($"option \"{option}\" is not among the info.csv references of {infoRow.Key}");
            if (value.ValueKind != JsonValueKind.Number) throw (field with { Field = $"{field.Field}.{option}" }).Error($"count is {value.ValueKind}, not a number");
            if (!value.TryGetDouble(out var count) || !double.IsFinite(count)) throw (field with { Field = $"{field.Field}.{option}" }).Error("count is beyond the range of a double");
            if (index < counts.Length) counts[index] += count;
        }
        return counts;
    }

    private static int IndexOfOption(IReadOnlyList<string> references, string option)
    {
        for (int i = 0; i < references.Count; i++) if (references[i] == option) return i;
        var normalized = QuestionIdentity.Normalize(option);
        for (int i = 0; i < references.Count; i++) if (QuestionIdentity.Normalize(references[i]) == normalized) return i;
        return -1;
    }

    private static void ReportEmptyAsMissing(PreferenceDatasetBuilder builder, IReadOnlyList<string>? keptGroups)
    {
        foreach (var byGroup in builder.EmptyVectors.Where(e => keptGroups is null || keptGroups.Contains(e.Group)).GroupBy(e => e.Group))
            builder.Issues.Add(byGroup.First().Where.Issue(
                $"group '{byGroup.Key}' has no non-refusal answers on {byGroup.Count()} question(s) ({string.Join(", ", byGroup.Select(e => e.QuestionId).Take(5))}{(byGroup.Count() > 5 ? ", ..." : "")}); the group lacks them"));
    }

    // ---------------------------------------------------------------- modular-pluralism JSON (22 groups)

    /// <summary>
    /// The modular-pluralism OpinionQA file: <c>[{question: "Question: ...\nOptions: ...\nAnswer:", options, attribute: "ATTR_group", gold_distribution}]</c>
    /// (unweighted shares, refusal options already dropped). Questions are joined to the <paramref name="infoFiles"/> by
    /// normalised text + options, which gives their qkey and ordinals. A question whose text is in info.csv but whose
    /// options are not is **dropped**: its creator split options on commas and mangled quotes, and the shares of the
    /// mangled options are 0 (e.g. "Importan" / "ut not essential" for "Important, but not essential"), so its
    /// distribution is corrupt. A question whose text is not in info.csv at all keeps the file's options, a hashed id and
    /// no ordinals. Both are reported.
    /// </summary>
    public static PreferenceDataset LoadModularPluralism(string path, IReadOnlyList<string> infoFiles, IReadOnlyList<string>? groups = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(infoFiles);
        var display = Path.GetFileName(path);
        var info = infoFiles.SelectMany(f => OpinionQaInfo.Read(f, f)).ToList();
        var byMatchKey = info.GroupBy(r => QuestionIdentity.MatchKey(r.Text, r.AnswerOptions)).ToDictionary(g => g.Key, g => g.ToList());
        var knownTexts = info.Select(r => QuestionIdentity.Normalize(r.Text)).ToHashSet();
        var builder = new PreferenceDatasetBuilder(name ?? Path.GetFileNameWithoutExtension(path));
        using var document = JsonInput.Parse(path, display);
        if (document.RootElement.ValueKind != JsonValueKind.Array) throw new DataFormatException(display, 1, null, "expected a list of {question, options, attribute, gold_distribution} records");
        var joined = new Dictionary<string, Question?>(StringComparer.Ordinal);
        var corrupt = new List<string>();
        int unjoined = 0;
        var records = new List<(string Attribute, string Group, Question Question, double[] Shares, SourceRef Field)>();
        int index = 0;
        foreach (var record in document.RootElement.EnumerateArray())
        {
            var at = new SourceRef(display, null, $"[{index++}]");
            var attributeGroup = JsonInput.String(record, "attribute", at);
            int underscore = attributeGroup.IndexOf('_', StringComparison.Ordinal);
            if (underscore <= 0) throw (at with { Field = at.Field + ".attribute" }).Error($"expected ATTRIBUTE_group, found \"{attributeGroup}\"");
            var text = UnquoteCsvText(ModularPluralismText.BareQuestion(JsonInput.String(record, "question", at), at with { Field = at.Field + ".question" }));
            var options = JsonInput.Options(record, "options", at);
            var key = QuestionIdentity.MatchKey(text, options);
            if (!joined.TryGetValue(key, out var question))
            {
                if (byMatchKey.TryGetValue(key, out var rows))
                {
                    // A qkey can carry several wordings (IDIMPORT_W43): a second wording gets a hashed id.
                    var id = joined.Values.Any(q => q?.Id == rows[0].Key) ? QuestionIdentity.Hash(text, options) : rows[0].Key;
                    question = new Question(id, text, options, rows[0].Ordinals);
                }
                else if (knownTexts.Contains(QuestionIdentity.Normalize(text)))
                {
                    question = null;
                    corrupt.Add(text);
                }
                else
                {
                    question = new Question(QuestionIdentity.Hash(text, options), text, options);
                    unjoined++;
                }
                joined[key] = question;
            }
            if (question is null) continue;
            var field = at with { Field = at.Field + ".gold_distribution" };
            var shares = JsonInput.Numbers(JsonInput.Property(record, "gold_distribution", at), field);
            if (shares.Length != question.OptionCount) throw field.Error($"{shares.Length} shares for {question.OptionCount} options");
            records.Add((attributeGroup[..underscore], attributeGroup[(underscore + 1)..], question, shares, field));
        }
        var naming = GroupNaming.Build(records.Select(r => (r.Attribute, r.Group)));
        foreach (var r in records)
        {
            builder.AddQuestion(r.Question, r.Field);
            builder.AddDistribution(naming[(r.Attribute, r.Group)], r.Question.Id, r.Shares, r.Field);
        }
        if (corrupt.Count > 0)
            builder.Issues.Add(new DataIssue(display, null, "options", $"{corrupt.Count} question(s) dropped: the text is in info.csv but the options were mangled (split on commas, stray quotes) and their shares lost, e.g. \"{corrupt[0]}\""));
        if (unjoined > 0)
            builder.Issues.Add(new DataIssue(display, null, "question", $"{unjoined} question(s) not found in info.csv: kept with the file's options, a hashed id and no ordinals (alignment_w1 undefined for them)"));
        return builder.Build(DatasetProvenance.FromFiles(ModularPluralismFormat, null, infoFiles.Append(path)), groups);
    }

    /// <summary>Undoes CSV quoting left in a text (<c>"Do you say ""please""?"</c> → <c>Do you say "please"?</c>).</summary>
    private static string UnquoteCsvText(string text) =>
        text.Length >= 2 && text[0] == '"' && text[^1] == '"' && text.Contains("\"\"", StringComparison.Ordinal)
            ? text[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal)
            : text;

    // ---------------------------------------------------------------- distribution CSV (mytrain_data.csv, *_default_human.csv)

    /// <summary>
    /// Weighted distributions as OpinionQA's processing writes them: columns <c>qkey, attribute, group, D_H</c>
    /// with D_H over the non-refusal options, as a Python list (<c>[0.1, 0.2]</c>, GPO's mytrain_data.csv, which
    /// also has <c>question</c> and <c>references</c>) or numpy text (<c>[0.1 0.2]</c>, <c>_default_human.csv</c>).
    /// Question text, options and ordinals come from <paramref name="infoFiles"/> (by qkey; required when the CSV has
    /// no <c>question</c>/<c>references</c> columns).
    /// </summary>
    public static PreferenceDataset LoadDistributionCsv(string path, IReadOnlyList<string>? infoFiles = null, IReadOnlyList<string>? groups = null, string? name = null)
    {
        var root = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var display = Path.GetFileName(path);
        var info = (infoFiles ?? []).SelectMany(f => OpinionQaInfo.Read(f, Path.GetFileName(f))).GroupBy(r => r.Key).ToDictionary(g => g.Key, g => g.ToList());
        var header = CsvRows.ReadHeader(path);
        bool hasText = header.Contains("question") && header.Contains("references");
        if (!hasText && info.Count == 0)
            throw new DataFormatException(display, 1, null, "this distribution CSV has no question/references columns: give the info.csv file(s) of its waves");
        var rows = CsvRows.Read(path, display, ["qkey", "attribute", "group", "D_H"]).ToList();
        var naming = GroupNaming.Build(rows.Select(r => (r["attribute"], r["group"])));
        var builder = new PreferenceDatasetBuilder(name ?? Path.GetFileNameWithoutExtension(path));
        foreach (var row in rows)
        {
            var key = row["qkey"];
            double[] shares;
            try { shares = PythonLiteral.ParseVector(row["D_H"]); }
            catch (PythonLiteralException e) { throw row.At("D_H").Error($"bad vector: {e.Message}", e); }
            Question question;
            if (hasText)
            {
                List<string> references;
                try { references = PythonLiteral.ParseStringList(row["references"]); }
                catch (PythonLiteralException e) { throw row.At("references").Error($"bad Python list: {e.Message}", e); }
                if (shares.Length > references.Count) throw row.At("D_H").Error($"{shares.Length} shares for {references.Count} references");
                var text = row["question"];
                var answerOptions = references.Take(shares.Length).ToList();
                var ordinals = info.TryGetValue(key, out var candidates)
                    ? candidates.FirstOrDefault(r => r.AnswerOptions.SequenceEqual(answerOptions))?.Ordinals : null;
                question = new Question(key, text, answerOptions, ordinals);
            }
            else
            {
                if (!info.TryGetValue(key, out var candidates))
                {
                    builder.Issues.Add(row.At("qkey").Issue($"question {key} is not in the info.csv files; row skipped"));
                    continue;
                }
                question = candidates[0].ToQuestion();
                if (shares.Length != question.OptionCount)
                    throw row.At("D_H").Error($"{shares.Length} shares for the {question.OptionCount} non-refusal options of {key} in info.csv");
            }
            question = builder.AddQuestion(question, row.At("question"));
            if (shares.Length != question.OptionCount) throw row.At("D_H").Error($"{shares.Length} shares for {question.OptionCount} options of {key}");
            builder.AddDistribution(naming[(row["attribute"], row["group"])], question.Id, shares, row.At("D_H"));
        }
        return builder.Build(DatasetProvenance.FromFiles(DistributionCsvFormat, null, (infoFiles ?? []).Append(path)), groups);
    }

    // ---------------------------------------------------------------- per-respondent responses.csv

    /// <summary>
    /// Survey-weighted group distributions from OpinionQA's per-respondent <c>responses.csv</c>: one row per
    /// respondent, a column per question key holding the chosen option's text, a column per demographic
    /// attribute (named as in <see cref="Attributes"/>), and the survey weight <c>WEIGHT_W&lt;wave&gt;</c>.
    /// p_g(q)[i] = Σ weight of respondents in g who chose option i / Σ weight of those in g who chose a non-refusal option.
    /// Blank answers are skipped; refusal-type answers are dropped; an answer not among the references is an error.
    /// </summary>
    public static PreferenceDataset LoadResponses(string responsesPath, string infoPath, IReadOnlyCollection<string>? attributes = null, IReadOnlyList<string>? groups = null, string? name = null)
    {
        var root = Path.GetDirectoryName(Path.GetFullPath(responsesPath))!;
        var display = Path.GetFileName(responsesPath);
        var info = OpinionQaInfo.Read(infoPath, Path.GetFileName(infoPath)).DistinctBy(r => r.Key).ToDictionary(r => r.Key);
        var header = CsvRows.ReadHeader(responsesPath);
        var weightColumns = header.Where(h => h.StartsWith("WEIGHT_W", StringComparison.Ordinal)).ToList();
        if (weightColumns.Count != 1)
            throw new DataFormatException(display, 1, "WEIGHT_W<wave>", $"expected exactly one survey weight column WEIGHT_W<wave>, found {weightColumns.Count}");
        var weightColumn = weightColumns[0];
        var attributeColumns = header.Where(h => Attributes.Contains(h) && (attributes is null || attributes.Contains(h))).ToList();
        if (attributeColumns.Count == 0) throw new DataFormatException(display, 1, null, "no demographic attribute column (CREGION, AGE, SEX, ...)");
        var questionColumns = header.Where(info.ContainsKey).ToList();
        if (questionColumns.Count == 0) throw new DataFormatException(display, 1, null, "no column is a question key of info.csv");
        // weight sums: (attribute, group) → question → per-option weight
        var sums = new Dictionary<(string Attribute, string Group), Dictionary<string, double[]>>();
        foreach (var row in CsvRows.Read(responsesPath, display, [weightColumn]))
        {
            var weightText = row[weightColumn];
            if (!double.TryParse(weightText, NumberStyles.Float, CultureInfo.InvariantCulture, out double weight) || !double.IsFinite(weight) || weight < 0)
                throw row.At(weightColumn).Error($"survey weight \"{weightText}\" is not a finite non-negative number");
            foreach (var attribute in attributeColumns)
            {
                var group = row[attribute].Trim();
                if (group.Length == 0) continue;
                if (!sums.TryGetValue((attribute, group), out var byQuestion)) sums[(attribute, group)] = byQuestion = [];
                foreach (var key in questionColumns)
                {
                    var answer = row[key].Trim();
                    if (answer.Length == 0) continue;
                    var infoRow = info[key];
                    int index = IndexOfOption(infoRow.References, answer);
                    if (index < 0) throw row.At(key).Error($"answer \"{answer}\" is not among the options of {key} in info.csv");
                    if (index >= infoRow.Ordinals.Count) continue; // refusal-type
                    if (!byQuestion.TryGetValue(key, out var perOption)) byQuestion[key] = perOption = new double[infoRow.Ordinals.Count];
                    perOption[index] += weight;
                }
            }
        }
        var naming = GroupNaming.Build(sums.Keys);
        var builder = new PreferenceDatasetBuilder(name ?? Path.GetFileName(root));
        foreach (var key in questionColumns) builder.AddQuestion(info[key].ToQuestion(), new SourceRef(display, 1, key));
        foreach (var ((attribute, group), byQuestion) in sums.OrderBy(s => s.Key.Attribute, StringComparer.Ordinal).ThenBy(s => s.Key.Group, StringComparer.Ordinal))
            foreach (var key in questionColumns)
                if (byQuestion.TryGetValue(key, out var perOption))
                    builder.AddDistribution(naming[(attribute, group)], key, perOption, new SourceRef(display, null, $"{key} × {attribute}={group}"), isCounts: true);
        ReportEmptyAsMissing(builder, groups);
        return builder.Build(DatasetProvenance.FromFiles(ResponsesFormat, root, [responsesPath, infoPath]), groups);
    }
}

/// <summary>Group names from (attribute, group) pairs: the bare name, or "ATTRIBUTE:name" when two attributes share it.</summary>
public static class GroupNaming
{
    public static Dictionary<(string Attribute, string Group), string> Build(IEnumerable<(string Attribute, string Group)> pairs)
    {
        var distinct = pairs.Distinct().ToList();
        var clashing = distinct.GroupBy(p => p.Group).Where(g => g.Select(p => p.Attribute).Distinct().Count() > 1).Select(g => g.Key).ToHashSet();
        return distinct.ToDictionary(p => p, p => clashing.Contains(p.Group) ? $"{p.Attribute}:{p.Group}" : p.Group);
    }
}
