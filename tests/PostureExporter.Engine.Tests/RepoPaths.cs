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
            Assert.True(Directory.Exists(shared),
                $"{shared} is missing: the tests read SPEC.md and the conformance corpus from the folder 'shared' beside the repository (../shared from {Root}).");
            return shared;
        }
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
