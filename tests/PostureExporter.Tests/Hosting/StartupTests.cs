using System.Net;
using System.Text.Json.Nodes;
using PostureExporter.Simulator;
using PostureExporter.Tests.Support;

namespace PostureExporter.Tests.Hosting;

/// <summary>How the exporter starts: the first lists and the API server's version are asked for side by side.</summary>
public sealed class StartupTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Ready_OnlyOnceTheApiServerVersionIsIn_SoTheFirstGaugesAlreadyJudgeTheKubelets()
    {
        await using var cluster = await SimulatedCluster.StartAsync(new SimulatorOptions { GitVersion = "v1.32.0" });
        cluster.Store.Create(Node("old", "v1.29.4"));
        cluster.Store.Create(Node("current", "v1.32.1"));
        var hold = cluster.Faults.HoldVersion();
        using var kubeconfig = new Kubeconfig(cluster.BaseAddress);
        await using var exporter = await ExporterProcess.StartAsync(demo: false, ["--kubeconfig", kubeconfig.Path, "--listen", "127.0.0.1:0"], waitReady: false);
        using var http = new HttpClient();

        // Every informer has listed and watches, yet the exporter is not ready: the version is still out.
        await Eventually.WaitAsync(async () =>
        {
            var synced = (await exporter.ScrapeAsync()).Find("posture_exporter_informer_synced").ToList();
            return synced.Count > 0 && synced.All(s => s.Value == 1);
        }, Deadline, "the informers never synced:\n" + exporter.Log);
        await Eventually.WaitAsync(async () => await ReadyzAsync(http, exporter) == (HttpStatusCode.ServiceUnavailable, "waiting for the API server's version"),
            Deadline, "/readyz never said what it waits for:\n" + exporter.Log);
        Assert.Empty((await exporter.ScrapeAsync()).Find("posture_checked", ("control", "node-kubelet-outdated")));

        hold.Dispose();

        await Eventually.WaitAsync(async () => (await ReadyzAsync(http, exporter)).Status == HttpStatusCode.OK, Deadline, "never ready:\n" + exporter.Log);
        var metrics = await exporter.ScrapeAsync();
        Assert.Equal(2, metrics.Value("posture_checked", ("control", "node-kubelet-outdated"), ("namespace", "")));
        Assert.Equal(1, metrics.Value("posture_violations", ("control", "node-kubelet-outdated"), ("namespace", "")));
    }

    private static async Task<(HttpStatusCode Status, string Detail)> ReadyzAsync(HttpClient http, ExporterProcess exporter)
    {
        using var response = await http.GetAsync(new Uri(exporter.BaseUrl, "/readyz"));
        return (response.StatusCode, (await response.Content.ReadAsStringAsync()).Trim());
    }

    private static JsonObject Node(string name, string kubelet) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Node",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["status"] = new JsonObject { ["nodeInfo"] = new JsonObject { ["kubeletVersion"] = kubelet } },
    };
}
