using BenchmarkDotNet.Running;

// Run all benchmarks: dotnet run -c Release --project bench/Gpo.Bench -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
