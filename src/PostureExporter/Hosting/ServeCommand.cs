using System.Reflection;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PostureExporter.Cli;
using PostureExporter.Configuration;
using PostureExporter.Demo;
using PostureExporter.Engine;
using PostureExporter.Http;
using PostureExporter.Informers;
using PostureExporter.Metrics;
using PostureExporter.Security;
using PostureExporter.Simulator;
using Prometheus;

namespace PostureExporter.Hosting;

/// <summary>serve: watch the cluster and keep the posture metrics current.</summary>
internal static partial class ServeCommand
{
    public static string Version => typeof(ServeCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    public static async Task<int> RunAsync(IConfiguration configuration, ConfigurationLoader loader, ExporterOptions options, PostureSettings settings, IReadOnlyList<string> waiverProblems)
    {
        await using var demo = options.Demo ? await StartDemoAsync(options.DemoApiListen) : null;
        var clientConfig = KubeClientFactory.Configure(options, demo?.BaseAddress);
        using var client = new Kubernetes(clientConfig);
        // Asked on a pool thread while the host is built: nothing before the first evaluation needs it.
        var versionLookup = settings.ApiServerVersion is null ? Task.Run(() => ApiServerVersion.TryGetAsync(client)) : null;

        // Made on a pool thread while the informers start (nothing logs in the first moments; see DeferredLogger).
        var loggerFactory = Task.Run(() => CreateLoggerFactory(configuration));
        var certificates = LoadCertificates(options, new DeferredLogger(loggerFactory, "PostureExporter.Tls"));
        // The initial lists are start-up's long pole and need nothing from the web host: the informers start as
        // soon as they exist, and their results wait in the channel until the engine starts with the host.
        var core = ExporterCore.Start(options, settings, new KubeApi(client, clientConfig), loggerFactory, awaitApiServerVersion: versionLookup is not null);
        using var loggers = await loggerFactory;
        try
        {
            return await ServeAsync(configuration, loader, options, waiverProblems, demo, client, versionLookup, loggers, certificates, core);
        }
        finally
        {
            await core.Informers.StopEarlyAsync();
        }
    }

    private static async Task<int> ServeAsync(IConfiguration configuration, ConfigurationLoader loader, ExporterOptions options, IReadOnlyList<string> waiverProblems,
        SimulatedCluster? demo, Kubernetes client, Task<string?>? versionLookup, ILoggerFactory loggers, CertificateReloader? certificates, ExporterCore core)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddConfiguration(configuration);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(ListenEndPoint(options.EffectiveListen), listen =>
        {
            if (certificates is not null)
            {
                listen.UseHttps(https => https.ServerCertificateSelector = (_, _) => certificates.Current);
            }
        }));
        // One logger factory for the informers (made before the host) and everything the host makes.
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggers);
        core.Register(builder.Services, options, demo);
        builder.Services.AddSingleton(loader);
        var problems = new WaiverProblems();
        problems.SetConfigProblems(waiverProblems);
        builder.Services.AddSingleton(problems);
        builder.Services.AddHostedService<ConfigReloadService>();
        if (versionLookup is not null)
        {
            builder.Services.AddHostedService(sp => new ApiServerVersionService(client, versionLookup, sp.GetRequiredService<EngineAccess>(), sp.GetRequiredService<ExporterState>()));
        }

        builder.Services.AddSingleton(sp => new EndpointGuard(options.Auth.ParsedMode, options.Auth.TokenFile, client, TimeProvider.System, sp.GetRequiredService<ILogger<EndpointGuard>>()));

        await using var app = builder.Build();
        var guard = app.Services.GetRequiredService<EndpointGuard>();
        app.Use(guard.InvokeAsync);
        app.MapExporterEndpoints(app.Services.GetRequiredService<CollectorRegistry>(), app.Services.GetRequiredService<SeriesStore>(), app.Services.GetRequiredService<ExporterState>());
        app.MapDebugEndpoints();
        app.MapPostureApi(app.Services.GetRequiredService<EngineAccess>(), app.Services.GetRequiredService<ExporterState>(), TimeProvider.System);
        app.MapStatusPage(app.Services.GetRequiredService<EngineAccess>(), app.Services.GetRequiredService<ExporterState>(), TimeProvider.System);
        try
        {
            await app.StartAsync();
        }
        catch (IOException e) when (e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
        {
            throw new ConfigurationException($"Listen: {options.EffectiveListen} is already in use");
        }

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("PostureExporter");
        var url = (app.Urls.FirstOrDefault() ?? options.EffectiveListen).TrimEnd('/');
        // Bound to every interface: say so, and give a URL that works from this machine.
        var local = url.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal);
        if (local != url)
        {
            LogAllInterfaces(logger, url);
        }
        LogListening(logger, local + "/metrics");
        if (demo is not null)
        {
            LogDemo(logger, demo.BaseAddress.ToString().TrimEnd('/'));
        }
        await app.WaitForShutdownAsync();
        return 0;
    }

    /// <summary>The console log every part writes to; levels from the Logging section of the configuration (--log-level).</summary>
    private static ILoggerFactory CreateLoggerFactory(IConfiguration configuration) => LoggerFactory.Create(logging =>
    {
        logging.AddConfiguration(configuration.GetSection("Logging"));
        // Per-request logs drown what matters; LogLevel settings in configuration can still turn them on.
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
    });

    private static CertificateReloader? LoadCertificates(ExporterOptions options, ILogger logger)
    {
        if (!options.Tls.Enabled)
        {
            return null;
        }
        var certificates = new CertificateReloader(options.Tls.CertFile!, options.Tls.KeyFile!, logger);
        try
        {
            certificates.LoadInitial();
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException or ArgumentException)
        {
            throw new ConfigurationException($"Tls:CertFile: cannot load {options.Tls.CertFile} with {options.Tls.KeyFile}: {e.Message}");
        }
        return certificates;
    }

    private static async Task<SimulatedCluster> StartDemoAsync(string listen)
    {
        try
        {
            return await DemoCluster.StartAsync(listen, CancellationToken.None);
        }
        catch (IOException e) when (e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
        {
            throw new ConfigurationException($"DemoApiListen: {listen} is already in use (choose another with --demo-api-listen)");
        }
        catch (ArgumentException e)
        {
            // The simulated API server has no authentication, so it binds loopback addresses only.
            throw new ConfigurationException($"DemoApiListen: {listen}: {e.Message}");
        }
    }

    /// <summary>HOST:PORT (validated at load) as an endpoint; 0.0.0.0 and * mean every IPv4 address.</summary>
    private static System.Net.IPEndPoint ListenEndPoint(string listen)
    {
        _ = CommandLine.TryParseHostPort(listen, out var host, out var port);
        var address = host switch
        {
            "0.0.0.0" or "*" => System.Net.IPAddress.Any,
            "localhost" => System.Net.IPAddress.Loopback,
            _ when System.Net.IPAddress.TryParse(host, out var ip) => ip,
            _ => System.Net.Dns.GetHostAddresses(host).FirstOrDefault() ?? throw new ConfigurationException($"Listen: cannot resolve {host}"),
        };
        return new System.Net.IPEndPoint(address, port);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "posture-exporter serving metrics at {Url}")]
    private static partial void LogListening(ILogger logger, string url);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "listening on every interface ({Url}); with --auth none anyone who can reach it reads the findings")]
    private static partial void LogAllInterfaces(ILogger logger, string url);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "demo cluster API at {Server}; try: KUBECONFIG=/dev/null kubectl --server {Server} get pods -A")]
    private static partial void LogDemo(ILogger logger, string server);
}
