using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using k8s.Models;
using Microsoft.Extensions.Configuration;
using PostureExporter.Configuration;
using PostureExporter.Engine.Controls;
using PostureExporter.Engine.Manifests;
using PostureExporter.Informers;
using PostureExporter.Ops.Tests.Support;
using PostureExporter.Tests.Support;

namespace PostureExporter.Ops.Tests;

/// <summary>deploy/ rendered by kubectl's kustomize, read as the API server and the exporter's own audit would.</summary>
public sealed partial class DeployTests(DeployTests.Rendered rendered) : IClassFixture<DeployTests.Rendered>
{
    public const string Namespace = "posture-exporter";

    /// <summary>The base and the example overlay, rendered once.</summary>
    public sealed class Rendered : IAsyncLifetime
    {
        public IReadOnlyDictionary<string, (string Text, IReadOnlyList<JsonObject> Objects)> ByPath { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            var result = new Dictionary<string, (string, IReadOnlyList<JsonObject>)>(StringComparer.Ordinal);
            foreach (var path in new[] { "deploy/base", "deploy/overlays/example" })
            {
                var r = await Tool.RunAsync("kubectl", ["kustomize", Repo.File(path)]);
                Assert.True(r.ExitCode == 0, $"kubectl kustomize {path}: {r.Output}");
                result[path] = (r.StdOut, Yaml.LoadAll(r.StdOut));
            }
            ByPath = result;
        }

        public Task DisposeAsync() => Task.CompletedTask;
    }

    public static TheoryData<string> Paths() => ["deploy/base", "deploy/overlays/example"];

    private IReadOnlyList<JsonObject> Objects(string path = "deploy/base") => rendered.ByPath[path].Objects;

    private JsonObject One(string kind, string? name = null, string path = "deploy/base") =>
        Objects(path).Single(o => (string)o["kind"]! == kind && (name is null || (string)o["metadata"]!["name"]! == name));

    private static string[] Strings(JsonNode? array) => array?.AsArray().Select(n => (string)n!).ToArray() ?? [];

    private string Config(string path = "deploy/base")
    {
        var configMap = One("ConfigMap", path: path);
        Assert.StartsWith("posture-exporter-config", (string)configMap["metadata"]!["name"]!, StringComparison.Ordinal);
        return (string)configMap["data"]!["config.json"]!;
    }

    [Fact]
    public void Base_RendersEveryPieceInTheExportersNamespace()
    {
        var kinds = Objects().Select(o => (string)o["kind"]!).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(
            ["ClusterRole", "ClusterRole", "ClusterRoleBinding", "ClusterRoleBinding", "ConfigMap", "Deployment", "Namespace", "NetworkPolicy", "NetworkPolicy", "NetworkPolicy",
             "NetworkPolicy", "PrometheusRule", "Service", "ServiceAccount", "ServiceMonitor"],
            kinds);
        var clusterScoped = new HashSet<string>(["Namespace", "ClusterRole", "ClusterRoleBinding"], StringComparer.Ordinal);
        Assert.All(Objects().Where(o => !clusterScoped.Contains((string)o["kind"]!)),
            o => Assert.Equal(Namespace, (string?)o["metadata"]!["namespace"]));
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task Audit_RenderedManifests_FindZeroViolations(string path)
    {
        using var dir = new TempDir("audit");
        var manifests = dir.Write("rendered.yaml", rendered.ByPath[path].Text);
        var config = dir.Write("config.json", Config(path));

        var (exit, stdout, stderr) = await ExporterProcess.RunToEndAsync("audit", "--file", manifests, "--output", "json", "--fail-on", "low", "--config", config);

        Assert.True(exit == 0, $"audit of {path} exited {exit}:\n{stdout}{stderr}");
        using var report = JsonDocument.Parse(stdout);
        Assert.Equal(0, report.RootElement.GetProperty("findings").GetArrayLength());
        Assert.Equal(100, report.RootElement.GetProperty("summary").GetProperty("score").GetDouble());
    }

    /// <summary>The witness for the test above: the same audit does read the Deployment and would fail it.</summary>
    [Fact]
    public async Task Audit_RenderedBaseWithTheContainerAsRoot_Fails()
    {
        using var dir = new TempDir("audit");
        var text = rendered.ByPath["deploy/base"].Text.Replace("runAsUser: 65532", "runAsUser: 0", StringComparison.Ordinal);
        var manifests = dir.Write("rendered.yaml", text);

        var (exit, stdout, _) = await ExporterProcess.RunToEndAsync("audit", "--file", manifests, "--output", "json", "--fail-on", "low");

        Assert.Equal(1, exit);
        Assert.Contains("\"container-run-as-root\"", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void ClusterRole_GrantsGetListWatchOnExactlyTheKindsTheExporterWatches()
    {
        var options = ExporterOptions.Load(new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(Config()))).Build());
        var settings = options.Posture.ToSettings(out var invalidWaivers);
        Assert.Empty(invalidWaivers);
        // What serve watches: ResourceDescriptor.For over the kinds the enabled controls read.
        var watched = ResourceDescriptor.For(ControlCatalog.Enabled(settings).SelectMany(c => c.Reads).Distinct()).ToList();
        var expected = watched.Select(d => (Group: ApiGroup(d.Kind, d.Resource), d.Resource)).ToHashSet();

        var role = One("ClusterRole", "posture-exporter-read");
        var granted = new HashSet<(string Group, string Resource)>();
        var problems = new List<string>();
        foreach (var rule in role["rules"]!.AsArray().Select(r => r!.AsObject()))
        {
            var verbs = Strings(rule["verbs"]).Order(StringComparer.Ordinal).ToArray();
            if (!verbs.SequenceEqual(["get", "list", "watch"]))
            {
                problems.Add($"verbs [{string.Join(", ", verbs)}] are not exactly get, list, watch");
            }
            if (rule["nonResourceURLs"] is not null || rule["resourceNames"] is not null)
            {
                problems.Add("nonResourceURLs/resourceNames are not needed");
            }
            foreach (var group in Strings(rule["apiGroups"]))
            {
                foreach (var resource in Strings(rule["resources"]))
                {
                    granted.Add((group, resource));
                }
            }
        }
        problems.AddRange(expected.Except(granted).Select(e => $"missing: {e.Resource} in apiGroup \"{e.Group}\" (a control reads it)"));
        problems.AddRange(granted.Except(expected).Select(e => $"not watched, so not needed: {e.Resource} in apiGroup \"{e.Group}\""));

        Assert.True(problems.Count == 0, "ClusterRole posture-exporter-read:\n" + string.Join("\n", problems));
        Assert.DoesNotContain(granted, g => g.Resource is "secrets" or "*" || g.Group == "*");
        Assert.Contains(("", "pods"), granted);
    }

    /// <summary>The API group of a kind, from the Kubernetes client's own model metadata (not from our code).</summary>
    private static string ApiGroup(string kind, string resource)
    {
        var entity = ManifestReader.KindTypes[kind].GetCustomAttribute<KubernetesEntityAttribute>()!;
        Assert.Equal(entity.PluralName, resource);
        return entity.Group;
    }

    [Fact]
    public void ClusterRoleBinding_BindsTheReadRoleToTheExportersServiceAccount()
    {
        var binding = One("ClusterRoleBinding", "posture-exporter-read");

        Assert.Equal("ClusterRole", (string)binding["roleRef"]!["kind"]!);
        Assert.Equal("posture-exporter-read", (string)binding["roleRef"]!["name"]!);
        var subject = Assert.Single(binding["subjects"]!.AsArray())!;
        Assert.Equal("ServiceAccount", (string)subject["kind"]!);
        Assert.Equal((string)One("ServiceAccount")["metadata"]!["name"]!, (string)subject["name"]!);
        Assert.Equal(Namespace, (string)subject["namespace"]!);
    }

    [Fact]
    public void Namespace_EnforcesRestrictedPodSecurity()
    {
        var labels = One("Namespace")["metadata"]!["labels"]!;

        Assert.Equal(Namespace, (string)One("Namespace")["metadata"]!["name"]!);
        Assert.Equal("restricted", (string)labels["pod-security.kubernetes.io/enforce"]!);
    }

    [Fact]
    public void Deployment_RunsHardened()
    {
        var spec = One("Deployment")["spec"]!["template"]!["spec"]!;
        var c = Assert.Single(spec["containers"]!.AsArray())!;
        var sc = c["securityContext"]!;

        Assert.Equal((string)One("ServiceAccount")["metadata"]!["name"]!, (string)spec["serviceAccountName"]!);
        Assert.True((bool)spec["securityContext"]!["runAsNonRoot"]!);
        Assert.True((long)spec["securityContext"]!["runAsUser"]! > 0);
        Assert.Equal("RuntimeDefault", (string)spec["securityContext"]!["seccompProfile"]!["type"]!);
        Assert.True((bool)sc["runAsNonRoot"]!);
        Assert.True((long)sc["runAsUser"]! > 0);
        Assert.True((bool)sc["readOnlyRootFilesystem"]!);
        Assert.False((bool)sc["allowPrivilegeEscalation"]!);
        Assert.Equal(["ALL"], Strings(sc["capabilities"]!["drop"]));
        Assert.Null(sc["capabilities"]!["add"]);
        Assert.Equal("RuntimeDefault", (string)sc["seccompProfile"]!["type"]!);
        Assert.NotNull(c["resources"]!["limits"]!["cpu"]);
        Assert.NotNull(c["resources"]!["limits"]!["memory"]);
        Assert.Null(spec["hostNetwork"]);
        Assert.Null(spec["hostPID"]);
        Assert.All(c["ports"]!.AsArray(), p => Assert.Null(p!["hostPort"]));
        Assert.All(spec["volumes"]!.AsArray(), v => Assert.Null(v!["hostPath"]));
        Assert.All(c["env"]?.AsArray() ?? [], e => Assert.DoesNotMatch("(?i)(pass(word|wd)?|secret|token|api[_-]?key|private[_-]?key|credential)", (string)e!["name"]!));
    }

    [Fact]
    public void Deployment_ProbesHealthAndReadinessOnTheMetricsPort()
    {
        var c = One("Deployment")["spec"]!["template"]!["spec"]!["containers"]![0]!;

        Assert.Equal("/healthz", (string)c["livenessProbe"]!["httpGet"]!["path"]!);
        Assert.Equal("/readyz", (string)c["readinessProbe"]!["httpGet"]!["path"]!);
        Assert.Equal("metrics", (string)c["livenessProbe"]!["httpGet"]!["port"]!);
        Assert.Equal("metrics", (string)c["readinessProbe"]!["httpGet"]!["port"]!);
        var port = Assert.Single(c["ports"]!.AsArray())!;
        Assert.Equal("metrics", (string)port["name"]!);
        Assert.Equal(9917, (long)port["containerPort"]!);
    }

    [Fact]
    public void Deployment_ReadsItsConfigFromTheConfigMapAndWritesOnlyToTmp()
    {
        var spec = One("Deployment")["spec"]!["template"]!["spec"]!;
        var c = spec["containers"]![0]!;
        var args = Strings(c["args"]);
        var configFile = args[Array.IndexOf(args, "--config") + 1];
        var mounts = c["volumeMounts"]!.AsArray().Select(m => m!).ToList();
        var configMount = mounts.Single(m => configFile.StartsWith((string)m["mountPath"]! + "/", StringComparison.Ordinal));
        var volume = spec["volumes"]!.AsArray().Single(v => (string)v!["name"]! == (string)configMount["name"]!)!;

        Assert.Equal((string)One("ConfigMap")["metadata"]!["name"]!, (string)volume["configMap"]!["name"]!);
        Assert.Equal("config.json", Path.GetFileName(configFile));
        Assert.Null(configMount["subPath"]);
        var writable = mounts.Where(m => m["readOnly"] is null || !(bool)m["readOnly"]!).ToList();
        var tmp = Assert.Single(writable)!;
        Assert.Equal("/tmp", (string)tmp["mountPath"]!);
        Assert.NotNull(spec["volumes"]!.AsArray().Single(v => (string)v!["name"]! == (string)tmp["name"]!)!["emptyDir"]);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Deployment_ImageHasTagAndDigest(string path)
    {
        var image = (string)One("Deployment", path: path)["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!;

        Assert.Matches(ImageWithTagAndDigest(), image);
    }

    [Fact]
    public void ConfigMap_ConfiguresWhatTheRulesAndAlertsRelyOn()
    {
        var posture = JsonNode.Parse(Config())!["Posture"]!;

        // The drift SLO selects production by posture_namespace_info's environment label; alerts route on team.
        Assert.Contains("environment", Strings(posture["NamespaceInfoLabels"]));
        Assert.Contains("team", Strings(posture["NamespaceInfoLabels"]));
        Assert.Contains("rbac-cluster-admin-binding", Strings(posture["UnwaivableControls"]));
        Assert.NotNull(posture["Waivers"]?.AsArray());
        // The rules' production matcher (environment=~"prod|production") is this selector.
        Assert.Equal("environment in (prod, production)", (string)posture["ProductionSelector"]!);
    }

    [Fact]
    public void NetworkPolicies_DenyAllThenAllowPrometheusInAndApiServerAndDnsOut()
    {
        var policies = Objects().Where(o => (string)o["kind"]! == "NetworkPolicy").Select(o => o["spec"]!).ToList();
        var podLabel = (string)One("Deployment")["spec"]!["template"]!["metadata"]!["labels"]!["app.kubernetes.io/name"]!;

        var deny = Assert.Single(policies, p => p["podSelector"]!.AsObject().Count == 0 && Strings(p["policyTypes"]).Order(StringComparer.Ordinal).SequenceEqual(["Egress", "Ingress"]));
        Assert.Null(deny["ingress"]);
        Assert.Null(deny["egress"]);

        var ingress = policies.Where(p => p["ingress"] is not null).ToList();
        var scrape = Assert.Single(ingress)!;
        Assert.Equal(podLabel, (string)scrape["podSelector"]!["matchLabels"]!["app.kubernetes.io/name"]!);
        var from = Assert.Single(scrape["ingress"]!.AsArray())!;
        var peer = Assert.Single(from["from"]!.AsArray())!;
        Assert.NotNull(peer["podSelector"]?["matchLabels"]);
        Assert.NotNull(peer["namespaceSelector"]?["matchLabels"]);
        var port = Assert.Single(from["ports"]!.AsArray())!;
        Assert.Equal(9917, (long)port["port"]!);

        var egressPorts = policies.Where(p => p["egress"] is not null)
            .SelectMany(p => p["egress"]!.AsArray())
            .SelectMany(e => e!["ports"]!.AsArray())
            .Select(p => ((string)p!["protocol"]!, (long)p["port"]!))
            .Order()
            .ToList();
        Assert.Equal([("TCP", 53L), ("TCP", 443L), ("TCP", 6443L), ("UDP", 53L)], egressPorts);
    }

    [Fact]
    public void ServiceMonitor_ScrapesTheMetricsPortAsJobPostureExporterWithHonorLabels()
    {
        var monitor = One("ServiceMonitor")["spec"]!;
        var service = One("Service");
        var endpoint = Assert.Single(monitor["endpoints"]!.AsArray())!;

        var jobLabel = (string)monitor["jobLabel"]!;
        Assert.Equal("posture-exporter", (string)service["metadata"]!["labels"]![jobLabel]!);
        foreach (var (key, value) in monitor["selector"]!["matchLabels"]!.AsObject())
        {
            Assert.Equal((string)value!, (string?)service["metadata"]!["labels"]![key]);
        }
        Assert.Equal("metrics", (string)endpoint["port"]!);
        Assert.Contains(service["spec"]!["ports"]!.AsArray(), p => (string)p!["name"]! == "metrics");
        Assert.Equal("/metrics", (string)endpoint["path"]!);
        // The exporter's `namespace` label must win over the target's, or every rule sees one namespace.
        Assert.True((bool)endpoint["honorLabels"]!);
    }

    [Fact]
    public void PrometheusRule_InTheBase_IsTheOneInAlerts()
    {
        var deployed = One("PrometheusRule");
        var source = Yaml.LoadFile("alerts", "prometheusrule.yaml");

        Assert.Equal(Namespace, (string)deployed["metadata"]!["namespace"]!);
        Assert.True(JsonNode.DeepEquals(source["spec"], deployed["spec"]), "deploy/base renders a PrometheusRule other than alerts/prometheusrule.yaml");
    }

    [GeneratedRegex(@"^ghcr\.io/posture-exporter/posture-exporter:[A-Za-z0-9_.-]+@sha256:[0-9a-f]{64}$")]
    private static partial Regex ImageWithTagAndDigest();
}
