using Gpo.Data;

namespace Gpo.Embeddings;

/// <summary>
/// The embedding stage: every (question, option) of a dataset → text by a template → vector by an
/// encoder (through the on-disk cache when one is given) → optional centring/standardisation.
/// <code>
/// var encoder = new BertEncoder(modelFolder);
/// var embeddings = DatasetEmbedder.Embed(dataset.Questions, encoder, EmbeddingTemplate.Compact, cache: EmbeddingCache.For(encoder));
/// var withX = dataset.WithFeatures(embeddings.Features);
/// </code>
/// </summary>
public static class DatasetEmbedder
{
    /// <summary>Embeds all options of <paramref name="questions"/>.</summary>
    /// <param name="questions">The questions (ids must be distinct).</param>
    /// <param name="encoder">The text encoder.</param>
    /// <param name="template">Turns (question, options, chosen option) into text.</param>
    /// <param name="postprocessing">Centring / standardisation (default: none, as GPO).</param>
    /// <param name="cache">On-disk cache of this encoder; null computes everything.</param>
    /// <param name="chunkSize">Texts per cache chunk (the unit of resumption).</param>
    /// <param name="progress">Receives (texts done, texts in all).</param>
    /// <param name="cancellationToken">Stops between chunks.</param>
    public static QuestionEmbeddings Embed(IReadOnlyList<Question> questions, ITextEncoder encoder, EmbeddingTemplate template,
        FeaturePostprocessing? postprocessing = null, EmbeddingCache? cache = null, int chunkSize = 512,
        IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(questions);
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(template);
        postprocessing ??= FeaturePostprocessing.None;
        var duplicate = questions.GroupBy(q => q.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"question id '{duplicate.Key}' appears {duplicate.Count()} times", nameof(questions));
        var texts = new List<string>();
        var optionCounts = new int[questions.Count];
        for (var q = 0; q < questions.Count; q++)
        {
            texts.AddRange(template.FormatAll(questions[q].Text, questions[q].Options));
            optionCounts[q] = questions[q].OptionCount;
        }
        var source = cache is null ? encoder : new CachedTextEncoder(encoder, cache, chunkSize, template.Identity);
        var reporter = progress is null ? null : new InlineProgress<int>(done => progress.Report((done, texts.Count)));
        var vectors = source.Embed(texts, reporter, cancellationToken);
        var dimension = encoder.Dimension;
        var statistics = postprocessing.Apply(vectors, optionCounts, dimension);
        var rows = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var offset = 0;
        for (var q = 0; q < questions.Count; q++)
        {
            var length = optionCounts[q] * dimension;
            rows.Add(questions[q].Id, vectors.AsSpan(offset, length).ToArray());
            offset += length;
        }
        var metadata = new EmbeddingMetadata(encoder.Identity, template.Identity, template.Pattern, dimension, postprocessing.Label,
            statistics?.Mean, statistics?.StandardDeviation);
        return new QuestionEmbeddings(new OptionFeatureTable(dimension, rows), questions.Select(q => q.Id).ToList(), metadata);
    }

    /// <summary>Embeds every question of <paramref name="dataset"/>; see the other overload.</summary>
    public static QuestionEmbeddings Embed(PreferenceDataset dataset, ITextEncoder encoder, EmbeddingTemplate template,
        FeaturePostprocessing? postprocessing = null, EmbeddingCache? cache = null, int chunkSize = 512,
        IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return Embed(dataset.Questions, encoder, template, postprocessing, cache, chunkSize, progress, cancellationToken);
    }
}
