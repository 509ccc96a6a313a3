using System.Text.Json.Nodes;
using Gpo.Figures;

namespace Gpo.Evaluation;

/// <summary>What <see cref="ResultsReport.Regenerate"/> wrote.</summary>
/// <param name="Summary">The summary rows (as in summary.csv).</param>
/// <param name="Figures">The HTML figures written.</param>
/// <param name="Notes">What was skipped and why (e.g. PNG export without Chromium).</param>
public sealed record ResultsReportOutcome(IReadOnlyList<SummaryRow> Summary, IReadOnlyList<string> Figures, IReadOnlyList<string> Notes);

/// <summary>
/// Rebuilds a results folder's tables and figures from its saved files alone — <c>predictions.csv.gz</c>,
/// <c>manifest.json</c> and <c>runs/*/metrics.jsonl</c> — so anyone can regenerate (or restyle) the
/// published numbers without retraining, and every plotted bar traces back to prediction rows.
/// </summary>
public static class ResultsReport
{
    /// <summary>Metrics reported for every dataset (the W₁ alignment only where the data has ordinals).</summary>
    public static readonly IReadOnlyList<AlignmentMetric> ReportedMetrics =
    [
        AlignmentMetrics.AlignmentW1, AlignmentMetrics.AlignmentJs, AlignmentMetrics.TotalVariationDistance,
        AlignmentMetrics.KlTrueToPredicted, AlignmentMetrics.ArgmaxAccuracy,
    ];

    /// <summary>Writes summary.csv, summary_table.{csv,md} and figures/*.html (+ .png with Chromium) in <paramref name="resultsFolder"/>.</summary>
    /// <param name="resultsFolder">A folder written by <see cref="Reproduction"/>.</param>
    /// <param name="chromiumPath">Chromium for PNGs; default <see cref="Chromium.Find"/>; pass "" to skip PNGs.</param>
    public static ResultsReportOutcome Regenerate(string resultsFolder, string? chromiumPath = null)
    {
        ArgumentNullException.ThrowIfNull(resultsFolder);
        var manifestPath = Path.Combine(resultsFolder, "manifest.json");
        if (!File.Exists(manifestPath)) throw new FileNotFoundException($"{manifestPath}: not a results folder (no manifest.json).", manifestPath);
        var manifest = JsonNode.Parse(File.ReadAllText(manifestPath))?.AsObject() ?? throw new InvalidDataException($"{manifestPath}: empty manifest.");
        string Text(string key) => manifest[key]?.GetValue<string>() ?? throw new InvalidDataException($"{manifestPath}: missing '{key}'.");
        var dataset = manifest["dataset"]?["name"]?.GetValue<string>() ?? throw new InvalidDataException($"{manifestPath}: missing 'dataset.name'.");
        var metric = Text("selection_metric");
        var k = manifest["context_questions"]?.GetValue<int>() ?? throw new InvalidDataException($"{manifestPath}: missing 'context_questions'.");
        var sweepSplit = Text("sweep_split");

        var questions = PredictionTable.Questions(PredictionTable.Read(PredictionTable.Locate(resultsFolder)));
        var summary = ResultsSummary.Compute(questions, ReportedMetrics);
        ResultsSummary.WriteCsv(Path.Combine(resultsFolder, "summary.csv"), summary);
        ResultsSummary.WriteTable(Path.Combine(resultsFolder, "summary_table.csv"), Path.Combine(resultsFolder, "summary_table.md"),
            summary.Where(r => PairedComparison.IsMainSplit(r.Split)).ToList(), $"{dataset}: alignment with held-out groups (k = {k})");
        var headline = AlignmentMetrics.ByName(metric);
        var selected = SelectedByValidation(manifest);
        var pairedSection = PairedComparison.Write(resultsFolder, PairedComparison.Compare(questions, headline),
            PairedComparison.Diagnostics(questions, headline), selected);
        File.AppendAllText(Path.Combine(resultsFolder, "summary_table.md"), pairedSection);

        var runsFolder = Path.Combine(resultsFolder, "runs");
        var curves = Directory.Exists(runsFolder)
            ? Directory.GetDirectories(runsFolder).Order(StringComparer.Ordinal)
                .Select(run => (Path.GetFileName(run), (IReadOnlyList<JsonObject>)new Training.RunFolder(run).ReadMetrics()))
                .ToList()
            : [];
        var figures = new List<(string Name, Figure Figure)>
        {
            ("alignment_bars", ResultFigures.AlignmentBars(dataset, summary, metric, k)),
            ("alignment_per_group", ResultFigures.PerGroup(dataset, ResultsSummary.PerGroup(questions.Where(q => PairedComparison.IsMainSplit(q.Split)).ToList(), AlignmentMetrics.ByName(metric)), metric, sweepSplit)),
        };
        if (curves.Count > 0) figures.Add(("training_curves", ResultFigures.TrainingCurves(dataset, curves, "validation_" + metric)));
        if (summary.Any(r => ResultFigures.IsSweep(r.Split))) figures.Add(("alignment_vs_k", ResultFigures.AlignmentVsContext(dataset, summary, metric)));

        var chromium = chromiumPath is null ? Chromium.Find() : chromiumPath.Length == 0 ? null : chromiumPath;
        var written = new List<string>();
        var notes = new List<string>();
        foreach (var (name, figure) in figures)
        {
            var result = FigureExport.Write(figure, Path.Combine(resultsFolder, "figures", name + ".html"), chromium);
            written.Add(result.HtmlPath);
            if (result.Note is { } note && !notes.Contains(note)) notes.Add(note);
        }
        return new ResultsReportOutcome(summary, written, notes);
    }

    /// <summary>
    /// Per main split, the GPO variant whose runs scored best on the validation groups (mean over seeds of each run's best
    /// validation score, from the manifest) — never chosen by test groups; under nested selection, on the selection groups
    /// (each run's <c>selection_score</c>), which did not choose the checkpoints. A run folder <c>F-seedS</c> is <c>gpo</c>;
    /// <c>F-seedS-NAME</c> is the variant NAME.
    /// </summary>
    public static Dictionary<string, string> SelectedByValidation(JsonObject manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var scores = new List<(string Split, string Method, double Score)>();
        foreach (var run in manifest["runs"]?.AsArray() ?? [])
        {
            var name = run?["run"]?.GetValue<string>();
            var score = run?["selection_score"]?.GetValue<double>() ?? run?["best_validation_score"]?.GetValue<double>();
            if (name is null || score is null) continue;
            var seedAt = name.IndexOf("-seed", StringComparison.Ordinal);
            if (seedAt < 0) continue;
            var rest = name[(seedAt + 5)..];
            var dash = rest.IndexOf('-', StringComparison.Ordinal);
            scores.Add((name[..seedAt], dash < 0 ? "gpo" : rest[(dash + 1)..], score.Value));
        }
        return scores.GroupBy(s => s.Split).ToDictionary(g => g.Key,
            g => g.GroupBy(s => s.Method).OrderByDescending(m => m.Average(s => s.Score)).ThenBy(m => m.Key, StringComparer.Ordinal).First().Key);
    }
}
