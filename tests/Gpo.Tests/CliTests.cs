namespace Gpo.Tests;

public class CliTests
{
    [Fact]
    public void Root_command_registers_every_subcommand_once()
    {
        var root = Gpo.Cli.Program.BuildRoot();
        var names = root.Subcommands.Select(c => c.Name).ToList();
        Assert.Contains("version", names);
        Assert.Equal(names.Count, names.Distinct().Count());
    }
}
