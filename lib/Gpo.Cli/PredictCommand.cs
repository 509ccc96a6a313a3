using System.CommandLine;
using System.Text.Json;
using Gpo.Model;

namespace Gpo.Cli;

/// <summary><c>gpo predict --checkpoint model.safetensors --input group.json</c>: one group's few-shot predictions as JSON on stdout.</summary>
internal sealed class PredictCommand : ICliCommand
{
    public Command Build()
    {
        var checkpoint = new Option<FileInfo>("--checkpoint") { Description = "GPO checkpoint (safetensors, PyTorch state_dict names)", Required = true };
        var input = new Option<FileInfo>("--input") { Description = "JSON: {\"context\": [{\"x\": [...], \"y\": 0.3}], \"targets\": [{\"x\": [[...], ...], \"y\": [...]?}]}", Required = true };
        var command = new Command("predict", "Predict a group's answer distributions on target questions from a few (option, share) context pairs.");
        command.Options.Add(checkpoint);
        command.Options.Add(input);
        var device = new DeviceOption();
        device.AddTo(command);
        command.SetAction(parseResult =>
        {
            var checkpointFile = parseResult.GetValue(checkpoint)!;
            var inputFile = parseResult.GetValue(input)!;
            return Terminal.Guard("predict", () =>
            {
                var model = GpoCheckpoint.Load<float>(checkpointFile.FullName);
                Gpo.IO.InputLimits.CheckFile(inputFile.FullName, inputFile.FullName, Gpo.IO.InputLimits.MaxPredictInputBytes);
                var (context, targets) = PredictionInput.Parse(File.ReadAllText(inputFile.FullName), model.Config.DimX, inputFile.FullName, model.Inputs);
                using var engine = device.EngineFor(parseResult, model);
                var result = GpoInference.Predict(model, context, targets, engine);
                using var stdout = new MemoryStream();
                using (var json = new Utf8JsonWriter(stdout))
                {
                    json.WriteStartObject();
                    json.WriteStartArray("predictions");
                    foreach (var question in result.Predictions)
                    {
                        json.WriteStartArray();
                        foreach (var p in question) json.WriteNumberValue(p);
                        json.WriteEndArray();
                    }
                    json.WriteEndArray();
                    if (result.Loss is double loss) json.WriteNumber("loss", loss);
                    json.WriteEndObject();
                }
                Console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(stdout.ToArray()));
                return 0;
            });
        });
        return command;
    }
}
