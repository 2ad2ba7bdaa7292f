using System.Globalization;
using PostureExporter.Configuration;

namespace PostureExporter.Cli;

/// <summary>A usage error: one message naming the flag or setting, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

internal enum Command { Serve, Audit, Help, Version }

/// <summary>The parsed command line: the command, configuration overrides keyed like the configuration file, and audit inputs.</summary>
internal sealed record ParsedCommandLine(Command Command, IReadOnlyDictionary<string, string?> Overrides, IReadOnlyList<string> ConfigFiles, IReadOnlyList<string> Files);

/// <summary>
/// Flags are parsed here, not by the configuration library, so that an unknown or malformed flag stops start-up
/// with a message naming it instead of being silently ignored.
/// </summary>
internal static class CommandLine
{
    private sealed record Flag(string Name, string? Key, bool IsSwitch, Func<string, string?>? Check = null);

    private static readonly Flag[] ServeFlags =
    [
        new("--kubeconfig", "Kubeconfig", false),
        new("--context", "Context", false),
        new("--listen", "Listen", false, CheckHostPort),
        new("--demo", "Demo", true),
        new("--demo-api-listen", "DemoApiListen", false, CheckHostPort),
        new("--demo-churn", "DemoChurn", false, CheckNonNegativeInt),
        new("--watch-idle-timeout", "WatchIdleTimeout", false, CheckDuration),
        new("--config", null, false),
        new("--log-level", "Logging:LogLevel:Default", false, v => LogLevels.IsValid(v) ? null : $"\"{v}\" is not {LogLevels.Names}"),
        new("--auth", "Auth:Mode", false, v => v is "none" or "token-file" or "kubernetes" ? null : $"\"{v}\" is not none, token-file or kubernetes"),
        new("--auth-token-file", "Auth:TokenFile", false),
        new("--tls-cert-file", "Tls:CertFile", false),
        new("--tls-key-file", "Tls:KeyFile", false),
    ];

    public const string Usage = """
        Usage: posture-exporter [serve] [flags]
               posture-exporter audit [--file PATH]... [--output table|json] [--fail-on SEVERITY] [flags]

        serve (default) watches the cluster and serves /metrics, / (status page), /api/v1/findings,
        /api/v1/controls, /healthz and /readyz.
          --kubeconfig PATH          kubeconfig file (default: in-cluster config in a pod, else ~/.kube/config)
          --context NAME             kubeconfig context
          --listen HOST:PORT         address of the HTTP server (default 0.0.0.0:9917; 127.0.0.1:9917 with --demo)
          --demo                     run against a built-in simulated cluster holding an example cluster
          --demo-api-listen HOST:PORT  address of the simulated API server (default 127.0.0.1:6443)
          --demo-churn N             demo changes per minute in namespace sandbox (default 6; 0 turns it off)
          --watch-idle-timeout DUR   restart a watch that sent nothing for this long (default 3m; e.g. 30s, 5m)
          --config PATH              JSON configuration file (settings as in docs; repeatable)
          --log-level LEVEL          Trace, Debug, Information, Warning, Error
          --auth MODE                none (default), token-file, or kubernetes (TokenReview + SubjectAccessReview)
          --auth-token-file PATH     bearer tokens accepted with --auth token-file, one per line (re-read on change)
          --tls-cert-file PATH       serve HTTPS with this PEM certificate (re-read on change)
          --tls-key-file PATH        the certificate's PEM private key
        """;

    public static ParsedCommandLine Parse(IReadOnlyList<string> args)
    {
        var command = Command.Serve;
        var i = 0;
        if (args.Count > 0 && !args[0].StartsWith('-'))
        {
            command = args[0] switch
            {
                "serve" => Command.Serve,
                "audit" => Command.Audit,
                "help" => Command.Help,
                "version" => Command.Version,
                _ => throw new UsageException($"unknown command \"{args[0]}\" (expected serve or audit)"),
            };
            i = 1;
        }
        var overrides = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var configFiles = new List<string>();
        var files = new List<string>();
        for (; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "-h" or "--help")
            {
                return new ParsedCommandLine(Command.Help, overrides, configFiles, files);
            }
            if (arg == "--version")
            {
                return new ParsedCommandLine(Command.Version, overrides, configFiles, files);
            }
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            var name = eq > 0 ? arg[..eq] : arg;
            var auditFlag = command == Command.Audit ? AuditFlag(name) : null;
            var flag = ServeFlags.FirstOrDefault(f => f.Name == name) ?? auditFlag;
            if (flag is null)
            {
                throw new UsageException($"unknown flag {name}");
            }
            string value;
            if (flag.IsSwitch)
            {
                value = eq > 0 ? arg[(eq + 1)..] : "true";
                if (!bool.TryParse(value, out _))
                {
                    throw new UsageException($"{name}: \"{value}\" is not true or false");
                }
            }
            else if (eq > 0)
            {
                value = arg[(eq + 1)..];
            }
            else if (i + 1 < args.Count)
            {
                value = args[++i];
            }
            else
            {
                throw new UsageException($"{name} needs a value");
            }
            if (flag.Check?.Invoke(value) is { } problem)
            {
                throw new UsageException($"{name}: {problem}");
            }
            switch (flag.Name)
            {
                case "--config":
                    configFiles.Add(value);
                    break;
                case "--file":
                    files.Add(value);
                    break;
                default:
                    overrides[flag.Key!] = value;
                    break;
            }
        }
        return new ParsedCommandLine(command, overrides, configFiles, files);
    }

    private static Flag? AuditFlag(string name) => name switch
    {
        "--file" or "-f" => new Flag(name, null, false) { },
        "--output" or "-o" => new Flag(name, "Audit:Output", false, v => v is "table" or "json" ? null : $"\"{v}\" is not table or json"),
        "--fail-on" => new Flag(name, "Audit:FailOn", false, v => v is "critical" or "high" or "medium" or "low" or "none" ? null : $"\"{v}\" is not critical, high, medium, low or none"),
        _ => null,
    } is { } f ? f with { Name = name == "-f" ? "--file" : name == "-o" ? "--output" : name } : null;

    public static string? CheckHostPort(string value) => TryParseHostPort(value, out _, out _) ? null : $"\"{value}\" is not HOST:PORT";

    public static bool TryParseHostPort(string value, out string host, out int port)
    {
        host = "";
        port = 0;
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > 65535)
        {
            return false;
        }
        host = value[..colon].Trim('[', ']');
        return host.Length > 0;
    }

    private static string? CheckNonNegativeInt(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _) ? null : $"\"{value}\" is not a whole number ≥ 0";

    private static string? CheckDuration(string value) => TryParseDuration(value, out var d) && d > TimeSpan.Zero ? null : $"\"{value}\" is not a duration such as 30s, 3m or 1h";

    /// <summary>Durations as 250ms, 30s, 3m, 1h, or a TimeSpan (00:03:00).</summary>
    public static bool TryParseDuration(string value, out TimeSpan duration)
    {
        duration = default;
        var v = value.Trim();
        (string suffix, double factor)[] units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)];
        foreach (var (suffix, factor) in units)
        {
            if (v.EndsWith(suffix, StringComparison.Ordinal)
                && double.TryParse(v[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= 0)
            {
                duration = TimeSpan.FromSeconds(n * factor);
                return true;
            }
        }
        return TimeSpan.TryParse(v, CultureInfo.InvariantCulture, out duration);
    }
}
