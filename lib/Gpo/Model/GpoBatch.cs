namespace Gpo.Model;

/// <summary>
/// One batch for the GPO module: B groups, each with context tokens (x, y) and target tokens (x, and y
/// when training), padded to common counts. Tokens of one question are consecutive; target questions
/// are described by their option counts, in order.
/// </summary>
public sealed class GpoBatch
{
    /// <param name="contextX">[groups, contextPerGroup, dimX] context option embeddings (padding rows ignored).</param>
    /// <param name="contextY">[groups, contextPerGroup] the group's share for each context option.</param>
    /// <param name="targetX">[groups, targetsPerGroup, dimX] target option embeddings.</param>
    /// <param name="targetY">[groups, targetsPerGroup] target shares, or null at inference.</param>
    /// <param name="realContext">[groups] real context tokens per group (1..contextPerGroup).</param>
    /// <param name="targetOptionCounts">Per group, the option count of each target question, in token order; sums to that group's real target tokens.</param>
    /// <param name="targetOffset">[groups, targetsPerGroup] constants added to μ before the per-question softmax (e.g. the log
    /// population share, so the model predicts an offset on the prior), or null for none (the paper's module).</param>
    public GpoBatch(int groups, int dimX, int contextPerGroup, int targetsPerGroup, float[] contextX, float[] contextY, float[] targetX, float[]? targetY,
        int[] realContext, int[][] targetOptionCounts, float[]? targetOffset = null)
    {
        if (groups < 1 || dimX < 1 || contextPerGroup < 1 || targetsPerGroup < 1)
            throw new ArgumentException($"batch: groups {groups}, dimX {dimX}, context {contextPerGroup}, targets {targetsPerGroup} must all be positive");
        Check(contextX.Length, groups * contextPerGroup * dimX, "contextX");
        Check(contextY.Length, groups * contextPerGroup, "contextY");
        Check(targetX.Length, groups * targetsPerGroup * dimX, "targetX");
        if (targetY is not null) Check(targetY.Length, groups * targetsPerGroup, "targetY");
        if (targetOffset is not null)
        {
            Check(targetOffset.Length, groups * targetsPerGroup, "targetOffset");
            for (int i = 0; i < targetOffset.Length; i++)
                if (!float.IsFinite(targetOffset[i])) throw new ArgumentException($"batch: targetOffset[{i}] is {targetOffset[i]}; offsets must be finite");
        }
        Check(realContext.Length, groups, "realContext");
        Check(targetOptionCounts.Length, groups, "targetOptionCounts");
        var realTargets = new int[groups];
        for (int g = 0; g < groups; g++)
        {
            if (realContext[g] < 1 || realContext[g] > contextPerGroup)
                throw new ArgumentException($"batch: group {g} has {realContext[g]} real context tokens; needs 1..{contextPerGroup}");
            foreach (var count in targetOptionCounts[g])
                if (count < 1) throw new ArgumentException($"batch: group {g} has a target question with {count} options");
            realTargets[g] = targetOptionCounts[g].Sum();
            if (realTargets[g] > targetsPerGroup)
                throw new ArgumentException($"batch: group {g} has {realTargets[g]} target tokens; at most {targetsPerGroup} fit");
        }
        Groups = groups;
        DimX = dimX;
        ContextPerGroup = contextPerGroup;
        TargetsPerGroup = targetsPerGroup;
        ContextX = contextX;
        ContextY = contextY;
        TargetX = targetX;
        TargetY = targetY;
        RealContext = realContext;
        RealTargets = realTargets;
        TargetOptionCounts = targetOptionCounts;
        TargetOffset = targetOffset;
    }

    private static void Check(int actual, int expected, string name)
    {
        if (actual != expected) throw new ArgumentException($"batch: {name} holds {actual} values, expected {expected}");
    }

    public int Groups { get; }
    public int DimX { get; }

    /// <summary>Nc: padded context tokens per group.</summary>
    public int ContextPerGroup { get; }

    /// <summary>Nt: padded target tokens per group.</summary>
    public int TargetsPerGroup { get; }

    /// <summary>[groups, Nc, dimX].</summary>
    public float[] ContextX { get; }

    /// <summary>[groups, Nc].</summary>
    public float[] ContextY { get; }

    /// <summary>[groups, Nt, dimX].</summary>
    public float[] TargetX { get; }

    /// <summary>[groups, Nt], or null when the targets' shares are unknown.</summary>
    public float[]? TargetY { get; }

    /// <summary>[groups] real context tokens.</summary>
    public int[] RealContext { get; }

    /// <summary>[groups] real target tokens (sum of the option counts).</summary>
    public int[] RealTargets { get; }

    /// <summary>[groups, Nt] constants added to μ before the per-question softmax, or null (none).</summary>
    public float[]? TargetOffset { get; }

    /// <summary>Per group, the option count of each target question.</summary>
    public int[][] TargetOptionCounts { get; }

    /// <summary>All tokens: B·(Nc + Nt).</summary>
    public int Tokens => Groups * (ContextPerGroup + TargetsPerGroup);
}
