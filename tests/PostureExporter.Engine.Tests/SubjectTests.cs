using PostureExporter.Engine.Findings;
using PostureExporter.Engine.Model;
using static PostureExporter.Engine.Tests.Make;

namespace PostureExporter.Engine.Tests;

/// <summary>What a finding is about: pods resolve through ownerReferences to the workload a person fixes.</summary>
public sealed class SubjectTests
{
    private static readonly DateTimeOffset Now = ControlFixtureTests.Now;

    private static SubjectRef WorkloadSubject(string kind, string ns, string name) => new(SubjectScope.Workload, new ObjectKey(kind, ns, name));

    [Fact]
    public void Evaluation_ThreeReplicasOfOneDeployment_OneViolationOnTheDeployment()
    {
        // Arrange
        var objects = new k8s.IKubernetesObject<k8s.Models.V1ObjectMeta>[]
        {
            Deployment("shop", "web", RootSpec()),
            ReplicaSet("shop", "web-7d9f", "web"),
            Pod("shop", "web-7d9f-a", RootSpec(), ("ReplicaSet", "web-7d9f")),
            Pod("shop", "web-7d9f-b", RootSpec(), ("ReplicaSet", "web-7d9f")),
            Pod("shop", "web-7d9f-c", RootSpec(), ("ReplicaSet", "web-7d9f")),
        };

        // Act
        var index = Evaluate(null, objects);

        // Assert
        var finding = Assert.Single(index.Of(RunAsRoot));
        Assert.Equal(WorkloadSubject("Deployment", "shop", "web"), finding.Subject);
        Assert.Equal(FindingStatus.Violation, finding.Status);
        Assert.Equal(new FindingCounts(Checked: 1, Violations: 1, Waived: 0), index.Counts[(RunAsRoot, "shop")]);
    }

    [Fact]
    public void TopOwner_PodOfJobOfCronJob_ResolvesToTheCronJob()
    {
        // Arrange
        var model = new ClusterModel();
        model.Upsert(Projector.Project(CronJob("ops", "backup", NonRootSpec()))!);
        model.Upsert(Projector.Project(Job("ops", "backup-1", "backup"))!);
        var pod = Projector.Project(Pod("ops", "backup-1-x", RootSpec(), ("Job", "backup-1")))!;
        model.Upsert(pod);

        // Act
        var owner = model.TopOwner(pod);
        var subjects = model.AllSubjects().Where(s => s.Scope == SubjectScope.Workload).ToList();

        // Assert
        Assert.Equal(new ObjectKey("CronJob", "ops", "backup"), owner);
        Assert.Equal([WorkloadSubject("CronJob", "ops", "backup")], subjects);
        var workload = model.Workload(owner)!;
        Assert.False(workload.FromTemplate);
        Assert.Single(workload.Specs);
    }

    [Fact]
    public void Evaluation_PodOfJobOfCronJob_ViolationIsOnTheCronJob()
    {
        // Arrange
        var cronJob = CronJob("ops", "backup", NonRootSpec());
        var job = Job("ops", "backup-1", "backup");
        var pod = Pod("ops", "backup-1-x", RootSpec(), ("Job", "backup-1"));

        // Act
        var index = Evaluate(null, cronJob, job, pod);

        // Assert
        var finding = Assert.Single(index.Of(RunAsRoot));
        Assert.Equal(WorkloadSubject("CronJob", "ops", "backup"), finding.Subject);
        Assert.Equal(FindingStatus.Violation, finding.Status);
    }

    [Fact]
    public void Evaluation_StaticPodOwnedByNode_IsItsOwnSubject()
    {
        // Arrange
        var pod = Pod("kube-system", "etcd-node-1", RootSpec(), ("Node", "node-1"));

        // Act
        var index = Evaluate(null, pod);

        // Assert
        var finding = Assert.Single(index.Of(RunAsRoot));
        Assert.Equal(WorkloadSubject("Pod", "kube-system", "etcd-node-1"), finding.Subject);
        Assert.Equal(FindingStatus.Violation, finding.Status);
    }

    [Fact]
    public void Evaluation_StatefulSetOwnedByOperatorCustomResource_SubjectIsTheStatefulSet()
    {
        // Arrange: prometheus-operator runs a Prometheus CR as a StatefulSet; the CR's kind is not watched.
        var statefulSet = StatefulSet("monitoring", "prometheus-k8s", NonRootSpec(),
            Waiver(RunAsRoot, "the operator's image needs root"));
        statefulSet.Metadata.OwnerReferences =
        [
            new k8s.Models.V1OwnerReference
            {
                ApiVersion = "monitoring.coreos.com/v1", Kind = "Prometheus", Name = "k8s", Uid = "uid-prom", Controller = true,
            },
        ];
        var pod = Pod("monitoring", "prometheus-k8s-0", RootSpec(), ("StatefulSet", "prometheus-k8s"));

        // Act
        var index = Evaluate(null, statefulSet, pod);

        // Assert: the StatefulSet is the subject, judged on its live root pod, and its own waiver holds.
        var finding = Assert.Single(index.Of(RunAsRoot));
        Assert.Equal(WorkloadSubject("StatefulSet", "monitoring", "prometheus-k8s"), finding.Subject);
        Assert.Equal(FindingStatus.Waived, finding.Status);
        Assert.DoesNotContain(index.Model.AllSubjects(), s => s.Key.Kind == "Prometheus");
    }

    [Fact]
    public void Evaluation_StatefulSetOwnedByOperatorCustomResourceWithoutWaiver_ViolationOnTheStatefulSet()
    {
        // Arrange
        var statefulSet = StatefulSet("monitoring", "alertmanager-main", NonRootSpec());
        statefulSet.Metadata.OwnerReferences =
        [
            new k8s.Models.V1OwnerReference
            {
                ApiVersion = "monitoring.coreos.com/v1", Kind = "Alertmanager", Name = "main", Uid = "uid-am", Controller = true,
            },
        ];
        var pod = Pod("monitoring", "alertmanager-main-0", RootSpec(), ("StatefulSet", "alertmanager-main"));

        // Act
        var index = Evaluate(null, statefulSet, pod);

        // Assert
        var finding = Assert.Single(index.Of(RunAsRoot));
        Assert.Equal(WorkloadSubject("StatefulSet", "monitoring", "alertmanager-main"), finding.Subject);
        Assert.Equal(FindingStatus.Violation, finding.Status);
    }

    [Fact]
    public void Workload_DeploymentScaledToZero_IsEvaluatedFromItsTemplate()
    {
        // Arrange
        var deployment = Deployment("shop", "web", RootSpec());
        var oldReplicaSet = ReplicaSet("shop", "web-1", "web", RootSpec());

        // Act
        var index = Evaluate(null, deployment, oldReplicaSet);
        var workload = index.Model.Workload(new ObjectKey("Deployment", "shop", "web"));

        // Assert
        Assert.NotNull(workload);
        Assert.True(workload.FromTemplate);
        var finding = Assert.Single(index.Of(RunAsRoot));
        Assert.Equal(WorkloadSubject("Deployment", "shop", "web"), finding.Subject);
        Assert.Equal(FindingStatus.Violation, finding.Status);
    }

    [Fact]
    public void Workload_TemplateWithoutLimitsInNamespaceWithLimitRange_GetsTheDefaults()
    {
        // Arrange
        var deployment = Deployment("shop", "web", new k8s.Models.V1PodSpec { Containers = [Container(memoryLimit: false, cpuLimit: false)] });
        var limitRange = LimitRange("shop", "defaults", memory: true, cpu: true);

        // Act
        var index = Evaluate(null, deployment, limitRange);

        // Assert
        var finding = Assert.Single(index.Of(Limits));
        Assert.Equal(FindingStatus.Pass, finding.Status);
    }

    [Fact]
    public void AllSubjects_ReplicaSetOwnedByDeployment_IsNeverASubject()
    {
        // Arrange: an old ReplicaSet with no pods, and a current one with a pod.
        var objects = new k8s.IKubernetesObject<k8s.Models.V1ObjectMeta>[]
        {
            Deployment("shop", "web", NonRootSpec()),
            ReplicaSet("shop", "web-old", "web", RootSpec()),
            ReplicaSet("shop", "web-new", "web", NonRootSpec()),
            Pod("shop", "web-new-a", NonRootSpec(), ("ReplicaSet", "web-new")),
        };

        // Act
        var index = Evaluate(null, objects);
        var subjects = index.Model.AllSubjects().Where(s => s.Scope == SubjectScope.Workload).ToList();

        // Assert
        Assert.Equal([WorkloadSubject("Deployment", "shop", "web")], subjects);
        Assert.DoesNotContain(index.All, f => f.Subject.Key.Kind == "ReplicaSet");
    }

    [Fact]
    public void AllSubjects_ReplicaSetWithoutOwner_IsItsOwnSubject()
    {
        // Arrange
        var replicaSet = ReplicaSet("shop", "standalone", null, RootSpec());

        // Act
        var index = Evaluate(null, replicaSet);

        // Assert
        var finding = Assert.Single(index.Of(RunAsRoot));
        Assert.Equal(WorkloadSubject("ReplicaSet", "shop", "standalone"), finding.Subject);
    }

    [Fact]
    public void Upsert_PodBeforeItsReplicaSet_ResolvesOnceTheReplicaSetArrives()
    {
        // Arrange
        var model = new ClusterModel();
        var index = new FindingsIndex(model, PostureSettings.Default);
        var pod = Pod("shop", "web-7d9f-a", RootSpec(), ("ReplicaSet", "web-7d9f"));
        var replicaSet = ReplicaSet("shop", "web-7d9f", "web");
        var deployment = Deployment("shop", "web", NonRootSpec());

        // Act
        index.Upsert(Projector.Project(pod)!, Now);
        var beforeOwners = index.Of(RunAsRoot).Select(f => f.Subject).ToList();
        index.Upsert(Projector.Project(replicaSet)!, Now);
        index.Upsert(Projector.Project(deployment)!, Now);

        // Assert
        Assert.Equal([WorkloadSubject("ReplicaSet", "shop", "web-7d9f")], beforeOwners);
        var finding = Assert.Single(index.Of(RunAsRoot));
        Assert.Equal(WorkloadSubject("Deployment", "shop", "web"), finding.Subject);
        Assert.Equal(FindingStatus.Violation, finding.Status);
        var scratch = Evaluate(null, pod, replicaSet, deployment);
        Assert.Equal(scratch.Counts.OrderBy(kv => kv.Key), index.Counts.OrderBy(kv => kv.Key));
    }

    [Fact]
    public void Delete_LastLivePod_DeploymentFallsBackToItsTemplate()
    {
        // Arrange
        var model = new ClusterModel();
        var index = new FindingsIndex(model, PostureSettings.Default);
        index.Upsert(Projector.Project(Deployment("shop", "web", NonRootSpec()))!, Now);
        index.Upsert(Projector.Project(ReplicaSet("shop", "web-1", "web"))!, Now);
        index.Upsert(Projector.Project(Pod("shop", "web-1-a", RootSpec(), ("ReplicaSet", "web-1")))!, Now);
        var whileRunning = Assert.Single(index.Of(RunAsRoot)).Status;

        // Act
        index.Delete(new ObjectKey("Pod", "shop", "web-1-a"), Now);

        // Assert
        Assert.Equal(FindingStatus.Violation, whileRunning);
        var finding = Assert.Single(index.Of(RunAsRoot));
        Assert.Equal(WorkloadSubject("Deployment", "shop", "web"), finding.Subject);
        Assert.Equal(FindingStatus.Pass, finding.Status);
    }

    [Fact]
    public void Upsert_NetworkPolicy_DirtiesOnlyItsNamespace()
    {
        // Arrange
        var model = new ClusterModel();
        model.Upsert(Projector.Project(Namespace("shop"))!);
        model.Upsert(Projector.Project(Deployment("shop", "web", NonRootSpec()))!);
        model.Upsert(Projector.Project(ReplicaSet("shop", "web-1", "web"))!);
        for (var i = 0; i < 5; i++)
        {
            model.Upsert(Projector.Project(Pod("shop", $"web-1-{i}", NonRootSpec(), ("ReplicaSet", "web-1")))!);
        }

        // Act
        var dirty = model.Upsert(Projector.Project(NetworkPolicy("shop", "deny", ["Ingress", "Egress"]))!);

        // Assert
        Assert.Equal([new SubjectRef(SubjectScope.Namespace, new ObjectKey("Namespace", "", "shop"))], dirty);
    }

    [Fact]
    public void Upsert_LimitRange_DirtiesTheWorkloadsOfItsNamespace()
    {
        // Arrange
        var model = new ClusterModel();
        model.Upsert(Projector.Project(Deployment("shop", "web", NonRootSpec()))!);
        model.Upsert(Projector.Project(Deployment("other", "api", NonRootSpec()))!);

        // Act
        var dirty = model.Upsert(Projector.Project(LimitRange("shop", "defaults", memory: true, cpu: true))!);

        // Assert
        Assert.Equal([WorkloadSubject("Deployment", "shop", "web")], dirty);
    }
}
