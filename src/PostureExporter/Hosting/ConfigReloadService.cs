using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PostureExporter.Configuration;

namespace PostureExporter.Hosting;

/// <summary>
/// Central waivers live in the configuration file (a mounted ConfigMap) and apply without a restart: the files
/// are checked every few seconds, and on a change the waiver settings are re-read and the index re-evaluated on
/// the engine thread. A file that no longer parses keeps the old settings. Other settings need a restart.
/// </summary>
internal sealed partial class ConfigReloadService(
    ConfigurationLoader loader,
    EngineAccess engine,
    ExporterState state,
    WaiverProblems problems,
    TimeProvider time,
    ILogger<ConfigReloadService> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (loader.Files.Count == 0)
        {
            return;
        }
        var seen = loader.Fingerprint();
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = loader.Fingerprint();
                if (now == seen)
                {
                    continue;
                }
                seen = now;
                try
                {
                    var settings = ExporterOptions.Load(loader.Build()).Posture.ToSettings(out var invalid);
                    problems.SetConfigProblems(invalid);
                    foreach (var p in invalid)
                    {
                        LogInvalidWaiver(logger, p);
                    }
                    await engine.QueryAsync(index =>
                    {
                        // Before the first whole evaluation, only keep the settings: that evaluation uses them.
                        index.UpdateWaivers(settings, time.GetUtcNow(), evaluate: state.InitialEvaluationDone);
                        return true;
                    }, stoppingToken);
                    LogReloaded(logger, settings.Waivers.Length);
                }
                catch (ConfigurationException e)
                {
                    LogReloadFailed(logger, e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(EventId = 500, Level = LogLevel.Information, Message = "configuration changed: {Count} central waivers applied (other settings take effect at restart)")]
    private static partial void LogReloaded(ILogger logger, int count);

    [LoggerMessage(EventId = 501, Level = LogLevel.Error, Message = "configuration changed but cannot be used, keeping the previous waivers: {Error}")]
    private static partial void LogReloadFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 502, Level = LogLevel.Warning, Message = "invalid central waiver ignored (not honoured): {Problem}")]
    internal static partial void LogInvalidWaiver(ILogger logger, string problem);
}

/// <summary>Invalid central waivers from the configuration, counted with the invalid annotation waivers.</summary>
internal sealed class WaiverProblems
{
    private volatile IReadOnlyList<string> _config = [];

    public int ConfigCount => _config.Count;

    public void SetConfigProblems(IReadOnlyList<string> problems) => _config = problems;
}
