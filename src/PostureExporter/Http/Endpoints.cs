using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using PostureExporter.Hosting;
using Prometheus;

namespace PostureExporter.Http;

internal static class Endpoints
{
    public static void MapExporterEndpoints(this WebApplication app, CollectorRegistry registry, ExporterState state)
    {
        app.MapMetrics(settings => settings.Registry = registry, "/metrics");
        app.MapGet("/healthz", () => state.IsHealthy(out var detail)
            ? Results.Text(detail + "\n")
            : Results.Text(detail + "\n", statusCode: StatusCodes.Status503ServiceUnavailable));
        app.MapGet("/readyz", () => state.IsReady(out var detail)
            ? Results.Text(detail + "\n")
            : Results.Text(detail + "\n", statusCode: StatusCodes.Status503ServiceUnavailable));
    }
}
