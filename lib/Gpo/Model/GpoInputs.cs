using System.Globalization;

namespace Gpo.Model;

/// <summary>
/// What a GPO model reads for each token besides y, recorded in its checkpoint so that adaptation and prediction
/// can refuse mismatched inputs. The paper's module reads the text embedding x alone. The population variants
/// (beyond the paper) append what the training-side groups answered for the same option: the population
/// share p̄, log p̄, and whether any training-side group answered the question at all — and, with
/// <see cref="PopulationSlots"/> &gt; 0, each training-side group's deviation from p̄ (slots in a random order
/// per training step, with a presence flag each). With <see cref="PriorOffset"/>, log p̄ is added to μ
/// before the per-question softmax, so the model predicts an offset on the population prior.
/// During meta-training a group's own answers never enter its own population features.
/// </summary>
/// <param name="TextDimension">Width of the text embedding x.</param>
/// <param name="Population">Whether the population features are appended to x.</param>
/// <param name="PopulationSlots">Training-side groups given one (deviation, presence) slot each; 0 for none.</param>
/// <param name="PriorOffset">Whether μ is an offset on the log share of a base distribution (<paramref name="OffsetBase"/>).</param>
/// <param name="OffsetBase">The base of the offset: <see cref="PopulationPriorBase"/> (p̄) or <see cref="PriorResidualBase"/>
/// (the <c>prior_residual</c> baseline fitted to the group's context, so GPO learns a correction of it).</param>
public sealed record GpoInputs(int TextDimension, bool Population = false, int PopulationSlots = 0, bool PriorOffset = false, string OffsetBase = GpoInputs.PopulationPriorBase)
{
    /// <summary>The offset is log p̄, the population prior.</summary>
    public const string PopulationPriorBase = "population_prior";

    /// <summary>The offset is the log of the <c>prior_residual</c> baseline's prediction from the group's context.</summary>
    public const string PriorResidualBase = "prior_residual";

    /// <summary>Population summary features per token: p̄, log p̄ (floored at <see cref="ShareFloor"/>), covered flag.</summary>
    public const int SummaryFeatures = 3;

    /// <summary>Numbers per group slot: the group's share minus p̄ (×<see cref="DeviationScale"/>), and a presence flag.</summary>
    public const int SlotFeatures = 2;

    /// <summary>Shares are floored here before logarithms.</summary>
    public const double ShareFloor = 1e-3;

    /// <summary>Deviations from the prior are scaled by this to be of order one.</summary>
    public const double DeviationScale = 4.0;

    /// <summary>The paper's inputs: x alone.</summary>
    public static GpoInputs Text(int dimension) => new(dimension);

    /// <summary>The width of the model's x: text plus population features.</summary>
    public int Width => TextDimension + (Population ? SummaryFeatures + SlotFeatures * PopulationSlots : 0);

    /// <summary>True for the paper's module (x alone, no offset).</summary>
    public bool IsPlain => !Population && !PriorOffset;

    /// <summary>The method name of a model with these inputs: <c>gpo</c>, <c>gpo-prior</c>, <c>gpo-groups</c> or <c>gpo-residual</c>.</summary>
    public string MethodName => IsPlain ? "gpo" : PriorOffset && OffsetBase == PriorResidualBase ? "gpo-residual" : PopulationSlots > 0 ? "gpo-groups" : "gpo-prior";

    /// <summary>Throws when sizes are inconsistent.</summary>
    public void Validate()
    {
        if (TextDimension < 1) throw new ArgumentException($"GPO inputs: text dimension {TextDimension} must be positive");
        if (PopulationSlots < 0 || (!Population && PopulationSlots > 0))
            throw new ArgumentException($"GPO inputs: {PopulationSlots} population slots need population features");
        if (PriorOffset && !Population) throw new ArgumentException("GPO inputs: the prior offset needs population features");
        if (OffsetBase is not (PopulationPriorBase or PriorResidualBase)) throw new ArgumentException($"GPO inputs: unknown offset base '{OffsetBase}'");
    }

    /// <summary>The checkpoint metadata entries that record these inputs.</summary>
    public IReadOnlyDictionary<string, string> ToMetadata() => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["inputs.text_dimension"] = TextDimension.ToString(CultureInfo.InvariantCulture),
        ["inputs.population"] = Population ? "true" : "false",
        ["inputs.population_slots"] = PopulationSlots.ToString(CultureInfo.InvariantCulture),
        ["inputs.prior_offset"] = PriorOffset ? "true" : "false",
        ["inputs.offset_base"] = OffsetBase,
    };

    /// <summary>
    /// The inputs recorded in checkpoint metadata; a checkpoint without them (the paper's module, older runs) reads
    /// x alone of width <paramref name="modelDimX"/>. Throws <see cref="InvalidDataException"/> naming the entry.
    /// </summary>
    public static GpoInputs FromMetadata(IReadOnlyDictionary<string, string> metadata, int modelDimX, string source)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (!metadata.ContainsKey("inputs.text_dimension")) return Text(modelDimX);
        var inputs = new GpoInputs(Int("inputs.text_dimension"), Bool("inputs.population"), Int("inputs.population_slots"), Bool("inputs.prior_offset"),
            metadata.TryGetValue("inputs.offset_base", out var offsetBase) ? offsetBase : PopulationPriorBase);
        try { inputs.Validate(); }
        catch (ArgumentException e) { throw new InvalidDataException($"{source}: {e.Message}", e); }
        if (inputs.Width != modelDimX)
            throw new InvalidDataException($"{source}: __metadata__ says the inputs are {inputs.Width} wide, but embedder.0.weight takes {modelDimX} + 1");
        return inputs;

        int Int(string key) => metadata.TryGetValue(key, out var text) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value : throw new InvalidDataException($"{source}: __metadata__.{key} is missing or not a non-negative integer");
        bool Bool(string key) => metadata.TryGetValue(key, out var text) && text is "true" or "false"
            ? text == "true" : throw new InvalidDataException($"{source}: __metadata__.{key} is missing or not true/false");
    }
}
