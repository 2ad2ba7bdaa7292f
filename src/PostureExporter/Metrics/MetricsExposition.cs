using Microsoft.Net.Http.Headers;
using Prometheus;

namespace PostureExporter.Metrics;

/// <summary>
/// /metrics: the posture families from the <see cref="SeriesStore"/>, then the exporter's own metrics from
/// prometheus-net's registry, in the format the client asked for.
/// </summary>
internal static class MetricsExposition
{
    public const string TextContentType = "text/plain; version=0.0.4; charset=utf-8";
    public const string OpenMetricsContentType = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    /// <summary>
    /// OpenMetrics when the Accept header lists it (as Prometheus does, with text/plain as the fallback), else the
    /// Prometheus text format. This is the rule prometheus-net's middleware applied before, so Prometheus keeps
    /// getting OpenMetrics and browsers, curl and promtool keep getting text.
    /// </summary>
    public static ExpositionFormat Negotiate(IList<string>? accept)
    {
        if (accept is not null && MediaTypeHeaderValue.TryParseList(accept, out var ranges))
        {
            foreach (var range in ranges)
            {
                if (range.MediaType.Equals("application/openmetrics-text", StringComparison.OrdinalIgnoreCase) && range.Quality is not 0)
                {
                    return ExpositionFormat.OpenMetricsText;
                }
            }
        }
        return ExpositionFormat.PrometheusText;
    }

    public static string ContentType(ExpositionFormat format) =>
        format == ExpositionFormat.OpenMetricsText ? OpenMetricsContentType : TextContentType;

    /// <summary>
    /// Writes the whole exposition. The posture families come first because the registry's OpenMetrics output ends
    /// the document with its "# EOF" line; nothing may follow it.
    /// </summary>
    public static async Task WriteAsync(Stream body, SeriesStore store, CollectorRegistry registry, ExpositionFormat format, CancellationToken ct)
    {
        await using (var writer = new ExpositionWriter(body))
        {
            await store.WriteToAsync(writer, format, ct);
            await writer.FlushAsync(ct);
        }
        await registry.CollectAndExportAsTextAsync(body, format, ct);
    }
}
