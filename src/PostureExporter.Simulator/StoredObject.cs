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
