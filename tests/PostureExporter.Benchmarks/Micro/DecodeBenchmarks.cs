using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using k8s;
using k8s.Models;
using PostureExporter.Engine.Model;
using PostureExporter.Simulator;
using PostureExporter.Simulator.Synthetic;

namespace PostureExporter.Benchmarks.Micro;

/// <summary>
/// Where an initial LIST's time goes, per page of 500 synthetic pods (~2.5 MB): tokenizing only (the floor),
/// decoding into V1Pod objects as the client does, decoding with <see cref="ProjectionJson"/> from the page's bytes
/// (what the informers do: pods are read straight into their projections), and projecting fully decoded pods into
/// the model's PodInfo (the reference path the tests hold the informers' to).
/// </summary>
[MemoryDiagnoser]
public class DecodeBenchmarks
{
    private byte[] _page = [];
    private string _pageText = "";
    private List<V1Pod> _pods = [];
    private byte[] _replicaSetPage = [];
    private byte[] _deploymentPage = [];

    [GlobalSetup]
    public void Setup()
    {
        var sb = new StringBuilder("""{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"42"},"items":[""");
        for (var i = 0; i < 500; i++)
        {
            sb.Append(i == 0 ? "" : ",").Append(Encoding.UTF8.GetString(SyntheticCluster.BarePod("team-0001", $"pod-{i}", runAsRoot: i % 7 == 0, seed: i)));
        }
        sb.Append("]}");
        _pageText = sb.ToString();
        _page = Encoding.UTF8.GetBytes(_pageText);
        _pods = KubernetesJson.Deserialize<V1PodList>(_pageText).Items.ToList();

        // The kinds listed beside pods: a Deployment carries a pod template, its ReplicaSets only their metadata
        // once decoded (their template is skipped).
        var store = new ClusterStore(historyLimit: 0);
        SyntheticCluster.Populate(store, new SyntheticOptions { Pods = 5000 });
        _replicaSetPage = Page(store, "replicasets");
        _deploymentPage = Page(store, "deployments");
    }

    private static byte[] Page(ClusterStore store, string resource) =>
        Encoding.UTF8.GetBytes("""{"metadata":{"resourceVersion":"42"},"items":[""" + string.Join(",", store.List(resource).Take(500).Select(o => o.ToJsonString())) + "]}");

    [Benchmark]
    public int TokenizeReplicaSetPage() => Tokenize(_replicaSetPage);

    [Benchmark]
    public int DecodeReplicaSetPageForProjection() => JsonSerializer.Deserialize<V1ReplicaSetList>(_replicaSetPage, ProjectionJson.Options)!.Items.Count;

    [Benchmark]
    public int TokenizeDeploymentPage() => Tokenize(_deploymentPage);

    [Benchmark]
    public int DecodeDeploymentPageForProjection() => JsonSerializer.Deserialize<V1DeploymentList>(_deploymentPage, ProjectionJson.Options)!.Items.Count;

    private static int Tokenize(byte[] json)
    {
        var reader = new Utf8JsonReader(json);
        var tokens = 0;
        while (reader.Read())
        {
            tokens++;
        }
        return tokens;
    }

    [Benchmark(Baseline = true)]
    public int TokenizePage() => Tokenize(_page);

    [Benchmark]
    public int DecodePage() => KubernetesJson.Deserialize<V1PodList>(_pageText).Items.Count;

    [Benchmark]
    public int DecodePageFromStream()
    {
        using var stream = new MemoryStream(_page, writable: false);
        return KubernetesJson.Deserialize<V1PodList>(stream).Items.Count;
    }

    [Benchmark]
    public int DecodePageForProjection() => JsonSerializer.Deserialize<V1PodList>(_page, ProjectionJson.Options)!.Items.Count;

    [Benchmark]
    public int ProjectPage()
    {
        var n = 0;
        foreach (var p in _pods)
        {
            n += Projector.Project(p) is null ? 0 : 1;
        }
        return n;
    }
}
