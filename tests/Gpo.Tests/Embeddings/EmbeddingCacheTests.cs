using Gpo.Data;
using Gpo.Embeddings;

namespace Gpo.Tests.Embeddings;

public sealed class EmbeddingCacheTests : IDisposable
{
    private readonly DirectoryInfo root = Directory.CreateTempSubdirectory("gpo-cache-");

    public void Dispose() => root.Delete(recursive: true);

    private static readonly Question[] Questions =
    [
        new("q1", "Do you like tea?", ["Yes", "No"]),
        new("q2", "How often do you travel?", ["Never", "Sometimes", "Often"]),
        new("q3", "Is it raining?", ["Yes", "No", "Not sure"]),
    ];

    private static string[] Texts(int count) => Enumerable.Range(0, count).Select(i => $"text number {i}").ToArray();

    [Fact]
    public void A_rerun_reads_vectors_back_without_computing()
    {
        var encoder = new CountingEncoder();
        var first = new CachedTextEncoder(encoder, EmbeddingCache.For(encoder, root.FullName), chunkSize: 3).Embed(Texts(10));
        Assert.Equal(10, encoder.EmbeddedTexts);
        var again = new CachedTextEncoder(encoder, EmbeddingCache.For(encoder, root.FullName), chunkSize: 3);
        var second = again.Embed(Texts(10));
        Assert.Equal(10, encoder.EmbeddedTexts);
        Assert.Equal(10, again.LastCachedCount);
        Assert.Equal(first, second);
        for (var i = 0; i < 10; i++) Assert.Equal(CountingEncoder.VectorOf($"text number {i}", 8), second.AsSpan(i * 8, 8).ToArray());
    }

    [Fact]
    public void Duplicate_texts_are_embedded_once()
    {
        var encoder = new CountingEncoder();
        var vectors = new CachedTextEncoder(encoder, EmbeddingCache.For(encoder, root.FullName)).Embed(["a", "b", "a", "a"]);
        Assert.Equal(2, encoder.EmbeddedTexts);
        Assert.Equal(vectors.AsSpan(0, 8).ToArray(), vectors.AsSpan(16, 8).ToArray());
    }

    [Fact]
    public void Another_model_or_template_recomputes()
    {
        var encoder = new CountingEncoder(identity: "model-A");
        DatasetEmbedder.Embed(Questions, encoder, EmbeddingTemplate.Compact, cache: EmbeddingCache.For(encoder, root.FullName));
        Assert.Equal(8, encoder.EmbeddedTexts);
        DatasetEmbedder.Embed(Questions, encoder, EmbeddingTemplate.Compact, cache: EmbeddingCache.For(encoder, root.FullName));
        Assert.Equal(8, encoder.EmbeddedTexts);
        DatasetEmbedder.Embed(Questions, encoder, EmbeddingTemplate.Alpaca, cache: EmbeddingCache.For(encoder, root.FullName));
        Assert.Equal(16, encoder.EmbeddedTexts);
        var other = new CountingEncoder(identity: "model-B");
        DatasetEmbedder.Embed(Questions, other, EmbeddingTemplate.Compact, cache: EmbeddingCache.For(other, root.FullName));
        Assert.Equal(8, other.EmbeddedTexts);
    }

    [Fact]
    public void An_interrupted_run_resumes_after_its_last_chunk()
    {
        var encoder = new CountingEncoder { FailAfterCalls = 2 };
        var cached = new CachedTextEncoder(encoder, EmbeddingCache.For(encoder, root.FullName), chunkSize: 4);
        Assert.Throws<OperationCanceledException>(() => cached.Embed(Texts(20)));
        Assert.Equal(8, encoder.EmbeddedTexts);
        encoder.FailAfterCalls = -1;
        var resumed = new CachedTextEncoder(encoder, EmbeddingCache.For(encoder, root.FullName), chunkSize: 4);
        var vectors = resumed.Embed(Texts(20));
        Assert.Equal(8, resumed.LastCachedCount);
        Assert.Equal(20, encoder.EmbeddedTexts);
        Assert.Equal(CountingEncoder.VectorOf("text number 19", 8), vectors.AsSpan(19 * 8, 8).ToArray());
    }

    [Theory]
    [InlineData("truncate")]
    [InlineData("flip-vector-byte")]
    [InlineData("flip-hash-byte")]
    [InlineData("garbage-header")]
    [InlineData("empty")]
    public void A_damaged_chunk_is_detected_deleted_and_rebuilt(string damage)
    {
        var encoder = new CountingEncoder();
        var cache = EmbeddingCache.For(encoder, root.FullName);
        new CachedTextEncoder(encoder, cache).Embed(Texts(5));
        var chunk = Assert.Single(Directory.GetFiles(cache.Folder, "*.gpoemb"));
        var bytes = File.ReadAllBytes(chunk);
        switch (damage)
        {
            case "truncate": bytes = bytes[..^7]; break;
            case "flip-vector-byte": bytes[^3] ^= 0x40; break;
            case "flip-hash-byte": bytes[^(5 * 8 * 4 + 10)] ^= 0x01; break;
            case "garbage-header": bytes[14] = (byte)'#'; break;
            case "empty": bytes = []; break;
        }
        File.WriteAllBytes(chunk, bytes);

        var reopened = EmbeddingCache.For(encoder, root.FullName);
        Assert.Single(reopened.Problems);
        Assert.Contains(Path.GetFileName(chunk), reopened.Problems[0]);
        Assert.Equal(0, reopened.Count);
        Assert.False(File.Exists(chunk));
        var vectors = new CachedTextEncoder(encoder, reopened).Embed(Texts(5));
        Assert.Equal(10, encoder.EmbeddedTexts);
        Assert.Equal(CountingEncoder.VectorOf("text number 4", 8), vectors.AsSpan(4 * 8, 8).ToArray());
        Assert.Empty(EmbeddingCache.For(encoder, root.FullName).Problems);
    }

    [Fact]
    public void Compaction_merges_chunks_into_one_file_with_the_same_vectors()
    {
        var encoder = new CountingEncoder();
        var cache = EmbeddingCache.For(encoder, root.FullName);
        var before = new CachedTextEncoder(encoder, cache, chunkSize: 2).Embed(Texts(7));
        Assert.Equal(4, Directory.GetFiles(cache.Folder, "*.gpoemb").Length);
        cache.Compact();
        Assert.Single(Directory.GetFiles(cache.Folder, "*.gpoemb"));
        var after = new CachedTextEncoder(encoder, EmbeddingCache.For(encoder, root.FullName)).Embed(Texts(7));
        Assert.Equal(before, after);
        Assert.Equal(7, encoder.EmbeddedTexts);
    }

    [Fact]
    public void Compaction_leaves_chunks_written_meanwhile_by_another_writer()
    {
        var encoder = new CountingEncoder();
        var first = EmbeddingCache.For(encoder, root.FullName);
        new CachedTextEncoder(encoder, first, chunkSize: 2).Embed(Texts(4));
        var second = EmbeddingCache.For(encoder, root.FullName);
        new CachedTextEncoder(encoder, second).Embed(["written by the other one"]);
        first.Compact();
        Assert.Equal(2, Directory.GetFiles(first.Folder, "*.gpoemb").Length);
        var reopened = EmbeddingCache.For(encoder, root.FullName);
        Assert.Equal(5, reopened.Count);
        Assert.True(reopened.Contains("written by the other one"));
    }

    [Fact]
    public void Cache_root_comes_from_GPO_CACHE_then_XDG_CACHE_HOME()
    {
        var saved = (Environment.GetEnvironmentVariable("GPO_CACHE"), Environment.GetEnvironmentVariable("XDG_CACHE_HOME"));
        try
        {
            Environment.SetEnvironmentVariable("GPO_CACHE", null);
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", "/tmp/xdg-test");
            Assert.Equal(Path.Combine("/tmp/xdg-test", "gpo"), EmbeddingCache.DefaultRoot());
            Environment.SetEnvironmentVariable("GPO_CACHE", "/tmp/gpo-cache-test");
            Assert.Equal("/tmp/gpo-cache-test", EmbeddingCache.DefaultRoot());
        }
        finally
        {
            Environment.SetEnvironmentVariable("GPO_CACHE", saved.Item1);
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", saved.Item2);
        }
    }
}
