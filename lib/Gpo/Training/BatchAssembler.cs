using Gpo.Model;

namespace Gpo.Training;

/// <summary>Turns one step's <see cref="GroupTask"/>s into a padded <see cref="GpoBatch"/> (all options of a question become consecutive tokens).</summary>
public static class BatchAssembler
{
    /// <summary>
    /// Lays out the tasks as a batch: context tokens padded to the longest group's context, target tokens to
    /// the longest group's targets. Context y = the group's share of the option; target y = the share to learn.
    /// Each task's x (and target offsets) are written by its <see cref="GroupTask.Inputs"/> (text embeddings alone when null).
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
        var withOffset = tasks.Any(t => t.Inputs?.HasOffset == true);
        if (withOffset && tasks.Any(t => t.Inputs?.HasOffset != true))
            throw new ArgumentException("Either every group of a batch has target offsets or none has.", nameof(tasks));
        var targetOffset = withOffset ? new float[tasks.Count * targetsPerGroup] : null;
        var realContext = new int[tasks.Count];
        var optionCounts = new int[tasks.Count][];
        var text = new TextTokenInputs(dimX);
        for (var g = 0; g < tasks.Count; g++)
        {
            var inputs = tasks[g].Inputs ?? text;
            if (inputs.Width != dimX) throw new ArgumentException($"Group '{tasks[g].Group}': inputs are {inputs.Width} wide, the model takes {dimX}.", nameof(tasks));
            realContext[g] = Fill(tasks[g].Context, inputs, contextX, contextY, null, g * contextPerGroup, dimX, tasks[g].Group);
            Fill(tasks[g].Targets, inputs, targetX, targetY, targetOffset, g * targetsPerGroup, dimX, tasks[g].Group);
            optionCounts[g] = tasks[g].Targets.Select(q => q.OptionCount).ToArray();
        }
        return new GpoBatch(tasks.Count, dimX, contextPerGroup, targetsPerGroup, contextX, contextY, targetX, targetY, realContext, optionCounts, targetOffset);
    }

    /// <summary>Writes the questions' option tokens from <paramref name="firstToken"/> on; returns the token count.</summary>
    private static int Fill(IReadOnlyList<Evaluation.EpisodeQuestion> questions, ITokenInputs inputs, float[] x, float[] y, float[]? offset, int firstToken, int dimX, string group)
    {
        var token = firstToken;
        foreach (var question in questions)
        {
            var shares = question.Distribution ?? throw new InvalidOperationException($"Group '{group}', question '{question.QuestionId}': no distribution.");
            var options = question.OptionCount;
            inputs.Write(question.QuestionId, question.OptionFeatures, x.AsSpan(token * dimX, options * dimX), offset is null ? default : offset.AsSpan(token, options));
            for (var o = 0; o < options; o++) y[token + o] = (float)shares[o];
            token += options;
        }
        return token - firstToken;
    }
}
