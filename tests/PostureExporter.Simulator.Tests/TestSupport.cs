using System.Diagnostics;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace PostureExporter.Simulator.Tests;

/// <summary>Shared helpers: a cluster on a free loopback port, a client for it, objects, and polling with a deadline.</summary>
internal static class TestSupport
{
    /// <summary>Bounds a failure only; every wait returns as soon as its condition holds.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    public static Task<SimulatedCluster> StartAsync(Action<SimulatorOptions>? configure = null)
    {
        var options = new SimulatorOptions { Listen = "127.0.0.1:0" };
        configure?.Invoke(options);
        return SimulatedCluster.StartAsync(options);
    }

    public static Kubernetes Client(SimulatedCluster cluster) =>
        new(new KubernetesClientConfiguration { Host = cluster.BaseAddress.ToString() });

    public static HttpClient HttpClientFor(SimulatedCluster cluster) => new() { BaseAddress = cluster.BaseAddress, Timeout = Deadline };

    public static V1Pod Pod(string name, string ns = "default", IDictionary<string, string>? labels = null) => new()
    {
        ApiVersion = "v1",
        Kind = "Pod",
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = labels },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "app", Image = "nginx:1.27" }] },
    };

    public static JsonObject PodJson(string name, string ns = "default", string? label = null)
    {
        var pod = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
            ["spec"] = new JsonObject
            {
                ["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "nginx:1.27" }),
            },
        };
        if (label is not null)
        {
            var (key, value) = (label.Split('=')[0], label.Split('=')[1]);
            pod["metadata"]!["labels"] = new JsonObject { [key] = value };
        }

        return pod;
    }

    public static JsonObject NamespaceJson(string name) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Namespace",
        ["metadata"] = new JsonObject { ["name"] = name },
    };

    public static string Rv(JsonObject obj) => obj["metadata"]!["resourceVersion"]!.GetValue<string>();

    public static async Task UntilAsync(Func<bool> condition, string what)
    {
        var stopwatch = Stopwatch.StartNew();
        while (!condition())
        {
            if (stopwatch.Elapsed > Deadline)
            {
                throw new TimeoutException($"timed out after {Deadline.TotalSeconds:0}s waiting for: {what}");
            }

            await Task.Delay(20);
        }
    }
}
