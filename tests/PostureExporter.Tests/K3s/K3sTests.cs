using System.Text;
using k8s;
using PostureExporter.Engine.Manifests;
using PostureExporter.Engine.Model;
using PostureExporter.Tests.Support;
using Testcontainers.K3s;

namespace PostureExporter.Tests.K3s;

/// <summary>The seed objects on a real K3s cluster: the exporter must report what it reports on the demo.</summary>
public sealed class K3sTests
{
    /// <summary>Testcontainers fails in Build() without Docker, so look for an engine before building.</summary>
    private static string? WhyNoDocker()
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOCKER_HOST")) || File.Exists("/var/run/docker.sock"))
        {
            return null;
        }
        return "no Docker engine on this machine (DOCKER_HOST unset and /var/run/docker.sock absent); the K3s test runs wherever Docker exists";
    }

    [SkippableFact]
    public async Task SeedObjects_AppliedToK3s_GiveTheDemoFindings()
    {
        var why = WhyNoDocker();
        Skip.If(why is not null, why);

        await using var k3s = new K3sBuilder("rancher/k3s:v1.32.3-k3s1").Build();
        await k3s.StartAsync();
        var kubeconfig = Path.Combine(Path.GetTempPath(), $"k3s-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(kubeconfig, await k3s.GetKubeconfigAsync());
        try
        {
            // Controllers make the ReplicaSets and Pods on a real cluster, and it has its own Node and built-in RBAC.
            var seed = Demo.DemoCluster.SeedManifest();
            var objects = ManifestReader.ReadText(seed).Objects
                .Where(o => o.Kind is not (Kinds.Pod or Kinds.ReplicaSet or Kinds.Node or Kinds.ClusterRole)
                    && !(o.Kind == Kinds.ClusterRoleBinding && o.Metadata.Name == "cluster-admin")
                    && !(o.Kind == Kinds.Namespace && o.Metadata.Name == "kube-system")
                    && o.Metadata.NamespaceProperty != "kube-system");
            var manifest = new StringBuilder();
            foreach (var o in objects)
            {
                manifest.AppendLine("---").AppendLine(KubernetesYaml.Serialize(o));
            }
            var file = kubeconfig + ".seed.yaml";
            await File.WriteAllTextAsync(file, manifest.ToString());
            await KubectlWithConfig(kubeconfig, "apply", "-f", file);

            await using var exporter = await ExporterProcess.StartAsync(demo: false, ["--kubeconfig", kubeconfig, "--listen", "127.0.0.1:0"]);
            await Eventually.WaitAsync(async () =>
            {
                var m = await exporter.ScrapeAsync();
                return m.Value("posture_violations", ("control", "container-run-as-root"), ("namespace", "payments")) == 1
                    && m.Value("posture_waived", ("control", "container-run-as-root"), ("namespace", "monitoring")) == 1
                    && m.Value("posture_violations", ("control", "container-resource-limits"), ("namespace", "staging")) == 1
                    && m.Value("posture_violations", ("control", "namespace-default-deny-missing"), ("namespace", "analytics")) == 1
                    && m.Find("posture_violation_first_seen_timestamp_seconds", ("control", "rbac-cluster-admin-binding"), ("name", "ci-pipeline-admin")).Any();
            }, TimeSpan.FromMinutes(3), "the K3s cluster's metrics never matched the seed's findings");
        }
        finally
        {
            File.Delete(kubeconfig);
            File.Delete(kubeconfig + ".seed.yaml");
        }
    }

    private static async Task KubectlWithConfig(string kubeconfig, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("kubectl") { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add("--kubeconfig");
        psi.ArgumentList.Add(kubeconfig);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = System.Diagnostics.Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, $"kubectl {string.Join(' ', args)} failed: {await err}");
    }
}
