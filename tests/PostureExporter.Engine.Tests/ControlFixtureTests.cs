using System.Text.RegularExpressions;
using PostureExporter.Engine.Controls;
using PostureExporter.Engine.Findings;
using PostureExporter.Engine.Manifests;

namespace PostureExporter.Engine.Tests;

/// <summary>
/// The generic runner over <c>Fixtures/&lt;control-id&gt;/pass.*.yaml|fail.*.yaml</c>. A fail fixture must give
/// the control at least one violation; a pass fixture must give it at least one checked finding (so a pass is
/// never vacuous) and no violation. Leading <c># expect: &lt;Kind&gt;/&lt;ns&gt;/&lt;name&gt; violation|pass|waived|none</c>
/// comments pin the verdict on a named subject, and <c># settings: &lt;name&gt;=&lt;value&gt;</c> comments evaluate the
/// fixture under settings other than the defaults (see <see cref="SettingsFor"/>).
/// </summary>
public sealed partial class ControlFixtureTests
{
    public static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public static string FixtureRoot => Path.Combine(AppContext.BaseDirectory, "Fixtures");

    /// <summary>Fixture paths relative to the fixture root, e.g. container-privileged/fail.privileged.yaml.</summary>
    public static List<string> FixturePaths() =>
        Directory.EnumerateFiles(FixtureRoot, "*.yaml", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(FixtureRoot, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();

    public static TheoryData<string> FixtureFiles() => new(FixturePaths());

    [Theory]
    [MemberData(nameof(FixtureFiles))]
    public void Fixture_Evaluated_MatchesItsExpectation(string fixture)
    {
        // Arrange
        var path = Path.Combine(FixtureRoot, fixture);
        var controlId = fixture.Split('/')[0];
        var fileName = Path.GetFileName(fixture);
        var expectFail = fileName.StartsWith("fail.", StringComparison.Ordinal);
        Assert.True(expectFail || fileName.StartsWith("pass.", StringComparison.Ordinal), $"{fixture}: name must start with pass. or fail.");
        Assert.NotNull(ControlCatalog.Find(controlId));
        var set = ManifestReader.ReadPaths([path]);
        Assert.Empty(set.IgnoredKinds);

        // Act
        var index = Evaluation.FromObjects(set.Objects, SettingsFor(path), Now);
        var findings = index.All.Where(f => f.Control.Id == controlId).ToList();

        // Assert
        var summary = string.Join("\n", findings.Select(f => $"  {f.Subject.Key} {f.Status} {f.Message}"));
        if (expectFail)
        {
            Assert.True(findings.Any(f => f.Status == FindingStatus.Violation), $"{fixture}: expected a violation of {controlId}, got:\n{summary}");
        }
        else
        {
            Assert.True(findings.Count > 0, $"{fixture}: {controlId} checked nothing, so the pass proves nothing");
            Assert.True(findings.All(f => f.Status != FindingStatus.Violation), $"{fixture}: expected no violation of {controlId}, got:\n{summary}");
        }
        foreach (var (subject, status) in Expectations(path))
        {
            var matching = findings.Where(f => f.Subject.Key.ToString() == subject).ToList();
            if (status == "none")
            {
                Assert.True(matching.Count == 0, $"{fixture}: expected no {controlId} finding on {subject}, got:\n{summary}");
            }
            else
            {
                Assert.True(
                    matching.Count == 1 && string.Equals(matching[0].Status.ToString(), status, StringComparison.OrdinalIgnoreCase),
                    $"{fixture}: expected {subject} {status}, got:\n{summary}");
            }
        }
    }

    [Fact]
    public void Catalog_EveryControl_HasTwoPassAndTwoFailFixtures()
    {
        // Arrange
        var files = FixturePaths();

        // Act
        // At least two of each, so that one fixture is the plain case and another a hard one.
        var missing = ControlCatalog.All
            .Where(c => files.Count(f => f.StartsWith(c.Id + "/pass.", StringComparison.Ordinal)) < 2
                || files.Count(f => f.StartsWith(c.Id + "/fail.", StringComparison.Ordinal)) < 2)
            .Select(c => c.Id)
            .ToList();
        var orphans = Directory.EnumerateDirectories(FixtureRoot)
            .Select(d => Path.GetFileName(d))
            .Where(d => ControlCatalog.Find(d!) is null)
            .ToList();

        // Assert
        Assert.True(missing.Count == 0, $"controls without two pass and two fail fixtures: {string.Join(", ", missing)}");
        Assert.True(orphans.Count == 0, $"fixture folders for no control: {string.Join(", ", orphans)}");
    }

    [Fact]
    public void Catalog_Ids_AreUniqueAndKebabCase()
    {
        // Arrange
        var ids = ControlCatalog.All.Select(c => c.Id).ToList();

        // Act
        var duplicates = ids.GroupBy(i => i).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        var badlyNamed = ids.Where(i => !KebabCase().IsMatch(i)).ToList();

        // Assert
        Assert.NotEmpty(ids);
        Assert.Empty(duplicates);
        Assert.Empty(badlyNamed);
    }

    [Fact]
    public void Catalog_EveryControl_HasCompleteMetadata()
    {
        // Arrange
        string[] sections = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "audit"];
        string[] categories = ["container-escape", "lateral-movement", "credential-theft", "supply-chain", "exposure", "resource-exhaustion"];

        foreach (var control in ControlCatalog.All)
        {
            // Act
            var m = control.Metadata;

            // Assert
            Assert.False(string.IsNullOrWhiteSpace(m.Title), $"{m.Id}: title");
            Assert.False(string.IsNullOrWhiteSpace(m.Rationale), $"{m.Id}: rationale");
            Assert.False(string.IsNullOrWhiteSpace(m.Remediation), $"{m.Id}: remediation");
            Assert.Contains(m.Section, sections);
            Assert.Contains(m.Category, categories);
            Assert.True(Enum.IsDefined(m.Severity), $"{m.Id}: severity");
            Assert.Equal(m.Id, control.Id);
        }
    }

    private static IEnumerable<(string Subject, string Status)> Expectations(string path)
    {
        foreach (var line in HeaderComments(path))
        {
            var m = ExpectLine().Match(line);
            if (m.Success)
            {
                yield return (m.Groups[1].Value, m.Groups[2].Value);
            }
        }
    }

    /// <summary>
    /// The settings a fixture is evaluated under: the defaults, changed by its <c># settings: name=value</c> lines.
    /// Names: apiServerVersion, allowedRegistries (comma-separated), kubeletMaxMinorSkew, requireCpuLimits,
    /// productionSelector, credentialEnvPattern, systemNamespaces (comma-separated).
    /// </summary>
    public static PostureSettings SettingsFor(string path)
    {
        var settings = PostureSettings.Default;
        foreach (var line in HeaderComments(path))
        {
            var m = SettingsLine().Match(line);
            if (!m.Success)
            {
                continue;
            }
            var value = m.Groups[2].Value.Trim();
            var list = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            settings = m.Groups[1].Value switch
            {
                "apiServerVersion" => settings with { ApiServerVersion = value },
                "allowedRegistries" => settings with { AllowedRegistries = [.. list] },
                "kubeletMaxMinorSkew" => settings with { KubeletMaxMinorSkew = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture) },
                "requireCpuLimits" => settings with { RequireCpuLimits = bool.Parse(value) },
                "productionSelector" => settings with { ProductionSelector = Model.LabelSelector.Parse(value) },
                "credentialEnvPattern" => settings with { CredentialEnvPattern = new Regex(value, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant) },
                "systemNamespaces" => settings with { SystemNamespaces = [.. list] },
                var other => throw new InvalidOperationException($"{path}: unknown fixture setting {other}"),
            };
        }
        return settings;
    }

    private static IEnumerable<string> HeaderComments(string path) => File.ReadLines(path).TakeWhile(l => l.StartsWith('#'));

    [GeneratedRegex(@"^#\s*expect:\s*(\S+)\s+(violation|pass|waived|none)\s*$")]
    private static partial Regex ExpectLine();

    [GeneratedRegex(@"^#\s*settings:\s*([A-Za-z]+)\s*=(.*)$")]
    private static partial Regex SettingsLine();

    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*$")]
    private static partial Regex KebabCase();
}
