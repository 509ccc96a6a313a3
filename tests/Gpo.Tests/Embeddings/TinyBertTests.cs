using System.Text.Json;
using Gpo.Embeddings;

namespace Gpo.Tests.Embeddings;

/// <summary>
/// A tiny random BERT (BF16 weights, 'bert.' name prefix, 4 heads of 4, 2 layers) against PyTorch
/// (tools/tiny_bert_reference.py): the loader reads sizes from config.json, not from MiniLM, and needs no download.
/// </summary>
public class TinyBertTests
{
    private static readonly string Folder = TestData.Fixture("tiny_bert");

    [Fact]
    public void Bf16_prefixed_model_matches_pytorch_alone_and_packed()
    {
        var encoder = new BertEncoder(Folder);
        Assert.Equal(16, encoder.Dimension);
        Assert.Equal(4, encoder.Model.Config.HeadCount);
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "expected.json")));
        var cases = document.RootElement.GetProperty("cases").EnumerateArray()
            .Select(c => (Ids: c.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
                Expected: c.GetProperty("mean_pooled").EnumerateArray().Select(e => e.GetSingle()).ToArray())).ToList();
        var packed = encoder.EmbedTokenized(cases.Select(c => c.Ids).ToList());
        for (var i = 0; i < cases.Count; i++)
        {
            var alone = encoder.EmbedTokenized([cases[i].Ids]);
            for (var j = 0; j < 16; j++)
            {
                Assert.Equal(cases[i].Expected[j], alone[j], 1e-5f);
                Assert.Equal(alone[j], packed[i * 16 + j], 1e-6f);
            }
        }
    }

    [Fact]
    public void Text_goes_through_the_folders_tokenizer()
    {
        var encoder = new BertEncoder(Folder);
        // "The man eating food." = [CLS] the man eat ##ing food . [SEP] with the toy vocabulary.
        Assert.Equal([2, 6, 7, 8, 9, 10, 18, 3], encoder.Tokenizer.Encode("The man eating food."));
        Assert.Equal(encoder.EmbedTokenized([[2, 6, 7, 8, 9, 10, 18, 3]]), encoder.Embed(["The man eating food."]));
    }

    [Fact]
    public void A_config_that_disagrees_with_the_weights_is_a_clear_error()
    {
        var folder = Directory.CreateTempSubdirectory("gpo-tiny-");
        try
        {
            foreach (var file in Directory.GetFiles(Folder)) File.Copy(file, Path.Combine(folder.FullName, Path.GetFileName(file)));
            var config = File.ReadAllText(Path.Combine(folder.FullName, "config.json")).Replace("\"intermediate_size\": 24", "\"intermediate_size\": 32", StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(folder.FullName, "config.json"), config);
            var error = Assert.Throws<InvalidDataException>(() => new BertEncoder(folder.FullName));
            Assert.Contains("bert.encoder.layer.0.intermediate.dense.weight", error.Message);
            Assert.Contains("[24, 16]", error.Message);
        }
        finally { folder.Delete(recursive: true); }
    }
}
