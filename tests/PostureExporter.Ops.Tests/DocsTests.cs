using System.Text.RegularExpressions;
using PostureExporter.Ops.Tests.Support;

namespace PostureExporter.Ops.Tests;

/// <summary>docs/operations.md and the runbooks: their links resolve and every alert is documented.</summary>
public sealed partial class DocsTests
{
    public static TheoryData<string> Documents() =>
        [Path.Combine("docs", "operations.md"), "README.md", .. Directory.GetFiles(Repo.File("docs", "runbooks"), "*.md").Select(f => Path.GetRelativePath(Repo.Root, f))];

    [Theory]
    [MemberData(nameof(Documents))]
    public void Document_RelativeLinksResolve(string document)
    {
        var broken = new List<string>();
        foreach (Match m in Link().Matches(Repo.ReadAllText(document)))
        {
            var target = m.Groups["path"].Value;
            if (target.StartsWith("http", StringComparison.Ordinal) || target.Length == 0)
            {
                continue;
            }
            var file = Path.GetFullPath(Path.Combine(Repo.Root, Path.GetDirectoryName(document)!, target));
            if (!File.Exists(file) && !Directory.Exists(file))
            {
                broken.Add(target);
                continue;
            }
            if (m.Groups["anchor"].Success && !Anchors(File.ReadAllText(file)).Contains(m.Groups["anchor"].Value))
            {
                broken.Add(target + "#" + m.Groups["anchor"].Value);
            }
        }

        Assert.True(broken.Count == 0, $"{document}: broken links: " + string.Join(", ", broken));
    }

    [Fact]
    public void Operations_DocumentsEveryAlert()
    {
        var text = Repo.ReadAllText("docs", "operations.md");

        var missing = AlertRulesTests.AlertNames().Where(a => !text.Contains($"`{a}`", StringComparison.Ordinal)).ToList();

        Assert.True(missing.Count == 0, "alerts missing from docs/operations.md: " + string.Join(", ", missing));
    }

    /// <summary>GitHub's heading anchors: lower case, spaces to hyphens, punctuation dropped.</summary>
    private static HashSet<string> Anchors(string markdown) =>
        Heading().Matches(markdown)
            .Select(h => Punctuation().Replace(h.Groups[1].Value.Trim().ToLowerInvariant(), "").Replace(' ', '-'))
            .ToHashSet(StringComparer.Ordinal);

    [GeneratedRegex(@"\]\((?<path>[^)#\s]*)(#(?<anchor>[^)\s]+))?\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"^#+ (.+)$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    [GeneratedRegex(@"[^a-z0-9 _-]")]
    private static partial Regex Punctuation();
}
