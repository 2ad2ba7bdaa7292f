using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PostureExporter.Configuration;
using PostureExporter.Demo;
using PostureExporter.Engine;
using PostureExporter.Engine.Controls;
using PostureExporter.Engine.Findings;
using PostureExporter.Engine.Model;
using PostureExporter.Informers;
using PostureExporter.Metrics;
using PostureExporter.Simulator;
using Prometheus;

namespace PostureExporter.Hosting;

/// <summary>
/// The exporter's parts that need nothing from the web host: the model and findings index, the metrics, the
/// informers and the channel from them to the engine. Made before the host, so the informers can start listing
/// while the host is built (<see cref="Start"/>); <see cref="Register"/> then hands them to the host's services.
/// </summary>
internal sealed record ExporterCore(
    CollectorRegistry Registry,
    SeriesStore Store,
    ExporterHealthMetrics Health,
    PostureMetrics Metrics,
    FindingsIndex Index,
    Channel<InformerEvent> Channel,
    ExporterState State,
    InformerService Informers)
{
    /// <summary>
    /// Makes the parts and starts the informers as soon as they exist, before the engine's parts are made (those
    /// take a while on a cold process and the lists need nothing from them). Loggers come from
    /// <paramref name="loggers"/> once it is made.
    /// </summary>
    public static ExporterCore Start(ExporterOptions options, PostureSettings settings, KubeApi api, Task<ILoggerFactory> loggers, bool awaitApiServerVersion)
    {
        var registry = Prometheus.Metrics.NewCustomRegistry();
        var time = TimeProvider.System;
        var health = new ExporterHealthMetrics(registry, ServeCommand.Version, Environment.GetEnvironmentVariable("POSTURE_REVISION") ?? "unknown");
        // The engine loop, when it waits for events, runs on the informer thread that writes one, instead of waking
        // a pool thread for it: one thread hop less per watch event (churn p99 ~75-90 -> ~60-73 ms at 1,000/s).
        // The engine only reads this channel, so running inside a write cannot deadlock.
        var channel = System.Threading.Channels.Channel.CreateBounded<InformerEvent>(
            new BoundedChannelOptions(10_000) { SingleReader = true, AllowSynchronousContinuations = true });
        var timing = new InformerTiming(options.WatchIdle);
        var kinds = ControlCatalog.Enabled(settings).SelectMany(c => c.Reads).Distinct();
        var informers = ResourceDescriptor.For(kinds)
            .Select(d => new ResourceInformer(d, api, channel.Writer, health, timing, time, new DeferredLogger(loggers, $"PostureExporter.Informers.{d.Resource}")))
            .ToList();
        foreach (var i in informers)
        {
            health.InformerSynced.WithLabels(i.Resource.Resource).Set(0);
        }
        var state = new ExporterState(informers, time, options.WatchDownBound) { ApiServerVersionSettled = !awaitApiServerVersion };
        var informerService = new InformerService(state);
        informerService.StartEarly();

        var model = new ClusterModel();
        var store = new SeriesStore();
        var metrics = new PostureMetrics(store, model, settings, options.Posture.MaxDetailSeries, options.Posture.NamespaceInfoLabels);
        var index = new FindingsIndex(model, settings, metrics);
        return new ExporterCore(registry, store, health, metrics, index, channel, state, informerService);
    }

    public void Register(IServiceCollection services, ExporterOptions options, SimulatedCluster? demo)
    {
        var time = TimeProvider.System;
        services.AddSingleton(Registry);
        services.AddSingleton(Store);
        services.AddSingleton(time);
        services.AddSingleton(Health);
        services.AddSingleton(Metrics);
        services.AddSingleton(Index);
        services.AddSingleton(Channel);
        services.AddSingleton(State);
        services.AddSingleton<EngineAccess>();
        services.AddHostedService<EngineService>();
        services.AddHostedService(_ => Informers);
        if (demo is not null)
        {
            services.AddSingleton(demo);
            services.AddHostedService(sp => new DemoChurnService(demo, options.DemoChurn, time, sp.GetRequiredService<ILogger<DemoChurnService>>()));
        }
    }
}
