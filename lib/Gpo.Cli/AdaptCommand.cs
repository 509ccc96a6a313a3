using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using Gpo.Data;
using Gpo.Evaluation;
using Gpo.Training;

namespace Gpo.Cli;

/// <summary>
/// <c>gpo adapt</c>: few-shot adaptation with a meta-trained checkpoint — a group's k context questions
/// (with their distributions) in, every other question's predicted distribution out, as JSON on stdout.
/// No gradient step.
/// </summary>
internal sealed class AdaptCommand : ICliCommand
{
    public Command Build()
    {
        var command = new Command("adapt", "Predict a group's answer distributions from k of its questions with a meta-trained GPO checkpoint (JSON on stdout).");
        var features = new FeatureSource();
        var checkpoint = new Option<string>("--checkpoint") { Description = "A GPO checkpoint (safetensors).", Required = true };
        var groups = new Option<string[]>("--group") { Description = "Group(s) to adapt to (default: every group of the dataset)." };
        var k = new Option<int>("--k") { Description = "Context questions drawn per group.", DefaultValueFactory = _ => 20 }.AtLeast(0);
        var context = new Option<string[]>("--context") { Description = "Explicit context question ids (instead of a random draw of --k)." };
        var seed = new Option<int>("--seed") { Description = "Seed of the context draw.", DefaultValueFactory = _ => 0 };
        var device = new DeviceOption();
        features.AddTo(command);
        device.AddTo(command);
        foreach (var option in new Option[] { checkpoint, groups, k, context, seed }) command.Options.Add(option);

        command.SetAction(parseResult => Terminal.Guard("adapt", () =>
        {
            var (dataset, _) = features.Load(parseResult, m => Console.Error.WriteLine(m));
            var (predictor, engine) = GpoPredictor.FromCheckpoint(parseResult.GetValue(checkpoint)!, dataset, model => device.EngineFor(parseResult, model));
            using var deviceEngine = engine;
            var chosen = parseResult.GetValue(groups) is { Length: > 0 } named ? named : [.. dataset.Groups];
            foreach (var group in chosen) dataset.GroupIndex(group); // unknown group → clear error
            var explicitContext = parseResult.GetValue(context) ?? [];
            IReadOnlyList<ContextQuerySplit> draws = explicitContext.Length > 0
                ? chosen.Select(g => new ContextQuerySplit(g, explicitContext, dataset.QuestionIdsOf(g).Except(explicitContext).ToList())).ToList()
                : ContextDraw.For(dataset, chosen, parseResult.GetValue(k), parseResult.GetValue(seed));
            var metric = MetaTrainer.SelectionMetricFor(dataset);

            using var buffer = new MemoryStream();
            using var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            writer.WriteStartObject();
            writer.WriteString("dataset", dataset.Name);
            writer.WriteString("metric", metric.Name);
            writer.WriteStartArray("groups");
            foreach (var draw in draws)
            {
                var episode = EpisodeFactory.Episode(dataset, draw);
                var predicted = predictor.Predict(episode);
                var scores = new List<double>();
                writer.WriteStartObject();
                writer.WriteString("group", draw.Group);
                writer.WriteStartArray("context");
                foreach (var id in draw.ContextQuestionIds) writer.WriteStringValue(id);
                writer.WriteEndArray();
                writer.WriteStartArray("predictions");
                for (var i = 0; i < predicted.Length; i++)
                {
                    var question = dataset.GetQuestion(episode.Queries[i].QuestionId);
                    var observed = episode.Queries[i].Distribution!;
                    var score = metric.Score(predicted[i], observed, question.Ordinals);
                    if (score is { } s) scores.Add(s);
                    writer.WriteStartObject();
                    writer.WriteString("question_id", question.Id);
                    writer.WriteString("question", question.Text);
                    writer.WriteStartArray("options");
                    foreach (var option in question.Options) writer.WriteStringValue(option);
                    writer.WriteEndArray();
                    WriteNumbers(writer, "predicted", predicted[i]);
                    WriteNumbers(writer, "observed", observed);
                    if (score is { } value) writer.WriteNumber(metric.Name, Math.Round(value, 6));
                    writer.WriteEndObject();
                }
                writer.WriteEndArray();
                if (scores.Count > 0) writer.WriteNumber("mean_" + metric.Name, Math.Round(scores.Average(), 6));
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.Flush();
            Console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
            return 0;
        }));
        return command;
    }

    private static void WriteNumbers(Utf8JsonWriter writer, string name, IEnumerable<double> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values) writer.WriteNumberValue(Math.Round(value, 6));
        writer.WriteEndArray();
    }
}
