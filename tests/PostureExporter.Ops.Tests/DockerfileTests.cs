using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PostureExporter.Ops.Tests.Support;

namespace PostureExporter.Ops.Tests;

/// <summary>
/// The Dockerfile, read (no Docker engine runs here): pinned bases, non-root numeric user matching deploy/,
/// nothing that needs a writable root filesystem.
/// </summary>
public sealed partial class DockerfileTests
{
    private static readonly string[] Lines = Repo.ReadAllText("Dockerfile").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();

    private static string[] Instructions(string name) => Lines.Where(l => l.StartsWith(name + " ", StringComparison.Ordinal)).ToArray();

    [Fact]
    public void Dockerfile_IsMultiStageOnDigestPinnedOfficialImages()
    {
        var froms = Instructions("FROM");

        Assert.True(froms.Length >= 2, "not multi-stage");
        Assert.Matches(@"^FROM mcr\.microsoft\.com/dotnet/sdk:10\.0[^@\s]*@sha256:[0-9a-f]{64} AS build$", froms[0]);
        Assert.Matches(@"^FROM mcr\.microsoft\.com/dotnet/(aspnet|runtime-deps):10\.0[^@\s]*@sha256:[0-9a-f]{64}$", froms[^1]);
    }

    [Fact]
    public void Dockerfile_RuntimeStageHasWhatThePublishedExporterNeeds()
    {
        // Self-contained: its own runtime, started by its app host on the bare runtime-deps image. Otherwise it
        // needs the ASP.NET Core shared framework and dotnet to start it.
        var publish = string.Join(" ", Lines.SkipWhile(l => !l.StartsWith("RUN dotnet publish", StringComparison.Ordinal)).TakeWhile(l => !l.StartsWith("FROM ", StringComparison.Ordinal)));
        var selfContained = publish.Contains("--self-contained true", StringComparison.Ordinal);
        var entrypoint = JsonNode.Parse(Assert.Single(Instructions("ENTRYPOINT"))["ENTRYPOINT ".Length..])!.AsArray().Select(a => (string)a!).ToArray();

        Assert.Contains("-p:PublishReadyToRun=true", publish, StringComparison.Ordinal);
        Assert.Contains(selfContained ? "/dotnet/runtime-deps:" : "/dotnet/aspnet:", Instructions("FROM")[^1], StringComparison.Ordinal);
        Assert.Equal(selfContained ? ["/app/posture-exporter"] : ["dotnet", "/app/posture-exporter.dll"], entrypoint);
        if (selfContained)
        {
            // Restored for the architecture it is published for, which BuildKit names in TARGETARCH.
            Assert.Contains("-a ${TARGETARCH}", publish, StringComparison.Ordinal);
            Assert.Contains(Lines, l => l.StartsWith("RUN dotnet restore", StringComparison.Ordinal) && l.Contains("-a ${TARGETARCH} -p:SelfContained=true", StringComparison.Ordinal));
            Assert.Contains("ARG TARGETARCH", Lines);
        }
    }

    [Fact]
    public void Dockerfile_RunsAsTheNumericNonRootUserOfTheDeployment()
    {
        var user = Assert.Single(Instructions("USER"));
        var m = Regex.Match(user, @"^USER (\d+)(:(\d+))?$");
        var deployment = Yaml.LoadFile("deploy", "base", "deployment.yaml");
        var runAsUser = (long)deployment["spec"]!["template"]!["spec"]!["securityContext"]!["runAsUser"]!;

        Assert.True(m.Success, $"{user} is not a numeric USER");
        Assert.NotEqual("0", m.Groups[1].Value);
        Assert.Equal(runAsUser.ToString(System.Globalization.CultureInfo.InvariantCulture), m.Groups[1].Value);
    }

    [Fact]
    public void Dockerfile_ExposesTheMetricsPortAndStartsTheExporterWithoutHealthcheck()
    {
        Assert.Equal(["EXPOSE 9917"], Instructions("EXPOSE"));
        Assert.Empty(Instructions("HEALTHCHECK"));
        var entrypoint = Assert.Single(Instructions("ENTRYPOINT"));
        var args = JsonNode.Parse(entrypoint["ENTRYPOINT ".Length..])!.AsArray().Select(a => (string)a!).ToArray();
        Assert.Matches("/app/posture-exporter(\\.dll)?$", args[^1]);
        // No diagnostics IPC socket: with a read-only root filesystem nothing may need to write outside /tmp.
        Assert.Contains(Lines, l => l.Contains("DOTNET_EnableDiagnostics=0", StringComparison.Ordinal));
    }

    [Fact]
    public void Dockerfile_CopiesOnlyPathsThatExistAndThatDockerignoreLetsThrough()
    {
        var ignore = Repo.ReadAllText(".dockerignore").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        var sources = Instructions("COPY").Where(l => !l.Contains("--from=", StringComparison.Ordinal))
            .SelectMany(l => l["COPY ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[..^1])
            .ToList();

        Assert.NotEmpty(sources);
        Assert.Equal("*", ignore[0]);
        foreach (var source in sources)
        {
            Assert.True(File.Exists(Repo.File(source)) || Directory.Exists(Repo.File(source)), $"COPY {source}: not in the repository");
            var top = source.TrimEnd('/').Split('/')[0];
            Assert.True(ignore.Contains("!" + top) || ignore.Contains("!" + top + "/"), $"COPY {source}: .dockerignore excludes it");
        }
    }
}
