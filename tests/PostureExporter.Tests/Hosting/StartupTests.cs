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

    [Fact]
    public async Task PodsListedLast_TheRestIsEvaluatedMeanwhile_AndThePodsFindingsAreNotCountedAsOpened()
    {
        await using var cluster = await SimulatedCluster.StartAsync(new SimulatorOptions());
        cluster.Store.Create(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = "team-a" } });
        cluster.Store.Create(Pod("root", runAsUser: 0));
        cluster.Store.Create(Pod("app", runAsUser: 1000));
        var hold = cluster.Faults.HoldList("pods");
        using var kubeconfig = new Kubeconfig(cluster.BaseAddress);
        await using var exporter = await ExporterProcess.StartAsync(demo: false, ["--kubeconfig", kubeconfig.Path, "--listen", "127.0.0.1:0"], waitReady: false);
        using var http = new HttpClient();

        // Every kind but the pods is listed and evaluated while the pods' list is out; not ready meanwhile.
        await Eventually.WaitAsync(() => Task.FromResult(exporter.Log.Contains("evaluated every kind listed but pods", StringComparison.Ordinal)),
            Deadline, "the other kinds were not evaluated ahead of the pods:\n" + exporter.Log);
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "waiting for the initial list of: pods"), await ReadyzAsync(http, exporter));

        hold.Dispose();

        await Eventually.WaitAsync(async () => (await ReadyzAsync(http, exporter)).Status == HttpStatusCode.OK, Deadline, "never ready:\n" + exporter.Log);
        var metrics = await exporter.ScrapeAsync();
        Assert.Equal(1, metrics.Value("posture_violations", ("control", "container-run-as-root"), ("namespace", "team-a")));
        Assert.Equal(2, metrics.Value("posture_checked", ("control", "container-run-as-root"), ("namespace", "team-a")));
        // The root pod was running before the exporter started: found, not seen appearing.
        Assert.Equal(0, metrics.Value("posture_violations_opened_total", ("control", "container-run-as-root"), ("namespace", "team-a")));
    }

    private static JsonObject Pod(string name, long runAsUser) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Pod",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "team-a" },
        ["spec"] = new JsonObject
        {
            ["containers"] = new JsonArray(new JsonObject
            {
                ["name"] = "app",
                ["image"] = "nginx:1.27",
                ["securityContext"] = new JsonObject { ["runAsUser"] = runAsUser },
            }),
        },
    };

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
