using PostureExporter.Tests.Support;

namespace PostureExporter.Tests.Cli;

/// <summary>Bad flags and values stop start-up with one message naming the setting and exit code 2.</summary>
public sealed class CommandLineTests
{
    [Theory]
    [InlineData("--no-such-flag", "unknown flag --no-such-flag")]
    [InlineData("--listen nonsense", "--listen: \"nonsense\" is not HOST:PORT")]
    [InlineData("--demo-churn -3", "--demo-churn: \"-3\" is not a whole number")]
    [InlineData("--watch-idle-timeout soon", "--watch-idle-timeout: \"soon\" is not a duration")]
    [InlineData("--demo-api-listen", "--demo-api-listen needs a value")]
    [InlineData("frobnicate", "unknown command \"frobnicate\"")]
    [InlineData("--log-level Banana", "--log-level: \"Banana\" is not Trace, Debug, Information, Warning, Error, Critical or None")]
    public async Task Serve_BadFlag_ExitsTwoNamingIt(string args, string expected)
    {
        var (code, stdout, stderr) = await ExporterProcess.RunToEndAsync(args.Split(' '));

        Assert.Equal(2, code);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
        Assert.Equal("", stdout);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Theory]
    [InlineData("""{ "Posture": { "ProductionSelector": "environment in prod" } }""", "Posture:ProductionSelector")]
    [InlineData("""{ "Logging": { "LogLevel": { "Default": "Loud" } } }""", "Logging:LogLevel:Default: \"Loud\" is not Trace")]
    [InlineData("""{ "Logging": { "Console": { "LogLevel": { "PostureExporter": "verbose" } } } }""", "Logging:Console:LogLevel:PostureExporter: \"verbose\"")]
    public async Task Serve_BadConfigurationValue_ExitsTwoNamingTheSetting(string json, string expected)
    {
        var file = Path.Combine(Path.GetTempPath(), $"posture-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, json);
        try
        {
            var (code, _, stderr) = await ExporterProcess.RunToEndAsync("--demo", "--config", file);

            Assert.Equal(2, code);
            Assert.Contains(expected, stderr, StringComparison.Ordinal);
            Assert.Single(stderr.Trim().Split('\n'));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Serve_UnknownControlInConfiguration_ExitsTwoNamingIt()
    {
        var file = Path.Combine(Path.GetTempPath(), $"posture-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, """{ "Posture": { "DisabledControls": ["no-such-control"] } }""");
        try
        {
            var (code, _, stderr) = await ExporterProcess.RunToEndAsync("--demo", "--config", file);

            Assert.Equal(2, code);
            Assert.Contains("Posture:DisabledControls: unknown control \"no-such-control\"", stderr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("missing", "kubeconfig file not found")]
    [InlineData("apiVersion: v1\nclusters: [\n", "did not find expected node content")]
    [InlineData("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n", "nowhere not found in contexts")]
    public async Task Serve_UnusableKubeconfig_ExitsTwoNamingIt(string content, string expected)
    {
        var file = Path.Combine(Path.GetTempPath(), $"posture-{Guid.NewGuid():N}.kubeconfig");
        if (content != "missing")
        {
            await File.WriteAllTextAsync(file, content);
        }
        try
        {
            var (code, _, stderr) = await ExporterProcess.RunToEndAsync("--kubeconfig", file, "--context", "nowhere");

            Assert.Equal(2, code);
            Assert.Contains($"Kubeconfig: cannot use {file} with context nowhere", stderr, StringComparison.Ordinal);
            Assert.Contains(expected, stderr, StringComparison.Ordinal);
            Assert.Single(stderr.Trim().Split('\n'));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
