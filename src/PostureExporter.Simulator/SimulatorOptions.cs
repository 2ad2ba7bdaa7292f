namespace PostureExporter.Simulator;

/// <summary>Settings of a <see cref="SimulatedCluster"/>.</summary>
public sealed class SimulatorOptions
{
    /// <summary>host:port to listen on; only loopback hosts are accepted. Port 0 picks a free port.</summary>
    public string Listen { get; set; } = "127.0.0.1:0";

    /// <summary>How often open watches that asked for bookmarks get a heartbeat BOOKMARK. <see cref="TimeSpan.Zero"/> turns them off.</summary>
    public TimeSpan BookmarkInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Served at /version; kubectl reads major/minor from it.</summary>
    public string GitVersion { get; set; } = "v1.32.0";

    /// <summary>Watch events kept for resuming watches and continuing paged lists; anything older is answered with 410 Gone.</summary>
    public int HistoryLimit { get; set; } = 100_000;

    /// <summary>Bearer tokens the TokenReview endpoint authenticates, and as whom.</summary>
    public IDictionary<string, SimulatedUser> Tokens { get; init; } = new Dictionary<string, SimulatedUser>(StringComparer.Ordinal);

    /// <summary>Non-resource permissions the SubjectAccessReview endpoint allows.</summary>
    public IList<NonResourceGrant> NonResourceGrants { get; init; } = [];
}

/// <summary>A user the simulated TokenReview returns for a token.</summary>
public sealed record SimulatedUser(string Name, IReadOnlyList<string> Groups);

/// <summary>Lets a user (or "group:NAME") use verbs on a non-resource path ("/metrics", or a prefix ending in *).</summary>
public sealed record NonResourceGrant(string Subject, string Path, IReadOnlyList<string> Verbs);
