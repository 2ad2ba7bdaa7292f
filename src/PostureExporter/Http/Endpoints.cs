using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using PostureExporter.Hosting;
using PostureExporter.Metrics;
using Prometheus;

namespace PostureExporter.Http;

internal static class Endpoints
{
    public static void MapExporterEndpoints(this WebApplication app, CollectorRegistry registry, SeriesStore store, ExporterState state)
    {
        // Written here rather than by prometheus-net's MapMetrics: the posture families are kept as ready text in
        // the SeriesStore (see MetricFamily), and only the exporter's own metrics come from the registry.
        app.MapGet("/metrics", async (HttpContext context) =>
        {
            var format = MetricsExposition.Negotiate(context.Request.Headers.Accept);
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = MetricsExposition.ContentType(format);
            using var exposition = await MetricsExposition.CaptureAsync(store, registry, format, context.RequestAborted);
            context.Response.ContentLength = exposition.Length;
            await exposition.WriteToAsync(context.Response.Body, context.RequestAborted);
        });
        app.MapGet("/healthz", () => state.IsHealthy(out var detail)
            ? Results.Text(detail + "\n")
            : Results.Text(detail + "\n", statusCode: StatusCodes.Status503ServiceUnavailable));
        app.MapGet("/readyz", () => state.IsReady(out var detail)
            ? Results.Text(detail + "\n")
            : Results.Text(detail + "\n", statusCode: StatusCodes.Status503ServiceUnavailable));
    }
}
