namespace PostureExporter.Engine.Model;

/// <summary>
/// An image reference read by the distribution reference grammar: the first path component is a registry only
/// if it contains '.' or ':' or is "localhost"; a ':' inside the registry is a port, not a tag; a bare name is
/// on docker.io (official images under library/).
/// </summary>
public sealed partial record ImageReference(string Registry, string Repository, string? Tag, string? Digest)
{
    public const string DockerHub = "docker.io";

    /// <summary>
    /// Whether the image is pinned to content: it has a digest, and the digest is well formed. A malformed digest
    /// (sha256:abc, upper-case hex) pins nothing: the runtime cannot resolve the reference at all.
    /// </summary>
    public bool IsPinned => Digest is not null && IsValidDigest(Digest);

    /// <summary>
    /// A digest as the OCI image spec and the distribution reference grammar define it: algorithm ":" encoded, where
    /// sha256 and blake3 need 64 and sha512 128 lower-case hex digits, and another algorithm at least 32 hex digits.
    /// </summary>
    public static bool IsValidDigest(string digest)
    {
        var colon = digest.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !DigestAlgorithm().IsMatch(digest[..colon]))
        {
            return false;
        }
        var encoded = digest[(colon + 1)..];
        return digest[..colon] switch
        {
            "sha256" or "blake3" => encoded.Length == 64 && LowerHex().IsMatch(encoded),
            "sha512" => encoded.Length == 128 && LowerHex().IsMatch(encoded),
            _ => encoded.Length >= 32 && AnyHex().IsMatch(encoded),
        };
    }

    /// <summary>
    /// A registry host as references compare it: host names are case-insensitive, and index.docker.io is the legacy
    /// name of docker.io.
    /// </summary>
    public static string NormalizeRegistry(string registry)
    {
        var lower = registry.Trim().ToLowerInvariant();
        return lower == "index.docker.io" ? DockerHub : lower;
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[a-z0-9]+(?:[+._-][a-z0-9]+)*$")]
    private static partial System.Text.RegularExpressions.Regex DigestAlgorithm();

    [System.Text.RegularExpressions.GeneratedRegex("^[a-f0-9]+$")]
    private static partial System.Text.RegularExpressions.Regex LowerHex();

    [System.Text.RegularExpressions.GeneratedRegex("^[a-fA-F0-9]+$")]
    private static partial System.Text.RegularExpressions.Regex AnyHex();

    public static ImageReference Parse(string image)
    {
        var rest = image.Trim();
        string? digest = null;
        var at = rest.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            digest = rest[(at + 1)..];
            rest = rest[..at];
        }

        var registry = DockerHub;
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0)
        {
            var first = rest[..slash];
            if (first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost")
            {
                registry = first;
                rest = rest[(slash + 1)..];
            }
        }

        string? tag = null;
        // A tag can only follow the last path component, so a ':' before the last '/' is not one.
        var colon = rest.LastIndexOf(':');
        if (colon > rest.LastIndexOf('/'))
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
        }
        if (registry == DockerHub && !rest.Contains('/', StringComparison.Ordinal))
        {
            rest = "library/" + rest;
        }
        return new ImageReference(registry, rest, string.IsNullOrEmpty(tag) ? null : tag, string.IsNullOrEmpty(digest) ? null : digest);
    }
}
