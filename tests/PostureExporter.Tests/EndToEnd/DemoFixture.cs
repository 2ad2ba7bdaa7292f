using PostureExporter.Tests.Support;

namespace PostureExporter.Tests.EndToEnd;

/// <summary>One exporter process on --demo (churn off), shared by tests that only read.</summary>
public sealed class DemoFixture : IAsyncLifetime
{
    public ExporterProcess Exporter { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Exporter = await ExporterProcess.StartDemoAsync();
        // Ready means the initial state is evaluated; each watch opens right after its list, so a kind's
        // informer_synced can still be 0 for a moment. The tests read a settled exporter: wait for the watches.
        await Eventually.WaitAsync(
            async () => (await Exporter.ScrapeAsync()).Find("posture_exporter_informer_synced").ToList() is { Count: > 0 } synced && synced.All(s => s.Value == 1),
            TimeSpan.FromSeconds(30), "every informer's watch live");
    }

    public async Task DisposeAsync() => await Exporter.DisposeAsync();
}
