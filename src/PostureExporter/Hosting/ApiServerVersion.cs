using k8s;

namespace PostureExporter.Hosting;

/// <summary>The API server's version (/version), which the kubelet-skew control compares node versions with.</summary>
internal static class ApiServerVersion
{
    /// <summary>
    /// Keeps asking every 30 s until the API server answers, then hands the version to the engine (the kubelet
    /// skew control stays not applicable until then, never passing).
    /// </summary>
    public static async Task KeepAskingAsync(IKubernetes client, EngineAccess engine, ExporterState state, TimeProvider time, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(30), time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                if (await TryGetAsync(client) is { } version)
                {
                    await engine.QueryAsync(i =>
                    {
                        i.UpdateApiServerVersion(version, time.GetUtcNow(), evaluate: state.InitialEvaluationDone);
                        return true;
                    }, ct);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Null when the API server cannot be asked now: the control is then not applicable, never passing.</summary>
    public static async Task<string?> TryGetAsync(IKubernetes client)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                var info = await client.Version.GetCodeAsync(cts.Token);
                return info.GitVersion;
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or k8s.Autorest.HttpOperationException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * (attempt + 1)));
            }
        }
        return null;
    }
}

/// <summary>Runs <see cref="ApiServerVersion.KeepAskingAsync"/> when the version was not known at start-up.</summary>
internal sealed class ApiServerVersionService(IKubernetes client, EngineAccess engine, ExporterState state) : Microsoft.Extensions.Hosting.BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        ApiServerVersion.KeepAskingAsync(client, engine, state, TimeProvider.System, stoppingToken);
}
