using System.Diagnostics;
using System.Text;
using PostureExporter.Simulator;
using PostureExporter.Simulator.Synthetic;

namespace PostureExporter.Benchmarks.Harness;

/// <summary>
/// Pod events at a steady rate through the in-process store: each event flips one bare pod between runAsUser
/// 10001 and 0, so every event changes posture_violations{control="container-run-as-root"} of its namespace.
/// Both versions of every churned pod are written up front, so an event costs the harness only the store write.
/// A separate probe namespace is flipped on request, one probe at a time, for latency samples.
/// </summary>
internal sealed class Churn
{
    public const string ProbeNamespace = "churn-probe";
    private const int Namespaces = 10;
    private const int PodsPerNamespace = 50;
    private const int ProbePods = 20;

    private readonly ClusterStore _store;
    private readonly List<(string Namespace, byte[] Compliant, byte[] Root)> _pods = [];
    private readonly List<(byte[] Compliant, byte[] Root)> _probes = [];
    private readonly bool[] _root;
    private readonly bool[] _probeRoot = new bool[ProbePods];
    private int _next;
    private int _nextProbe;

    public Churn(ClusterStore store)
    {
        _store = store;
        var objects = new List<ReadOnlyMemory<byte>>();
        for (var n = 0; n < Namespaces; n++)
        {
            var ns = $"churn-{n}";
            objects.Add(NamespaceJson(ns));
            for (var i = 0; i < PodsPerNamespace; i++)
            {
                var name = $"flip-{i}";
                _pods.Add((ns, SyntheticCluster.BarePod(ns, name, runAsRoot: false), SyntheticCluster.BarePod(ns, name, runAsRoot: true)));
                objects.Add(_pods[^1].Compliant);
            }
        }
        objects.Add(NamespaceJson(ProbeNamespace));
        for (var i = 0; i < ProbePods; i++)
        {
            var name = $"probe-{i}";
            _probes.Add((SyntheticCluster.BarePod(ProbeNamespace, name, runAsRoot: false), SyntheticCluster.BarePod(ProbeNamespace, name, runAsRoot: true)));
            objects.Add(_probes[^1].Compliant);
        }
        _root = new bool[_pods.Count];
        store.CreateMany(objects);
    }

    public int PodCount => _pods.Count + _probes.Count;

    /// <summary>
    /// The synthetic cluster's totals plus this churn's pods and namespaces as created: every pod checked and
    /// compliant, every churn namespace checked and without a default deny.
    /// </summary>
    public Dictionary<string, ExpectedCounts> WithChurn(IReadOnlyDictionary<string, ExpectedCounts> expected)
    {
        var result = new Dictionary<string, ExpectedCounts>(expected);
        foreach (var control in (string[])[SyntheticCluster.RunAsRoot, SyntheticCluster.ResourceLimits, SyntheticCluster.MutableTag, SyntheticCluster.Privileged])
        {
            result[control] = result[control] with { Checked = result[control].Checked + PodCount };
        }
        var d = result[SyntheticCluster.DefaultDenyMissing];
        result[SyntheticCluster.DefaultDenyMissing] = new ExpectedCounts(d.Checked + Namespaces + 1, d.Violations + Namespaces + 1);
        return result;
    }

    /// <summary>Flips the next background pod.</summary>
    public void Background()
    {
        var i = _next;
        _next = (_next + 1) % _pods.Count;
        _root[i] = !_root[i];
        _store.UpsertUtf8(_root[i] ? _pods[i].Root : _pods[i].Compliant);
    }

    /// <summary>Flips the next probe pod; returns the probe namespace's violation count it leads to.</summary>
    public int Probe()
    {
        var i = _nextProbe;
        _nextProbe = (_nextProbe + 1) % ProbePods;
        _probeRoot[i] = !_probeRoot[i];
        _store.UpsertUtf8(_probeRoot[i] ? _probes[i].Root : _probes[i].Compliant);
        return _probeRoot.Count(r => r);
    }

    /// <summary>Violations per churn namespace as the harness set them.</summary>
    public Dictionary<string, int> Expected()
    {
        var expected = _pods.Select(p => p.Namespace).Distinct().ToDictionary(ns => ns, _ => 0);
        for (var i = 0; i < _pods.Count; i++)
        {
            if (_root[i])
            {
                expected[_pods[i].Namespace]++;
            }
        }
        expected[ProbeNamespace] = _probeRoot.Count(r => r);
        return expected;
    }

    public static bool Converged(string metrics, Dictionary<string, int> expected) =>
        expected.All(kv => (MetricsText.Value(metrics, "posture_violations", ("control", SyntheticCluster.RunAsRoot), ("namespace", kv.Key)) ?? 0) == kv.Value);

    /// <summary>
    /// Emits events at <paramref name="rate"/> per second for <paramref name="duration"/> on a thread of its own;
    /// <paramref name="probe"/> is asked before each event whether to make it a probe instead. Returns the events made.
    /// </summary>
    public Task<long> RunAsync(double rate, TimeSpan duration, Func<long, bool>? probe, CancellationToken ct = default) =>
        Task.Factory.StartNew(() =>
        {
            var sw = Stopwatch.StartNew();
            long made = 0;
            while (sw.Elapsed < duration && !ct.IsCancellationRequested)
            {
                var due = (long)(sw.Elapsed.TotalSeconds * rate);
                while (made < due)
                {
                    if (probe is null || !probe(made))
                    {
                        Background();
                    }
                    made++;
                }
                Thread.Sleep(1);
            }
            return made;
        }, ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private static byte[] NamespaceJson(string ns) =>
        Encoding.UTF8.GetBytes("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"" + ns + "\",\"labels\":{\"kubernetes.io/metadata.name\":\"" + ns + "\"}}}");
}
