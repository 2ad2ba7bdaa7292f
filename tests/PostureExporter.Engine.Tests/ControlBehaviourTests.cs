using k8s.Models;
using PostureExporter.Engine.Controls;
using PostureExporter.Engine.Findings;
using PostureExporter.Engine.Model;
using static PostureExporter.Engine.Tests.Make;

namespace PostureExporter.Engine.Tests;

/// <summary>Control behaviour that fixtures cannot show: changes over time, applicability, settings.</summary>
public sealed class ControlBehaviourTests
{
    private static readonly DateTimeOffset Now = ControlFixtureTests.Now;
    private const string TokenAutomount = "sa-token-automount";

    [Fact]
    public void TokenAutomount_BindingToServiceAccountUserAddedThenRemoved_VerdictFollowsIncrementally()
    {
        // Arrange
        var index = new FindingsIndex(new ClusterModel(), PostureSettings.Default);
        var spec = NonRootSpec();
        spec.ServiceAccountName = "web";
        index.Upsert(Projector.Project(Deployment("shop", "web", spec))!, Now);
        var before = Assert.Single(index.Of(TokenAutomount)).Status;
        var binding = ClusterRoleBinding("web-view", "view", [Subject("User", "system:serviceaccount:shop:web")]);

        // Act
        index.Upsert(Projector.Project(binding)!, Now);
        var whileBound = Assert.Single(index.Of(TokenAutomount)).Status;
        index.Delete(new ObjectKey(Kinds.ClusterRoleBinding, "", "web-view"), Now);
        var after = Assert.Single(index.Of(TokenAutomount)).Status;

        // Assert
        Assert.Equal(FindingStatus.Violation, before);
        Assert.Equal(FindingStatus.Pass, whileBound);
        Assert.Equal(FindingStatus.Violation, after);
    }

    [Fact]
    public void TokenAutomount_Reads_IncludeServiceAccountsAndBindings()
    {
        // Arrange
        var control = ControlCatalog.Find(TokenAutomount)!;

        // Act
        var reads = control.Reads;

        // Assert
        Assert.Contains(Kinds.ServiceAccount, reads);
        Assert.Contains(Kinds.RoleBinding, reads);
        Assert.Contains(Kinds.ClusterRoleBinding, reads);
        Assert.Contains(Kinds.Pod, reads);
    }

    public static TheoryData<string> ApiServerControlIds() =>
        new(ControlCatalog.All.Where(c => c.Scope == SubjectScope.ApiServer).Select(c => c.Id));

    [Theory]
    [MemberData(nameof(ApiServerControlIds))]
    public void ApiServerControl_NoApiServerPodVisible_NotApplicableAndNothingCounted(string controlId)
    {
        // Arrange: a managed cluster: workloads and a look-alike pod outside kube-system, no static kube-apiserver.
        var control = ControlCatalog.Find(controlId)!;
        var lookalike = Pod("default", "kube-apiserver-fake", new V1PodSpec
        {
            Containers = [new V1Container { Name = "kube-apiserver", Image = "nginx:1.27", Command = ["kube-apiserver"] }],
        });
        lookalike.Metadata.Labels = new Dictionary<string, string> { ["component"] = "kube-apiserver" };

        // Act
        var index = Evaluate(null, Namespace("default"), Deployment("default", "web", NonRootSpec()), lookalike);

        // Assert
        Assert.False(index.IsApplicable(control));
        Assert.Empty(index.Of(controlId));
        Assert.DoesNotContain(index.Counts.Keys, k => k.Control == controlId);
    }

    [Theory]
    [MemberData(nameof(ApiServerControlIds))]
    public void ApiServerControl_StaticApiServerPodVisible_ApplicableAndChecked(string controlId)
    {
        // Arrange
        var control = ControlCatalog.Find(controlId)!;
        var pod = Pod("kube-system", "kube-apiserver-cp-1", new V1PodSpec
        {
            Containers = [new V1Container { Name = "kube-apiserver", Image = "registry.k8s.io/kube-apiserver:v1.31.2", Command = ["kube-apiserver"] }],
        }, ("Node", "cp-1"));
        pod.Metadata.Labels = new Dictionary<string, string> { ["component"] = "kube-apiserver" };

        // Act
        var index = Evaluate(null, pod);

        // Assert
        Assert.True(index.IsApplicable(control));
        var finding = Assert.Single(index.Of(controlId));
        Assert.Equal(new ObjectKey(Kinds.Pod, "kube-system", "kube-apiserver-cp-1"), finding.Subject.Key);
        Assert.Equal(1, index.Counts[(controlId, "kube-system")].Checked);
    }

    [Fact]
    public void RegistryUntrusted_NoAllowedRegistries_NotApplicableAndNothingCounted()
    {
        // Arrange
        var control = ControlCatalog.Find("image-registry-untrusted")!;
        var pod = Pod("shop", "api", new V1PodSpec { Containers = [Container(image: "nginx:1.27")] });

        // Act
        var unset = Evaluate(null, pod);
        var set = Evaluate(PostureSettings.Default with { AllowedRegistries = ["registry.example.com"] }, pod);

        // Assert
        Assert.False(unset.IsApplicable(control));
        Assert.Empty(unset.Of(control.Id));
        Assert.True(set.IsApplicable(control));
        Assert.Equal(FindingStatus.Violation, Assert.Single(set.Of(control.Id)).Status);
    }

    [Fact]
    public void KubeletOutdated_ApiServerVersionUnknown_NotApplicableAndNothingCounted()
    {
        // Arrange
        var control = ControlCatalog.Find("node-kubelet-outdated")!;
        var node = new V1Node
        {
            ApiVersion = "v1",
            Kind = "Node",
            Metadata = Meta(null, "worker-1"),
            Status = new V1NodeStatus { NodeInfo = new V1NodeSystemInfo { KubeletVersion = "v1.20.0" } },
        };

        // Act
        var unknown = Evaluate(null, node);
        var known = Evaluate(PostureSettings.Default with { ApiServerVersion = "v1.31.2" }, node);

        // Assert
        Assert.False(unknown.IsApplicable(control));
        Assert.Empty(unknown.Of(control.Id));
        Assert.True(known.IsApplicable(control));
        Assert.Equal(FindingStatus.Violation, Assert.Single(known.Of(control.Id)).Status);
    }
}
