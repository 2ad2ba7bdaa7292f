using System.Collections.Immutable;
using PostureExporter.Engine.Controls;
using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Findings;

public enum FindingStatus
{
    Pass,
    Violation,
    Waived,
}

/// <summary>One control's verdict on one subject.</summary>
public sealed record Finding(
    Control Control,
    SubjectRef Subject,
    FindingStatus Status,
    string Message,
    DateTimeOffset? FirstSeen,
    Waiver? Waiver)
{
    /// <summary>The namespace label: the subject's namespace, the namespace itself for namespace controls, "" when cluster-scoped.</summary>
    public string Namespace => Subject.Scope == SubjectScope.Namespace ? Subject.Key.Name : Subject.Key.Namespace;

    public Severity Severity { get; init; } = Control.Metadata.Severity;
}

public readonly record struct FindingCounts(int Checked, int Violations, int Waived)
{
    public bool IsEmpty => Checked == 0;

    public FindingCounts Add(FindingStatus status, int delta) => status switch
    {
        FindingStatus.Violation => new(Checked + delta, Violations + delta, Waived),
        FindingStatus.Waived => new(Checked + delta, Violations, Waived + delta),
        _ => new(Checked + delta, Violations, Waived),
    };
}

/// <summary>What the surfaces (metrics) hear from the index, on the engine's thread.</summary>
public interface IFindingsObserver
{
    void CountsChanged(Control control, string ns, FindingCounts counts);

    /// <summary>
    /// A finding that is not a pass appeared, changed or went away (before or after is null then; a pass is told as
    /// null: passes carry nothing but their count, which <see cref="CountsChanged"/> tells).
    /// </summary>
    void FindingChanged(Finding? before, Finding? after);

    /// <summary>An object's waiver annotations became invalid (problem set) or stopped being so (null).</summary>
    void WaiverProblemChanged(ObjectKey source, string? problem);
}

/// <summary>
/// The findings of every enabled control on every subject, kept current incrementally: a change re-evaluates
/// only the subjects the model says it affects. Invariant (tested): after any sequence of changes the state
/// equals a from-scratch evaluation of the same model. Single-threaded: the engine loop owns it.
/// </summary>
public sealed class FindingsIndex
{
    private readonly ClusterModel _model;
    private EvaluationContext _context;
    private readonly ImmutableDictionary<SubjectScope, ImmutableArray<Control>> _controlsByScope;
    private readonly IFindingsObserver? _observer;
    private readonly Dictionary<SubjectRef, StoredFindings> _findings = [];
    private readonly Dictionary<(string Control, string Namespace), FindingCounts> _counts = [];
    private readonly Dictionary<ObjectKey, string> _waiverProblems = [];
    private readonly Dictionary<SubjectRef, DateTimeOffset> _waiverEnds = [];
    private readonly Dictionary<Control, Finding> _passes = [];
    // Violation messages repeat across subjects ("container app: no memory or cpu limit"): held once each.
    private readonly InternPool<string> _messages = new(StringComparer.Ordinal);

    /// <summary>
    /// A subject's findings as the index keeps them: a bit per control of its scope (in the order of the scope's
    /// control list) for the controls it passes, and the other findings in full. Passes are most findings and carry
    /// nothing of their own (see <see cref="Pass"/>), so a subject costs a few bytes plus its violations instead of
    /// an array with a slot per control. <see cref="Expand"/> gives back the array, in control order.
    /// </summary>
    private readonly record struct StoredFindings(ulong Passed, Finding[] Others);

    public FindingsIndex(ClusterModel model, PostureSettings settings, IFindingsObserver? observer = null)
    {
        _model = model;
        Settings = settings;
        _context = new EvaluationContext(model, settings);
        Controls = ControlCatalog.Enabled(settings);
        _controlsByScope = Controls.GroupBy(c => c.Scope).ToImmutableDictionary(g => g.Key, g => g.ToImmutableArray());
        if (_controlsByScope.Values.FirstOrDefault(c => c.Length > 64) is { IsDefault: false } tooMany)
        {
            throw new InvalidOperationException($"{tooMany.Length} controls of scope {tooMany[0].Scope}: the index keeps passes as a 64-bit mask per subject");
        }
        _observer = observer;
    }

    public PostureSettings Settings { get; private set; }

    public ImmutableArray<Control> Controls { get; }

    public ClusterModel Model => _model;

    public IReadOnlyDictionary<(string Control, string Namespace), FindingCounts> Counts => _counts;

    public IReadOnlyDictionary<ObjectKey, string> WaiverProblems => _waiverProblems;

    /// <summary>Distinct violation messages held (for tests and diagnostics).</summary>
    internal int DistinctMessages => _messages.Count;

    public IEnumerable<Finding> All => _findings.SelectMany(kv => Expand(kv.Key, kv.Value).Select(f => Bind(f, kv.Key)));

    public bool IsApplicable(Control control) => control.IsApplicable(_context);

    /// <summary>Applies an upsert to the model and re-evaluates what it affects.</summary>
    public void Upsert(ModelObject obj, DateTimeOffset now) => Evaluate(_model.Upsert(obj), now);

    public void Delete(ObjectKey key, DateTimeOffset now) => Evaluate(_model.Delete(key), now);

    /// <summary>Evaluates every subject (start-up, or after settings changed).</summary>
    public void EvaluateAll(DateTimeOffset now)
    {
        var subjects = _model.AllSubjects().Concat(_findings.Keys).ToHashSet();
        Evaluate(subjects, now);
    }

    /// <summary>
    /// Gives back the spare capacity of the index's and the model's tables, once the initial state is evaluated
    /// (see <see cref="ClusterModel.TrimExcess"/>).
    /// </summary>
    public void TrimExcess()
    {
        _model.TrimExcess();
        _findings.TrimExcess();
        _counts.TrimExcess();
        _messages.TrimExcess();
    }

    /// <summary>
    /// Takes new waiver settings (central waivers reloaded from the configuration file, whether annotation
    /// waivers count, which controls cannot be waived) and re-evaluates everything under them.
    /// </summary>
    public void UpdateWaivers(PostureSettings source, DateTimeOffset now, bool evaluate = true)
    {
        Settings = Settings with
        {
            Waivers = source.Waivers,
            AllowAnnotationWaivers = source.AllowAnnotationWaivers,
            UnwaivableControls = source.UnwaivableControls,
        };
        _context = new EvaluationContext(_model, Settings);
        if (evaluate)
        {
            EvaluateAll(now);
        }
    }

    /// <summary>Takes the API server's version once it is known (it may not be at start-up) and re-evaluates.</summary>
    public void UpdateApiServerVersion(string version, DateTimeOffset now, bool evaluate = true)
    {
        Settings = Settings with { ApiServerVersion = version };
        _context = new EvaluationContext(_model, Settings);
        if (evaluate)
        {
            EvaluateAll(now);
        }
    }

    /// <summary>Re-evaluates subjects whose waiver has ended by now.</summary>
    public void RefreshExpiredWaivers(DateTimeOffset now)
    {
        var due = _waiverEnds.Where(kv => kv.Value <= now).Select(kv => kv.Key).ToList();
        if (due.Count > 0)
        {
            Evaluate(due, now);
        }
    }

    public void Evaluate(IEnumerable<SubjectRef> subjects, DateTimeOffset now)
    {
        foreach (var s in subjects)
        {
            EvaluateSubject(s, now);
        }
    }

    private void EvaluateSubject(SubjectRef subject, DateTimeOffset now)
    {
        var before = _findings.TryGetValue(subject, out var stored) ? Expand(subject, stored) : null;
        var exists = _model.Exists(subject);
        var after = exists ? Compute(subject, before, now) : [];
        if (!exists)
        {
            _waiverEnds.Remove(subject);
            // The object can outlive its subject (a ReplicaSet or Pod that gained an owner): its annotations are
            // read no more, so its waiver problem goes, unless another scope still reads the same object.
            if (!_controlsByScope.Keys.Any(scope => scope != subject.Scope && _model.Exists(new SubjectRef(scope, subject.Key))))
            {
                SetWaiverProblem(subject.Key, null);
            }
        }
        before ??= [];
        if (after.Length == 0)
        {
            _findings.Remove(subject);
        }
        else
        {
            _findings[subject] = Store(subject, after);
        }
        // Compute counted a user of each new message; the findings replaced give theirs back.
        foreach (var b in before)
        {
            if (b.Status != FindingStatus.Pass)
            {
                _messages.Release(b.Message);
            }
        }

        // Counts go up before the observer hears of a finding and down after, so a surface that creates series
        // from counts has them in place for the finding's events, and removes them only once those are done.
        var ns = subject.Scope == SubjectScope.Namespace ? subject.Key.Name : subject.Key.Namespace;
        foreach (var b in before)
        {
            var a = Array.Find(after, x => ReferenceEquals(x.Control, b.Control));
            if (a is null)
            {
                Tell(subject, b, null);
                Count(b, ns, -1);
            }
            else if (a != b)
            {
                var recount = a.Status != b.Status;
                if (recount)
                {
                    Count(a, ns, +1);
                }
                Tell(subject, b, a);
                if (recount)
                {
                    Count(b, ns, -1);
                }
            }
        }
        foreach (var a in after)
        {
            if (!Array.Exists(before, x => ReferenceEquals(x.Control, a.Control)))
            {
                Count(a, ns, +1);
                Tell(subject, null, a);
            }
        }
    }

    /// <summary>
    /// Tells the observer of a change, passes as null: most findings are passes (shared per control, see
    /// <see cref="Pass"/>), and binding each to its subject only to tell of it was most of what the initial
    /// evaluation allocated. A change between two passes (a severity override) is not told.
    /// </summary>
    private void Tell(SubjectRef subject, Finding? before, Finding? after)
    {
        before = before is { Status: not FindingStatus.Pass } ? Bind(before, subject) : null;
        after = after is { Status: not FindingStatus.Pass } ? Bind(after, subject) : null;
        if (_observer is not null && (before is not null || after is not null))
        {
            _observer.FindingChanged(before, after);
        }
    }

    /// <summary>
    /// A subject's findings as <see cref="Compute"/> made them (in control order; a pass is always the shared
    /// <see cref="Pass"/> of its control) as the index keeps them: the controls and the findings are walked
    /// together, no lookup per finding.
    /// </summary>
    private StoredFindings Store(SubjectRef subject, Finding[] findings)
    {
        var controls = _controlsByScope[subject.Scope];
        var passed = 0UL;
        var others = 0;
        for (int i = 0, next = 0; next < findings.Length; i++)
        {
            var f = findings[next];
            if (!ReferenceEquals(f.Control, controls[i]))
            {
                continue;
            }
            if (f.Status == FindingStatus.Pass)
            {
                passed |= 1UL << i;
            }
            else
            {
                others++;
            }
            next++;
        }
        return new StoredFindings(passed, others == 0 ? [] : others == findings.Length ? findings : Array.FindAll(findings, f => f.Status != FindingStatus.Pass));
    }

    /// <summary>A subject's findings as <see cref="Compute"/> made them: passes and the others, in control order.</summary>
    private Finding[] Expand(SubjectRef subject, StoredFindings stored)
    {
        if (stored.Passed == 0)
        {
            return stored.Others;
        }
        var controls = _controlsByScope[subject.Scope];
        var result = new Finding[System.Numerics.BitOperations.PopCount(stored.Passed) + stored.Others.Length];
        var (n, next) = (0, 0);
        for (var i = 0; i < controls.Length; i++)
        {
            if ((stored.Passed & (1UL << i)) != 0)
            {
                result[n++] = _passes[controls[i]];
            }
            else if (next < stored.Others.Length && ReferenceEquals(stored.Others[next].Control, controls[i]))
            {
                result[n++] = stored.Others[next++];
            }
        }
        return result;
    }

    /// <summary>A finding about this subject: shared passes get the subject filled in.</summary>
    private static Finding Bind(Finding f, SubjectRef subject) => f.Subject == subject ? f : f with { Subject = subject };

    private Finding[] Compute(SubjectRef subject, Finding[]? previous, DateTimeOffset now)
    {
        if (!_controlsByScope.TryGetValue(subject.Scope, out var controls))
        {
            return [];
        }
        var source = _model.WaiverSource(subject);
        var annotations = WaiverResolver.ReadAnnotations(source);
        TrackWaiverProblem(subject.Key, annotations);
        var results = new List<Finding>(controls.Length);
        DateTimeOffset? nextEnd = null;
        foreach (var control in controls)
        {
            if (!control.IsApplicable(_context))
            {
                continue;
            }
            var verdict = control.Evaluate(subject, _context);
            if (verdict.Kind == VerdictKind.Skip)
            {
                continue;
            }
            var severity = Settings.SeverityOf(control);
            if (verdict.Kind == VerdictKind.Pass)
            {
                results.Add(Pass(control, severity));
                continue;
            }
            var waiver = WaiverResolver.Find(control, subject.Key, annotations, Settings, now);
            var message = verdict.Message;
            FindingStatus status;
            if (waiver is not null && waiver.IsActive(now))
            {
                status = FindingStatus.Waived;
                if (waiver.Ends is { } end && (nextEnd is null || end < nextEnd))
                {
                    nextEnd = end;
                }
            }
            else
            {
                status = FindingStatus.Violation;
                if (waiver is not null)
                {
                    message += $" (waiver expired {waiver.Until:yyyy-MM-dd})";
                    waiver = null;
                }
            }
            var prior = previous is null ? null : Array.Find(previous, x => ReferenceEquals(x.Control, control));
            var firstSeen = status == FindingStatus.Violation
                ? prior is { Status: FindingStatus.Violation, FirstSeen: { } seen } ? seen : now
                : (DateTimeOffset?)null;
            results.Add(new Finding(control, subject, status, _messages.Acquire(message), firstSeen, waiver) { Severity = severity });
        }
        if (nextEnd is { } e)
        {
            _waiverEnds[subject] = e;
        }
        else
        {
            _waiverEnds.Remove(subject);
        }
        return [.. results];
    }

    /// <summary>
    /// Records whether the object at a subject's key (its waiver source) carries invalid waiver annotations. The
    /// object may be gone while the subject lives on (a Deployment deleted before its pods): no problem then.
    /// </summary>
    private void TrackWaiverProblem(ObjectKey key, WaiverResolver.AnnotationWaiver? annotations)
    {
        var problem = annotations?.Problem;
        if (problem is null && annotations?.Waiver is not null)
        {
            var blocked = annotations.Controls.Where(Settings.UnwaivableControls.Contains).ToList();
            if (blocked.Count > 0)
            {
                problem = $"control(s) {string.Join(", ", blocked)} cannot be waived";
            }
            else if (!Settings.AllowAnnotationWaivers)
            {
                problem = "annotation waivers are turned off (allowAnnotationWaivers: false)";
            }
        }
        SetWaiverProblem(key, problem);
    }

    private void SetWaiverProblem(ObjectKey key, string? problem)
    {
        var had = _waiverProblems.TryGetValue(key, out var old);
        if (problem is null && had)
        {
            _waiverProblems.Remove(key);
            _observer?.WaiverProblemChanged(key, null);
        }
        else if (problem is not null && (!had || old != problem))
        {
            _waiverProblems[key] = problem;
            _observer?.WaiverProblemChanged(key, problem);
        }
    }

    /// <summary>
    /// One pass finding per control, shared by every subject that passes it: a pass carries nothing of its own,
    /// and with 30 controls per workload the passes are most of the index.
    /// </summary>
    private Finding Pass(Control control, Severity severity)
    {
        if (!_passes.TryGetValue(control, out var pass) || pass.Severity != severity)
        {
            _passes[control] = pass = new Finding(control, default, FindingStatus.Pass, "", null, null) { Severity = severity };
        }
        return pass;
    }

    private void Count(Finding f, string ns, int delta)
    {
        var key = (f.Control.Id, ns);
        var counts = _counts.GetValueOrDefault(key).Add(f.Status, delta);
        if (counts.IsEmpty)
        {
            _counts.Remove(key);
        }
        else
        {
            _counts[key] = counts;
        }
        _observer?.CountsChanged(f.Control, ns, counts);
    }
}
