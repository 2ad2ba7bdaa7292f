using Microsoft.Extensions.Hosting;

namespace PostureExporter.Hosting;

/// <summary>Runs every informer until shutdown.</summary>
internal sealed class InformerService(ExporterState state) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(state.Informers.Select(i => Task.Run(() => i.RunAsync(stoppingToken), stoppingToken)));
}
