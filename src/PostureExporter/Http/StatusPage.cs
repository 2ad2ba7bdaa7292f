using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using PostureExporter.Hosting;
using PostureExporter.Metrics;

namespace PostureExporter.Http;

/// <summary>
/// GET /: the status page for whoever port-forwards to the exporter. Server-rendered, no scripts, no external
/// assets; refreshes itself. Every value is HTML-encoded: annotation text (waiver reasons) is attacker-controlled.
/// </summary>
internal static class StatusPage
{
    private const int MaxRows = 500;
    private static readonly HtmlEncoder Html = HtmlEncoder.Default;

    public static void MapStatusPage(this WebApplication app, EngineAccess engine, ExporterState state, TimeProvider time)
    {
        app.MapGet("/", async (HttpContext context) =>
        {
            if (!state.IsReady(out var waiting))
            {
                // Before the first whole evaluation the index is empty: a score of 100 would be a lie.
                return Results.Text($"not ready yet: {waiting}; this page refreshes itself\n", "text/plain", statusCode: StatusCodes.Status503ServiceUnavailable);
            }
            var filter = FindingFilter.Parse(n => context.Request.Query.TryGetValue(n, out var v) ? v.ToString() : null, out var error);
            if (error is not null)
            {
                filter = new FindingFilter(null, null, null, null);
            }
            var snapshot = await engine.QueryAsync(i => PostureSnapshot.Take(i, filter, MaxRows, time.GetUtcNow()), context.RequestAborted);
            var html = Render(snapshot, filter, error, state);
            return Results.Content(html, "text/html; charset=utf-8");
        });
    }

    private static string E(string? text) => Html.Encode(text ?? "");

    private static string Link(string text, string query) => $"<a href=\"/?{query}\">{E(text)}</a>";

    private static string Q(string name, string value) => $"{name}={Uri.EscapeDataString(value)}";

    internal static string Age(TimeSpan t) =>
        t.TotalDays >= 1 ? $"{(int)t.TotalDays}d {t.Hours}h" : t.TotalHours >= 1 ? $"{(int)t.TotalHours}h {t.Minutes}m" : t.TotalMinutes >= 1 ? $"{(int)t.TotalMinutes}m" : $"{Math.Max(0, (int)t.TotalSeconds)}s";

    private static string SeverityClass(string severity) => severity switch
    {
        "critical" => "sev-critical",
        "high" => "sev-high",
        "medium" => "sev-medium",
        _ => "sev-low",
    };

    internal static string Render(PostureSnapshot s, FindingFilter filter, string? error, ExporterState state)
    {
        var sb = new StringBuilder(16_384);
        sb.Append("""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="refresh" content="15">
            <title>PostureExporter — cluster posture</title>
            <style>
            body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2330;background:#f5f6f8}
            header{background:#1d2330;color:#fff;padding:14px 24px;display:flex;gap:32px;align-items:center;flex-wrap:wrap}
            header h1{font-size:18px;margin:0 24px 0 0}
            .score{font-size:34px;font-weight:700}
            .pill{display:inline-block;border-radius:10px;padding:1px 8px;font-weight:600;font-size:12px}
            .sev-critical{background:#7b1020;color:#fff}.sev-high{background:#d9480f;color:#fff}.sev-medium{background:#f08c00;color:#fff}.sev-low{background:#adb5bd;color:#1d2330}
            .waived{background:#d0ebff;color:#1d2330}.ok{background:#d3f9d8;color:#1d2330}.bad{background:#ffe3e3;color:#7b1020}
            main{padding:16px 24px;display:grid;grid-template-columns:minmax(300px,1fr) minmax(420px,2fr);gap:20px}
            section{background:#fff;border-radius:8px;padding:12px 16px;box-shadow:0 1px 2px rgba(0,0,0,.08);overflow:auto}
            section.wide{grid-column:1/-1}
            h2{font-size:15px;margin:4px 0 10px}h3{font-size:13px;margin:12px 0 4px;color:#495057}
            table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #edf0f2;vertical-align:top}
            th{font-size:12px;color:#6c757d;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
            a{color:#1c7ed6;text-decoration:none}a:hover{text-decoration:underline}
            .fix{color:#495057;font-size:12px}.muted{color:#868e96}.filter{margin-bottom:8px}
            </style></head><body>
            """);
        sb.Append("<header><h1>PostureExporter</h1>");
        sb.Append(CultureInfo.InvariantCulture, $"<div><div class=\"muted\">cluster score</div><div class=\"score\" id=\"score\">{s.Score:0.0}</div></div>");
        sb.Append("<div id=\"severity-counts\">");
        foreach (var (sev, n) in s.ViolationsBySeverity)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<span class=\"pill {SeverityClass(sev)}\">{E(sev)} {n}</span> ");
        }
        sb.Append(CultureInfo.InvariantCulture, $"<span class=\"pill waived\">waived {s.Waived}</span> <span class=\"muted\">{s.Checked} checks</span></div>");
        var synced = state.Informers.Count(i => i.HasSynced);
        var lastEvent = state.Informers.Select(i => i.LastEventAt).Max();
        var ago = lastEvent is { } last ? Age(s.TakenAt - last) + " ago" : "none yet";
        sb.Append(CultureInfo.InvariantCulture, $"<div id=\"health\"><span class=\"pill {(synced == state.Informers.Count ? "ok" : "bad")}\">informers synced {synced}/{state.Informers.Count}</span> <span class=\"muted\">last event {E(ago)} · updated {s.TakenAt:HH:mm:ss} UTC</span></div>");
        sb.Append("</header><main>");

        // Namespaces, worst first.
        sb.Append("<section id=\"namespaces\"><h2>Namespaces</h2><table><tr><th>namespace</th><th>score</th><th>critical</th><th>high</th><th>medium</th><th>low</th><th>waived</th></tr>");
        foreach (var n in s.Namespaces)
        {
            var name = n.Namespace.Length == 0 ? "(cluster-scoped)" : n.Namespace;
            sb.Append(CultureInfo.InvariantCulture, $"<tr data-namespace=\"{E(n.Namespace)}\"><td>{Link(name, Q("namespace", n.Namespace))}</td><td class=\"num\">{n.Score:0.0}</td>");
            foreach (var sev in new[] { "critical", "high", "medium", "low" })
            {
                sb.Append(CultureInfo.InvariantCulture, $"<td class=\"num\">{n.Violations[sev]}</td>");
            }
            sb.Append(CultureInfo.InvariantCulture, $"<td class=\"num\">{n.Waived}</td></tr>");
        }
        sb.Append("</table></section>");

        // Findings, with the drill-down filter.
        sb.Append("<section id=\"findings\"><h2>");
        sb.Append(filter.Control is not null ? $"Control {E(filter.Control)}" : filter.Namespace is not null ? $"Namespace {E(filter.Namespace.Length == 0 ? "(cluster-scoped)" : filter.Namespace)}" : "Violations and waivers");
        sb.Append("</h2>");
        if (error is not null)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<p class=\"bad\">{E(error)}</p>");
        }
        if (filter.Control is not null || filter.Namespace is not null)
        {
            sb.Append("<div class=\"filter\"><a href=\"/\">← all findings</a></div>");
        }
        if (filter.Control is not null && s.Controls.FirstOrDefault(c => c.Id == filter.Control) is { } control)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<p><b>{E(control.Title)}</b> <span class=\"pill {SeverityClass(control.Severity)}\">{E(control.Severity)}</span> §{E(control.Section)} · {E(control.Category)}</p><p>{E(control.Rationale)}</p><p class=\"fix\">fix: {E(control.Remediation)}</p>");
        }
        sb.Append("<table><tr><th>status</th><th>control</th><th>subject</th><th>message</th><th>first seen</th></tr>");
        foreach (var f in s.Findings)
        {
            var subject = f.Namespace.Length == 0 || f.Kind == "Namespace" ? $"{f.Kind}/{f.Name}" : $"{f.Kind}/{f.Namespace}/{f.Name}";
            var status = f.Status == "waived" ? "<span class=\"pill waived\">waived</span>" : $"<span class=\"pill {SeverityClass(f.Severity)}\">{E(f.Severity)}</span>";
            var seen = f.FirstSeen is { } t ? E(Age(s.TakenAt - t)) : "";
            sb.Append(CultureInfo.InvariantCulture, $"<tr class=\"finding\" data-control=\"{E(f.Control)}\" data-status=\"{E(f.Status)}\"><td>{status}</td><td>{Link(f.Control, Q("control", f.Control))}</td><td>{E(subject)}</td><td>{E(f.Message)}<div class=\"fix\">fix: {E(f.Remediation)}</div></td><td>{seen}</td></tr>");
        }
        sb.Append("</table>");
        if (s.FindingsTotal > s.Findings.Count)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<p class=\"muted\">showing {s.Findings.Count} of {s.FindingsTotal}; narrow with a namespace or control, or use /api/v1/findings</p>");
        }
        if (s.FindingsTotal == 0)
        {
            sb.Append("<p class=\"muted\">nothing to show</p>");
        }
        sb.Append("</section>");

        // Controls grouped by checklist section.
        sb.Append("<section id=\"controls\" class=\"wide\"><h2>Controls by checklist section</h2><table><tr><th>§</th><th>control</th><th>severity</th><th>violations</th><th>waived</th><th>checked</th><th></th></tr>");
        foreach (var c in s.Controls.OrderBy(c => c.Section == "audit" ? "99" : c.Section, StringComparer.Ordinal).ThenBy(c => c.Id, StringComparer.Ordinal))
        {
            var applicable = c.Applicable ? "" : "<span class=\"muted\">not applicable</span>";
            sb.Append(CultureInfo.InvariantCulture, $"<tr data-control=\"{E(c.Id)}\"><td>{E(c.Section)}</td><td>{Link(c.Id, Q("control", c.Id))} <span class=\"muted\">{E(c.Title)}</span></td><td><span class=\"pill {SeverityClass(c.Severity)}\">{E(c.Severity)}</span></td><td class=\"num\">{c.Violations}</td><td class=\"num\">{c.Waived}</td><td class=\"num\">{c.Checked}</td><td>{applicable}</td></tr>");
        }
        sb.Append("</table></section>");

        // Waivers and their expiry.
        sb.Append("<section id=\"waivers\" class=\"wide\"><h2>Waivers</h2><table><tr><th>control</th><th>subject</th><th>reason</th><th>until</th><th>source</th></tr>");
        foreach (var w in s.Waivers)
        {
            var subject = w.Namespace.Length == 0 || w.Kind == "Namespace" ? $"{w.Kind}/{w.Name}" : $"{w.Kind}/{w.Namespace}/{w.Name}";
            sb.Append(CultureInfo.InvariantCulture, $"<tr class=\"waiver\"><td>{E(w.Control)}</td><td>{E(subject)}</td><td class=\"reason\">{E(w.Waiver?.Reason)}</td><td>{E(w.Waiver?.Until?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "no expiry")}</td><td>{E(w.Waiver?.Source)}</td></tr>");
        }
        if (s.Waivers.Count == 0)
        {
            sb.Append("<tr><td colspan=\"5\" class=\"muted\">no waivers</td></tr>");
        }
        sb.Append("</table></section></main></body></html>\n");
        return sb.ToString();
    }
}
