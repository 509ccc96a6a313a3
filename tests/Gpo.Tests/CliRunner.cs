namespace Gpo.Tests;

/// <summary>Runs the <c>gpo</c> command line in-process and captures what it writes.</summary>
internal static class CliRunner
{
    // The console is one per process and test collections run in parallel: one command at a time, or a command
    // running in another collection writes into this one's capture (and restores the wrong writer).
    private static readonly Lock Gate = new();

    /// <summary>Parses and invokes <paramref name="args"/>; returns the exit code, stdout and stderr.</summary>
    public static (int Exit, string Out, string Error) Run(params string[] args)
    {
        lock (Gate)
        {
            var (oldOut, oldError) = (Console.Out, Console.Error);
            var output = new StringWriter();
            var error = new StringWriter();
            try
            {
                Console.SetOut(output);
                Console.SetError(error);
                var exit = Gpo.Cli.Program.Run(args, new System.CommandLine.InvocationConfiguration { Output = output, Error = error });
                return (exit, output.ToString(), error.ToString());
            }
            finally
            {
                Console.SetOut(oldOut);
                Console.SetError(oldError);
            }
        }
    }
}
