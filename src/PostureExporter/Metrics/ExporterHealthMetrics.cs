using Prometheus;

namespace PostureExporter.Metrics;

/// <summary>The exporter's own health metrics (posture_exporter_*), on an injected registry.</summary>
internal sealed class ExporterHealthMetrics
{
    public ExporterHealthMetrics(CollectorRegistry registry, string version, string revision)
    {
        var f = Prometheus.Metrics.WithCustomRegistry(registry);
        InformerSynced = f.CreateGauge("posture_exporter_informer_synced", "1 once the initial list is applied and the watch is live, else 0.", "resource");
        InformerObjects = f.CreateGauge("posture_exporter_informer_objects", "Objects of the resource in the exporter's cache.", "resource");
        WatchEvents = f.CreateCounter("posture_exporter_watch_events_total", "Watch events applied, by type (ADDED, MODIFIED, DELETED, BOOKMARK).", "resource", "type");
        WatchRestarts = f.CreateCounter("posture_exporter_watch_restarts_total", "Watch reconnects and relists, by reason.", "resource", "reason");
        LastEvent = f.CreateGauge("posture_exporter_last_event_timestamp_seconds", "Unix time of the last watch event received for the resource.", "resource");
        Evaluation = f.CreateHistogram("posture_exporter_evaluation_seconds", "Time to apply one change to the findings index.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.00001, 4, 10) });
        DecodeErrors = f.CreateCounter("posture_exporter_decode_errors_total", "Objects or watch lines that could not be read, skipped and counted.", "resource");
        EvaluationErrors = f.CreateCounter("posture_exporter_evaluation_errors_total", "Changes whose evaluation failed; each triggers a whole re-evaluation.");
        InvalidWaivers = f.CreateGauge("posture_exporter_invalid_waivers", "Objects whose waiver annotations are invalid and so not honoured.");
        BuildInfo = f.CreateGauge("posture_exporter_build_info", "Build information; always 1.", "version", "revision");
        BuildInfo.WithLabels(version, revision).Set(1);
        // Lets rules tell an exporter restart (counters back to 0) from anything else.
        f.CreateGauge("posture_exporter_start_time_seconds", "Unix time the exporter process started.")
            .Set(System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime().Subtract(DateTime.UnixEpoch).TotalSeconds);
    }

    public Gauge InformerSynced { get; }
    public Gauge InformerObjects { get; }
    public Counter WatchEvents { get; }
    public Counter WatchRestarts { get; }
    public Gauge LastEvent { get; }
    public Histogram Evaluation { get; }
    public Counter DecodeErrors { get; }
    public Counter EvaluationErrors { get; }
    public Gauge InvalidWaivers { get; }
    public Gauge BuildInfo { get; }
}
