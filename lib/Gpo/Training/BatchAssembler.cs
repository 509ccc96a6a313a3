using Gpo.Model;

namespace Gpo.Training;

/// <summary>Turns one step's <see cref="GroupTask"/>s into a padded <see cref="GpoBatch"/> (all options of a question become consecutive tokens).</summary>
public static class BatchAssembler
{
    /// <summary>
    /// Lays out the tasks as a batch: context tokens padded to the longest group's context, target tokens to
    /// the longest group's targets. Context y = the group's share of the option; target y = the share to learn.
    /// </summary>
    public static GpoBatch Assemble(IReadOnlyList<GroupTask> tasks, int dimX)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        if (tasks.Count == 0) throw new ArgumentException("A batch needs at least one group.", nameof(tasks));
        var contextPerGroup = tasks.Max(t => t.Context.Sum(q => q.OptionCount));
        var targetsPerGroup = tasks.Max(t => t.Targets.Sum(q => q.OptionCount));
        var contextX = new float[tasks.Count * contextPerGroup * dimX];
        var contextY = new float[tasks.Count * contextPerGroup];
        var targetX = new float[tasks.Count * targetsPerGroup * dimX];
        var targetY = new float[tasks.Count * targetsPerGroup];
        var realContext = new int[tasks.Count];
        var optionCounts = new int[tasks.Count][];
        for (var g = 0; g < tasks.Count; g++)
        {
            realContext[g] = Fill(tasks[g].Context, contextX, contextY, g * contextPerGroup, dimX, tasks[g].Group);
            Fill(tasks[g].Targets, targetX, targetY, g * targetsPerGroup, dimX, tasks[g].Group);
            optionCounts[g] = tasks[g].Targets.Select(q => q.OptionCount).ToArray();
        }
        return new GpoBatch(tasks.Count, dimX, contextPerGroup, targetsPerGroup, contextX, contextY, targetX, targetY, realContext, optionCounts);
    }

    /// <summary>Copies the questions' option tokens from <paramref name="firstToken"/> on; returns the token count.</summary>
    private static int Fill(IReadOnlyList<Evaluation.EpisodeQuestion> questions, float[] x, float[] y, int firstToken, int dimX, string group)
    {
        var token = firstToken;
        foreach (var question in questions)
        {
            var shares = question.Distribution ?? throw new InvalidOperationException($"Group '{group}', question '{question.QuestionId}': no distribution.");
            for (var o = 0; o < question.OptionCount; o++, token++)
            {
                var features = question.OptionFeatures[o];
                if (features.Length != dimX)
                    throw new InvalidOperationException($"Group '{group}', question '{question.QuestionId}', option {o}: {features.Length} features, expected {dimX}.");
                features.CopyTo(x, token * dimX);
                y[token] = (float)shares[o];
            }
        }
        return token - firstToken;
    }
}
