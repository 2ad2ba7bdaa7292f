using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PostureExporter.Simulator;

/// <summary>Small helpers over System.Text.Json; the simulator has no typed Kubernetes models on purpose.</summary>
internal static class JsonTools
{
    /// <summary>
    /// Relaxed escaping: the output is JSON for API clients, never embedded in HTML, and kubectl users read it,
    /// so "&lt;" should stay "&lt;" rather than become "\u003C".
    /// </summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string? GetString(JsonObject? obj, string property) =>
        obj is not null && obj.TryGetPropertyValue(property, out var node) && node is JsonValue value
            && value.GetValueKind() == JsonValueKind.String
            ? value.GetValue<string>()
            : null;

    public static JsonObject? GetObject(JsonObject? obj, string property) =>
        obj is not null && obj.TryGetPropertyValue(property, out var node) ? node as JsonObject : null;

    public static JsonObject? Metadata(JsonObject obj) => GetObject(obj, "metadata");

    public static string Name(JsonObject obj) => GetString(Metadata(obj), "name") ?? "";

    public static string Namespace(JsonObject obj) => GetString(Metadata(obj), "namespace") ?? "";

    /// <summary>A property of an object element; an undefined element when absent or when <paramref name="element"/> is no object.</summary>
    public static JsonElement Property(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : default;

    public static string? StringProperty(JsonElement element, string name) =>
        Property(element, name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    /// <summary>The string form of a scalar, for field selectors (booleans and numbers compare as text, as in Kubernetes).</summary>
    public static string? ScalarText(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Number => element.GetRawText(),
        _ => null,
    };

    public static string FormatRv(long rv) => rv.ToString(CultureInfo.InvariantCulture);

    /// <summary>RFC 3339 at whole seconds, as metav1.Time serializes.</summary>
    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
