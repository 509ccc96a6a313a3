namespace Gpo.Model;

/// <summary>
/// The GPO module's architecture (spec §3). Defaults are the paper's: d_model 128, 4 heads, 6 post-LN
/// encoder layers, feed-forward 128; <see cref="DimX"/> always comes from the data.
/// </summary>
/// <param name="DimX">Width of an option embedding x (384 for MiniLM).</param>
/// <param name="ModelWidth">d_model: embedder, encoder and predictor width.</param>
/// <param name="Heads">Attention heads (ModelWidth must divide evenly).</param>
/// <param name="Layers">Encoder layers.</param>
/// <param name="FeedForwardWidth">Hidden width of each encoder layer's feed-forward block.</param>
public sealed record GpoConfig(int DimX, int ModelWidth = 128, int Heads = 4, int Layers = 6, int FeedForwardWidth = 128)
{
    /// <summary>LayerNorm epsilon of the encoder layers.</summary>
    public const double LayerNormEps = 1e-5;

    /// <summary>Throws when a size is not positive or the heads do not divide d_model.</summary>
    public void Validate()
    {
        if (DimX < 1 || ModelWidth < 1 || Heads < 1 || Layers < 0 || FeedForwardWidth < 1)
            throw new ArgumentException($"GPO config: sizes must be positive ({this})");
        if (ModelWidth % Heads != 0) throw new ArgumentException($"GPO config: d_model {ModelWidth} is not divisible by {Heads} heads");
    }

    /// <summary>Every parameter tensor in PyTorch state_dict order, with its shape ([out, in] for Linear weights).</summary>
    public IReadOnlyList<(string Name, int[] Shape)> ParameterShapes()
    {
        int d = ModelWidth;
        var shapes = new List<(string, int[])>
        {
            ("embedder.0.weight", [d, DimX + 1]), ("embedder.0.bias", [d]),
            ("embedder.2.weight", [d, d]), ("embedder.2.bias", [d]),
            ("embedder.4.weight", [d, d]), ("embedder.4.bias", [d]),
            ("embedder.6.weight", [d, d]), ("embedder.6.bias", [d]),
        };
        for (int i = 0; i < Layers; i++)
        {
            string prefix = $"encoder.layers.{i}.";
            shapes.Add((prefix + "self_attn.in_proj_weight", [3 * d, d]));
            shapes.Add((prefix + "self_attn.in_proj_bias", [3 * d]));
            shapes.Add((prefix + "self_attn.out_proj.weight", [d, d]));
            shapes.Add((prefix + "self_attn.out_proj.bias", [d]));
            shapes.Add((prefix + "linear1.weight", [FeedForwardWidth, d]));
            shapes.Add((prefix + "linear1.bias", [FeedForwardWidth]));
            shapes.Add((prefix + "linear2.weight", [d, FeedForwardWidth]));
            shapes.Add((prefix + "linear2.bias", [d]));
            shapes.Add((prefix + "norm1.weight", [d]));
            shapes.Add((prefix + "norm1.bias", [d]));
            shapes.Add((prefix + "norm2.weight", [d]));
            shapes.Add((prefix + "norm2.bias", [d]));
        }
        shapes.Add(("predictor.0.weight", [d, d]));
        shapes.Add(("predictor.0.bias", [d]));
        shapes.Add(("predictor.2.weight", [2, d]));
        shapes.Add(("predictor.2.bias", [2]));
        return shapes;
    }

    /// <summary>Total trainable parameters (713,218 at DimX 384 with the defaults).</summary>
    public int ParameterCount => ParameterShapes().Sum(p => p.Shape.Aggregate(1, (product, size) => product * size));
}
