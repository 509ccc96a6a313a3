using System.Numerics;
using Gpo.Engine;

namespace Gpo.Model;

/// <summary>
/// The GPO module (spec §3): embedder MLP over [x; y] (y = 0 for targets) → post-LN transformer encoder
/// in which every token attends only to its group's context tokens → predictor MLP on the target tokens
/// → (μ, log σ); p̂ = per-question softmax of μ; Gaussian NLL loss. All heavy math goes through
/// <see cref="IComputeBackend{T}"/>; buffers are reused across steps.
/// </summary>
/// <typeparam name="T">float for training and inference; double for gradient checks.</typeparam>
public sealed class GpoModel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Linear<T>[] embedder;
    private readonly EncoderLayer<T>[] layers;
    private readonly Linear<T> predictorHidden, predictorOutput;
    private readonly BackwardScratch<T> scratch = new();

    // Activations of the last forward pass: input [tokens, dx+1], embedder outputs [tokens, d] ×4,
    // predictor hidden [B·Nt, d], outputs [B·Nt, 2] (μ, s), p̂ [B·Nt].
    private readonly Workspace<T> input = new(), predictorHiddenValues = new(), outputs = new(), predictions = new(),
        residual = new(), gradient = new(), δoutputs = new(), δpredictorHidden = new();
    private readonly Workspace<T>[] embedderValues = [new(), new(), new(), new()];
    private ReadOnlyMemory<T> encodedTargets;
    private GpoBatch? lastBatch;

    public GpoModel(GpoConfig config, IComputeBackend<T>? backend = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        inputs = GpoInputs.Text(config.DimX);
        Backend = backend ?? new CpuBackend<T>();
        Parameters = new ParameterSet<T>(config.ParameterShapes());
        embedder =
        [
            Linear<T>.FromParameters(Parameters, "embedder.0", relu: true),
            Linear<T>.FromParameters(Parameters, "embedder.2", relu: true),
            Linear<T>.FromParameters(Parameters, "embedder.4", relu: true),
            Linear<T>.FromParameters(Parameters, "embedder.6", relu: false),
        ];
        layers = Enumerable.Range(0, config.Layers).Select(i => new EncoderLayer<T>(Parameters, $"encoder.layers.{i}.", GpoConfig.LayerNormEps)).ToArray();
        predictorHidden = Linear<T>.FromParameters(Parameters, "predictor.0", relu: true);
        predictorOutput = Linear<T>.FromParameters(Parameters, "predictor.2", relu: false);
    }

    public GpoConfig Config { get; }

    private GpoInputs inputs;

    /// <summary>What the model reads for each token (x alone for the paper's module); saved in checkpoints.</summary>
    public GpoInputs Inputs
    {
        get => inputs;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            value.Validate();
            if (value.Width != Config.DimX) throw new ArgumentException($"GPO inputs are {value.Width} wide, the model takes {Config.DimX}");
            inputs = value;
        }
    }

    public IComputeBackend<T> Backend { get; }

    /// <summary>Values and gradients of every parameter, in state_dict order.</summary>
    public ParameterSet<T> Parameters { get; }

    /// <summary>
    /// PyTorch-style initialisation from a seed: Linear weights and biases uniform ±1/√fan_in; attention
    /// in_proj_weight Xavier-uniform, in_proj_bias and out_proj.bias 0; LayerNorm weight 1, bias 0.
    /// </summary>
    public void Initialize(int seed)
    {
        var random = new Random(seed);
        foreach (var tensor in Parameters.Tensors)
        {
            var values = Parameters.Values.AsSpan(tensor.Offset, tensor.Length);
            string name = tensor.Name;
            if (name.EndsWith("in_proj_weight", StringComparison.Ordinal))
                Fill(values, random, Math.Sqrt(6.0 / (tensor.Shape[0] + tensor.Shape[1])));
            else if (name.EndsWith("in_proj_bias", StringComparison.Ordinal) || name.EndsWith("out_proj.bias", StringComparison.Ordinal))
                values.Clear();
            else if (name.Contains(".norm", StringComparison.Ordinal))
                values.Fill(name.EndsWith(".weight", StringComparison.Ordinal) ? T.One : T.Zero);
            else
            {
                // Linear: fan_in from the weight's second dimension, for its bias too.
                int fanIn = Parameters[name[..name.LastIndexOf('.')] + ".weight"].Shape[1];
                Fill(values, random, 1.0 / Math.Sqrt(fanIn));
            }
        }
    }

    private static void Fill(Span<T> values, Random random, double bound)
    {
        for (int i = 0; i < values.Length; i++) values[i] = T.CreateChecked((random.NextDouble() * 2 - 1) * bound);
    }

    /// <summary>
    /// Runs the model on a batch and returns the loss (NaN when the batch has no target shares).
    /// Afterwards <see cref="Predictions"/> holds p̂ and <see cref="Backward"/> may be called.
    /// </summary>
    public T Forward(GpoBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.DimX != Config.DimX) throw new ArgumentException($"batch: x has {batch.DimX} dimensions, the model expects {Config.DimX}");
        lastBatch = batch;
        int d = Config.ModelWidth, tokens = batch.Tokens, contextTokens = batch.Groups * batch.ContextPerGroup, targetTokens = batch.Groups * batch.TargetsPerGroup;
        var layout = new AttentionLayout(batch.Groups, batch.ContextPerGroup, batch.TargetsPerGroup, Config.Heads, d, batch.RealContext);
        var lastLayout = layout with { TargetQueriesOnly = true }; // the last layer's context outputs feed nothing

        var tokenInput = input.Get(tokens * (Config.DimX + 1));
        FillInput(batch, tokenInput.Span);
        ReadOnlyMemory<T> x = tokenInput;
        for (int i = 0; i < embedder.Length; i++)
        {
            var y = embedderValues[i].Get(tokens * d);
            embedder[i].Forward(Backend, x, y, tokens);
            x = y;
        }
        var residualBuffer = residual.Get(tokens * d);
        for (int i = 0; i < layers.Length; i++) x = layers[i].Forward(Backend, x, i == layers.Length - 1 ? lastLayout : layout, residualBuffer);
        var targetsEncoded = layers.Length > 0 ? x : x[(contextTokens * d)..];
        encodedTargets = targetsEncoded;

        var hidden = predictorHiddenValues.Get(targetTokens * d);
        predictorHidden.Forward(Backend, targetsEncoded, hidden, targetTokens);
        var outputValues = outputs.Get(targetTokens * 2);
        predictorOutput.Forward(Backend, hidden, outputValues, targetTokens);
        var p = predictions.Get(targetTokens);
        GaussianPreferenceLoss.PerQuestionSoftmax<T>(outputValues.Span, p.Span, batch);
        return batch.TargetY is null ? T.NaN : GaussianPreferenceLoss.Loss<T>(outputValues.Span, p.Span, batch);
    }

    /// <summary>[B·Nt] p̂ of the last forward pass (per-question softmax of μ; 0 at padding).</summary>
    public ReadOnlySpan<T> Predictions => lastBatch is null ? default : predictions.Get(lastBatch.Groups * lastBatch.TargetsPerGroup).Span;

    /// <summary>p̂ of the last forward pass grouped as [group][target question][option] (a copy; each question's values sum to 1).</summary>
    public T[][][] QuestionPredictions()
    {
        var batch = lastBatch ?? throw new InvalidOperationException("QuestionPredictions before Forward");
        var p = Predictions;
        var result = new T[batch.Groups][][];
        for (int g = 0; g < batch.Groups; g++)
        {
            int token = g * batch.TargetsPerGroup;
            result[g] = new T[batch.TargetOptionCounts[g].Length][];
            for (int q = 0; q < result[g].Length; q++)
            {
                int options = batch.TargetOptionCounts[g][q];
                result[g][q] = p.Slice(token, options).ToArray();
                token += options;
            }
        }
        return result;
    }

    /// <summary>[B·Nt, 2] the predictor's (μ, s) of the last forward pass.</summary>
    public ReadOnlySpan<T> Outputs => lastBatch is null ? default : outputs.Get(lastBatch.Groups * lastBatch.TargetsPerGroup * 2).Span;

    /// <summary>Sets <see cref="ParameterSet{T}.Gradients"/> to the gradient of the last forward pass's loss.</summary>
    public void Backward()
    {
        var batch = lastBatch ?? throw new InvalidOperationException("Backward before Forward");
        if (batch.TargetY is null) throw new InvalidOperationException("Backward needs a batch with target shares");
        Parameters.ZeroGradients();
        int d = Config.ModelWidth, tokens = batch.Tokens, contextTokens = batch.Groups * batch.ContextPerGroup, targetTokens = batch.Groups * batch.TargetsPerGroup;

        var δout = δoutputs.Get(targetTokens * 2);
        GaussianPreferenceLoss.Backward<T>(outputs.Get(targetTokens * 2).Span, predictions.Get(targetTokens).Span, batch, δout.Span);
        var hidden = predictorHiddenValues.Get(targetTokens * d);
        var δhidden = δpredictorHidden.Get(targetTokens * d);
        predictorOutput.Backward(Backend, hidden, default, δout, δhidden, targetTokens);

        var δx = gradient.Get(tokens * d);
        δx.Span[..(contextTokens * d)].Clear();  // context outputs feed no prediction
        predictorHidden.Backward(Backend, encodedTargets, hidden, δhidden, δx[(contextTokens * d)..], targetTokens);
        for (int i = layers.Length - 1; i >= 0; i--) layers[i].Backward(Backend, δx, scratch);

        var δembedded = scratch.Hidden.Get(tokens * d); // free again after the encoder
        for (int i = embedder.Length - 1; i >= 0; i--)
        {
            ReadOnlyMemory<T> layerInput = i == 0 ? input.Get(tokens * (Config.DimX + 1)) : embedderValues[i - 1].Get(tokens * d);
            var layerOutput = embedderValues[i].Get(tokens * d);
            var δinput = i == 0 ? Memory<T>.Empty : (i % 2 == 1 ? δembedded : δx);
            embedder[i].Backward(Backend, layerInput, layerOutput, i % 2 == 1 ? δx : δembedded, δinput, tokens);
        }
    }

    private static void CopyConverted(ReadOnlySpan<float> source, Span<T> destination)
    {
        if (typeof(T) == typeof(float))
        {
            source.CopyTo(System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(destination));
            return;
        }
        for (int j = 0; j < source.Length; j++) destination[j] = T.CreateChecked(source[j]);
    }

    /// <summary>Token inputs [tokens, dx+1]: context rows [x; y] of every group, then target rows [x; 0]; padding rows 0.</summary>
    private void FillInput(GpoBatch batch, Span<T> tokenInput)
    {
        int dx = Config.DimX, width = dx + 1;
        tokenInput.Clear();
        for (int g = 0; g < batch.Groups; g++)
        {
            for (int t = 0; t < batch.RealContext[g]; t++)
            {
                int source = g * batch.ContextPerGroup + t;
                var row = tokenInput.Slice(source * width, width);
                CopyConverted(batch.ContextX.AsSpan(source * dx, dx), row);
                row[dx] = T.CreateChecked(batch.ContextY[source]);
            }
            for (int t = 0; t < batch.RealTargets[g]; t++)
            {
                int source = g * batch.TargetsPerGroup + t;
                var row = tokenInput.Slice((batch.Groups * batch.ContextPerGroup + source) * width, width);
                CopyConverted(batch.TargetX.AsSpan(source * dx, dx), row);
            }
        }
    }
}
