using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace PostureExporter.Simulator.Http;

/// <summary>
/// <c>POST /simulator/faults/{name}</c>: the HTTP face of <see cref="ClusterFaults"/>. Each answers 200 with a small
/// JSON object saying what it did; bad parameters are 400 and unknown names 404, both as Status objects.
/// </summary>
internal static class FaultEndpoints
{
    public static readonly IReadOnlyList<string> Names =
        ["drop-watches", "hang-watches", "compact", "outage", "throttle", "malformed-watch-line", "unexpected-shape", "clear"];

    /// <summary>Runs the fault named <paramref name="name"/>; the caller has checked the method.</summary>
    public static JsonObject Invoke(ClusterFaults faults, string name, IQueryCollection query)
    {
        var report = new JsonObject { ["fault"] = name };
        switch (name)
        {
            case "drop-watches":
                report["droppedWatches"] = faults.DropWatches();
                break;
            case "hang-watches":
                report["hungWatches"] = faults.HangWatches();
                break;
            case "compact":
                var compaction = faults.Compact();
                report["resourceVersion"] = JsonTools.FormatRv(compaction.ResourceVersion);
                report["forgottenEvents"] = compaction.ForgottenEvents;
                break;
            case "outage":
                var outageSeconds = Seconds(query);
                var outage = faults.StartOutage(TimeSpan.FromSeconds(outageSeconds));
                report["seconds"] = outageSeconds;
                report["until"] = outage.Until.ToString("O", CultureInfo.InvariantCulture);
                report["droppedWatches"] = outage.DroppedWatches;
                break;
            case "throttle":
                var throttleSeconds = Seconds(query);
                report["seconds"] = throttleSeconds;
                report["until"] = faults.StartThrottle(TimeSpan.FromSeconds(throttleSeconds)).ToString("O", CultureInfo.InvariantCulture);
                break;
            case "malformed-watch-line":
                var malformedIn = Resource(query);
                report["resource"] = malformedIn;
                report["watches"] = faults.WriteMalformedWatchLine(malformedIn);
                break;
            case "unexpected-shape":
                var shapeIn = Resource(query);
                report["resource"] = shapeIn;
                report["watches"] = faults.WriteUnexpectedShape(shapeIn);
                break;
            case "clear":
                var cleared = faults.Clear();
                report["endedOutage"] = cleared.EndedOutage;
                report["endedThrottle"] = cleared.EndedThrottle;
                break;
            default:
                throw Unknown(name);
        }

        return report;
    }

    public static StoreException Unknown(string name) =>
        new(404, "NotFound", $"no fault named \"{name}\"; the simulator knows {string.Join(", ", Names)}");

    /// <summary>A positive number of seconds (fractions allowed, e.g. 0.5) up to <see cref="ClusterFaults.MaxWindow"/>.</summary>
    private static double Seconds(IQueryCollection query)
    {
        var text = query["seconds"].Count == 0 ? null : query["seconds"][0];
        if (string.IsNullOrEmpty(text))
        {
            throw new StoreException(400, "BadRequest", "seconds is required, e.g. ?seconds=5");
        }

        if (!double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds)
            || seconds <= 0
            || seconds > ClusterFaults.MaxWindow.TotalSeconds)
        {
            throw new StoreException(400, "BadRequest", $"invalid seconds: \"{text}\" (a number above 0 and at most {ClusterFaults.MaxWindow.TotalSeconds:0})");
        }

        return seconds;
    }

    private static string Resource(IQueryCollection query)
    {
        var resource = query["resource"].Count == 0 ? null : query["resource"][0];
        if (ClusterFaults.FindResource(resource) is null)
        {
            throw new StoreException(
                400,
                "BadRequest",
                string.IsNullOrEmpty(resource)
                    ? "resource is required, e.g. ?resource=pods"
                    : $"the simulated cluster serves no resource \"{resource}\" (use a plural such as \"pods\")");
        }

        return resource!;
    }
}
