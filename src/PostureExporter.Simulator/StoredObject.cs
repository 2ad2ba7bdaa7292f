using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PostureExporter.Simulator;

/// <summary>
/// An object as the store keeps it: an immutable parsed JSON document (its UTF-8 text plus a token index).
/// </summary>
/// <remarks>
/// Callers hand in and get back <see cref="JsonObject"/>s, but the store keeps this compact, read-only form:
/// a materialized JsonObject tree of a typical pod costs ~30 KB against ~6 KB here, it can be read from any
/// number of request threads without the lazy-initialization races of JsonNode, and lists and watches write
/// its UTF-8 text straight to the response instead of re-serializing a tree.
/// </remarks>
internal sealed class StoredObject
{
    private StoredObject(JsonElement root) => Root = root;

    public JsonElement Root { get; }

    public JsonElement Metadata => JsonTools.Property(Root, "metadata");

    public string ResourceVersion => JsonTools.StringProperty(Metadata, "resourceVersion") ?? "";

    public string Uid => JsonTools.StringProperty(Metadata, "uid") ?? "";

    /// <summary>The exact JSON text, without copying.</summary>
    public ReadOnlySpan<byte> Utf8 => JsonMarshal.GetRawUtf8Value(Root);

    /// <summary>Freezes a JSON tree: serialize once, index once, never change again.</summary>
    public static StoredObject From(JsonNode node)
    {
        // ParseValue copies into a document of its own that owns plain (not pooled) arrays: nothing to dispose.
        var reader = new Utf8JsonReader(Serialize(node).WrittenSpan);
        return new StoredObject(JsonElement.ParseValue(ref reader));
    }

    /// <summary>
    /// Freezes JSON text with the server-owned metadata (namespace, resourceVersion, uid, creationTimestamp) set:
    /// every other value is copied as raw text, never re-serialized token by token. A namespace without a status
    /// gets phase Active, as <see cref="ClusterStore.Create"/> gives it.
    /// </summary>
    public static StoredObject Stamp(JsonElement source, ResourceKind kind, string ns, string resourceVersion, string uid, string creationTimestamp)
    {
        var buffer = new ArrayBufferWriter<byte>(source.ValueKind == JsonValueKind.Object ? JsonMarshal.GetRawUtf8Value(source).Length + 160 : 256);
        using (var writer = new Utf8JsonWriter(buffer, JsonTools.WriterOptions))
        {
            writer.WriteStartObject();
            var hasStatus = false;
            foreach (var property in source.EnumerateObject())
            {
                if (property.NameEquals("metadata"u8))
                {
                    writer.WritePropertyName("metadata"u8);
                    writer.WriteStartObject();
                    foreach (var field in property.Value.EnumerateObject())
                    {
                        if (!(field.NameEquals("namespace"u8) || field.NameEquals("resourceVersion"u8) || field.NameEquals("uid"u8) || field.NameEquals("creationTimestamp"u8)))
                        {
                            CopyProperty(writer, field);
                        }
                    }

                    if (kind.Namespaced)
                    {
                        writer.WriteString("namespace"u8, ns);
                    }

                    writer.WriteString("resourceVersion"u8, resourceVersion);
                    writer.WriteString("uid"u8, uid);
                    writer.WriteString("creationTimestamp"u8, creationTimestamp);
                    writer.WriteEndObject();
                    continue;
                }

                hasStatus |= property.NameEquals("status"u8);
                CopyProperty(writer, property);
            }

            if (kind.Plural == "namespaces" && !hasStatus)
            {
                writer.WritePropertyName("status"u8);
                writer.WriteStartObject();
                writer.WriteString("phase"u8, "Active");
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        var reader = new Utf8JsonReader(buffer.WrittenSpan);
        return new StoredObject(JsonElement.ParseValue(ref reader));
    }

    /// <summary>Copies one property's name and value text as they are (names with escapes take the safe route).</summary>
    private static void CopyProperty(Utf8JsonWriter writer, JsonProperty property)
    {
        var name = JsonMarshal.GetRawUtf8PropertyName(property);
        if (name.IndexOf((byte)'\\') < 0)
        {
            writer.WritePropertyName(name);
        }
        else
        {
            writer.WritePropertyName(property.Name);
        }

        writer.WriteRawValue(JsonMarshal.GetRawUtf8Value(property.Value), skipInputValidation: true);
    }

    /// <summary>A deep copy of a caller's tree, so that the caller's object is never touched.</summary>
    public static JsonObject Copy(JsonObject source) => JsonNode.Parse(Serialize(source).WrittenSpan)!.AsObject();

    private static ArrayBufferWriter<byte> Serialize(JsonNode node)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using var writer = new Utf8JsonWriter(buffer, JsonTools.WriterOptions);
        node.WriteTo(writer);
        writer.Flush();
        return buffer;
    }

    /// <summary>A private, mutable copy for callers.</summary>
    public JsonObject ToJsonObject() => JsonNode.Parse(Utf8)!.AsObject();

    public void WriteTo(Utf8JsonWriter writer) => writer.WriteRawValue(Utf8, skipInputValidation: true);

    /// <summary>Writes the object without top-level kind/apiVersion, as the real API server does for list items.</summary>
    public void WriteAsListItem(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        foreach (var property in Root.EnumerateObject())
        {
            if (property.NameEquals("kind"u8) || property.NameEquals("apiVersion"u8))
            {
                continue;
            }

            // Copy each value's text as is rather than re-serializing it token by token: lists of thousands
            // of pods are the hot path. Names with escapes (never seen in practice) take the safe route.
            var name = JsonMarshal.GetRawUtf8PropertyName(property);
            if (name.IndexOf((byte)'\\') < 0)
            {
                writer.WritePropertyName(name);
            }
            else
            {
                writer.WritePropertyName(property.Name);
            }

            writer.WriteRawValue(JsonMarshal.GetRawUtf8Value(property.Value), skipInputValidation: true);
        }

        writer.WriteEndObject();
    }
}
