using System.Text.Json;
using PostureExporter.Tests.Support;

namespace PostureExporter.Tests.Audit;

/// <summary>The one-shot audit: files, directories and a kubectl dump of the demo cluster, against the daemon.</summary>
public sealed class AuditCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("posture-audit-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static HashSet<string> Keys(JsonElement findings) =>
        findings.EnumerateArray().Select(f => string.Join('|', f.GetProperty("control").GetString(), f.GetProperty("namespace").GetString(),
            f.GetProperty("kind").GetString(), f.GetProperty("name").GetString(), f.GetProperty("status").GetString())).ToHashSet();

    [Fact]
    public async Task Audit_OfAKubectlDumpOfTheDemo_EqualsWhatTheDaemonReports()
    {
        await using var exporter = await ExporterProcess.StartDemoAsync();
        var dump = Path.Combine(_dir, "dump.json");
        var kinds = "namespaces,pods,serviceaccounts,limitranges,nodes,replicationcontrollers,roles,clusterroles,rolebindings,clusterrolebindings,networkpolicies,ingresses,deployments,replicasets,statefulsets,daemonsets,jobs,cronjobs";
        await File.WriteAllTextAsync(dump, await Kubectl.RunAsync(exporter.ApiUrl!, "get", kinds, "-A", "-o", "json"));

        var (code, json, stderr) = await ExporterProcess.RunToEndAsync("audit", "--file", dump, "--output", "json", "--config", WriteVersionConfig());
        using var http = new HttpClient();
        var daemon = JsonDocument.Parse(await http.GetStringAsync(new Uri(exporter.BaseUrl, "/api/v1/findings"))).RootElement;

        Assert.True(code == 1, $"audit should fail on the seed's high findings; exit {code}: {stderr}");
        var audit = JsonDocument.Parse(json).RootElement;
        Assert.Equal(Keys(daemon.GetProperty("findings")), Keys(audit.GetProperty("findings")));
        Assert.Equal(daemon.GetProperty("summary").GetProperty("score").GetDouble(), audit.GetProperty("summary").GetProperty("score").GetDouble());
        Assert.Contains(Keys(audit.GetProperty("findings")), k => k == "container-run-as-root|payments|Deployment|legacy-importer|violation");
        Assert.Contains(Keys(audit.GetProperty("findings")), k => k == "container-run-as-root|monitoring|Deployment|prometheus-server|waived");
    }

    /// <summary>A dump has no /version: give the audit the simulator's, as the daemon asked it.</summary>
    private string WriteVersionConfig()
    {
        var file = Path.Combine(_dir, "version.json");
        File.WriteAllText(file, """{ "Posture": { "ApiServerVersion": "v1.32.0" } }""");
        return file;
    }

    [Fact]
    public async Task Audit_OfADirectory_PrintsTheTableGroupedBySeverityWithFixes()
    {
        await File.WriteAllTextAsync(Path.Combine(_dir, "ns.yaml"), """
            apiVersion: v1
            kind: Namespace
            metadata: {name: shop, labels: {pod-security.kubernetes.io/enforce: restricted}}
            """);
        Directory.CreateDirectory(Path.Combine(_dir, "apps"));
        await File.WriteAllTextAsync(Path.Combine(_dir, "apps", "web.yaml"), """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: shop}
            spec:
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers:
                    - name: web
                      image: nginx:latest
                      securityContext: {privileged: true}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: shop}
            spec: {ports: [{port: 80}]}
            """);

        var (code, table, _) = await ExporterProcess.RunToEndAsync("audit", "--file", _dir);

        Assert.Equal(1, code);
        Assert.StartsWith("CRITICAL", table, StringComparison.Ordinal);
        Assert.Contains("container-privileged", table, StringComparison.Ordinal);
        Assert.Contains("Deployment/shop/web: container web: privileged: true", table, StringComparison.Ordinal);
        Assert.Contains("fix: Remove securityContext.privileged", table, StringComparison.Ordinal);
        Assert.Contains("not audited (kinds no control reads): Service ×1", table, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("critical", 1)]
    [InlineData("none", 0)]
    public async Task Audit_FailOn_SetsTheExitCode(string failOn, int expected)
    {
        var file = Path.Combine(_dir, "pod.yaml");
        await File.WriteAllTextAsync(file, """
            apiVersion: v1
            kind: Pod
            metadata: {name: p, namespace: default}
            spec: {containers: [{name: c, image: "busybox:1.36", securityContext: {privileged: true}}]}
            """);

        var (code, _, _) = await ExporterProcess.RunToEndAsync("audit", "--file", file, "--fail-on", failOn);

        Assert.Equal(expected, code);
    }

    [Fact]
    public async Task Audit_BadManifest_ExitsTwoNamingTheFileAndLine()
    {
        var file = Path.Combine(_dir, "broken.yaml");
        await File.WriteAllTextAsync(file, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: ok\n---\napiVersion: v1\nkind: Pod\nmetadata: [unclosed\n");

        var (code, stdout, stderr) = await ExporterProcess.RunToEndAsync("audit", "--file", file);

        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Matches($@"{System.Text.RegularExpressions.Regex.Escape(file)}:(8|9):", stderr);
    }

    [Fact]
    public async Task Audit_OfAClusterWithAnObjectItCannotRead_ExitsTwoSayingWhich()
    {
        // The daemon counts such an object and goes on; an audit gives a verdict on all it lists or none.
        await using var cluster = await PostureExporter.Simulator.SimulatedCluster.StartAsync(new PostureExporter.Simulator.SimulatorOptions());
        cluster.Store.Create(new System.Text.Json.Nodes.JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["name"] = "odd", ["namespace"] = "team-a" },
            ["spec"] = new System.Text.Json.Nodes.JsonObject { ["containers"] = "oops" },
        });
        using var kubeconfig = new Kubeconfig(cluster.BaseAddress);

        var (code, stdout, stderr) = await ExporterProcess.RunToEndAsync("audit", "--kubeconfig", kubeconfig.Path);

        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Contains("cannot read 1 of the pods", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_OfAClusterItCannotReach_ExitsTwoSayingWhy()
    {
        // Port 1 on loopback: nothing listens there, the connection is refused at once.
        using var kubeconfig = new Kubeconfig(new Uri("http://127.0.0.1:1"));

        var (code, stdout, stderr) = await ExporterProcess.RunToEndAsync("audit", "--kubeconfig", kubeconfig.Path);

        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Contains("cannot list", stderr, StringComparison.Ordinal);
        Assert.Contains("Connection refused", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Trim().Split('\n'));
    }
}
