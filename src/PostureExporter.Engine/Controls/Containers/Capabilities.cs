namespace PostureExporter.Engine.Controls.Containers;

/// <summary>
/// Linux capability names as container runtimes read them: case-insensitively, with or without the CAP_ prefix
/// (containerd and CRI-O both accept "net_admin", "NET_ADMIN" and "CAP_NET_ADMIN").
/// </summary>
public static class Capabilities
{
    public const string All = "ALL";

    public static string Normalize(string name)
    {
        var upper = name.Trim().ToUpperInvariant();
        return upper.StartsWith("CAP_", StringComparison.Ordinal) ? upper[4..] : upper;
    }
}
