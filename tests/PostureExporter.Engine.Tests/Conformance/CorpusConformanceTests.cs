using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;
using PostureExporter.Engine.Controls;
using PostureExporter.Engine.Findings;
using PostureExporter.Engine.Manifests;
using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Tests.Conformance;

/// <summary>
/// Conformance against the shared corpus of other scanners' fixtures (../shared/corpus beside the clone, read in
/// place, never copied). Every MANIFEST.tsv row for a SPEC control is evaluated by the engine and our verdict for
/// that control is compared: rows where upstream and a mechanical reading of SPEC agree must match it; every other
/// row must match the verdict this project decided, with its reason, in Conformance/decisions.tsv.
/// </summary>
public sealed class CorpusConformanceTests
{
    /// <summary>In the corpus for reference only: not a SPEC control.</summary>
    private const string NotOurs = "container-resource-requests";

    private const string Regenerate = "UPDATE_DOCS=1 dotnet test tests/PostureExporter.Engine.Tests --filter CorpusConformance";
    private const string CountsBegin = "<!-- conformance-counts:begin (written by CorpusConformanceTests) -->";
    private const string CountsEnd = "<!-- conformance-counts:end -->";

    private static string Corpus => Path.Combine(RepoPaths.Shared, "corpus");

    private static string DecisionsPath => Path.Combine(RepoPaths.Root, "tests", "PostureExporter.Engine.Tests", "Conformance", "decisions.tsv");

    /// <summary>One MANIFEST.tsv row.</summary>
    public sealed record ManifestRow(string Source, string UpstreamCheck, string Control, string Expected, string File, string Notes, string OursExpected, string Agree)
    {
        public bool CaseLevel => Source == "regolibrary" && Notes.Contains("CASE-LEVEL", StringComparison.Ordinal);
    }

    /// <summary>One decisions.tsv row: what we expect for a row upstream and SPEC's mechanical reading do not settle.</summary>
    public sealed record Decision(string File, string Control, string Expected, string Reason);

    public sealed record Outcome(ManifestRow Row, string Ours, string Detail);

    public static List<ManifestRow> ReadManifest()
    {
        var lines = File.ReadAllLines(Path.Combine(Corpus, "MANIFEST.tsv"));
        var header = lines[0].Split('\t').Select((name, i) => (name, i)).ToDictionary(x => x.name, x => x.i);
        string[] required = ["source", "upstream_check", "our_control_id", "expected", "file", "notes", "ours_expected", "agree"];
        Assert.True(required.All(header.ContainsKey), $"MANIFEST.tsv header lacks one of {string.Join(", ", required)}: {lines[0]}");
        return lines.Skip(1)
            .Where(l => l.Length > 0)
            .Select(l => l.Split('\t'))
            .Select(c => new ManifestRow(c[header["source"]], c[header["upstream_check"]], c[header["our_control_id"]], c[header["expected"]],
                c[header["file"]], c[header["notes"]], c[header["ours_expected"]], c[header["agree"]]))
            .ToList();
    }

    public static Dictionary<(string File, string Control), Decision> ReadDecisions()
    {
        var lines = File.ReadAllLines(DecisionsPath);
        Assert.Equal("file\tcontrol\texpected\treason", lines[0]);
        var decisions = new Dictionary<(string, string), Decision>();
        foreach (var (line, number) in lines.Skip(1).Select((l, i) => (l, i + 2)).Where(x => x.l.Length > 0))
        {
            var c = line.Split('\t');
            Assert.True(c.Length == 4 && c[2] is "pass" or "fail" or "n/a" && c[3].Trim().Length > 0,
                $"decisions.tsv:{number}: want file, control, expected (pass|fail|n/a) and a reason, tab-separated: {line}");
            Assert.True(decisions.TryAdd((c[0], c[1]), new Decision(c[0], c[1], c[2], c[3])), $"decisions.tsv:{number}: duplicate row for {c[0]} {c[1]}");
        }
        return decisions;
    }

    /// <summary>Evaluates every row for a SPEC control; the order is MANIFEST's.</summary>
    public static List<Outcome> EvaluateAll(IEnumerable<ManifestRow> rows)
    {
        var cache = new Dictionary<(string Input, string Control, string Settings), (string, string)>();
        var outcomes = new List<Outcome>();
        foreach (var row in rows)
        {
            var input = row.CaseLevel ? Path.GetDirectoryName(row.File)! : row.File;
            var settings = SettingsFor(row);
            var key = (input, row.Control, string.Join(",", settings.AllowedRegistries));
            if (!cache.TryGetValue(key, out var verdict))
            {
                cache[key] = verdict = Verdict(Path.Combine(Corpus, input), row.Control, settings);
            }
            outcomes.Add(new Outcome(row, verdict.Item1, verdict.Item2));
        }
        return outcomes;
    }

    /// <summary>
    /// The settings a row is evaluated under: the defaults, except that an upstream allow-list of image registries
    /// (regolibrary's imageRepositoryAllowList in the case's data.json) becomes allowedRegistries. Other upstream
    /// configuration (resource bounds, value patterns, digest exemptions, block-lists) has no SPEC equivalent.
    /// </summary>
    public static PostureSettings SettingsFor(ManifestRow row)
    {
        const string Marker = "needs upstream config: ";
        var at = row.Notes.IndexOf(Marker, StringComparison.Ordinal);
        if (at < 0)
        {
            return PostureSettings.Default;
        }
        var relative = row.Notes[(at + Marker.Length)..].Split(';')[0].Trim();
        var path = Path.Combine(Corpus, row.Source, relative);
        Assert.True(File.Exists(path), $"{row.File}: the configuration its notes name is missing: {path}");
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        if (json.RootElement.TryGetProperty("postureControlInputs", out var inputs)
            && inputs.TryGetProperty("imageRepositoryAllowList", out var allow))
        {
            return PostureSettings.Default with { AllowedRegistries = [.. allow.EnumerateArray().Select(e => e.GetString()!)] };
        }
        return PostureSettings.Default;
    }

    /// <summary>
    /// Our verdict for one control on one input set: fail when it has a violation (waived or not), pass when it
    /// checked a subject and found none, n/a when it checked nothing.
    /// </summary>
    private static (string Verdict, string Detail) Verdict(string input, string controlId, PostureSettings settings)
    {
        ManifestSet set;
        try
        {
            set = ManifestReader.ReadPaths([input]);
        }
        catch (ManifestException e)
        {
            return ("unreadable", e.Message);
        }
        var index = Evaluation.FromObjects(AsApplied(set.Objects), settings, ControlFixtureTests.Now);
        var findings = index.All.Where(f => f.Control.Id == controlId).ToList();
        var detail = string.Join("; ", findings.Select(f => $"{f.Subject.Key} {f.Status}{(f.Message.Length > 0 ? ": " + f.Message : "")}"));
        var verdict = findings.Count == 0 ? "n/a" : findings.Any(f => f.Status != FindingStatus.Pass) ? "fail" : "pass";
        return (verdict, detail);
    }

    /// <summary>
    /// The objects as the cluster would hold them after <c>kubectl apply -f</c>: a namespaced object without a
    /// namespace lands in "default", and every namespace an object lives in exists (unlabelled, if the files do not
    /// define it), so namespace controls judge the namespaces the fixture implies.
    /// </summary>
    public static List<IKubernetesObject<V1ObjectMeta>> AsApplied(IEnumerable<IKubernetesObject<V1ObjectMeta>> objects)
    {
        var list = objects.ToList();
        var namespaced = new HashSet<string>(StringComparer.Ordinal);
        foreach (var o in list)
        {
            var kind = o.Kind ?? o.GetType().Name[2..];
            if (Kinds.ClusterScoped.Contains(kind))
            {
                continue;
            }
            o.Metadata ??= new V1ObjectMeta();
            if (string.IsNullOrEmpty(o.Metadata.NamespaceProperty))
            {
                o.Metadata.NamespaceProperty = "default";
            }
            namespaced.Add(o.Metadata.NamespaceProperty);
        }
        var defined = list.OfType<V1Namespace>().Select(n => n.Metadata?.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var ns in namespaced.Where(ns => !defined.Contains(ns)).Order(StringComparer.Ordinal))
        {
            list.Add(new V1Namespace { ApiVersion = "v1", Kind = Kinds.Namespace, Metadata = new V1ObjectMeta { Name = ns } });
        }
        return list;
    }

    /// <summary>Tallies for docs/conformance.md.</summary>
    public sealed record Counts(int Rows, int Skipped, int Evaluated, int AgreedMatched, int DecidedNo, int DecidedUnclear, int DecidedNotApplicable, int NotApplicable)
    {
        public int Decided => DecidedNo + DecidedUnclear + DecidedNotApplicable;

        public string Render() =>
            $"""
            | rows | count |
            |---|---|
            | MANIFEST.tsv rows | {Rows} |
            | skipped (`{NotOurs}`, not a SPEC control) | {Skipped} |
            | evaluated (SPEC controls) | {Evaluated} |
            | agree=yes, our verdict matches ours_expected | {AgreedMatched} |
            | decided by us (decisions.tsv) | {Decided} |
            | … of which agree=NO | {DecidedNo} |
            | … of which agree=unclear | {DecidedUnclear} |
            | … of which agree=n/a where we give a verdict | {DecidedNotApplicable} |
            | n/a (no subject for the control, and we agree) | {NotApplicable} |

            """;
    }

    [Fact]
    public void CorpusConformance_EveryManifestRow_MatchesAgreedOrDecidedVerdict()
    {
        // Arrange
        var all = ReadManifest();
        var rows = all.Where(r => r.Control != NotOurs).ToList();
        var decisions = ReadDecisions();

        // Act
        var outcomes = EvaluateAll(rows);

        // Assert
        var problems = new List<string>();
        var undecided = new List<string>();
        var used = new HashSet<(string, string)>();
        int agreedMatched = 0, decidedNo = 0, decidedUnclear = 0, decidedNa = 0, notApplicable = 0;
        foreach (var (row, ours, detail) in outcomes)
        {
            if (ControlCatalog.Find(row.Control) is null)
            {
                problems.Add($"{row.File}: {row.Control} is not a control of this project");
                continue;
            }
            var key = (row.File, row.Control);
            if (row.Agree == "yes")
            {
                if (ours == row.OursExpected)
                {
                    agreedMatched++;
                }
                else
                {
                    problems.Add($"{row.File} [{row.Control}]: agreed verdict {row.OursExpected}, ours {ours} ({detail})");
                }
                if (decisions.ContainsKey(key))
                {
                    problems.Add($"{row.File} [{row.Control}]: agree=yes rows are settled; remove its line from decisions.tsv");
                }
                continue;
            }
            if (row.Agree == "n/a" && row.OursExpected == "n/a" && ours == "n/a" && !decisions.ContainsKey(key))
            {
                notApplicable++;
                continue;
            }
            if (!decisions.TryGetValue(key, out var decision))
            {
                undecided.Add($"{row.File}\t{row.Control}\t{ours}\tTODO (agree={row.Agree}, ours_expected={row.OursExpected}, upstream={row.Expected}: {detail})");
                continue;
            }
            used.Add(key);
            if (decision.Expected != ours)
            {
                problems.Add($"{row.File} [{row.Control}]: decided {decision.Expected} ({decision.Reason}), ours {ours} ({detail})");
                continue;
            }
            switch (row.Agree)
            {
                case "NO": decidedNo++; break;
                case "unclear": decidedUnclear++; break;
                default: decidedNa++; break;
            }
        }
        var stale = decisions.Keys.Where(k => !used.Contains(k)).Select(k => $"{k.File} [{k.Control}]").ToList();
        var counts = new Counts(all.Count, all.Count - rows.Count, rows.Count, agreedMatched, decidedNo, decidedUnclear, decidedNa, notApplicable);

        Assert.True(problems.Count == 0, $"{problems.Count} corpus rows disagree:\n  {string.Join("\n  ", problems)}");
        Assert.True(undecided.Count == 0, $"{undecided.Count} rows need a decision in {DecisionsPath} (our verdict shown; check it against SPEC and give the reason):\n{string.Join("\n", undecided)}");
        Assert.True(stale.Count == 0, $"decisions.tsv has lines for rows that need none or do not exist:\n  {string.Join("\n  ", stale)}");
        Assert.Equal(counts.Evaluated, counts.AgreedMatched + counts.Decided + counts.NotApplicable);
        CheckCountsInDocs(counts);
    }

    private static void CheckCountsInDocs(Counts counts)
    {
        var path = Path.Combine(RepoPaths.Root, "docs", "conformance.md");
        var text = File.Exists(path) ? File.ReadAllText(path).ReplaceLineEndings("\n") : "";
        var begin = text.IndexOf(CountsBegin, StringComparison.Ordinal);
        var end = text.IndexOf(CountsEnd, StringComparison.Ordinal);
        Assert.True(begin >= 0 && end > begin, $"docs/conformance.md lacks the markers {CountsBegin} … {CountsEnd}");
        var expected = CountsBegin + "\n" + counts.Render();
        if (Environment.GetEnvironmentVariable("UPDATE_DOCS") == "1")
        {
            text = text[..begin] + expected + text[end..];
            File.WriteAllText(path, text);
            begin = text.IndexOf(CountsBegin, StringComparison.Ordinal);
            end = text.IndexOf(CountsEnd, StringComparison.Ordinal);
        }
        Assert.True(text[begin..end] == expected, $"docs/conformance.md's counts are out of date; regenerate with: {Regenerate}\n{counts.Render()}");
    }
}
