namespace PostureExporter.Engine.Tests;

/// <summary>Where the repository and the shared folder beside it are, found from the test binaries.</summary>
internal static class RepoPaths
{
    /// <summary>The folder holding PostureExporter.sln, found by walking up from the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>
    /// The shared folder beside the clone (SPEC.md, the conformance corpus). CI checks it out there; a missing one is a
    /// failure that says so, never a skip.
    /// </summary>
    public static string Shared
    {
        get
        {
            var shared = Path.GetFullPath(Path.Combine(Root, "..", "shared"));
            if (!Directory.Exists(shared) && OriginFolder() is { } origin)
            {
                // A throw-away clone (CI clones into a temporary folder): the shared folder beside the repository
                // it was cloned from.
                shared = Path.GetFullPath(Path.Combine(origin, "..", "shared"));
            }
            Assert.True(Directory.Exists(shared),
                $"{shared} is missing: the tests read SPEC.md and the conformance corpus from the folder 'shared' beside the repository (../shared from {Root}, or from the repository it was cloned from).");
            return shared;
        }
    }

    /// <summary>The origin remote of this clone when it is a folder on this machine.</summary>
    private static string? OriginFolder()
    {
        var config = Path.Combine(Root, ".git", "config");
        if (!File.Exists(config))
        {
            return null;
        }
        var inOrigin = false;
        foreach (var raw in File.ReadLines(config))
        {
            var line = raw.Trim();
            if (line.StartsWith('['))
            {
                inOrigin = line == "[remote \"origin\"]";
            }
            else if (inOrigin && line.StartsWith("url", StringComparison.Ordinal) && line.IndexOf('=', StringComparison.Ordinal) is var eq and > 0)
            {
                var url = line[(eq + 1)..].Trim();
                return Directory.Exists(url) ? url : null;
            }
        }
        return null;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PostureExporter.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"no PostureExporter.sln above {AppContext.BaseDirectory}");
    }
}
