using Microsoft.Extensions.Hosting;

namespace PostureExporter.Hosting;

/// <summary>
/// Runs every informer until shutdown. <see cref="StartEarly"/> starts them before the web host is built (their
/// initial lists are start-up's long pole); as a hosted service it then watches them, so an informer that fails
/// stops the host as before, and the host's shutdown stops them.
/// </summary>
internal sealed class InformerService(ExporterState state) : BackgroundService
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _running;

    public void StartEarly() =>
        _running ??= Task.WhenAll(state.Informers.Select(i => Task.Run(() => i.RunAsync(_stop.Token), _stop.Token)));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        StartEarly();
        await using (stoppingToken.Register(_stop.Cancel))
        {
            await _running!;
        }
    }

    /// <summary>Stops informers started early, whether their host never ran or has stopped; the last call on it.</summary>
    public async Task StopEarlyAsync()
    {
        await _stop.CancelAsync();
        try
        {
            if (_running is not null)
            {
                await _running;
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            _stop.Dispose();
        }
    }
}
