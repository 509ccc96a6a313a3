using System.CommandLine;
using System.Reflection;

namespace Gpo.Cli;

/// <summary><c>gpo version</c>: the library version and runtime, for bug reports and run records.</summary>
internal sealed class VersionCommand : ICliCommand
{
    public Command Build()
    {
        var command = new Command("version", "Print the gpo version, .NET runtime and hardware acceleration in use.");
        command.SetAction(_ =>
        {
            var version = typeof(Gpo.GpoInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
            Console.WriteLine($"gpo {version}");
            Console.WriteLine($".NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
            Console.WriteLine($"cores {Environment.ProcessorCount}, {Gpo.GpoInfo.SimdDescription}");
            Console.WriteLine("devices (--device; auto = cuda when present, else cpu):");
            foreach (var line in Gpo.Gpu.GpuDevices.Describe()) Console.WriteLine($"  {line}");
            return 0;
        });
        return command;
    }
}
