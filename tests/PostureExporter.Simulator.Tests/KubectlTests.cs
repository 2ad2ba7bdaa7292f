using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit;
using static PostureExporter.Simulator.Tests.TestSupport;

namespace PostureExporter.Simulator.Tests;

/// <summary>kubectl as a second, independent client: discovery, server-side validation, tables, patches.</summary>
public sealed class KubectlTests : IAsyncLifetime
{
    private const string Manifests = """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata:
          name: ci-admins
        roleRef:
          apiGroup: rbac.authorization.k8s.io
          kind: ClusterRole
          name: cluster-admin
        subjects:
        - kind: ServiceAccount
          name: deployer
          namespace: ci
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: web
          namespace: default
        spec:
          containers:
          - name: app
            image: nginx:1.27
        """;

    private SimulatedCluster _cluster = null!;
    private Kubectl _kubectl = null!;
    private DirectoryInfo _work = null!;

    public async Task InitializeAsync()
    {
        _cluster = await StartAsync();
        _work = Directory.CreateTempSubdirectory("simulator-kubectl-");
        _kubectl = new Kubectl(_cluster.BaseAddress, Path.Combine(_work.FullName, "cache"));
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _work.Delete(recursive: true);
    }

    [Fact]
    public async Task GetPodsAllNamespacesAsJson_ListsThePods()
    {
        _cluster.Store.Create(PodJson("web", "team-a"));
        _cluster.Store.Create(PodJson("db", "team-b"));

        var output = await _kubectl.RunAsync("get", "pods", "-A", "-o", "json");

        var list = JsonNode.Parse(output)!;
        Assert.Equal("List", (string)list["kind"]!);
        Assert.Equal(
            ["team-a/web", "team-b/db"],
            list["items"]!.AsArray().Select(p => $"{p!["metadata"]!["namespace"]}/{p["metadata"]!["name"]}"));
        Assert.All(list["items"]!.AsArray(), p => Assert.Equal("Pod", (string)p!["kind"]!));
    }

    [Fact]
    public async Task CreateGetReplaceLabelDelete_RoundTrip()
    {
        var file = Path.Combine(_work.FullName, "manifests.yaml");
        await File.WriteAllTextAsync(file, Manifests);

        // Validation stays on: kubectl finds fieldValidation in /openapi/v3 and leaves validation to the server.
        var created = await _kubectl.RunAsync("create", "-f", file);
        Assert.Contains("clusterrolebinding.rbac.authorization.k8s.io/ci-admins created", created, StringComparison.Ordinal);
        Assert.Contains("pod/web created", created, StringComparison.Ordinal);

        var table = await _kubectl.RunAsync("get", "clusterrolebindings");
        Assert.Matches(@"(?m)^NAME\s+AGE\s*$", table);
        Assert.Matches(@"(?m)^ci-admins\s+\d+s\s*$", table);

        await File.WriteAllTextAsync(file, Manifests.Replace("name: cluster-admin", "name: view", StringComparison.Ordinal));
        Assert.Contains("clusterrolebinding.rbac.authorization.k8s.io/ci-admins replaced", await _kubectl.RunAsync("replace", "-f", file), StringComparison.Ordinal);
        Assert.Equal("view", (string)_cluster.Store.Get("clusterrolebindings", null, "ci-admins")!["roleRef"]!["name"]!);

        Assert.Contains("pod/web labeled", await _kubectl.RunAsync("label", "pod", "web", "team=payments"), StringComparison.Ordinal);
        Assert.Equal("payments", (string)_cluster.Store.Get("pods", "default", "web")!["metadata"]!["labels"]!["team"]!);
        Assert.Equal("pod/web", (await _kubectl.RunAsync("get", "pods", "-l", "team=payments", "-o", "name")).Trim());

        Assert.Contains("\"ci-admins\" deleted", await _kubectl.RunAsync("delete", "clusterrolebinding", "ci-admins"), StringComparison.Ordinal);
        Assert.Null(_cluster.Store.Get("clusterrolebindings", null, "ci-admins"));
    }

    [Fact]
    public async Task HumanReadableGet_PagesThroughServerSideTables()
    {
        for (var i = 0; i < 5; i++)
        {
            _cluster.Store.Create(PodJson($"p{i}", i % 2 == 0 ? "even" : "odd"));
        }

        var table = await _kubectl.RunAsync("get", "pods", "-A", "--chunk-size=2");

        var lines = table.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$", lines[0].TrimEnd());
        Assert.Equal(
            ["even/p0", "even/p2", "even/p4", "odd/p1", "odd/p3"],
            lines.Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(c => $"{c[0]}/{c[1]}"));
    }

    [Fact]
    public async Task PatchAndDeleteWithWait_Work()
    {
        _cluster.Store.Create(PodJson("web"));

        await _kubectl.RunAsync("patch", "pod", "web", "--type", "json", "-p", """[{"op":"replace","path":"/spec/containers/0/image","value":"nginx:1.28"}]""");
        await _kubectl.RunAsync("annotate", "pod", "web", "owner=team-a");
        var jsonPath = await _kubectl.RunAsync("get", "pod", "web", "-o", "jsonpath={.spec.containers[0].image} {.metadata.annotations.owner}");

        // kubectl delete waits until a list with fieldSelector=metadata.name=web comes back empty.
        await _kubectl.RunAsync("delete", "pod", "web", "--timeout=10s");

        Assert.Equal("nginx:1.28 team-a", jsonPath);
        Assert.Empty(_cluster.Store.List("pods"));
    }

    [Fact]
    public async Task ShortNamesAndGroups_Resolve()
    {
        _cluster.Store.Create(new JsonObject
        {
            ["apiVersion"] = "networking.k8s.io/v1",
            ["kind"] = "NetworkPolicy",
            ["metadata"] = new JsonObject { ["name"] = "deny-all", ["namespace"] = "default" },
            ["spec"] = new JsonObject { ["podSelector"] = new JsonObject() },
        });

        var output = await _kubectl.RunAsync("get", "netpol,deploy,cj", "-o", "name");

        Assert.Equal("networkpolicy.networking.k8s.io/deny-all", output.Trim());
    }

    [Fact]
    public async Task Errors_ComeBackAsKubernetesStatus()
    {
        var result = await _kubectl.RunRawAsync("get", "pod", "missing");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("Error from server (NotFound): pods \"missing\" not found", result.StandardError, StringComparison.Ordinal);
    }

    /// <summary>Runs /usr/bin/kubectl against one server with its own discovery cache and a hard timeout.</summary>
    private sealed class Kubectl(Uri server, string cacheDirectory)
    {
        private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

        public async Task<string> RunAsync(params string[] arguments)
        {
            var result = await RunRawAsync(arguments);
            Assert.True(result.ExitCode == 0, $"kubectl {string.Join(' ', arguments)} exited {result.ExitCode}: {result.StandardError}");
            return result.StandardOutput;
        }

        public async Task<(int ExitCode, string StandardOutput, string StandardError)> RunRawAsync(params string[] arguments)
        {
            var start = new ProcessStartInfo("/usr/bin/kubectl")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.Environment["KUBECONFIG"] = "/dev/null";
            foreach (var argument in new[] { "--server", server.ToString().TrimEnd('/'), "--cache-dir", cacheDirectory }.Concat(arguments))
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start) ?? throw new InvalidOperationException("kubectl did not start");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(Timeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"kubectl {string.Join(' ', arguments)} did not finish within {Timeout.TotalSeconds:0}s");
            }

            return (process.ExitCode, await stdout, await stderr);
        }
    }
}
