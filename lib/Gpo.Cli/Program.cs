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
    /// <summary>
    /// How long a command may take to stop after SIGINT/SIGTERM before the process is ended regardless (System.CommandLine's
    /// default is 2 s, too short for a notebook or a checkpoint to be written on a loaded machine).
    /// </summary>
    public static readonly TimeSpan TerminationGrace = TimeSpan.FromSeconds(30);

    public static int Main(string[] args) => Run(args, new InvocationConfiguration { ProcessTerminationTimeout = TerminationGrace });

    /// <summary>
    /// Parses and runs <paramref name="args"/>. A usage error (unknown option, a missing or out-of-range value) prints
    /// one line per error and exits <see cref="Terminal.ExitUsage"/>; everything else is the command's own exit code.
    /// </summary>
    internal static int Run(string[] args, InvocationConfiguration? configuration = null)
    {
        var result = BuildRoot().Parse(args);
        if (result.Errors.Count > 0)
        {
            var stderr = configuration?.Error ?? Console.Error;
            var name = string.Join(' ', result.CommandResult.Command is RootCommand ? ["gpo"] : new[] { "gpo" }.Concat(CommandPath(result.CommandResult)));
            foreach (var error in result.Errors) stderr.WriteLine($"{name}: {Terminal.Sanitize(error.Message)}");
            stderr.WriteLine($"{name}: see '{name} --help' for the options");
            return Terminal.ExitUsage;
        }
        return configuration is null ? result.Invoke() : result.Invoke(configuration);
    }

    private static IEnumerable<string> CommandPath(System.CommandLine.Parsing.CommandResult command)
    {
        var names = new Stack<string>();
        for (var c = command; c is not null && c.Command is not RootCommand; c = c.Parent as System.CommandLine.Parsing.CommandResult) names.Push(c.Command.Name);
        return names;
    }

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
