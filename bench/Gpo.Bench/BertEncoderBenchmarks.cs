using BenchmarkDotNet.Attributes;
using Gpo.Embeddings;

namespace Gpo.Bench;

/// <summary>
/// The built-in encoder on 512 compact survey texts (about 60 tokens each): texts/s = 512 / mean time.
/// Needs the model folder in GPO_MODEL. Run: dotnet run -c Release --project bench/Gpo.Bench -- --filter '*BertEncoder*'
/// </summary>
[MemoryDiagnoser]
public class BertEncoderBenchmarks
{
    private BertEncoder encoder = null!;
    private List<string> texts = [];
    private List<int[]> tokenized = [];

    [Params(512, 4096)]
    public int BatchTokens { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var folder = Environment.GetEnvironmentVariable("GPO_MODEL");
        if (string.IsNullOrEmpty(folder)) throw new InvalidOperationException("set GPO_MODEL to the all-MiniLM-L6-v2 folder");
        encoder = new BertEncoder(folder, batchTokens: BatchTokens);
        texts = EncoderThroughput.SampleTexts(EmbeddingTemplate.Compact, 512);
        tokenized = texts.Select(encoder.Tokenizer.Encode).ToList();
    }

    [Benchmark(Description = "tokenize 512 texts")]
    public int Tokenize() => texts.Sum(t => encoder.Tokenizer.Encode(t).Length);

    [Benchmark(Description = "forward 512 tokenized texts")]
    public float[] Forward() => encoder.EmbedTokenized(tokenized);
}
