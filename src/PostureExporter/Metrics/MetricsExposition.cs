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
    /// Captures the whole exposition: every posture family (references to their lines), and the registry's
    /// few health series rendered into a small buffer. Its length is then known before the first byte is sent,
    /// so the response carries a Content-Length and a client can size its buffer once instead of growing it
    /// through a 30 MB chunked body.
    /// </summary>
    public static async Task<Exposition> CaptureAsync(SeriesStore store, CollectorRegistry registry, ExpositionFormat format, CancellationToken ct)
    {
        var families = store.Capture(format);
        try
        {
            var health = new MemoryStream();
            await registry.CollectAndExportAsTextAsync(health, format, ct);
            return new Exposition(families, health);
        }
        catch
        {
            foreach (var f in families)
            {
                f.Dispose();
            }
            throw;
        }
    }

    /// <summary>Captures and writes in one go (tests and benchmarks).</summary>
    public static async Task WriteAsync(Stream body, SeriesStore store, CollectorRegistry registry, ExpositionFormat format, CancellationToken ct)
    {
        using var exposition = await CaptureAsync(store, registry, format, ct);
        await exposition.WriteToAsync(body, ct);
    }

    /// <summary>One captured response. The posture families come first because the registry's OpenMetrics output ends the document with "# EOF"; nothing may follow it.</summary>
    internal sealed class Exposition(IReadOnlyList<FamilySnapshot> families, MemoryStream health) : IDisposable
    {
        public long Length { get; } = families.Sum(f => f.Length) + health.Length;

        public async Task WriteToAsync(Stream body, CancellationToken ct)
        {
            await using (var writer = new ExpositionWriter(body))
            {
                foreach (var family in families)
                {
                    await family.WriteToAsync(writer, ct);
                }
                await writer.FlushAsync(ct);
            }
            await body.WriteAsync(health.GetBuffer().AsMemory(0, (int)health.Length), ct);
        }

        public void Dispose()
        {
            foreach (var f in families)
            {
                f.Dispose();
            }
            health.Dispose();
        }
    }
}
