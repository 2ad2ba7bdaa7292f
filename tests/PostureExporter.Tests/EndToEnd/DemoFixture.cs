using PostureExporter.Tests.Support;

namespace PostureExporter.Tests.EndToEnd;

/// <summary>One exporter process on --demo (churn off), shared by tests that only read.</summary>
public sealed class DemoFixture : IAsyncLifetime
{
    public ExporterProcess Exporter { get; private set; } = null!;

    public async Task InitializeAsync() => Exporter = await ExporterProcess.StartDemoAsync();

    public async Task DisposeAsync() => await Exporter.DisposeAsync();
}
