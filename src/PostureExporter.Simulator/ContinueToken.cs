using System.Buffers.Text;
using System.Text.Json;

namespace PostureExporter.Simulator;

/// <summary>
/// Opaque to clients: base64url of {"rv": snapshot resourceVersion, "ns", "name": last key returned}. The next
/// page is the snapshot at rv, rebuilt from current state plus the retained history, restricted to keys after
/// the last one, so pages stay consistent while writes happen between them.
/// </summary>
internal sealed record ContinueToken(long Rv, ObjectKey After)
{
    public string Encode()
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["rv"] = Rv,
            ["ns"] = After.Namespace,
            ["name"] = After.Name,
        });
        return Base64Url.EncodeToString(json);
    }

    /// <summary>Throws <see cref="FormatException"/> for anything this server did not issue.</summary>
    public static ContinueToken Decode(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(Base64Url.DecodeFromChars(text));
            var root = document.RootElement;
            return new ContinueToken(
                root.GetProperty("rv").GetInt64(),
                new ObjectKey(root.GetProperty("ns").GetString() ?? "", root.GetProperty("name").GetString() ?? ""));
        }
        catch (Exception ex) when (ex is JsonException or FormatException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException("invalid continue token", ex);
        }
    }
}
