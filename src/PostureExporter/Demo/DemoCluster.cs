using System.Text.Json.Nodes;
using k8s;
using PostureExporter.Engine.Manifests;
using PostureExporter.Simulator;

namespace PostureExporter.Demo;

/// <summary>The --demo cluster: the simulated API server seeded with the checklist's example cluster.</summary>
internal static class DemoCluster
{
    public const string ChurnNamespace = "sandbox";

    public static async Task<SimulatedCluster> StartAsync(string listen, CancellationToken ct)
    {
        // The demo's API server runs in the exporter's process: keep its watch history (what a resuming watch
        // can replay) small, so the process's heap is the exporter's and not a day of demo churn.
        var cluster = await SimulatedCluster.StartAsync(new SimulatorOptions { Listen = listen, HistoryLimit = 10_000 }, ct);
        try
        {
            Seed(cluster.Store);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
        return cluster;
    }

    /// <summary>The seed manifest, embedded in the binary.</summary>
    public static string SeedManifest()
    {
        using var stream = typeof(DemoCluster).Assembly.GetManifestResourceStream("PostureExporter.Demo.demo-cluster.yaml")
            ?? throw new InvalidOperationException("the demo seed is missing from the build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static void Seed(ClusterStore store)
    {
        foreach (var obj in ManifestReader.ReadText(SeedManifest(), "demo-cluster.yaml").Objects)
        {
            store.Create((JsonObject)JsonNode.Parse(KubernetesJson.Serialize(obj))!);
        }
    }
}
