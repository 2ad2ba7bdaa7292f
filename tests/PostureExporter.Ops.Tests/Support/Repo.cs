namespace PostureExporter.Ops.Tests.Support;

/// <summary>Paths in the repository checkout the tests were built from.</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string File(params string[] parts) => Path.Combine([Root, .. parts]);

    public static string ReadAllText(params string[] parts) => System.IO.File.ReadAllText(File(parts));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "PostureExporter.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("no PostureExporter.sln above " + AppContext.BaseDirectory);
    }
}
