using System.Runtime.InteropServices;
using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Tests;

/// <summary>
/// What keeps the model small at 100k pods: values shared between objects (namespace names, ownerReferences),
/// small reference sets for its indexes, and resource versions held as numbers. Sharing must never change what the
/// model answers.
/// </summary>
public sealed class ModelSharingTests
{
    [Fact]
    public void InternPool_EqualValues_GetTheFirstInstance_UntilItsLastUserReleasesIt()
    {
        var pool = new InternPool<string>(StringComparer.Ordinal);
        var first = new string("team-a".AsSpan());
        var second = new string("team-a".AsSpan());

        Assert.Same(first, pool.Acquire(first));
        Assert.Same(first, pool.Acquire(second));
        Assert.Equal(2, pool.UsersOf("team-a"));

        pool.Release(second);
        Assert.Equal(1, pool.Count);
        pool.Release(first);
        Assert.Equal(0, pool.Count);

        // Forgotten: the next one to come is the shared instance now; releasing what is not held changes nothing.
        Assert.Same(second, pool.Acquire(second));
        pool.Release("never-held");
        Assert.Equal(1, pool.UsersOf("team-a"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(200)]
    public void RefSet_AddsAndRemovesByReference_AcrossItsSmallAndLargeForms(int n)
    {
        var set = new RefSet<string>();
        // Equal by value, distinct by reference: each one is a member of its own.
        var items = Enumerable.Range(0, n).Select(_ => new string("same".AsSpan())).ToList();

        Assert.All(items, i => Assert.True(set.Add(i)));
        Assert.All(items, i => Assert.False(set.Add(i)));
        Assert.Equal(n, set.Count);
        Assert.Equal(n, set.Distinct(ReferenceEqualityComparer.Instance).Count());
        Assert.False(set.Contains(new string("same".AsSpan())));

        foreach (var i in items.Where((_, k) => k % 2 == 0))
        {
            Assert.True(set.Remove(i));
            Assert.False(set.Remove(i));
        }
        var kept = items.Where((_, k) => k % 2 == 1).ToList();
        Assert.Equal(kept.Count, set.Count);
        Assert.All(kept, i => Assert.True(set.Contains(i)));
        Assert.Equal(kept.Count, set.Intersect(kept, ReferenceEqualityComparer.Instance).Count());
    }

    [Fact]
    public void RefSet_ShrinksToOneMember_AndGrowsAgain()
    {
        var (a, b, c) = ("a", "b", "c");
        var set = new RefSet<string> { a, b };

        Assert.True(set.Remove(a));
        Assert.Equal([b], set);
        Assert.False(set.Remove(a));
        Assert.True(set.Add(c));
        Assert.Equal([b, c], set.Order(StringComparer.Ordinal));
        Assert.True(set.Remove(b));
        Assert.True(set.Remove(c));
        Assert.Empty(set);
        Assert.Equal(0, set.Count);
        Assert.False(set.Contains(a));
        Assert.True(set.Add(a));
        Assert.Equal([a], set);
    }

    [Fact]
    public void Model_ObjectsOfANamespace_ShareItsName_AndPodsOfAReplicaSetShareTheirOwnerReference()
    {
        var model = new ClusterModel();
        // Each decoded object has its own copies of the strings, as the API client gives them.
        var pods = Enumerable.Range(0, 12)
            .Select(i => Projector.Project(Make.Pod(new string("shop".AsSpan()), $"web-{i}", Make.NonRootSpec(), ("ReplicaSet", new string("web-1".AsSpan()))))!)
            .ToList();
        foreach (var p in pods)
        {
            model.Upsert(p);
        }

        var held = pods.Select(p => model.Get(p.Key)!).ToList();
        Assert.All(held, h => Assert.Same(held[0].Key.Namespace, h.Key.Namespace));
        Assert.All(held, h => Assert.Same(held[0].Controller, h.Controller));
        Assert.Same(Kinds.ReplicaSet, held[0].Controller!.Kind);
        Assert.Equal((1, 1), (model.Pooled.NamespaceNames, model.Pooled.Owners));

        // The subject still sees every live pod (more than fit the small form of a set).
        var subject = new ObjectKey(Kinds.ReplicaSet, "shop", "web-1");
        Assert.True(model.Exists(new SubjectRef(SubjectScope.Workload, subject)));
        Assert.Single(model.Workload(subject)!.Specs);

        foreach (var p in pods)
        {
            model.Delete(p.Key);
        }
        Assert.False(model.Exists(new SubjectRef(SubjectScope.Workload, subject)));
        Assert.Equal((0, 0, 0), model.Pooled);
    }

    [Fact]
    public void Model_ReplacedObject_ReleasesWhatItShared()
    {
        var model = new ClusterModel();
        model.Upsert(Projector.Project(Make.Pod("shop", "web-0", Make.NonRootSpec(), ("ReplicaSet", "web-1")))!);
        model.Upsert(Projector.Project(Make.Pod("shop", "web-0", Make.NonRootSpec(), ("ReplicaSet", "web-2")))!);

        Assert.Equal((1, 1), (model.Pooled.NamespaceNames, model.Pooled.Owners));
        Assert.Equal("web-2", model.Get(new ObjectKey(Kinds.Pod, "shop", "web-0"))!.Controller!.Name);
        Assert.False(model.Exists(new SubjectRef(SubjectScope.Workload, new ObjectKey(Kinds.ReplicaSet, "shop", "web-1"))));
        Assert.True(model.Exists(new SubjectRef(SubjectScope.Workload, new ObjectKey(Kinds.ReplicaSet, "shop", "web-2"))));
    }

    [Fact]
    public void Model_DistinctSpecs_ShareEqualSecurityContexts_UntilTheLastSpecGoes()
    {
        var model = new ClusterModel();
        // Two workloads, different images, the same hardening (each decoded into its own objects).
        static k8s.Models.V1PodSpec Hardened(string image)
        {
            var spec = Make.NonRootSpec();
            spec.Containers[0].Image = image;
            spec.Containers[0].Env = [new k8s.Models.V1EnvVar { Name = "LOG_LEVEL", Value = "info" }, new k8s.Models.V1EnvVar { Name = "PORT", Value = "8080" }];
            spec.Containers[0].SecurityContext = new k8s.Models.V1SecurityContext
            {
                AllowPrivilegeEscalation = false,
                ReadOnlyRootFilesystem = true,
                Capabilities = new k8s.Models.V1Capabilities { Drop = ["ALL"] },
            };
            return spec;
        }
        var a = Projector.Project(Make.Pod("shop", "a-0", Hardened("registry.example.com/team/app:1.0"), ("ReplicaSet", "a-1")))!;
        var b = Projector.Project(Make.Pod("shop", "b-0", Hardened("registry.example.com/team/other:2.0"), ("ReplicaSet", "b-1")))!;
        Assert.NotSame(((PodInfo)a).Spec.Containers[0].Security, ((PodInfo)b).Spec.Containers[0].Security);
        model.Upsert(a);
        model.Upsert(b);

        var (heldA, heldB) = (((PodInfo)model.Get(a.Key)!).Spec, ((PodInfo)model.Get(b.Key)!).Spec);
        Assert.Equal(2, model.DistinctSpecs);
        Assert.NotSame(heldA, heldB);
        Assert.Same(heldA.PodSecurity, heldB.PodSecurity);
        Assert.Same(heldA.Containers[0].Security, heldB.Containers[0].Security);
        Assert.Same(heldA.Containers[0].Name, heldB.Containers[0].Name);
        Assert.Same(ImmutableCollectionsMarshal.AsArray(heldA.Containers[0].LiteralEnvNames), ImmutableCollectionsMarshal.AsArray(heldB.Containers[0].LiteralEnvNames));
        Assert.Equal(["LOG_LEVEL", "PORT"], heldB.Containers[0].LiteralEnvNames.ToArray());
        Assert.Equal(((PodInfo)a).Spec, heldA);

        model.Delete(a.Key);
        Assert.NotEqual(0, model.Pooled.SpecParts);
        model.Delete(b.Key);
        Assert.Equal(0, model.Pooled.SpecParts);
    }

    [Fact]
    public void Model_PodsAndWorkloads_AreFoundByKindAndNamespace_WithoutTheNamespaceIndex()
    {
        var model = new ClusterModel();
        model.Upsert(Projector.Project(Make.Pod("shop", "web-0", Make.NonRootSpec()))!);
        model.Upsert(Projector.Project(Make.Pod("bank", "api-0", Make.NonRootSpec()))!);

        Assert.Equal(["bank/api-0", "shop/web-0"], model.KeysOf(Kinds.Pod).Select(k => $"{k.Namespace}/{k.Name}").Order(StringComparer.Ordinal));
        Assert.Equal("web-0", Assert.Single(model.InNamespace<PodInfo>(Kinds.Pod, "shop")).Key.Name);
        Assert.Equal(2, model.OfKind<PodInfo>(Kinds.Pod).Count());
    }

    [Theory]
    [InlineData("123456789")]
    [InlineData("18446744073709551615")]
    [InlineData("0")]
    [InlineData("00123")]
    [InlineData("")]
    [InlineData("opaque-etcd-revision/7")]
    public void ResourceVersion_ReadsBackAsTheSameText(string version)
    {
        var pod = new PodInfo(new ObjectKey(Kinds.Pod, "shop", "web-0"), Projector.Spec(null), Live: true) { ResourceVersion = version };

        Assert.Equal(version, pod.ResourceVersion);
        Assert.Equal(version, (pod with { Live = false }).ResourceVersion);
        Assert.Equal(pod, pod with { ResourceVersion = new string(version.AsSpan()) });
        Assert.NotEqual(pod, pod with { ResourceVersion = version + "1" });
    }

    [Fact]
    public void Projection_SharesTheOwnerKindConstant_AndTheEmptyAnnotations()
    {
        var others = new Dictionary<string, string> { ["kubectl.kubernetes.io/last-applied-configuration"] = "{}" };
        var pod = (PodInfo)Projector.Project(Make.Pod("shop", "web-0", Make.NonRootSpec(), (new string("ReplicaSet".AsSpan()), "web-1"), annotations: others))!;

        Assert.Same(Kinds.ReplicaSet, pod.Controller!.Kind);
        Assert.Same(System.Collections.Immutable.ImmutableDictionary<string, string>.Empty, pod.Annotations);
    }
}
