using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace PostureExporter.Benchmarks.Micro;

/// <summary>
/// Short in-process runs: no child project is generated and built (slow on a shared 2-core machine, and the
/// repository's warnings-as-errors settings would apply to generated code), with allocations measured. Reports go
/// under the build output (bin/Release/net10.0/BenchmarkDotNet.Artifacts), not into the working tree.
/// </summary>
internal static class MicroConfig
{
    public static IConfig Create() => ManualConfig.Create(DefaultConfig.Instance)
        .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
        .AddDiagnoser(MemoryDiagnoser.Default)
        .WithArtifactsPath(Path.Combine(AppContext.BaseDirectory, "BenchmarkDotNet.Artifacts"));
}
