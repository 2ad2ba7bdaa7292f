using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PostureExporter.Simulator;

/// <summary>Small helpers over System.Text.Json nodes; the simulator has no typed Kubernetes models on purpose.</summary>
internal static class JsonTools
{
    /// <summary>
    /// Relaxed escaping: the output is JSON for API clients, never embedded in HTML, and kubectl users read it,
    /// so "&lt;" should stay "&lt;" rather than become "\u003C".
    /// </summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly JsonSerializerOptions SerializerOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Deep copy through one serialize/parse round trip: one backing document for the whole tree instead of
    /// one per leaf value, which matters when benchmarks hold tens of thousands of pods.
    /// </summary>
    public static JsonObject Clone(JsonObject source) =>
        JsonNode.Parse(JsonSerializer.SerializeToUtf8Bytes(source, SerializerOptions))!.AsObject();

    /// <summary>
    /// JsonObject/JsonArray built by Parse fill their child collections lazily on first access, which is a write.
    /// Stored objects are read by many request threads at once, so they are fully expanded once, under the store
    /// lock, before anyone else can see them; after that every access is a pure read.
    /// </summary>
    public static void Materialize(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var property in obj)
                {
                    Materialize(property.Value);
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    Materialize(item);
                }

                break;
        }
    }

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

    public static JsonObject? Labels(JsonObject obj) => GetObject(Metadata(obj), "labels");

    /// <summary>The string form of a scalar, for field selectors (booleans and numbers compare as text, as in Kubernetes).</summary>
    public static string? ScalarText(JsonNode? node) => node switch
    {
        JsonValue value => value.GetValueKind() switch
        {
            JsonValueKind.String => value.GetValue<string>(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Number => value.ToJsonString(),
            _ => null,
        },
        _ => null,
    };

    public static string FormatRv(long rv) => rv.ToString(CultureInfo.InvariantCulture);

    /// <summary>RFC 3339 at whole seconds, as metav1.Time serializes.</summary>
    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static void WriteNode(Utf8JsonWriter writer, JsonNode? node)
    {
        if (node is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            node.WriteTo(writer);
        }
    }

    /// <summary>Writes an object but drops top-level kind/apiVersion, as the real API server does for list items.</summary>
    public static void WriteListItem(Utf8JsonWriter writer, JsonObject obj)
    {
        writer.WriteStartObject();
        foreach (var (name, value) in obj)
        {
            if (name is "kind" or "apiVersion")
            {
                continue;
            }

            writer.WritePropertyName(name);
            WriteNode(writer, value);
        }

        writer.WriteEndObject();
    }
}
