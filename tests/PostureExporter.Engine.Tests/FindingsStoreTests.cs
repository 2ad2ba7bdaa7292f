using PostureExporter.Engine.Controls;
using PostureExporter.Engine.Findings;
using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Tests;

/// <summary>
/// The index keeps a subject's passes as bits and only its other findings in full, and holds each violation message
/// once: what it answers must be what the controls say, finding for finding, in control order.
/// </summary>
public sealed class FindingsStoreTests
{
    private static readonly DateTimeOffset Now = ControlFixtureTests.Now;

    [Fact]
    public void All_IsWhatEachControlSays_InControlOrder_PassesIncluded()
    {
        var index = Make.Evaluate(null,
            Make.Namespace("shop"),
            Make.Pod("shop", "root-0", Make.RootSpec(), ("ReplicaSet", "root-1")),
            Make.Pod("shop", "root-1", Make.RootSpec(), ("ReplicaSet", "root-1")),
            Make.Pod("shop", "clean-0", Make.NonRootSpec(), ("ReplicaSet", "clean-1")),
            Make.Pod("shop", "bare", Make.RootSpec()));
        var context = new EvaluationContext(index.Model, index.Settings);

        foreach (var subject in index.Model.AllSubjects().Distinct())
        {
            var expected = new List<string>();
            foreach (var control in index.Controls.Where(c => c.Scope == subject.Scope && c.IsApplicable(context)))
            {
                var verdict = control.Evaluate(subject, context);
                if (verdict.Kind != VerdictKind.Skip)
                {
                    expected.Add($"{control.Id} {(verdict.Kind == VerdictKind.Pass ? FindingStatus.Pass : FindingStatus.Violation)} {verdict.Message ?? ""}");
                }
            }
            var actual = index.All.Where(f => f.Subject == subject).Select(f => $"{f.Control.Id} {f.Status} {f.Message}").ToList();

            Assert.Equal(expected, actual);
        }
        Assert.Contains(index.All, f => f.Status == FindingStatus.Pass && f.Subject.Key.Name == "root-1");
        Assert.Contains(index.All, f => f.Status == FindingStatus.Violation && f.Subject.Key.Name == "root-1");
    }

    [Fact]
    public void ViolationMessages_AreHeldOnce_AndLetGoWithTheirFindings()
    {
        var model = new ClusterModel();
        var index = new FindingsIndex(model, PostureSettings.Default);
        for (var i = 0; i < 5; i++)
        {
            index.Upsert(Projector.Project(Make.Pod("shop", $"web-{i}", Make.RootSpec()))!, Now);
        }

        var rootFindings = index.Of(Make.RunAsRoot).Where(f => f.Status == FindingStatus.Violation).ToList();
        Assert.Equal(5, rootFindings.Count);
        Assert.All(rootFindings, f => Assert.Same(rootFindings[0].Message, f.Message));
        Assert.True(index.DistinctMessages > 0);

        // Fixed one by one: the run-as-root message goes with the last of its findings; deleted, the rest goes.
        var message = rootFindings[0].Message;
        for (var i = 0; i < 5; i++)
        {
            index.Upsert(Projector.Project(Make.Pod("shop", $"web-{i}", Make.NonRootSpec()))!, Now);
        }
        Assert.DoesNotContain(index.All, f => f.Message == message);
        Assert.Equal(index.All.Where(f => f.Status != FindingStatus.Pass).Select(f => f.Message).Distinct().Count(), index.DistinctMessages);
        for (var i = 0; i < 5; i++)
        {
            index.Delete(new ObjectKey(Kinds.Pod, "shop", $"web-{i}"), Now);
        }
        Assert.Equal(0, index.DistinctMessages);
    }
}
