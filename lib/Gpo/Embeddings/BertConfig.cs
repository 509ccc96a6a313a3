using System.Text.Json;

namespace Gpo.Embeddings;

/// <summary>
/// The sizes of a BERT-family encoder, read from a Hugging Face <c>config.json</c>.
/// all-MiniLM-L6-v2: hidden 384, 12 heads of 32, 6 layers, feed-forward 1536, eps 1e-12, 512 positions.
/// </summary>
public sealed record BertConfig(int HiddenSize, int HeadCount, int LayerCount, int IntermediateSize, double LayerNormEps,
    int MaxPositions, int VocabularySize, int TypeVocabularySize, string HiddenActivation)
{
    /// <summary>Width of one attention head: <see cref="HiddenSize"/> / <see cref="HeadCount"/>.</summary>
    public int HeadSize => HiddenSize / HeadCount;

    /// <summary>Reads <paramref name="path"/>; a missing or inconsistent size is an error naming the file and field.</summary>
    public static BertConfig Load(string path)
    {
        JsonDocument document;
        try { document = JsonDocument.Parse(File.ReadAllBytes(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e); }
        using (document)
        {
            var root = document.RootElement;
            var config = new BertConfig(
                HiddenSize: Int("hidden_size"),
                HeadCount: Int("num_attention_heads"),
                LayerCount: Int("num_hidden_layers"),
                IntermediateSize: Int("intermediate_size"),
                LayerNormEps: root.TryGetProperty("layer_norm_eps", out var eps) && eps.ValueKind == JsonValueKind.Number ? eps.GetDouble() : 1e-12,
                MaxPositions: Int("max_position_embeddings"),
                VocabularySize: Int("vocab_size"),
                TypeVocabularySize: root.TryGetProperty("type_vocab_size", out var types) && types.TryGetInt32(out var typeCount) ? typeCount : 2,
                HiddenActivation: root.TryGetProperty("hidden_act", out var act) && act.ValueKind == JsonValueKind.String ? act.GetString()! : "gelu");
            if (config.HiddenSize % config.HeadCount != 0)
                throw new InvalidDataException($"{path}: hidden_size {config.HiddenSize} is not a multiple of num_attention_heads {config.HeadCount}");
            if (config.HiddenActivation is not ("gelu" or "gelu_python"))
                throw new InvalidDataException($"{path}: hidden_act '{config.HiddenActivation}' is not supported (only the exact erf GELU, 'gelu')");
            if (root.TryGetProperty("position_embedding_type", out var positionType) && positionType.GetString() is { } kind && kind != "absolute")
                throw new InvalidDataException($"{path}: position_embedding_type '{kind}' is not supported (only 'absolute')");
            return config;

            int Int(string name)
            {
                if (!root.TryGetProperty(name, out var value) || !value.TryGetInt32(out var number) || number <= 0)
                    throw new InvalidDataException($"{path}: '{name}' is missing or not a positive integer");
                return number;
            }
        }
    }
}
