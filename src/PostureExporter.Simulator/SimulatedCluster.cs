using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PostureExporter.Simulator.Http;

namespace PostureExporter.Simulator;

/// <summary>
/// An in-memory Kubernetes API server on Kestrel, speaking the real JSON protocol over plain HTTP on loopback,
/// so that KubernetesClient and kubectl can be pointed at it unchanged.
/// </summary>
public sealed class SimulatedCluster : IAsyncDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    private readonly WebApplication _app;
    private readonly CancellationTokenSource _shutdown;
    private int _disposed;

    private SimulatedCluster(WebApplication app, ClusterStore store, ClusterFaults faults, CancellationTokenSource shutdown, Uri baseAddress)
    {
        _app = app;
        Store = store;
        Faults = faults;
        _shutdown = shutdown;
        BaseAddress = baseAddress;
    }

    /// <summary>Where the API server listens, e.g. http://127.0.0.1:41234.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The same state the HTTP API serves; in-process changes reach HTTP watchers like any other.</summary>
    public ClusterStore Store { get; }

    /// <summary>Fault injection (dropped and hung watches, compaction, outages, throttling, bad watch lines); also served as POST /simulator/faults/*.</summary>
    public ClusterFaults Faults { get; }

    /// <summary>Starts the server. Refuses non-loopback listen addresses: the simulator has no authentication at all.</summary>
    public static async Task<SimulatedCluster> StartAsync(SimulatorOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var endpoint = ParseListen(options.Listen);
        ArgumentOutOfRangeException.ThrowIfNegative(options.HistoryLimit, nameof(options.HistoryLimit));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BookmarkInterval, TimeSpan.Zero, nameof(options.BookmarkInterval));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.GitVersion, nameof(options.GitVersion));

        var store = new ClusterStore(options.HistoryLimit);
        var shutdown = new CancellationTokenSource();
        var settings = new ServerSettings(options.GitVersion, options.BookmarkInterval, TimeProvider.System)
        {
            Tokens = new Dictionary<string, SimulatedUser>(options.Tokens, StringComparer.Ordinal),
            NonResourceGrants = [.. options.NonResourceGrants],
        };
        var faults = new ClusterFaults(store, settings.Time);
        var api = new ApiServer(store, faults, settings, shutdown.Token);

        // The empty builder reads no configuration, environment or appsettings and logs nowhere: a library
        // embedded in tests and the demo must not pick up the host process's ASPNETCORE_* settings.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());

        // The default console lifetime would catch SIGTERM/Ctrl+C and stop only this embedded server, leaving the
        // host process running; signals belong to the process that embeds the simulator.
        builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;

            // Plain-text HTTP/2 needs prior knowledge no Kubernetes client uses; HTTP/1.1 keeps chunked watches simple.
            kestrel.Listen(endpoint, listen => listen.Protocols = HttpProtocols.Http1);
        });
        var app = builder.Build();
        app.Run(api.HandleAsync);
        try
        {
            await app.StartAsync(ct);
        }
        catch
        {
            await app.DisposeAsync();
            shutdown.Dispose();
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        var baseAddress = new Uri(address.Replace("://localhost:", "://127.0.0.1:", StringComparison.Ordinal));
        api.ServerAddress = baseAddress.Authority;
        return new SimulatedCluster(app, store, faults, shutdown, baseAddress);
    }

    /// <summary>Ends every open watch, then stops the server.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Watches are endless requests; end them first so that Kestrel's graceful stop does not wait for them.
        await _shutdown.CancelAsync();
        Store.Close();
        try
        {
            using var stopTimeout = new CancellationTokenSource(StopTimeout);
            await _app.StopAsync(stopTimeout.Token);
        }
        finally
        {
            await _app.DisposeAsync();
            _shutdown.Dispose();
        }
    }

    /// <summary>Parses "host:port" ("127.0.0.1:0", "localhost:8080", "[::1]:0"); only loopback hosts are accepted.</summary>
    internal static IPEndPoint ParseListen(string? listen)
    {
        var colon = listen?.LastIndexOf(':') ?? -1;
        if (listen is null || colon <= 0)
        {
            throw new ArgumentException($"Listen must be host:port, got \"{listen}\"", nameof(listen));
        }

        var host = listen[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        if (!int.TryParse(listen[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > IPEndPoint.MaxPort)
        {
            throw new ArgumentException($"Listen must be host:port with a port from 0 to 65535, got \"{listen}\"", nameof(listen));
        }

        IPAddress? address;
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            address = IPAddress.Loopback;
        }
        else if (!IPAddress.TryParse(host, out address) || !IPAddress.IsLoopback(address))
        {
            throw new ArgumentException($"the simulated cluster has no authentication and only listens on loopback; refusing \"{listen}\"", nameof(listen));
        }

        return new IPEndPoint(address, port);
    }
}

/// <summary>A host lifetime that neither waits for nor listens to anything: start and stop are driven by the owner.</summary>
internal sealed class EmbeddedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
