using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using PostureExporter.Cli;
using PostureExporter.Engine;
using PostureExporter.Engine.Controls;
using PostureExporter.Engine.Findings;
using PostureExporter.Engine.Model;

namespace PostureExporter.Configuration;

/// <summary>A configuration value that cannot be used; the message names the setting.</summary>
internal sealed class ConfigurationException(string message) : Exception(message);

/// <summary>The process's settings, bound from the configuration file, POSTURE_ environment variables and flags.</summary>
internal sealed class ExporterOptions
{
    /// <summary>Unset means 0.0.0.0:9917, or 127.0.0.1:9917 with --demo (the demo serves without auth).</summary>
    public string? Listen { get; set; }

    public string EffectiveListen => Listen ?? (Demo ? "127.0.0.1:9917" : "0.0.0.0:9917");
    public string? Kubeconfig { get; set; }
    public string? Context { get; set; }
    public bool Demo { get; set; }
    public string DemoApiListen { get; set; } = "127.0.0.1:6443";
    public int DemoChurn { get; set; } = 6;
    public string WatchIdleTimeout { get; set; } = "3m";
    /// <summary>A watch down for longer than this makes /healthz fail.</summary>
    public string WatchDownHealthBound { get; set; } = "5m";
    public PostureOptions Posture { get; set; } = new();
    public AuthOptions Auth { get; set; } = new();
    public TlsOptions Tls { get; set; } = new();

    public TimeSpan WatchIdle { get; private set; }
    public TimeSpan WatchDownBound { get; private set; }

    /// <summary>Binds and validates; throws ConfigurationException naming the first bad setting.</summary>
    public static ExporterOptions Load(IConfiguration configuration)
    {
        ExporterOptions options;
        try
        {
            options = configuration.Get<ExporterOptions>(o => o.ErrorOnUnknownConfiguration = false) ?? new ExporterOptions();
        }
        catch (InvalidOperationException e)
        {
            throw new ConfigurationException(e.InnerException is null ? e.Message : $"{e.Message} ({e.InnerException.Message})");
        }
        options.Validate();
        LogLevels.Validate(configuration);
        return options;
    }

    private void Validate()
    {
        if (!CommandLine.TryParseHostPort(EffectiveListen, out _, out _))
        {
            throw new ConfigurationException($"Listen: \"{Listen}\" is not HOST:PORT");
        }
        if (!CommandLine.TryParseHostPort(DemoApiListen, out _, out _))
        {
            throw new ConfigurationException($"DemoApiListen: \"{DemoApiListen}\" is not HOST:PORT");
        }
        if (DemoChurn < 0)
        {
            throw new ConfigurationException($"DemoChurn: {DemoChurn} is negative");
        }
        WatchIdle = Duration(nameof(WatchIdleTimeout), WatchIdleTimeout);
        Auth.Validate();
        Tls.Validate();
        WatchDownBound = Duration(nameof(WatchDownHealthBound), WatchDownHealthBound);
    }

    private static TimeSpan Duration(string name, string value) =>
        CommandLine.TryParseDuration(value, out var d) && d > TimeSpan.Zero
            ? d
            : throw new ConfigurationException($"{name}: \"{value}\" is not a duration such as 30s, 3m or 1h");
}

/// <summary>Who may read /metrics, /api/* and the status page (section "Auth").</summary>
internal sealed class AuthOptions
{
    /// <summary>none, token-file or kubernetes (TokenReview + SubjectAccessReview).</summary>
    public string Mode { get; set; } = "none";
    public string? TokenFile { get; set; }

    public Security.AuthMode ParsedMode { get; private set; }

    public void Validate()
    {
        ParsedMode = Mode switch
        {
            "none" => Security.AuthMode.None,
            "token-file" => Security.AuthMode.TokenFile,
            "kubernetes" => Security.AuthMode.Kubernetes,
            _ => throw new ConfigurationException($"Auth:Mode: \"{Mode}\" is not none, token-file or kubernetes"),
        };
        if (ParsedMode == Security.AuthMode.TokenFile && (string.IsNullOrEmpty(TokenFile) || !File.Exists(TokenFile)))
        {
            throw new ConfigurationException($"Auth:TokenFile: {(string.IsNullOrEmpty(TokenFile) ? "required with Auth:Mode token-file" : $"no such file {TokenFile}")}");
        }
    }
}

/// <summary>Serving certificate files (section "Tls"); both or neither.</summary>
internal sealed class TlsOptions
{
    public string? CertFile { get; set; }
    public string? KeyFile { get; set; }

    public bool Enabled => !string.IsNullOrEmpty(CertFile);

    public void Validate()
    {
        if (string.IsNullOrEmpty(CertFile) != string.IsNullOrEmpty(KeyFile))
        {
            throw new ConfigurationException($"{(string.IsNullOrEmpty(CertFile) ? "Tls:CertFile" : "Tls:KeyFile")}: required when the other TLS file is set");
        }
        foreach (var (name, file) in new[] { ("Tls:CertFile", CertFile), ("Tls:KeyFile", KeyFile) })
        {
            if (!string.IsNullOrEmpty(file) && !File.Exists(file))
            {
                throw new ConfigurationException($"{name}: no such file {file}");
            }
        }
    }
}

/// <summary>The engine's settings as written in configuration (section "Posture").</summary>
internal sealed class PostureOptions
{
    public List<string>? SystemNamespaces { get; set; }
    public List<string>? ExpectedClusterAdminSubjects { get; set; }
    public bool RequireCpuLimits { get; set; } = true;
    public string CredentialEnvPattern { get; set; } = PostureSettings.DefaultCredentialPattern;
    public List<string> AllowedRegistries { get; set; } = [];
    public string ProductionSelector { get; set; } = "environment in (prod, production)";
    public int KubeletMaxMinorSkew { get; set; } = 1;
    /// <summary>The API server version for the kubelet skew control; asked from /version when unset (audit --file cannot).</summary>
    public string? ApiServerVersion { get; set; }
    public bool AllowAnnotationWaivers { get; set; } = true;
    public List<string> UnwaivableControls { get; set; } = [];
    public List<WaiverOptions> Waivers { get; set; } = [];
    public List<string>? EnabledControls { get; set; }
    public List<string> DisabledControls { get; set; } = [];
    public Dictionary<string, string> SeverityOverrides { get; set; } = [];
    public List<string> NamespaceInfoLabels { get; set; } = [];
    public int MaxDetailSeries { get; set; } = 20000;

    /// <summary>
    /// Turns the options into engine settings; throws ConfigurationException naming the bad setting. Invalid
    /// central waivers do not stop start-up: like invalid annotation waivers they are left out (never honoured)
    /// and described in <paramref name="waiverProblems"/> for the caller to log and count.
    /// </summary>
    public PostureSettings ToSettings(out IReadOnlyList<string> waiverProblems)
    {
        var problems = new List<string>();
        var waivers = ImmutableArray.CreateBuilder<CentralWaiver>();
        for (var i = 0; i < Waivers.Count; i++)
        {
            try
            {
                waivers.Add(Waivers[i].ToWaiver($"Posture:Waivers:{i}"));
            }
            catch (ConfigurationException e)
            {
                problems.Add(e.Message);
            }
        }
        waiverProblems = problems;
        const string p = "Posture:";
        var settings = PostureSettings.Default;
        if (SystemNamespaces is not null)
        {
            settings = settings with { SystemNamespaces = SystemNamespaces.ToImmutableHashSet(StringComparer.Ordinal) };
        }
        if (ExpectedClusterAdminSubjects is not null)
        {
            settings = settings with
            {
                ExpectedClusterAdminSubjects = ExpectedClusterAdminSubjects.Select((s, i) => ParseSubject(s, $"{p}ExpectedClusterAdminSubjects:{i}")).ToImmutableArray(),
            };
        }
        Regex credential;
        try
        {
            credential = new Regex(CredentialEnvPattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException e)
        {
            throw new ConfigurationException($"{p}CredentialEnvPattern: not a valid regular expression ({e.Message})");
        }
        LabelSelector production;
        try
        {
            production = LabelSelector.Parse(ProductionSelector);
        }
        catch (FormatException e)
        {
            throw new ConfigurationException($"{p}ProductionSelector: {e.Message}");
        }
        if (KubeletMaxMinorSkew < 0)
        {
            throw new ConfigurationException($"{p}KubeletMaxMinorSkew: {KubeletMaxMinorSkew} is negative");
        }
        if (MaxDetailSeries < 0)
        {
            throw new ConfigurationException($"{p}MaxDetailSeries: {MaxDetailSeries} is negative");
        }
        var labelNames = new HashSet<string>(["namespace", "psa_enforce"], StringComparer.Ordinal);
        foreach (var label in NamespaceInfoLabels)
        {
            // Each becomes a label of posture_namespace_info; two that map to one name would break the metric.
            if (!labelNames.Add(Metrics.PostureMetrics.LabelName(label)))
            {
                throw new ConfigurationException($"{p}NamespaceInfoLabels: \"{label}\" becomes label {Metrics.PostureMetrics.LabelName(label)}, which is already taken");
            }
        }
        CheckControls(UnwaivableControls, $"{p}UnwaivableControls");
        CheckControls(DisabledControls, $"{p}DisabledControls");
        if (EnabledControls is not null)
        {
            CheckControls(EnabledControls, $"{p}EnabledControls");
        }
        var severities = ImmutableDictionary.CreateBuilder<string, Severity>();
        foreach (var (id, text) in SeverityOverrides)
        {
            CheckControls([id], $"{p}SeverityOverrides");
            if (!SeverityNames.TryParse(text, out var sev))
            {
                throw new ConfigurationException($"{p}SeverityOverrides:{id}: \"{text}\" is not critical, high, medium or low");
            }
            severities[id] = sev;
        }
        return settings with
        {
            RequireCpuLimits = RequireCpuLimits,
            CredentialEnvPattern = credential,
            AllowedRegistries = AllowedRegistries.ToImmutableArray(),
            ProductionSelector = production,
            KubeletMaxMinorSkew = KubeletMaxMinorSkew,
            ApiServerVersion = string.IsNullOrWhiteSpace(ApiServerVersion) ? null : ApiServerVersion.Trim(),
            AllowAnnotationWaivers = AllowAnnotationWaivers,
            UnwaivableControls = UnwaivableControls.ToImmutableHashSet(),
            Waivers = waivers.ToImmutable(),
            EnabledControls = EnabledControls?.ToImmutableHashSet(),
            DisabledControls = DisabledControls.ToImmutableHashSet(),
            SeverityOverrides = severities.ToImmutable(),
        };
    }

    internal static void CheckControls(IEnumerable<string> ids, string setting)
    {
        foreach (var id in ids)
        {
            if (ControlCatalog.Find(id) is null)
            {
                throw new ConfigurationException($"{setting}: unknown control \"{id}\"");
            }
        }
    }

    /// <summary>"Group/system:masters", "User/alice" or "ServiceAccount/namespace/name".</summary>
    private static RbacSubject ParseSubject(string text, string setting)
    {
        var parts = text.Split('/');
        return parts switch
        {
            ["ServiceAccount", var ns, var name] when ns.Length > 0 && name.Length > 0 => new RbacSubject("ServiceAccount", name, ns),
            [("Group" or "User") and var kind, var name] when name.Length > 0 => new RbacSubject(kind, name, ""),
            _ => throw new ConfigurationException($"{setting}: \"{text}\" is not Group/NAME, User/NAME or ServiceAccount/NAMESPACE/NAME"),
        };
    }
}

/// <summary>A central waiver as written in configuration.</summary>
internal sealed class WaiverOptions
{
    public string? Control { get; set; }
    public string Namespace { get; set; } = "*";
    public string? Kind { get; set; }
    public string Name { get; set; } = "*";
    public string? Reason { get; set; }
    public string? Owner { get; set; }
    public string? Ticket { get; set; }
    public string? Until { get; set; }

    public CentralWaiver ToWaiver(string setting)
    {
        if (string.IsNullOrWhiteSpace(Control))
        {
            throw new ConfigurationException($"{setting}:Control: required");
        }
        PostureOptions.CheckControls([Control], $"{setting}:Control");
        if (string.IsNullOrWhiteSpace(Reason))
        {
            throw new ConfigurationException($"{setting}:Reason: required (a waiver must say why)");
        }
        DateOnly? until = null;
        if (!string.IsNullOrWhiteSpace(Until))
        {
            if (!DateOnly.TryParseExact(Until.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
            {
                throw new ConfigurationException($"{setting}:Until: \"{Until}\" is not a YYYY-MM-DD date");
            }
            until = d;
        }
        return new CentralWaiver(Control, Namespace, Kind, Name, Reason.Trim(), Owner, Ticket, until);
    }
}
