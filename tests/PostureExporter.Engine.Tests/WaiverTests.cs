using System.Collections.Immutable;
using k8s;
using k8s.Models;
using PostureExporter.Engine.Findings;
using PostureExporter.Engine.Model;
using static PostureExporter.Engine.Tests.Make;

namespace PostureExporter.Engine.Tests;

/// <summary>Waivers turn a violation into waived (counted apart, never hidden) while they are valid and in force.</summary>
public sealed class WaiverTests
{
    private static readonly DateTimeOffset Now = ControlFixtureTests.Now; // 2025-06-01T12:00Z
    private static readonly ObjectKey PrometheusKey = new("Deployment", "monitoring", "prometheus-server");

    /// <summary>prometheus-server, which needs root, with its ReplicaSet and a root pod; the waiver sits on the Deployment.</summary>
    private static IKubernetesObject<V1ObjectMeta>[] Prometheus(IDictionary<string, string>? deploymentAnnotations, IDictionary<string, string>? podAnnotations = null) =>
    [
        Deployment("monitoring", "prometheus-server", RootSpec(), deploymentAnnotations),
        ReplicaSet("monitoring", "prometheus-server-5f7", "prometheus-server"),
        Pod("monitoring", "prometheus-server-5f7-a", RootSpec(), ("ReplicaSet", "prometheus-server-5f7"), annotations: podAnnotations),
    ];

    [Fact]
    public void AnnotationWaiver_OnTopLevelOwner_TurnsViolationIntoWaivedWithReason()
    {
        // Arrange
        var objects = Prometheus(Waiver(RunAsRoot, "prometheus needs root for the node exporter textfile dir"));

        // Act
        var index = Evaluate(null, objects);

        // Assert
        var finding = Assert.Single(index.Of(RunAsRoot));
        Assert.Equal(PrometheusKey, finding.Subject.Key);
        Assert.Equal(FindingStatus.Waived, finding.Status);
        Assert.NotNull(finding.Waiver);
        Assert.Equal("prometheus needs root for the node exporter textfile dir", finding.Waiver.Reason);
        Assert.Equal("annotation", finding.Waiver.Source);
        Assert.Null(finding.FirstSeen);
        Assert.Equal(new FindingCounts(Checked: 1, Violations: 0, Waived: 1), index.Counts[(RunAsRoot, "monitoring")]);
        Assert.Empty(index.WaiverProblems);
    }

    [Fact]
    public void AnnotationWaiver_OnlyForOtherControl_LeavesViolation()
    {
        // Arrange
        var objects = Prometheus(Waiver("container-privileged, image-mutable-tag"));

        // Act
        var index = Evaluate(null, objects);

        // Assert
        Assert.Equal(FindingStatus.Violation, Assert.Single(index.Of(RunAsRoot)).Status);
    }

    [Fact]
    public void AnnotationWaiver_OnPodInsteadOfOwner_IsNotRead()
    {
        // Arrange
        var objects = Prometheus(null, podAnnotations: Waiver(RunAsRoot));

        // Act
        var index = Evaluate(null, objects);

        // Assert
        Assert.Equal(FindingStatus.Violation, Assert.Single(index.Of(RunAsRoot)).Status);
    }

    [Fact]
    public void AnnotationWaiver_WithoutReason_IsNotHonouredAndIsReported()
    {
        // Arrange
        var objects = Prometheus(Waiver(RunAsRoot, reason: null));

        // Act
        var index = Evaluate(null, objects);

        // Assert
        Assert.Equal(FindingStatus.Violation, Assert.Single(index.Of(RunAsRoot)).Status);
        Assert.Contains(WaiverResolver.ReasonAnnotation, index.WaiverProblems[PrometheusKey], StringComparison.Ordinal);
    }

    [Fact]
    public void AnnotationWaiver_WithBlankReason_IsNotHonoured()
    {
        // Arrange
        var objects = Prometheus(Waiver(RunAsRoot, reason: "  "));

        // Act
        var index = Evaluate(null, objects);

        // Assert
        Assert.Equal(FindingStatus.Violation, Assert.Single(index.Of(RunAsRoot)).Status);
        Assert.True(index.WaiverProblems.ContainsKey(PrometheusKey));
    }

    [Fact]
    public void AnnotationWaiver_WithBadDate_IsNotHonouredAndIsReported()
    {
        // Arrange
        var objects = Prometheus(Waiver(RunAsRoot, until: "31/12/2025"));

        // Act
        var index = Evaluate(null, objects);

        // Assert
        Assert.Equal(FindingStatus.Violation, Assert.Single(index.Of(RunAsRoot)).Status);
        Assert.Contains("31/12/2025", index.WaiverProblems[PrometheusKey], StringComparison.Ordinal);
    }

    [Fact]
    public void WaiverProblems_ReplicaSetThatGainsAnOwner_ProblemGoesWithItsSubject()
    {
        // Arrange: a standalone ReplicaSet is its own subject, so its bad waiver is reported.
        var index = new FindingsIndex(new ClusterModel(), PostureSettings.Default);
        index.Upsert(Projector.Project(ReplicaSet("shop", "web-1", null, RootSpec(), Waiver(RunAsRoot, reason: null)))!, Now);
        var whileStandalone = index.WaiverProblems.Keys.ToList();

        // Act: adopted by a Deployment, it is a subject no more and its annotations are not read.
        index.Upsert(Projector.Project(Deployment("shop", "web", NonRootSpec()))!, Now);
        index.Upsert(Projector.Project(ReplicaSet("shop", "web-1", "web", RootSpec(), Waiver(RunAsRoot, reason: null)))!, Now);

        // Assert
        Assert.Equal([new ObjectKey("ReplicaSet", "shop", "web-1")], whileStandalone);
        Assert.Empty(index.WaiverProblems);
    }

    [Fact]
    public void WaiverProblems_DeploymentDeletedBeforeItsPods_ProblemGoesWithTheObject()
    {
        // Arrange
        var index = new FindingsIndex(new ClusterModel(), PostureSettings.Default);
        foreach (var o in Prometheus(Waiver(RunAsRoot, until: "someday")))
        {
            index.Upsert(Projector.Project(o)!, Now);
        }
        var beforeDelete = index.WaiverProblems.Keys.ToList();

        // Act: the pods still resolve to the Deployment's key, but the annotated object is gone.
        index.Delete(PrometheusKey, Now);

        // Assert
        Assert.Equal([PrometheusKey], beforeDelete);
        Assert.Single(index.Of(RunAsRoot));
        Assert.Empty(index.WaiverProblems);
    }

    [Fact]
    public void AnnotationWaiver_NamingUnknownControl_StillHoldsForKnownOnesAndIsReported()
    {
        // Arrange
        var objects = Prometheus(Waiver($"{RunAsRoot},container-run-as-rooot"));

        // Act
        var index = Evaluate(null, objects);

        // Assert
        Assert.Equal(FindingStatus.Waived, Assert.Single(index.Of(RunAsRoot)).Status);
        Assert.Contains("container-run-as-rooot", index.WaiverProblems[PrometheusKey], StringComparison.Ordinal);
    }

    [Fact]
    public void AnnotationWaiver_Expired_IsViolationSayingWaiverExpired()
    {
        // Arrange
        var objects = Prometheus(Waiver(RunAsRoot, until: "2025-05-31"));

        // Act
        var index = Evaluate(null, objects);

        // Assert
        var finding = Assert.Single(index.Of(RunAsRoot));
        Assert.Equal(FindingStatus.Violation, finding.Status);
        Assert.Contains("waiver expired 2025-05-31", finding.Message, StringComparison.Ordinal);
        Assert.Null(finding.Waiver);
        Assert.Empty(index.WaiverProblems);
    }

    [Fact]
    public void AnnotationWaiver_LastDayIsToday_IsStillInForce()
    {
        // Arrange
        var objects = Prometheus(Waiver(RunAsRoot, until: "2025-06-01"));

        // Act
        var index = Evaluate(null, objects);

        // Assert
        var finding = Assert.Single(index.Of(RunAsRoot));
        Assert.Equal(FindingStatus.Waived, finding.Status);
        Assert.Equal(new DateOnly(2025, 6, 1), finding.Waiver!.Until);
    }

    [Fact]
    public void RefreshExpiredWaivers_OncePastTheEndOfItsLastDay_FlipsWaivedToViolation()
    {
        // Arrange
        var observer = new CountingObserver();
        var index = new FindingsIndex(new ClusterModel(), PostureSettings.Default, observer);
        foreach (var o in Prometheus(Waiver(RunAsRoot, until: "2025-06-10")))
        {
            index.Upsert(Projector.Project(o)!, Now);
        }
        var lastSecond = new DateTimeOffset(2025, 6, 10, 23, 59, 59, TimeSpan.Zero);
        var nextDay = new DateTimeOffset(2025, 6, 11, 0, 0, 0, TimeSpan.Zero);

        // Act
        index.RefreshExpiredWaivers(lastSecond);
        var onLastDay = Assert.Single(index.Of(RunAsRoot)).Status;
        index.RefreshExpiredWaivers(nextDay);

        // Assert
        Assert.Equal(FindingStatus.Waived, onLastDay);
        var finding = Assert.Single(index.Of(RunAsRoot));
        Assert.Equal(FindingStatus.Violation, finding.Status);
        Assert.Contains("waiver expired 2025-06-10", finding.Message, StringComparison.Ordinal);
        Assert.Equal(nextDay, finding.FirstSeen);
        var expected = new FindingCounts(Checked: 1, Violations: 1, Waived: 0);
        Assert.Equal(expected, index.Counts[(RunAsRoot, "monitoring")]);
        Assert.Equal(expected, observer.Counts[(RunAsRoot, "monitoring")]);
    }

    [Fact]
    public void AnnotationWaiver_WhenAnnotationWaiversAreOff_IsNotHonoured()
    {
        // Arrange
        var settings = PostureSettings.Default with { AllowAnnotationWaivers = false };
        var objects = Prometheus(Waiver(RunAsRoot));

        // Act
        var index = Evaluate(settings, objects);

        // Assert
        Assert.Equal(FindingStatus.Violation, Assert.Single(index.Of(RunAsRoot)).Status);
        Assert.Contains("allowAnnotationWaivers", index.WaiverProblems[PrometheusKey], StringComparison.Ordinal);
    }

    [Fact]
    public void AnnotationWaiver_ForUnwaivableControl_IsNotHonoured()
    {
        // Arrange
        var settings = PostureSettings.Default with { UnwaivableControls = ImmutableHashSet.Create(ClusterAdmin) };
        var binding = ClusterRoleBinding("ci-pipeline-admin", "cluster-admin", [Subject("ServiceAccount", "ci", "ci")], Waiver(ClusterAdmin));

        // Act
        var index = Evaluate(settings, binding);

        // Assert
        Assert.Equal(FindingStatus.Violation, Assert.Single(index.Of(ClusterAdmin)).Status);
        Assert.Contains(ClusterAdmin, index.WaiverProblems[new ObjectKey("ClusterRoleBinding", "", "ci-pipeline-admin")], StringComparison.Ordinal);
    }

    [Fact]
    public void CentralWaiver_ForUnwaivableControl_IsNotHonoured()
    {
        // Arrange
        var settings = PostureSettings.Default with
        {
            UnwaivableControls = ImmutableHashSet.Create(ClusterAdmin),
            Waivers = [new CentralWaiver(ClusterAdmin, "*", null, "*", "break glass", null, null, null)],
        };
        var binding = ClusterRoleBinding("ci-pipeline-admin", "cluster-admin", [Subject("ServiceAccount", "ci", "ci")]);

        // Act
        var index = Evaluate(settings, binding);

        // Assert
        Assert.Equal(FindingStatus.Violation, Assert.Single(index.Of(ClusterAdmin)).Status);
    }

    [Fact]
    public void AnnotationWaiver_OnBinding_WaivesClusterAdminFinding()
    {
        // Arrange
        var binding = ClusterRoleBinding("ci-pipeline-admin", "cluster-admin", [Subject("ServiceAccount", "ci", "ci")], Waiver(ClusterAdmin, "installs CRDs"));

        // Act
        var index = Evaluate(null, binding);

        // Assert
        var finding = Assert.Single(index.Of(ClusterAdmin));
        Assert.Equal(FindingStatus.Waived, finding.Status);
        Assert.Equal(new FindingCounts(1, 0, 1), index.Counts[(ClusterAdmin, "")]);
    }

    [Fact]
    public void AnnotationWaiver_OnNamespace_WaivesNamespaceControl()
    {
        // Arrange
        var ns = Namespace("analytics", annotations: Waiver(DefaultDeny, "policies managed by the mesh"));

        // Act
        var index = Evaluate(null, ns);

        // Assert
        var finding = Assert.Single(index.Of(DefaultDeny));
        Assert.Equal(FindingStatus.Waived, finding.Status);
        Assert.Equal("analytics", finding.Namespace);
    }

    [Fact]
    public void CentralWaiver_WithNamespaceAndNameGlobs_AppliesToMatchingSubjectsOnly()
    {
        // Arrange
        var settings = PostureSettings.Default with
        {
            Waivers = [new CentralWaiver(RunAsRoot, "monitor*", "Deployment", "prometheus-*", "needs root", "sre", "SEC-42", new DateOnly(2025, 12, 31))],
        };
        var objects = new IKubernetesObject<V1ObjectMeta>[]
        {
            Deployment("monitoring", "prometheus-server", RootSpec()),
            Deployment("monitoring", "grafana", RootSpec()),
            Deployment("payments", "prometheus-server", RootSpec()),
            StatefulSet("monitoring", "prometheus-db", RootSpec()),
        };

        // Act
        var index = Evaluate(settings, objects);

        // Assert
        var byKey = index.Of(RunAsRoot).ToDictionary(f => f.Subject.Key.ToString(), f => f);
        Assert.Equal(FindingStatus.Waived, byKey["Deployment/monitoring/prometheus-server"].Status);
        Assert.Equal("config (sre, SEC-42)", byKey["Deployment/monitoring/prometheus-server"].Waiver!.Source);
        Assert.Equal("needs root", byKey["Deployment/monitoring/prometheus-server"].Waiver!.Reason);
        Assert.Equal(FindingStatus.Violation, byKey["Deployment/monitoring/grafana"].Status);
        Assert.Equal(FindingStatus.Violation, byKey["Deployment/payments/prometheus-server"].Status);
        Assert.Equal(FindingStatus.Violation, byKey["StatefulSet/monitoring/prometheus-db"].Status);
    }

    [Fact]
    public void CentralWaiver_ForNamespaceControl_MatchesTheNamespaceByItsNamespaceGlob()
    {
        // Arrange: the namespace label of a namespace finding is the namespace itself, so that is what users write.
        var settings = PostureSettings.Default with
        {
            Waivers = [new CentralWaiver(DefaultDeny, "analytics", null, "*", "policies managed by the mesh", null, null, null)],
        };

        // Act
        var index = Evaluate(settings, Namespace("analytics"), Namespace("staging"));

        // Assert
        var byNamespace = index.Of(DefaultDeny).ToDictionary(f => f.Namespace, f => f.Status);
        Assert.Equal(FindingStatus.Waived, byNamespace["analytics"]);
        Assert.Equal(FindingStatus.Violation, byNamespace["staging"]);
    }

    [Fact]
    public void CentralWaiver_WithKind_DoesNotMatchOtherKinds()
    {
        // Arrange
        var settings = PostureSettings.Default with
        {
            Waivers = [new CentralWaiver(ClusterAdmin, "*", "RoleBinding", "*", "team admins", null, null, null)],
        };
        var clusterBinding = ClusterRoleBinding("ops-admin", "cluster-admin", [Subject("User", "bob")]);
        var binding = RoleBinding("payments", "payments-admin", "ClusterRole", "cluster-admin", [Subject("User", "alice")]);

        // Act
        var index = Evaluate(settings, clusterBinding, binding);

        // Assert
        var byKind = index.Of(ClusterAdmin).ToDictionary(f => f.Subject.Key.Kind, f => f.Status);
        Assert.Equal(FindingStatus.Violation, byKind["ClusterRoleBinding"]);
        Assert.Equal(FindingStatus.Waived, byKind["RoleBinding"]);
    }

    [Fact]
    public void CentralWaiver_WhenAnnotationWaiversAreOff_StillApplies()
    {
        // Arrange
        var settings = PostureSettings.Default with
        {
            AllowAnnotationWaivers = false,
            Waivers = [new CentralWaiver(RunAsRoot, "monitoring", null, "prometheus-server", "needs root", null, null, null)],
        };

        // Act
        var index = Evaluate(settings, Prometheus(null));

        // Assert
        var finding = Assert.Single(index.Of(RunAsRoot));
        Assert.Equal(FindingStatus.Waived, finding.Status);
        Assert.Equal("config", finding.Waiver!.Source);
    }

    [Fact]
    public void CentralWaiver_Expired_IsViolationSayingWaiverExpired()
    {
        // Arrange
        var settings = PostureSettings.Default with
        {
            Waivers = [new CentralWaiver(RunAsRoot, "*", null, "*", "needs root", null, null, new DateOnly(2025, 1, 31))],
        };

        // Act
        var index = Evaluate(settings, Prometheus(null));

        // Assert
        var finding = Assert.Single(index.Of(RunAsRoot));
        Assert.Equal(FindingStatus.Violation, finding.Status);
        Assert.Contains("waiver expired 2025-01-31", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Waivers_ExpiredAnnotationAndActiveCentral_ActiveOneWins()
    {
        // Arrange
        var settings = PostureSettings.Default with
        {
            Waivers = [new CentralWaiver(RunAsRoot, "monitoring", "Deployment", "*", "renewed centrally", "sre", null, new DateOnly(2025, 9, 30))],
        };

        // Act
        var index = Evaluate(settings, Prometheus(Waiver(RunAsRoot, until: "2025-01-01")));

        // Assert
        var finding = Assert.Single(index.Of(RunAsRoot));
        Assert.Equal(FindingStatus.Waived, finding.Status);
        Assert.Equal("renewed centrally", finding.Waiver!.Reason);
    }

    private sealed class CountingObserver : IFindingsObserver
    {
        public Dictionary<(string, string), FindingCounts> Counts { get; } = [];

        public void CountsChanged(Controls.Control control, string ns, FindingCounts counts) => Counts[(control.Id, ns)] = counts;

        public void FindingChanged(Finding? before, Finding? after)
        {
        }

        public void WaiverProblemChanged(ObjectKey source, string? problem)
        {
        }
    }
}
