using System.Text;
using PostureExporter.Engine;
using PostureExporter.Engine.Controls;
using PostureExporter.Engine.Controls.Rbac;
using PostureExporter.Engine.Findings;
using PostureExporter.Engine.Model;

namespace PostureExporter.Metrics;

/// <summary>
/// The posture_* metrics, kept current from the findings index's change events: a series exists exactly while
/// its subject (or its control × namespace) does, so nothing goes stale. Called on the engine thread only; the
/// families in the <see cref="SeriesStore"/> keep their series as ready text and make scrapes safe to run
/// concurrently.
/// </summary>
internal sealed class PostureMetrics : IFindingsObserver
{
    private readonly PostureSettings _settings;
    private readonly ClusterModel _model;
    private readonly Dictionary<string, HashSet<(string Control, string Severity)>> _dormantCounters = [];
    private readonly int _maxDetailSeries;
    private readonly IReadOnlyList<string> _namespaceInfoLabels;
    private readonly MetricFamily _violations;
    private readonly MetricFamily _waived;
    private readonly MetricFamily _checked;
    private readonly MetricFamily _firstSeen;
    private readonly MetricFamily _detailsDropped;
    private readonly MetricFamily _opened;
    private readonly MetricFamily _resolved;
    private readonly MetricFamily _clusterAdmin;
    private readonly MetricFamily _namespaceInfo;
    private readonly MetricFamily _controlInfo;
    private readonly MetricFamily _waiverExpiry;
    private readonly Dictionary<string, string[]> _namespaceInfoSeries = [];
    private readonly Dictionary<string, string[]> _controlInfoSeries = [];
    private HashSet<string[]> _clusterAdminSeries = new(LabelsComparer.Instance);
    // Violations over the maxDetailSeries cap, exported as soon as another detail series goes away. Each is the
    // finding itself (the index holds it anyway while it violates), found by its control and subject: the
    // first-seen series are the exported ones, so no set of their keys is kept beside them.
    private readonly HashSet<Finding> _dropped = new(DetailComparer.Instance);
    private readonly SeriesStore _store;

    /// <summary>Gives back the spare room the series tables kept while the initial evaluation filled them.</summary>
    public void TrimExcess() => _store.TrimExcess();

    public PostureMetrics(SeriesStore store, ClusterModel model, PostureSettings settings, int maxDetailSeries, IReadOnlyList<string> namespaceInfoLabels)
    {
        _store = store;
        _settings = settings;
        _model = model;
        _maxDetailSeries = maxDetailSeries;
        _namespaceInfoLabels = namespaceInfoLabels;
        _violations = store.Gauge("posture_violations", "Violating subjects per control and namespace, waived ones excluded; 0 while subjects are checked and none violates.",
            "control", "severity", "section", "category", "namespace");
        _waived = store.Gauge("posture_waived", "Subjects whose violation of the control is waived.", "control", "severity", "namespace");
        _checked = store.Gauge("posture_checked", "Subjects the control evaluated (the score's denominator).", "control", "severity", "namespace");
        _firstSeen = store.Gauge("posture_violation_first_seen_timestamp_seconds", "Unix time a violating subject was first seen violating; one series per violating subject, capped by maxDetailSeries.",
            "control", "severity", "namespace", "kind", "name");
        _detailsDropped = store.Gauge("posture_violation_details_dropped", "Violating subjects without a first-seen series because of the maxDetailSeries cap.");
        _opened = store.Counter("posture_violations_opened_total", "Violations that appeared (counts one that appears and vanishes between scrapes).", "control", "severity", "namespace");
        _resolved = store.Counter("posture_violations_resolved_total", "Violations that went away (fixed, waived, or subject deleted).", "control", "severity", "namespace");
        _clusterAdmin = store.Gauge("posture_cluster_admin_subject", "1 per subject bound to cluster-admin, expected ones included (expected=\"true\").",
            "binding_kind", "binding", "binding_namespace", "subject_kind", "subject", "subject_namespace", "expected");
        _namespaceInfo = store.Gauge("posture_namespace_info", "1 per namespace, with its Pod Security enforce level and selected labels.",
            ["namespace", "psa_enforce", .. namespaceInfoLabels.Select(LabelName)]);
        _controlInfo = store.Gauge("posture_control_info", "1 per enabled control, with its metadata and whether it can judge this cluster.",
            "control", "title", "section", "category", "severity", "applicable");
        _waiverExpiry = store.Gauge("posture_waiver_expiry_timestamp_seconds", "Unix time an active waiver with an expiry ends.", "control", "namespace", "kind", "name");
        _detailsDropped.Set(0);
    }

    /// <summary>A Prometheus label name for a Kubernetes label key (team, app.kubernetes.io/team → app_kubernetes_io_team).</summary>
    public static string LabelName(string key)
    {
        var sb = new StringBuilder(key.Length);
        foreach (var c in key)
        {
            sb.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        }
        if (sb.Length == 0 || char.IsAsciiDigit(sb[0]))
        {
            sb.Insert(0, '_');
        }
        return sb.ToString();
    }

    /// <summary>
    /// False between <see cref="BeginInitialEvaluation"/> and <see cref="EndInitialEvaluation"/>: violations that
    /// already existed when the exporter started were not seen appearing, so they do not count as opened (a restart
    /// must not look like a burst of drift).
    /// </summary>
    public bool CountTransitions { get; private set; } = true;

    /// <summary>
    /// Before the index evaluates the initial lists: until <see cref="EndInitialEvaluation"/> no violation counts as
    /// opened, and count changes are not written at all. The initial evaluation changes a count once per subject and
    /// control (~1.1M times at 100k pods); writing five series each time was most of its cost, and even noting each
    /// change took ~0.1 s at 100k. No count series exists yet, so the index's final counts are all there is to write.
    /// </summary>
    public void BeginInitialEvaluation() => CountTransitions = false;

    /// <summary>Writes the per-namespace counts as the initial evaluation left them, and counts transitions from now on.</summary>
    public void EndInitialEvaluation(FindingsIndex index)
    {
        var controls = index.Controls.ToDictionary(c => c.Id, StringComparer.Ordinal);
        foreach (var ((control, ns), counts) in index.Counts)
        {
            WriteCounts(controls[control], ns, counts);
        }
        CountTransitions = true;
    }

    private string Severity(Control c) =>
        _settings.SeverityOf(c).Label();

    public void CountsChanged(Control control, string ns, FindingCounts counts)
    {
        if (CountTransitions)
        {
            WriteCounts(control, ns, counts);
        }
    }

    private void WriteCounts(Control control, string ns, FindingCounts counts)
    {
        var m = control.Metadata;
        var sev = Severity(control);
        if (counts.IsEmpty)
        {
            _violations.Remove(m.Id, sev, m.Section, m.Category, ns);
            _waived.Remove(m.Id, sev, ns);
            _checked.Remove(m.Id, sev, ns);
            if (ns.Length > 0)
            {
                // Counters outlive the namespace's last subject (so a violation that appeared and vanished
                // between scrapes still reaches Prometheus) and go only with the namespace itself.
                if (_model.Namespace(ns) is null)
                {
                    RemoveCounters(ns, m.Id, sev);
                }
                else
                {
                    Dormant(ns).Add((m.Id, sev));
                }
            }
            return;
        }
        if (_dormantCounters.TryGetValue(ns, out var dormant))
        {
            dormant.Remove((m.Id, sev));
        }
        _violations.Set(counts.Violations, m.Id, sev, m.Section, m.Category, ns);
        _waived.Set(counts.Waived, m.Id, sev, ns);
        _checked.Set(counts.Checked, m.Id, sev, ns);
        // Created at 0 before the first increment, so increase() sees the first violation too.
        _opened.Ensure(m.Id, sev, ns);
        _resolved.Ensure(m.Id, sev, ns);
    }

    private void AddDetail(Finding violation)
    {
        var seen = violation.FirstSeen!.Value.ToUnixTimeMilliseconds() / 1000.0;
        _firstSeen.Set(seen, violation.Control.Metadata.Id, Severity(violation.Control), violation.Namespace, violation.Subject.Key.Kind, violation.Subject.Key.Name);
    }

    private HashSet<(string Control, string Severity)> Dormant(string ns)
    {
        if (!_dormantCounters.TryGetValue(ns, out var set))
        {
            _dormantCounters[ns] = set = [];
        }
        return set;
    }

    private void RemoveCounters(string ns, string control, string severity)
    {
        _opened.Remove(control, severity, ns);
        _resolved.Remove(control, severity, ns);
    }

    public void FindingChanged(Finding? before, Finding? after)
    {
        var f = after ?? before!;
        var m = f.Control.Metadata;
        var sev = Severity(f.Control);
        var was = before?.Status == FindingStatus.Violation;
        var now = after?.Status == FindingStatus.Violation;
        if (!was && now)
        {
            if (CountTransitions)
            {
                _opened.Inc(m.Id, sev, f.Namespace);
            }
            if (_firstSeen.Count < _maxDetailSeries)
            {
                AddDetail(after!);
            }
            else
            {
                // Over the cap: remembered, and exported as soon as another detail series goes away.
                _dropped.Remove(after!);
                _dropped.Add(after!);
                _detailsDropped.Set(_dropped.Count);
            }
        }
        else if (was && now && _dropped.Remove(before!))
        {
            // Still violating (a new message): the newer finding is the one to remember.
            _dropped.Add(after!);
        }
        else if (was && !now)
        {
            if (CountTransitions)
            {
                _resolved.Inc(m.Id, sev, before!.Namespace);
            }
            if (_firstSeen.Remove(m.Id, sev, f.Namespace, f.Subject.Key.Kind, f.Subject.Key.Name))
            {
                if (_dropped.Count > 0)
                {
                    var next = _dropped.First();
                    _dropped.Remove(next);
                    AddDetail(next);
                }
            }
            else
            {
                _dropped.Remove(before!);
            }
            _detailsDropped.Set(_dropped.Count);
        }

        if (before?.Waiver?.Ends is not null && before.Status == FindingStatus.Waived)
        {
            _waiverExpiry.Remove(m.Id, before.Namespace, before.Subject.Key.Kind, before.Subject.Key.Name);
        }
        if (after?.Waiver?.Ends is { } ends && after.Status == FindingStatus.Waived)
        {
            _waiverExpiry.Set(ends.ToUnixTimeSeconds(), m.Id, after.Namespace, after.Subject.Key.Kind, after.Subject.Key.Name);
        }
    }

    public void WaiverProblemChanged(ObjectKey source, string? problem)
    {
        // The count is read from the index by RefreshDerived; nothing per object is exported (the log names it).
    }

    /// <summary>Updates the series derived from the model rather than from findings: control, namespace and cluster-admin info.</summary>
    public void RefreshDerived(FindingsIndex index, ISet<string> changedNamespaces, bool bindingsChanged)
    {
        foreach (var control in index.Controls)
        {
            var m = control.Metadata;
            string[] labels = [m.Id, m.Title, m.Section, m.Category, Severity(control), index.IsApplicable(control) ? "true" : "false"];
            if (_controlInfoSeries.TryGetValue(m.Id, out var old) && old.SequenceEqual(labels))
            {
                continue;
            }
            if (old is not null)
            {
                _controlInfo.Remove(old);
            }
            _controlInfo.Set(1, labels);
            _controlInfoSeries[m.Id] = labels;
        }

        foreach (var ns in changedNamespaces)
        {
            var info = index.Model.Namespace(ns);
            if (info is null && _dormantCounters.Remove(ns, out var dormant))
            {
                foreach (var (control, severity) in dormant)
                {
                    RemoveCounters(ns, control, severity);
                }
            }
            string[]? labels = info is null ? null :
                [ns, info.Labels.GetValueOrDefault("pod-security.kubernetes.io/enforce", ""), .. _namespaceInfoLabels.Select(l => info.Labels.GetValueOrDefault(l, ""))];
            if (_namespaceInfoSeries.TryGetValue(ns, out var old))
            {
                if (labels is not null && old.SequenceEqual(labels))
                {
                    continue;
                }
                _namespaceInfo.Remove(old);
                _namespaceInfoSeries.Remove(ns);
            }
            if (labels is not null)
            {
                _namespaceInfo.Set(1, labels);
                _namespaceInfoSeries[ns] = labels;
            }
        }

        if (bindingsChanged)
        {
            var current = new HashSet<string[]>(LabelsComparer.Instance);
            var bindings = index.Model.OfKind<BindingInfo>(Kinds.ClusterRoleBinding).Concat(index.Model.OfKind<BindingInfo>(Kinds.RoleBinding));
            foreach (var b in bindings.Where(ClusterAdminBindingControl.GrantsClusterAdmin))
            {
                foreach (var s in b.Subjects)
                {
                    current.Add([b.Key.Kind, b.Key.Name, b.Key.Namespace, s.Kind, s.Name, s.Namespace,
                        ClusterAdminBindingControl.IsExpected(s, _settings) ? "true" : "false"]);
                }
            }
            foreach (var gone in _clusterAdminSeries.Except(current, LabelsComparer.Instance))
            {
                _clusterAdmin.Remove(gone);
            }
            foreach (var labels in current)
            {
                _clusterAdmin.Set(1, labels);
            }
            _clusterAdminSeries = current;
        }
    }

    /// <summary>Findings as detail series: one per control and subject.</summary>
    private sealed class DetailComparer : IEqualityComparer<Finding>
    {
        public static readonly DetailComparer Instance = new();
        public bool Equals(Finding? x, Finding? y) => x is not null && y is not null && ReferenceEquals(x.Control, y.Control) && x.Subject == y.Subject;
        public int GetHashCode(Finding f) => HashCode.Combine(f.Control.Metadata.Id, f.Subject);
    }

    private sealed class LabelsComparer : IEqualityComparer<string[]>
    {
        public static readonly LabelsComparer Instance = new();
        public bool Equals(string[]? x, string[]? y) => x is not null && y is not null && x.SequenceEqual(y);
        public int GetHashCode(string[] obj)
        {
            var h = new HashCode();
            foreach (var s in obj)
            {
                h.Add(s);
            }
            return h.ToHashCode();
        }
    }
}
