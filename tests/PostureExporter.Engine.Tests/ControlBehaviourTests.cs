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
}
