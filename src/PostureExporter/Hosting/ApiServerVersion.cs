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
                    await HandOverAsync(engine, state, version, time, ct);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// On the engine's thread: gives it the version (if there is one; re-evaluating only once the initial
    /// evaluation is done, which it otherwise includes), and marks the start-up lookup as answered.
    /// </summary>
    public static Task HandOverAsync(EngineAccess engine, ExporterState state, string? version, TimeProvider time, CancellationToken ct) =>
        engine.QueryAsync(i =>
        {
            if (version is not null)
            {
                i.UpdateApiServerVersion(version, time.GetUtcNow(), evaluate: state.InitialEvaluationDone);
            }
            state.ApiServerVersionSettled = true;
            return true;
        }, ct);

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

/// <summary>
/// Hands the engine the answer of the version lookup started with the process (it runs while the host is built
/// and the first lists come in, instead of before them), then runs <see cref="ApiServerVersion.KeepAskingAsync"/>
/// if that lookup found nothing. Until the first answer is in, <see cref="ExporterState.ApiServerVersionSettled"/>
/// holds the initial evaluation back.
/// </summary>
internal sealed class ApiServerVersionService(IKubernetes client, Task<string?> lookup, EngineAccess engine, ExporterState state) : Microsoft.Extensions.Hosting.BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var version = await lookup.WaitAsync(stoppingToken);
        await ApiServerVersion.HandOverAsync(engine, state, version, TimeProvider.System, stoppingToken);
        if (version is null)
        {
            await ApiServerVersion.KeepAskingAsync(client, engine, state, TimeProvider.System, stoppingToken);
        }
    }
}
