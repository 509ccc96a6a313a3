using System.Runtime.InteropServices;
using Gpo.Engine;
using Gpo.Model;
using Gpo.Training;
using ILGPU;
using ILGPU.Runtime;

namespace Gpo.Gpu;

/// <summary>
/// The GPO module and its Adam optimizer resident on an ILGPU accelerator (a CUDA GPU, or ILGPU's CPU accelerator for
/// tests): parameters, gradients and moments live in flat device buffers with the layout of <see cref="ParameterSet{T}"/>,
/// activations in device workspaces reused across steps. A step copies the batch in once, queues every kernel of the
/// forward pass, the backward pass (as <see cref="GpoModel{T}"/> computes them) and the Adam update, and reads back one
/// number, the loss.
/// </summary>
public sealed class IlgpuEngine : IGpoEngine
{
    private const float Beta1 = 0.9f, Beta2 = 0.999f, AdamEps = 1e-8f;
    private static readonly float HalfLogTwoPi = (float)(0.5 * Math.Log(2 * Math.PI));

    private readonly Context? context;
    private readonly Accelerator accelerator;
    private readonly DeviceKernels kernels;
    private readonly ParameterSet<float> layout;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> values, gradients, firstMoment, secondMoment;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, int, int, int, int> assembleInput;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float> lossForward;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, float> lossBackward;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AdamArgs> adam;
    private readonly List<IDisposable> owned = [];
    private readonly LayerBuffers[] layers;

    // Batch (copied once per step) and activations.
    private readonly DeviceWorkspace<float> contextX, contextY, targetX, targetY, targetOffset, input, residual, predictorHidden, outputs, predictions, lossTerms, lossSum,
        δoutputs, δpredictorHidden, gradient, δembedded, δhidden, δfeedForward, δattention, δqueries, δkeysValues, δscores;
    private readonly DeviceWorkspace<float>[] embedded;
    private readonly DeviceWorkspace<int> realContext, realTargets, questionStart, questionOptions;
    private int[] hostQuestionStart = [], hostQuestionOptions = [];
    private readonly float[] hostLoss = new float[1];
    private GpoBatch? lastBatch;
    private ArrayView<float> encodedTargets;

    /// <summary>Builds the engine on <paramref name="accelerator"/>; with <paramref name="context"/> the engine owns and disposes both.</summary>
    public IlgpuEngine(GpoConfig config, Accelerator accelerator, Context? context = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        this.accelerator = accelerator ?? throw new ArgumentNullException(nameof(accelerator));
        this.context = context;
        kernels = new DeviceKernels(accelerator);
        layout = new ParameterSet<float>(config.ParameterShapes());
        values = accelerator.Allocate1D<float>(layout.Count);
        gradients = accelerator.Allocate1D<float>(layout.Count);
        firstMoment = accelerator.Allocate1D<float>(layout.Count);
        secondMoment = accelerator.Allocate1D<float>(layout.Count);
        values.MemSetToZero();
        firstMoment.MemSetToZero();
        secondMoment.MemSetToZero();
        assembleInput = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, int, int, int, int>(Kernels.AssembleInput);
        lossForward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, float>(Kernels.LossForward);
        lossBackward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<int>, ArrayView<float>, ArrayView<float>, ArrayView<float>, float>(Kernels.LossBackward);
        adam = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AdamArgs>(Kernels.Adam);
        contextX = Float(); contextY = Float(); targetX = Float(); targetY = Float(); targetOffset = Float(); input = Float(); residual = Float();
        predictorHidden = Float(); outputs = Float(); predictions = Float(); lossTerms = Float(); lossSum = Float(); δoutputs = Float(); δpredictorHidden = Float();
        gradient = Float(); δembedded = Float(); δhidden = Float(); δfeedForward = Float(); δattention = Float(); δqueries = Float(); δkeysValues = Float(); δscores = Float();
        embedded = [Float(), Float(), Float(), Float()];
        realContext = Int(); realTargets = Int(); questionStart = Int(); questionOptions = Int();
        layers = Enumerable.Range(0, config.Layers).Select(i => new LayerBuffers(this, $"encoder.layers.{i}.")).ToArray();
    }

    private DeviceWorkspace<float> Float() => Own(new DeviceWorkspace<float>(accelerator));

    private DeviceWorkspace<int> Int() => Own(new DeviceWorkspace<int>(accelerator));

    private TDisposable Own<TDisposable>(TDisposable item) where TDisposable : IDisposable
    {
        owned.Add(item);
        return item;
    }

    public string Name => $"{accelerator.AcceleratorType switch { AcceleratorType.Cuda => "cuda", AcceleratorType.CPU => "ilgpu-cpu", var other => other.ToString().ToLowerInvariant() }}: {accelerator.Name}";

    public GpoConfig Config { get; }

    public int StepCount { get; private set; }

    /// <summary>The accelerator the engine runs on.</summary>
    public Accelerator Accelerator => accelerator;

    public void LoadParameters(ReadOnlySpan<float> parameterValues)
    {
        CheckLength(parameterValues.Length);
        values.View.CopyFromCPU(ref MemoryMarshal.GetReference(parameterValues), parameterValues.Length);
    }

    public void LoadOptimizer(int stepCount, ReadOnlySpan<float> first, ReadOnlySpan<float> second)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stepCount);
        CheckLength(first.Length);
        CheckLength(second.Length);
        firstMoment.View.CopyFromCPU(ref MemoryMarshal.GetReference(first), first.Length);
        secondMoment.View.CopyFromCPU(ref MemoryMarshal.GetReference(second), second.Length);
        StepCount = stepCount;
    }

    public void ReadParameters(Span<float> parameterValues) => Read(values, parameterValues);

    public void ReadGradients(Span<float> parameterGradients) => Read(gradients, parameterGradients);

    public void ReadOptimizer(Span<float> first, Span<float> second)
    {
        Read(firstMoment, first);
        Read(secondMoment, second);
    }

    private void Read(MemoryBuffer1D<float, Stride1D.Dense> source, Span<float> destination)
    {
        CheckLength(destination.Length);
        source.View.CopyToCPU(ref MemoryMarshal.GetReference(destination), destination.Length);
    }

    private void CheckLength(int length)
    {
        if (length != layout.Count) throw new ArgumentException($"expected {layout.Count} values (the model's parameters), got {length}");
    }

    public float TrainStep(GpoBatch batch, double learningRate)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.TargetY is null) throw new InvalidOperationException("a training step needs a batch with target shares");
        RunForward(batch, TargetOffsets(batch));
        RunBackward(batch);
        StepCount++;
        double correction1 = 1 - Math.Pow(0.9, StepCount);
        double correction2Sqrt = Math.Sqrt(1 - Math.Pow(0.999, StepCount));
        adam(layout.Count, values.View, gradients.View, firstMoment.View, secondMoment.View, new AdamArgs
        {
            Beta1 = Beta1, Beta2 = Beta2, OneMinusBeta1 = 1f - Beta1, OneMinusBeta2 = 1f - Beta2,
            StepSize = (float)(learningRate / correction1), InverseCorrection2 = (float)(1 / correction2Sqrt), Eps = AdamEps,
        });
        return ReadLoss(batch);
    }

    public float Forward(GpoBatch batch, Span<float> predictionValues)
    {
        ArgumentNullException.ThrowIfNull(batch);
        int targetTokens = batch.Groups * batch.TargetsPerGroup;
        if (predictionValues.Length < targetTokens) throw new ArgumentException($"predictions: need {targetTokens} values, got {predictionValues.Length}");
        RunForward(batch, TargetOffsets(batch));
        predictions.Get(targetTokens).CopyToCPU(ref MemoryMarshal.GetReference(predictionValues), targetTokens);
        return batch.TargetY is null ? float.NaN : ReadLoss(batch);
    }

    /// <summary>The batch's per-target additive offsets to μ before the per-question softmax ([groups, Nt]), or null for none.</summary>
    private static float[]? TargetOffsets(GpoBatch batch) => batch.TargetOffset;

    /// <summary>Forward pass with explicit per-target offsets added to μ before the per-question softmax (null: none); returns p̂ and the loss.</summary>
    internal float ForwardWithOffsets(GpoBatch batch, float[]? offsets, Span<float> predictionValues)
    {
        int targetTokens = batch.Groups * batch.TargetsPerGroup;
        RunForward(batch, offsets);
        predictions.Get(targetTokens).CopyToCPU(ref MemoryMarshal.GetReference(predictionValues), targetTokens);
        return batch.TargetY is null ? float.NaN : ReadLoss(batch);
    }

    private float ReadLoss(GpoBatch batch)
    {
        lossSum.Get(1).CopyToCPU(ref hostLoss[0], 1);
        return hostLoss[0] / (batch.Groups * batch.TargetsPerGroup);
    }

    /// <summary>Copies the batch in (once) and queues the forward pass; p̂ and the loss terms end on the device.</summary>
    private void RunForward(GpoBatch batch, float[]? offsets)
    {
        if (batch.DimX != Config.DimX) throw new ArgumentException($"batch: x has {batch.DimX} dimensions, the model expects {Config.DimX}");
        if (offsets is not null && offsets.Length != batch.Groups * batch.TargetsPerGroup)
            throw new ArgumentException($"batch: target offsets hold {offsets.Length} values, expected {batch.Groups * batch.TargetsPerGroup}");
        lastBatch = batch;
        int d = Config.ModelWidth, dx = Config.DimX, tokens = batch.Tokens, context = batch.Groups * batch.ContextPerGroup, targets = batch.Groups * batch.TargetsPerGroup;
        var attention = new AttentionLayout(batch.Groups, batch.ContextPerGroup, batch.TargetsPerGroup, Config.Heads, d, batch.RealContext);

        // The batch, copied once.
        Upload(contextX, batch.ContextX);
        Upload(contextY, batch.ContextY);
        Upload(targetX, batch.TargetX);
        if (batch.TargetY is not null) Upload(targetY, batch.TargetY);
        if (offsets is not null) Upload(targetOffset, offsets);
        Upload(realContext, batch.RealContext);
        Upload(realTargets, batch.RealTargets);
        DescribeQuestions(batch);
        Upload(questionStart, hostQuestionStart.AsSpan(0, targets));
        Upload(questionOptions, hostQuestionOptions.AsSpan(0, targets));

        var tokenInput = input.Get((long)tokens * (dx + 1));
        assembleInput((int)tokenInput.Length, contextX.Get((long)context * dx), contextY.Get(context), targetX.Get((long)targets * dx),
            realContext.Get(batch.Groups), realTargets.Get(batch.Groups), tokenInput, batch.Groups, batch.ContextPerGroup, batch.TargetsPerGroup, dx);
        ArrayView<float> x = tokenInput;
        for (int i = 0; i < 4; i++)
        {
            var y = embedded[i].Get((long)tokens * d);
            string name = $"embedder.{2 * i}";
            kernels.LinearForward(x, Value(name + ".weight"), Value(name + ".bias"), y, tokens, i == 0 ? dx + 1 : d, d, relu: i < 3);
            x = y;
        }
        var residualBuffer = residual.Get((long)tokens * d);
        for (int i = 0; i < layers.Length; i++)
            x = layers[i].Forward(x, i == layers.Length - 1 ? attention with { TargetQueriesOnly = true } : attention, residualBuffer);
        encodedTargets = layers.Length > 0 ? x : x.SubView((long)context * d);

        var hidden = predictorHidden.Get((long)targets * d);
        kernels.LinearForward(encodedTargets, Value("predictor.0.weight"), Value("predictor.0.bias"), hidden, targets, d, d, relu: true);
        var outputValues = outputs.Get(targets * 2);
        kernels.LinearForward(hidden, Value("predictor.2.weight"), Value("predictor.2.bias"), outputValues, targets, d, 2, relu: false);
        var terms = lossTerms.Get(targets);
        lossForward(targets, outputValues, offsets is null ? outputValues : targetOffset.Get(targets), questionStart.Get(targets), questionOptions.Get(targets),
            batch.TargetY is null ? outputValues : targetY.Get(targets), predictions.Get(targets), terms, offsets is null ? 0 : 1, batch.TargetY is null ? 0 : 1, HalfLogTwoPi);
        if (batch.TargetY is not null) kernels.ColumnSums(terms, default, lossSum.Get(1), targets, 1, 1, accumulate: false);
    }

    /// <summary>Per target token: where its question's options start and how many there are (0 at padding).</summary>
    private void DescribeQuestions(GpoBatch batch)
    {
        int targets = batch.Groups * batch.TargetsPerGroup;
        if (hostQuestionStart.Length < targets)
        {
            hostQuestionStart = new int[targets];
            hostQuestionOptions = new int[targets];
        }
        Array.Clear(hostQuestionOptions, 0, targets);
        for (int g = 0; g < batch.Groups; g++)
        {
            int token = g * batch.TargetsPerGroup;
            foreach (var options in batch.TargetOptionCounts[g])
            {
                for (int o = 0; o < options; o++)
                {
                    hostQuestionStart[token + o] = token;
                    hostQuestionOptions[token + o] = options;
                }
                token += options;
            }
        }
    }

    private static void Upload<T>(DeviceWorkspace<T> workspace, ReadOnlySpan<T> source) where T : unmanaged
    {
        var view = workspace.Get(source.Length);
        if (source.Length > 0) ((ArrayView1D<T, Stride1D.Dense>)view).CopyFromCPU(ref MemoryMarshal.GetReference(source), source.Length);
    }

    /// <summary>Queues the backward pass: every gradient of the last forward pass's loss into the gradient buffer.</summary>
    private void RunBackward(GpoBatch batch)
    {
        gradients.MemSetToZero();
        int d = Config.ModelWidth, dx = Config.DimX, tokens = batch.Tokens, context = batch.Groups * batch.ContextPerGroup, targets = batch.Groups * batch.TargetsPerGroup;
        var δout = δoutputs.Get(targets * 2);
        lossBackward(targets, outputs.Get(targets * 2), questionStart.Get(targets), questionOptions.Get(targets), targetY.Get(targets), predictions.Get(targets), δout,
            1f / (batch.Groups * batch.TargetsPerGroup));
        var hidden = predictorHidden.Get((long)targets * d);
        var δhiddenPredictor = δpredictorHidden.Get((long)targets * d);
        Backward("predictor.2", hidden, default, δout, δhiddenPredictor, targets, d, 2, relu: false);

        var δx = gradient.Get((long)tokens * d);
        if (context > 0) δx.SubView(0, (long)context * d).MemSetToZero();
        Backward("predictor.0", encodedTargets, hidden, δhiddenPredictor, δx.SubView((long)context * d), targets, d, d, relu: true);
        for (int i = layers.Length - 1; i >= 0; i--) layers[i].Backward(δx);

        var δemb = δembedded.Get((long)tokens * d);
        for (int i = 3; i >= 0; i--)
        {
            ArrayView<float> layerInput = i == 0 ? input.Get((long)tokens * (dx + 1)) : embedded[i - 1].Get((long)tokens * d);
            var δinput = i == 0 ? default : (i % 2 == 1 ? δemb : δx);
            Backward($"embedder.{2 * i}", layerInput, embedded[i].Get((long)tokens * d), i % 2 == 1 ? δx : δemb, δinput, tokens, i == 0 ? dx + 1 : d, d, relu: i < 3);
        }
    }

    /// <summary>Backward of the Linear layer <paramref name="name"/> (ReLU masked in place first when it has one).</summary>
    private void Backward(string name, ArrayView<float> x, ArrayView<float> y, ArrayView<float> δy, ArrayView<float> δx, int rows, int inFeatures, int outFeatures,
        bool relu, bool accumulateInput = false)
    {
        if (relu) kernels.ReluBackward(y.SubView(0, (long)rows * outFeatures), δy.SubView(0, (long)rows * outFeatures));
        kernels.LinearBackward(x, Value(name + ".weight"), δy, δx, Gradient(name + ".weight"), Gradient(name + ".bias"), rows, inFeatures, outFeatures, accumulateInput);
    }

    private ArrayView<float> Value(string name, int start = 0, int length = -1) => Slice(values, name, start, length);

    private ArrayView<float> Gradient(string name, int start = 0, int length = -1) => Slice(gradients, name, start, length);

    private ArrayView<float> Slice(MemoryBuffer1D<float, Stride1D.Dense> buffer, string name, int start, int length)
    {
        var tensor = layout[name];
        return buffer.View.SubView(tensor.Offset + start, length < 0 ? tensor.Length - start : length);
    }

    public void Dispose()
    {
        foreach (var item in owned) item.Dispose();
        values.Dispose();
        gradients.Dispose();
        firstMoment.Dispose();
        secondMoment.Dispose();
        kernels.Dispose();
        if (context is not null)
        {
            accelerator.Dispose();
            context.Dispose();
        }
    }

    /// <summary>One post-LN encoder layer's activations and its forward and backward passes (as <see cref="EncoderLayer{T}"/>).</summary>
    private sealed class LayerBuffers
    {
        private readonly IlgpuEngine engine;
        private readonly string prefix;
        private readonly DeviceWorkspace<float> queries, keysValues, probabilities, attention, hidden, normalized1, inverseStd1, feedForwardHidden, normalized2, inverseStd2, output;
        private ArrayView<float> input;
        private AttentionLayout? layout;

        public LayerBuffers(IlgpuEngine engine, string prefix)
        {
            this.engine = engine;
            this.prefix = prefix;
            queries = engine.Float(); keysValues = engine.Float(); probabilities = engine.Float(); attention = engine.Float(); hidden = engine.Float();
            normalized1 = engine.Float(); inverseStd1 = engine.Float(); feedForwardHidden = engine.Float(); normalized2 = engine.Float(); inverseStd2 = engine.Float();
            output = engine.Float();
        }

        private int Width => engine.Config.ModelWidth;

        private int FeedForward => engine.Config.FeedForwardWidth;

        public ArrayView<float> Forward(ArrayView<float> x, AttentionLayout attentionLayout, ArrayView<float> residual)
        {
            layout = attentionLayout;
            input = x;
            var kernels = engine.kernels;
            int d = Width, f = FeedForward, rows = attentionLayout.QueryTokens, context = attentionLayout.ContextTokens;
            var xQueries = x.SubView((long)QueryOffset(attentionLayout) * d, (long)rows * d);
            var q = queries.Get((long)rows * d);
            var kv = keysValues.Get((long)context * 2 * d);
            var p = probabilities.Get(attentionLayout.ProbabilityLength);
            var attended = attention.Get((long)rows * d);
            var h = hidden.Get((long)rows * d);
            var ff = feedForwardHidden.Get((long)rows * f);
            var result = output.Get((long)rows * d);
            var res = residual.SubView(0, (long)rows * d);
            string inWeight = prefix + "self_attn.in_proj_weight", inBias = prefix + "self_attn.in_proj_bias";

            kernels.LinearForward(xQueries, engine.Value(inWeight, 0, d * d), engine.Value(inBias, 0, d), q, rows, d, d, relu: false);
            kernels.LinearForward(x, engine.Value(inWeight, d * d, 2 * d * d), engine.Value(inBias, d, 2 * d), kv, context, d, 2 * d, relu: false);
            kernels.AttentionForward(q, kv, p, attended, attentionLayout, engine.realContext.Get(attentionLayout.Groups));
            kernels.LinearForward(attended, engine.Value(prefix + "self_attn.out_proj.weight"), engine.Value(prefix + "self_attn.out_proj.bias"), res, rows, d, d, relu: false);
            kernels.Add(xQueries, res, res);
            kernels.LayerNormForward(res, engine.Value(prefix + "norm1.weight"), engine.Value(prefix + "norm1.bias"), h, normalized1.Get((long)rows * d),
                inverseStd1.Get(rows), rows, d, (float)GpoConfig.LayerNormEps);
            kernels.LinearForward(h, engine.Value(prefix + "linear1.weight"), engine.Value(prefix + "linear1.bias"), ff, rows, d, f, relu: true);
            kernels.LinearForward(ff, engine.Value(prefix + "linear2.weight"), engine.Value(prefix + "linear2.bias"), res, rows, f, d, relu: false);
            kernels.Add(h, res, res);
            kernels.LayerNormForward(res, engine.Value(prefix + "norm2.weight"), engine.Value(prefix + "norm2.bias"), result, normalized2.Get((long)rows * d),
                inverseStd2.Get(rows), rows, d, (float)GpoConfig.LayerNormEps);
            return result;
        }

        private static int QueryOffset(AttentionLayout attentionLayout) => attentionLayout.TargetQueriesOnly ? attentionLayout.ContextTokens : 0;

        /// <summary><paramref name="gradient"/> [tokens, d] holds δout in the query rows on entry and δx in every row on return.</summary>
        public void Backward(ArrayView<float> gradient)
        {
            var attentionLayout = layout ?? throw new InvalidOperationException("encoder layer: Backward before Forward");
            var kernels = engine.kernels;
            int d = Width, f = FeedForward, rows = attentionLayout.QueryTokens, context = attentionLayout.ContextTokens;
            long offset = (long)QueryOffset(attentionLayout) * d;
            var δout = gradient.SubView(offset, (long)rows * d);
            var δh = engine.δhidden.Get((long)rows * d);
            var δff = engine.δfeedForward.Get((long)rows * f);
            var δatt = engine.δattention.Get((long)rows * d);
            var δq = engine.δqueries.Get((long)rows * d);
            var δkv = engine.δkeysValues.Get((long)context * 2 * d);
            var h = hidden.Get((long)rows * d);
            var ff = feedForwardHidden.Get((long)rows * f);
            string inWeight = prefix + "self_attn.in_proj_weight", inBias = prefix + "self_attn.in_proj_bias";

            kernels.LayerNormBackward(normalized2.Get((long)rows * d), inverseStd2.Get(rows), engine.Value(prefix + "norm2.weight"), δout, δout,
                engine.Gradient(prefix + "norm2.weight"), engine.Gradient(prefix + "norm2.bias"), rows, d);
            kernels.LinearBackward(ff, engine.Value(prefix + "linear2.weight"), δout, δff, engine.Gradient(prefix + "linear2.weight"), engine.Gradient(prefix + "linear2.bias"),
                rows, f, d, accumulateInput: false);
            kernels.ReluBackward(ff, δff);
            kernels.LinearBackward(h, engine.Value(prefix + "linear1.weight"), δff, δh, engine.Gradient(prefix + "linear1.weight"), engine.Gradient(prefix + "linear1.bias"),
                rows, d, f, accumulateInput: false);
            kernels.Add(δh, δout, δh);
            kernels.LayerNormBackward(normalized1.Get((long)rows * d), inverseStd1.Get(rows), engine.Value(prefix + "norm1.weight"), δh, δh,
                engine.Gradient(prefix + "norm1.weight"), engine.Gradient(prefix + "norm1.bias"), rows, d);
            kernels.LinearBackward(attention.Get((long)rows * d), engine.Value(prefix + "self_attn.out_proj.weight"), δh, δatt,
                engine.Gradient(prefix + "self_attn.out_proj.weight"), engine.Gradient(prefix + "self_attn.out_proj.bias"), rows, d, d, accumulateInput: false);
            kernels.AttentionBackward(queries.Get((long)rows * d), keysValues.Get((long)context * 2 * d), probabilities.Get(attentionLayout.ProbabilityLength), δatt,
                δq, δkv, engine.δscores.Get(attentionLayout.ProbabilityLength), attentionLayout);
            kernels.LinearBackward(input.SubView(offset, (long)rows * d), engine.Value(inWeight, 0, d * d), δq, δout, engine.Gradient(inWeight, 0, d * d),
                engine.Gradient(inBias, 0, d), rows, d, d, accumulateInput: false);
            kernels.LinearBackward(input, engine.Value(inWeight, d * d, 2 * d * d), δkv, gradient, engine.Gradient(inWeight, d * d, 2 * d * d),
                engine.Gradient(inBias, d, 2 * d), context, d, 2 * d, accumulateInput: !attentionLayout.TargetQueriesOnly);
            kernels.Add(δout, δh, δout);
        }
    }
}
