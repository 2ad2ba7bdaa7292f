using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PostureExporter.Simulator;

namespace PostureExporter.Demo;

/// <summary>
/// Makes the demo cluster change a little over time, so every panel moves: pods come and go in namespace
/// sandbox, some of them violating. It never touches the seed objects.
/// </summary>
internal sealed partial class DemoChurnService(SimulatedCluster cluster, int changesPerMinute, TimeProvider time, ILogger<DemoChurnService> logger) : BackgroundService
{
    private const int MaxPods = 6;
    private readonly Random _random = new(20261130);
    private int _next;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (changesPerMinute <= 0)
        {
            return;
        }
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1.0 / changesPerMinute), time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                ChangeOnce();
            }
            catch (Exception e)
            {
                LogChurnFailed(logger, e.Message);
            }
        }
    }

    private void ChangeOnce()
    {
        var pods = cluster.Store.List("pods", DemoCluster.ChurnNamespace);
        if (pods.Count >= MaxPods || (pods.Count > 0 && _random.Next(3) == 0))
        {
            var victim = pods[_random.Next(pods.Count)];
            cluster.Store.Delete("pods", DemoCluster.ChurnNamespace, (string)victim["metadata"]!["name"]!);
            return;
        }
        cluster.Store.Create(Pod($"churn-{_next++}", root: _random.Next(2) == 0, limits: _random.Next(2) == 0, latest: _random.Next(4) == 0));
    }

    private static JsonObject Pod(string name, bool root, bool limits, bool latest)
    {
        var security = root
            ? new JsonObject { ["runAsUser"] = 0 }
            : new JsonObject
            {
                ["runAsNonRoot"] = true,
                ["runAsUser"] = 10001,
                ["allowPrivilegeEscalation"] = false,
                ["readOnlyRootFilesystem"] = true,
                ["capabilities"] = new JsonObject { ["drop"] = new JsonArray("ALL") },
                ["seccompProfile"] = new JsonObject { ["type"] = "RuntimeDefault" },
            };
        var resources = limits
            ? new JsonObject { ["limits"] = new JsonObject { ["cpu"] = "100m", ["memory"] = "64Mi" } }
            : new JsonObject();
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = DemoCluster.ChurnNamespace, ["labels"] = new JsonObject { ["app"] = "churn" } },
            ["spec"] = new JsonObject
            {
                ["automountServiceAccountToken"] = false,
                ["containers"] = new JsonArray(new JsonObject
                {
                    ["name"] = "app",
                    ["image"] = latest ? "registry.example.com/sandbox/toy:latest" : "registry.example.com/sandbox/toy:0.3.1",
                    ["securityContext"] = security,
                    ["resources"] = resources,
                }),
            },
            ["status"] = new JsonObject { ["phase"] = "Running" },
        };
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "demo churn step failed: {Error}")]
    private static partial void LogChurnFailed(ILogger logger, string error);
}
