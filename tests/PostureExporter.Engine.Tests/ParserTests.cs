using PostureExporter.Engine.Controls;
using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Tests;

public sealed class ImageReferenceTests
{
    [Theory]
    [InlineData("nginx", "docker.io", "library/nginx", null, null)]
    [InlineData("nginx:1.27", "docker.io", "library/nginx", "1.27", null)]
    [InlineData("bitnami/redis:7.2", "docker.io", "bitnami/redis", "7.2", null)]
    [InlineData("docker.io/nginx", "docker.io", "library/nginx", null, null)]
    [InlineData("localhost/app", "localhost", "app", null, null)]
    [InlineData("localhost:5000/app:dev", "localhost:5000", "app", "dev", null)]
    [InlineData("registry:5000/app", "registry:5000", "app", null, null)]
    [InlineData("registry:5000/app:1.2", "registry:5000", "app", "1.2", null)]
    [InlineData("registry:5000/team/app:1.2@sha256:abc", "registry:5000", "team/app", "1.2", "sha256:abc")]
    [InlineData("ghcr.io/x/y:v1", "ghcr.io", "x/y", "v1", null)]
    [InlineData("nginx@sha256:abc", "docker.io", "library/nginx", null, "sha256:abc")]
    [InlineData("nginx:latest@sha256:abc", "docker.io", "library/nginx", "latest", "sha256:abc")]
    public void Parse_Reference_SplitsRegistryRepositoryTagAndDigest(string image, string registry, string repository, string? tag, string? digest)
    {
        // Act
        var parsed = ImageReference.Parse(image);

        // Assert
        Assert.Equal(new ImageReference(registry, repository, tag, digest), parsed);
    }
}

public sealed class ImageDigestTests
{
    [Theory]
    [InlineData("nginx@sha256:0a6f3cbd8ffe4c0c4e6a9cfb0b1b8e0d3f5e1d5e2b1a8c2d7f4e6b9c0d1e2f3a", true)]
    [InlineData("nginx:1.27@sha256:0a6f3cbd8ffe4c0c4e6a9cfb0b1b8e0d3f5e1d5e2b1a8c2d7f4e6b9c0d1e2f3a", true)]
    [InlineData("nginx@blake3:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true)]
    [InlineData("nginx@custom-algorithm:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true)]
    [InlineData("nginx@sha256:abc", false)]
    [InlineData("nginx@sha256:0a6f3cbd8ffe4c0c4e6a9cfb0b1b8e0d3f5e1d5e2b1a8c2d7f4e6b9c0d1e2f3a4", false)]
    [InlineData("nginx@sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", false)]
    [InlineData("nginx@sha512:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false)]
    [InlineData("nginx@blake3:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false)]
    [InlineData("nginx@custom-algorithm:a", false)]
    [InlineData("nginx@Sha256:0a6f3cbd8ffe4c0c4e6a9cfb0b1b8e0d3f5e1d5e2b1a8c2d7f4e6b9c0d1e2f3a", false)]
    [InlineData("nginx:1.27", false)]
    public void IsPinned_Digest_OnlyWellFormedDigestsPin(string image, bool pinned)
    {
        // Act
        var parsed = ImageReference.Parse(image);

        // Assert
        Assert.Equal(pinned, parsed.IsPinned);
    }

    [Theory]
    [InlineData("docker.io", "docker.io")]
    [InlineData("index.docker.io", "docker.io")]
    [InlineData("Registry.Example.com:5000", "registry.example.com:5000")]
    public void NormalizeRegistry_Host_ComparesAsReferencesDo(string registry, string expected)
    {
        // Act
        var normalized = ImageReference.NormalizeRegistry(registry);

        // Assert
        Assert.Equal(expected, normalized);
    }
}

public sealed class LabelSelectorTests
{
    private static Dictionary<string, string> Labels(params string[] pairs) =>
        pairs.Select(p => p.Split('=')).ToDictionary(p => p[0], p => p[1]);

    [Theory]
    [InlineData("environment in (prod, production)", "environment=prod", true)]
    [InlineData("environment in (prod, production)", "environment=production", true)]
    [InlineData("environment in (prod, production)", "environment=staging", false)]
    [InlineData("environment in (prod, production)", "", false)]
    [InlineData("environment notin (dev)", "environment=prod", true)]
    [InlineData("environment notin (dev)", "environment=dev", false)]
    [InlineData("environment notin (dev)", "", true)]
    [InlineData("tier=web", "tier=web", true)]
    [InlineData("tier==web", "tier=web", true)]
    [InlineData("tier=web", "tier=db", false)]
    [InlineData("tier!=web", "tier=db", true)]
    [InlineData("tier!=web", "", true)]
    [InlineData("tier!=web", "tier=web", false)]
    [InlineData("team", "team=a", true)]
    [InlineData("team", "", false)]
    [InlineData("!team", "", true)]
    [InlineData("!team", "team=a", false)]
    [InlineData("team, environment in (prod), tier!=db", "team=a,environment=prod,tier=web", true)]
    [InlineData("team, environment in (prod), tier!=db", "team=a,environment=prod,tier=db", false)]
    [InlineData("", "team=a", true)]
    public void Matches_Selector_HoldsOnlyWhenEveryRequirementHolds(string selector, string labels, bool expected)
    {
        // Arrange
        var parsed = LabelSelector.Parse(selector);
        var set = labels.Length == 0 ? [] : Labels(labels.Split(','));

        // Act
        var matches = parsed.Matches(set);

        // Assert
        Assert.Equal(expected, matches);
    }

    [Theory]
    [InlineData("environment in prod")]
    [InlineData("environment in (prod")]
    [InlineData("environment notin prod)")]
    [InlineData("=prod")]
    [InlineData("!")]
    [InlineData("two words")]
    [InlineData("a)")]
    public void Parse_MalformedSelector_ThrowsFormatException(string selector)
    {
        // Act
        var parse = () => LabelSelector.Parse(selector);

        // Assert
        Assert.Throws<FormatException>(parse);
    }
}

public sealed class ApiServerFlagsTests
{
    [Fact]
    public void Indexer_EqualsAndSpaceForms_BothRead()
    {
        // Arrange
        string[] command =
        [
            "kube-apiserver",
            "--encryption-provider-config=/etc/kubernetes/enc.yaml",
            "--tls-min-version", "VersionTLS12",
            "--anonymous-auth=false",
            "--audit-log-path", "/var/log/audit.log",
            "--profiling",
            "--allow-privileged",
            "--authorization-mode=Node,RBAC",
        ];

        // Act
        var flags = new ApiServerFlags(command);

        // Assert
        Assert.Equal("/etc/kubernetes/enc.yaml", flags["encryption-provider-config"]);
        Assert.Equal("VersionTLS12", flags["tls-min-version"]);
        Assert.Equal("false", flags["anonymous-auth"]);
        Assert.Equal("/var/log/audit.log", flags["audit-log-path"]);
        Assert.Equal("true", flags["profiling"]);
        Assert.Equal("true", flags["allow-privileged"]);
        Assert.Equal("Node,RBAC", flags["authorization-mode"]);
        Assert.False(flags.Has("audit-webhook-config-file"));
        Assert.Null(flags["audit-webhook-config-file"]);
        Assert.False(flags.Has("kube-apiserver"));
    }

    [Fact]
    public void Indexer_EmptyValueAfterEquals_IsEmptyNotTrue()
    {
        // Act
        var flags = new ApiServerFlags(["--audit-log-path="]);

        // Assert
        Assert.True(flags.Has("audit-log-path"));
        Assert.Equal("", flags["audit-log-path"]);
    }

    [Fact]
    public void Indexer_BareBooleanFlagBeforeAWord_DoesNotTakeItAsValue()
    {
        // Arrange: pflag never gives a boolean flag the next argument (kube-apiserver then rejects the stray word).
        string[] command = ["kube-apiserver", "--anonymous-auth", "false", "--audit-log-path", "/var/log/audit.log"];

        // Act
        var flags = new ApiServerFlags(command);

        // Assert
        Assert.Equal("true", flags["anonymous-auth"]);
        Assert.Equal("/var/log/audit.log", flags["audit-log-path"]);
    }

    [Fact]
    public void Indexer_RepeatedFlag_LastOneWins()
    {
        // Act
        var flags = new ApiServerFlags(["--tls-min-version=VersionTLS10", "--tls-min-version", "VersionTLS13"]);

        // Assert
        Assert.Equal("VersionTLS13", flags["tls-min-version"]);
    }
}
