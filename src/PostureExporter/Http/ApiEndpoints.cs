using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using PostureExporter.Hosting;

namespace PostureExporter.Http;

/// <summary>/api/v1/findings and /api/v1/controls: answered from the findings index, never by re-evaluating.</summary>
internal static class ApiEndpoints
{
    private const int MaxFindings = 10_000;

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        // Served as application/json, never embedded in HTML, so quotes and apostrophes need no escaping.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void MapPostureApi(this WebApplication app, EngineAccess engine, ExporterState state, TimeProvider time)
    {
        // Before the first whole evaluation the index is empty; say so rather than answer "no findings".
        IResult? NotReady() => state.IsReady(out var waiting)
            ? null
            : Results.Json(new { error = $"not ready yet: {waiting}" }, Json, statusCode: StatusCodes.Status503ServiceUnavailable);

        app.MapGet("/api/v1/findings", async (HttpContext context) =>
        {
            if (NotReady() is { } notReady)
            {
                return notReady;
            }
            var filter = FindingFilter.Parse(n => context.Request.Query.TryGetValue(n, out var v) ? v.ToString() : null, out var error);
            if (error is not null)
            {
                return Results.Json(new { error }, Json, statusCode: StatusCodes.Status400BadRequest);
            }
            var snapshot = await engine.QueryAsync(i => PostureSnapshot.Take(i, filter, MaxFindings, time.GetUtcNow()), context.RequestAborted);
            return Results.Json(new
            {
                findings = snapshot.Findings,
                summary = new
                {
                    score = snapshot.Score,
                    @checked = snapshot.Checked,
                    violations = snapshot.ViolationsBySeverity,
                    waived = snapshot.Waived,
                    matching = snapshot.FindingsTotal,
                    truncated = snapshot.FindingsTotal > snapshot.Findings.Count,
                },
            }, Json);
        });
        app.MapGet("/api/v1/controls", async (HttpContext context) =>
        {
            if (NotReady() is { } notReady)
            {
                return notReady;
            }
            var snapshot = await engine.QueryAsync(i => PostureSnapshot.Take(i, new FindingFilter(null, null, null, null), 0, time.GetUtcNow()), context.RequestAborted);
            return Results.Json(new { controls = snapshot.Controls }, Json);
        });
    }
}
