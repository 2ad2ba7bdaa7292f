using System.Text.Json.Nodes;
using PostureExporter.Engine;
using PostureExporter.Engine.Findings;
using PostureExporter.Engine.Manifests;
using PostureExporter.Simulator;
using PostureExporter.Tests.Support;
using Xunit.Abstractions;

namespace PostureExporter.Tests.Chaos;

/// <summary>
/// Random churn of pods, bindings and policies through the simulated cluster, interleaved with every fault it can
/// inject; at the end the exporter (one process, never restarted) must report exactly what a from-scratch audit
/// of the cluster's state reports. Fixed seeds; the seed is in every failure message.
/// </summary>
public sealed class ChaosTests(ITestOutputHelper output)
{
    private static readonly string[] Namespaces = ["alpha", "beta", "gamma"];

    [Theory]
    [InlineData(11)]
    [InlineData(29)]
    public async Task Chaos_ChurnThroughEveryFault_EndsEqualToAnAudit(int seed)
    {
        await using var cluster = await SimulatedCluster.StartAsync(new SimulatorOptions { BookmarkInterval = TimeSpan.FromMilliseconds(200) });
        foreach (var ns in Namespaces)
        {
            cluster.Store.Create(Obj("v1", "Namespace", null, ns));
        }
        using var kubeconfig = new Kubeconfig(cluster.BaseAddress);
        await using var exporter = await ExporterProcess.StartAsync(demo: false,
            ["--kubeconfig", kubeconfig.Path, "--listen", "127.0.0.1:0", "--watch-idle-timeout", "1s"]);

        var rng = new Random(seed);
        // Bad lines only reach watches that are open: keep trying each until one lands.
        var pendingMalformed = false;
        var pendingShape = false;
        Action[] faults =
        [
            () => cluster.Faults.DropWatches(),
            () => cluster.Faults.HangWatches(),
            () => cluster.Faults.Compact(),
            () => cluster.Faults.StartOutage(TimeSpan.FromSeconds(1)),
            () => cluster.Faults.StartThrottle(TimeSpan.FromSeconds(1)),
            () => pendingMalformed = true,
            () => pendingShape = true,
        ];
        const int steps = 140;
        for (var step = 0; step < steps; step++)
        {
            if (step % 10 == 5)
            {
                // Every fault at least twice, in a seeded order.
                faults[(step / 10 + seed) % faults.Length]();
            }
            if (pendingMalformed)
            {
                pendingMalformed = cluster.Faults.WriteMalformedWatchLine("pods") == 0;
            }
            if (pendingShape)
            {
                pendingShape = cluster.Faults.WriteUnexpectedShape("clusterrolebindings") == 0;
            }
            Churn(cluster.Store, rng);
            // Pacing, not synchronisation: spread the churn over the faults' windows.
            await Task.Delay(rng.Next(0, 40));
        }
        cluster.Faults.Clear();
        await Eventually.WaitAsync(() =>
        {
            if (pendingMalformed)
            {
                pendingMalformed = cluster.Faults.WriteMalformedWatchLine("pods") == 0;
            }
            if (pendingShape)
            {
                pendingShape = cluster.Faults.WriteUnexpectedShape("clusterrolebindings") == 0;
            }
            return !pendingMalformed && !pendingShape;
        }, TimeSpan.FromSeconds(30), $"seed {seed}: a bad watch line never found an open watch");

        var expected = Audit(cluster.Store);
        string difference = "";
        await Eventually.WaitAsync(async () =>
        {
            difference = Difference(expected, await exporter.ScrapeAsync());
            return difference.Length == 0;
        }, TimeSpan.FromSeconds(60), $"seed {seed}: the exporter never converged to the audit: {difference}");

        var final = await exporter.ScrapeAsync();
        Assert.True(final.Sum("posture_exporter_watch_restarts_total") > 0, $"seed {seed}: no watch restart was counted");
        await Eventually.WaitAsync(async () => (await exporter.ScrapeAsync()).Sum("posture_exporter_decode_errors_total") >= 2,
            TimeSpan.FromSeconds(30), $"seed {seed}: the bad watch lines were not counted as decode errors: {string.Join(", ", (await exporter.ScrapeAsync()).Find("posture_exporter_decode_errors_total").Select(x => $"{x.Labels["resource"]}={x.Value}"))}\n{exporter.Log}");
        output.WriteLine($"seed {seed}: converged; restarts {final.Sum("posture_exporter_watch_restarts_total")}, decode errors {final.Sum("posture_exporter_decode_errors_total")}");
    }

    private static void Churn(ClusterStore store, Random rng)
    {
        var ns = Namespaces[rng.Next(Namespaces.Length)];
        var name = $"w{rng.Next(6)}";
        switch (rng.Next(6))
        {
            case 0 or 1 or 2:
                var root = rng.Next(2) == 0;
                var limits = rng.Next(2) == 0;
                var pod = Obj("v1", "Pod", ns, name);
                pod["spec"] = new JsonObject
                {
                    ["containers"] = new JsonArray(new JsonObject
                    {
                        ["name"] = "app",
                        ["image"] = rng.Next(3) == 0 ? "registry.example.com/app:latest" : "registry.example.com/app:1.0",
                        ["securityContext"] = root ? new JsonObject { ["runAsUser"] = 0 } : new JsonObject { ["runAsNonRoot"] = true, ["privileged"] = rng.Next(5) == 0 },
                        ["resources"] = limits ? new JsonObject { ["limits"] = new JsonObject { ["cpu"] = "1", ["memory"] = "1Gi" } } : new JsonObject(),
                    }),
                };
                store.Upsert(pod);
                break;
            case 3:
                store.Delete("pods", ns, name);
                break;
            case 4:
                var binding = $"admin-{rng.Next(3)}";
                if (store.Get("clusterrolebindings", null, binding) is null)
                {
                    var crb = Obj("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", null, binding);
                    crb["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "ClusterRole", ["name"] = "cluster-admin" };
                    crb["subjects"] = new JsonArray(new JsonObject { ["kind"] = "User", ["name"] = $"user-{rng.Next(10)}" });
                    store.Create(crb);
                }
                else
                {
                    store.Delete("clusterrolebindings", null, binding);
                }
                break;
            default:
                var policy = rng.Next(2) == 0 ? "deny-ingress" : "deny-egress";
                if (store.Get("networkpolicies", ns, policy) is null)
                {
                    var np = Obj("networking.k8s.io/v1", "NetworkPolicy", ns, policy);
                    np["spec"] = new JsonObject
                    {
                        ["podSelector"] = new JsonObject(),
                        ["policyTypes"] = new JsonArray(policy == "deny-ingress" ? "Ingress" : "Egress"),
                    };
                    store.Create(np);
                }
                else
                {
                    store.Delete("networkpolicies", ns, policy);
                }
                break;
        }
    }

    private static JsonObject Obj(string apiVersion, string kind, string? ns, string name)
    {
        var metadata = new JsonObject { ["name"] = name };
        if (ns is not null)
        {
            metadata["namespace"] = ns;
        }
        return new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = kind, ["metadata"] = metadata };
    }

    /// <summary>The cluster's state as a kubectl dump would give it, audited from scratch by the same engine.</summary>
    private static FindingsIndex Audit(ClusterStore store)
    {
        var items = new JsonArray();
        foreach (var kind in ClusterStore.Kinds)
        {
            foreach (var o in store.List(kind.Plural))
            {
                items.Add(o);
            }
        }
        var dump = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "List", ["items"] = items };
        var objects = ManifestReader.ReadText(dump.ToJsonString(), "chaos-dump.json").Objects;
        return Evaluation.FromObjects(objects, PostureSettings.Default with { ApiServerVersion = "v1.32.0" }, DateTimeOffset.UtcNow);
    }

    /// <summary>Empty when every control × namespace has the audit's counts and no other series exists.</summary>
    private static string Difference(FindingsIndex expected, PrometheusText metrics)
    {
        var problems = new List<string>();
        foreach (var ((control, ns), counts) in expected.Counts)
        {
            var labels = new[] { ("control", control), ("namespace", ns) };
            var violations = metrics.Value("posture_violations", labels);
            var waived = metrics.Value("posture_waived", labels);
            var checkedCount = metrics.Value("posture_checked", labels);
            if (violations != counts.Violations || waived != counts.Waived || checkedCount != counts.Checked)
            {
                problems.Add($"{control}/{ns}: exporter {violations}/{waived}/{checkedCount}, audit {counts.Violations}/{counts.Waived}/{counts.Checked}");
            }
        }
        foreach (var s in metrics.Find("posture_checked"))
        {
            if (!expected.Counts.ContainsKey((s.Labels["control"], s.Labels["namespace"])))
            {
                problems.Add($"stale series {s.Labels["control"]}/{s.Labels["namespace"]}");
            }
        }
        return string.Join("; ", problems);
    }
}
