using Gpo.Data;
using Gpo.Embeddings;

namespace Gpo.Tests.Embeddings;

public sealed class DatasetEmbedderTests : IDisposable
{
    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("gpo-emb-");

    public void Dispose() => folder.Delete(recursive: true);

    private static readonly Question[] Questions =
    [
        new("q1", "Do you like tea?", ["Yes", "No"]),
        new("q2", "How often do you travel?", ["Never", "Sometimes", "Often"]),
    ];

    [Fact]
    public void Each_option_gets_the_vector_of_its_templated_text()
    {
        var encoder = new CountingEncoder();
        var embeddings = DatasetEmbedder.Embed(Questions, encoder, EmbeddingTemplate.Compact);
        Assert.Equal(8, embeddings.Features.Dimension);
        var expected = CountingEncoder.VectorOf(EmbeddingTemplate.Compact.Format("How often do you travel?", Questions[1].Options, 2), 8);
        Assert.Equal(expected, embeddings.Features.ForOption("q2", 2).ToArray());
        Assert.Equal(["q1", "q2"], embeddings.QuestionIds);
        Assert.Equal("counting-test-encoder", embeddings.Metadata.Encoder);
        Assert.Equal(EmbeddingTemplate.Compact.Identity, embeddings.Metadata.Template);
    }

    [Fact]
    public void Centring_subtracts_each_questions_mean_option_vector()
    {
        var encoder = new CountingEncoder();
        var raw = DatasetEmbedder.Embed(Questions, encoder, EmbeddingTemplate.Compact);
        var centred = DatasetEmbedder.Embed(Questions, encoder, EmbeddingTemplate.Compact, new FeaturePostprocessing(CenterPerQuestion: true));
        Assert.Equal("center", centred.Metadata.Postprocessing);
        var rows = raw.Features.ForQuestion("q2").ToArray();
        for (var j = 0; j < 8; j++)
        {
            var mean = (rows[j] + rows[8 + j] + rows[16 + j]) / 3f;
            Assert.Equal(rows[8 + j] - mean, centred.Features.ForOption("q2", 1)[j], 5);
        }
    }

    [Fact]
    public void Standardisation_gives_zero_mean_unit_deviation_and_records_the_statistics()
    {
        var encoder = new CountingEncoder();
        var raw = DatasetEmbedder.Embed(Questions, encoder, EmbeddingTemplate.Compact);
        var standardized = DatasetEmbedder.Embed(Questions, encoder, EmbeddingTemplate.Compact, new FeaturePostprocessing(Standardize: true));
        var all = Questions.SelectMany(q => standardized.Features.ForQuestion(q.Id).ToArray()).ToArray();
        var rawAll = Questions.SelectMany(q => raw.Features.ForQuestion(q.Id).ToArray()).ToArray();
        for (var j = 0; j < 8; j++)
        {
            var column = Enumerable.Range(0, 5).Select(r => (double)all[r * 8 + j]).ToArray();
            var rawColumn = Enumerable.Range(0, 5).Select(r => (double)rawAll[r * 8 + j]).ToArray();
            Assert.Equal(0, column.Average(), 5);
            Assert.Equal(1, Math.Sqrt(column.Select(v => v * v).Average()), 4);
            Assert.Equal(rawColumn.Average(), standardized.Metadata.FeatureMean![j], 5);
        }
    }

    [Fact]
    public void Saved_embeddings_load_back_identically()
    {
        var embeddings = DatasetEmbedder.Embed(Questions, new CountingEncoder(), EmbeddingTemplate.Alpaca, new FeaturePostprocessing(true, true));
        var path = Path.Combine(folder.FullName, "x.safetensors");
        embeddings.Save(path);
        var loaded = QuestionEmbeddings.Load(path);
        Assert.Equal(embeddings.QuestionIds, loaded.QuestionIds);
        Assert.Equal(embeddings.Metadata.TemplatePattern, loaded.Metadata.TemplatePattern);
        Assert.Equal(embeddings.Metadata.FeatureMean, loaded.Metadata.FeatureMean);
        Assert.Equal("center+standardize", loaded.Metadata.Postprocessing);
        foreach (var id in embeddings.QuestionIds) Assert.Equal(embeddings.Features.ForQuestion(id).ToArray(), loaded.Features.ForQuestion(id).ToArray());
    }
}
