using System.Text.RegularExpressions;
using PostureExporter.Engine.Controls;

namespace PostureExporter.Engine.Tests;

/// <summary>
/// The catalogue is the single source of the controls' documentation: docs/controls.md and README's table are
/// generated from it, and the catalogue itself must match SPEC.md's table.
/// </summary>
public sealed partial class ControlDocsTests
{
    private const string Regenerate = "UPDATE_DOCS=1 dotnet test tests/PostureExporter.Engine.Tests --filter ControlDocs";
    private const string ReadmeBegin = "<!-- controls-table:begin (generated from the catalogue; see docs/controls.md) -->";
    private const string ReadmeEnd = "<!-- controls-table:end -->";

    private static bool Update => Environment.GetEnvironmentVariable("UPDATE_DOCS") == "1";

    [Fact]
    public void ControlDocs_DocsControlsMd_MatchesTheCatalogue()
    {
        // Arrange
        var path = Path.Combine(RepoPaths.Root, "docs", "controls.md");
        var expected = ControlCatalog.RenderMarkdown();
        if (Update)
        {
            File.WriteAllText(path, expected);
        }

        // Act
        var actual = File.Exists(path) ? File.ReadAllText(path).ReplaceLineEndings("\n") : "";

        // Assert
        Assert.True(actual == expected, $"docs/controls.md differs from the control catalogue; regenerate it with: {Regenerate}");
    }

    [Fact]
    public void ControlDocs_ReadmeControlsTable_MatchesTheCatalogue()
    {
        // Arrange
        var path = Path.Combine(RepoPaths.Root, "README.md");
        var readme = File.ReadAllText(path).ReplaceLineEndings("\n");
        var begin = readme.IndexOf(ReadmeBegin, StringComparison.Ordinal);
        var end = readme.IndexOf(ReadmeEnd, StringComparison.Ordinal);
        Assert.True(begin >= 0 && end > begin, $"README.md lacks the markers {ReadmeBegin} … {ReadmeEnd} around its Controls table");
        var expected = ReadmeBegin + "\n" + ControlCatalog.RenderSummaryTable("docs/controls.md");
        if (Update)
        {
            readme = readme[..begin] + expected + readme[end..];
            File.WriteAllText(path, readme);
            begin = readme.IndexOf(ReadmeBegin, StringComparison.Ordinal);
            end = readme.IndexOf(ReadmeEnd, StringComparison.Ordinal);
        }

        // Act
        var actual = readme[begin..end];

        // Assert
        Assert.True(actual == expected, $"README.md's Controls table differs from the control catalogue; regenerate it with: {Regenerate}");
    }

    [Fact]
    public void ControlDocs_RenderedMarkdown_HasAnEntryAndARowPerControl()
    {
        // Act
        var markdown = ControlCatalog.RenderMarkdown();

        // Assert
        foreach (var c in ControlCatalog.All)
        {
            Assert.Contains($"\n## {c.Id}\n", markdown, StringComparison.Ordinal);
            Assert.Contains($"| [{c.Id}](#{c.Id}) | {c.Metadata.Section} | {c.Metadata.Category} | {c.Metadata.Severity.Label()} |", markdown, StringComparison.Ordinal);
            Assert.Contains(c.Metadata.Rationale, markdown, StringComparison.Ordinal);
            Assert.Contains(c.Metadata.Remediation, markdown, StringComparison.Ordinal);
        }
    }

    /// <summary>SPEC.md's catalogue table: every id in it is a control here with the same section, category and severity, and no other.</summary>
    [Fact]
    public void Catalog_ComparedWithSpecTable_SameIdsSectionsCategoriesAndSeverities()
    {
        // Arrange
        var spec = File.ReadAllLines(Path.Combine(RepoPaths.Shared, "SPEC.md"));
        var rows = spec
            .Select(l => SpecRow().Match(l))
            .Where(m => m.Success)
            .ToDictionary(m => m.Groups["id"].Value, m => (Section: m.Groups["section"].Value, Category: m.Groups["category"].Value, Severity: m.Groups["severity"].Value));

        // Act
        var ours = ControlCatalog.All.ToDictionary(c => c.Id, c => (c.Metadata.Section, c.Metadata.Category, Severity: c.Metadata.Severity.Label()));

        // Assert
        Assert.True(rows.Count >= 30, $"could not read SPEC.md's catalogue table (found {rows.Count} rows)");
        Assert.Equal(rows.Keys.Order(StringComparer.Ordinal), ours.Keys.Order(StringComparer.Ordinal));
        foreach (var (id, row) in rows)
        {
            Assert.True(ours[id] == row, $"{id}: SPEC says {row}, the catalogue says {ours[id]}");
        }
    }

    [Fact]
    public void Catalog_EveryControl_HasAViolationLine()
    {
        foreach (var c in ControlCatalog.All)
        {
            // Assert: one line, no trailing period (the docs add it), no table-breaking characters.
            Assert.False(string.IsNullOrWhiteSpace(c.Metadata.Violation), $"{c.Id}: Violation");
            Assert.DoesNotContain('\n', c.Metadata.Violation);
            Assert.False(c.Metadata.Violation.EndsWith('.'), $"{c.Id}: Violation ends with a period");
            Assert.NotEmpty(c.Metadata.References);
        }
    }

    [GeneratedRegex(@"^\|\s*(?<id>[a-z0-9-]+)\s*\|\s*(?<section>[0-9]|audit)\s*\|\s*(?<category>[a-z-]+)\s*\|\s*(?<severity>critical|high|medium|low)\s*\|\s*[12]\s*\|")]
    private static partial Regex SpecRow();
}
