using System.CommandLine;

namespace Gpo.Cli;

/// <summary>A subcommand of <c>gpo</c>. Every non-abstract implementation in this assembly is registered.</summary>
internal interface ICliCommand
{
    /// <summary>Builds the command with its options and action.</summary>
    Command Build();
}

internal static class Program
{
    public static int Main(string[] args) => BuildRoot().Parse(args).Invoke();

    /// <summary>The root command with every <see cref="ICliCommand"/> of this assembly, in name order.</summary>
    internal static RootCommand BuildRoot()
    {
        var root = new RootCommand("gpo: Group Preference Optimization — meta-train, adapt to a group from a few examples, compare with baselines.");
        var commands = typeof(Program).Assembly.GetTypes()
            .Where(t => typeof(ICliCommand).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .Select(t => ((ICliCommand)Activator.CreateInstance(t, nonPublic: true)!).Build())
            .OrderBy(c => c.Name, StringComparer.Ordinal);
        foreach (var command in commands) root.Subcommands.Add(command);
        return root;
    }
}
