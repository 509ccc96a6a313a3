namespace Gpo.Model;

/// <summary>Floating-point operations of the GPO module's matrix products (2 per multiply-add; element-wise work not counted).</summary>
public static class GpoFlops
{
    /// <summary>
    /// Forward pass on B groups of Nc context and Nt target tokens, as computed: attention only over the
    /// (queries)×Nc block, and in the last encoder layer only the target tokens as queries.
    /// </summary>
    public static double Forward(GpoConfig config, int groups, int contextPerGroup, int targetsPerGroup)
    {
        ArgumentNullException.ThrowIfNull(config);
        double d = config.ModelWidth, f = config.FeedForwardWidth;
        double tokens = groups * (double)(contextPerGroup + targetsPerGroup), context = groups * (double)contextPerGroup, targets = groups * (double)targetsPerGroup;
        double embedder = 2 * tokens * (config.DimX + 1) * d + 3 * 2 * tokens * d * d;
        // One layer with `queries` query rows: Q, out-projection and feed-forward over them, K/V over the context, Q·Kᵀ and P·V over all heads.
        double Layer(double queries) => 2 * queries * d * d + 2 * context * 2 * d * d + 2 * 2 * queries * contextPerGroup * d + 2 * queries * d * d + 2 * queries * d * f * 2;
        double encoder = config.Layers == 0 ? 0 : (config.Layers - 1) * Layer(tokens) + Layer(targets);
        double predictor = 2 * targets * d * d + 2 * targets * d * 2;
        return embedder + encoder + predictor;
    }

    /// <summary>One training step: forward, then two products per forward product (δx, δW), except the input layer's δx.</summary>
    public static double TrainingStep(GpoConfig config, int groups, int contextPerGroup, int targetsPerGroup)
    {
        ArgumentNullException.ThrowIfNull(config);
        double inputLayer = 2 * groups * (double)(contextPerGroup + targetsPerGroup) * (config.DimX + 1) * config.ModelWidth;
        return 3 * Forward(config, groups, contextPerGroup, targetsPerGroup) - inputLayer;
    }
}
