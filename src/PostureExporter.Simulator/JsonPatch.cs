using System.Globalization;
using System.Text.Json.Nodes;

namespace PostureExporter.Simulator;

/// <summary>
/// RFC 6902 JSON Patch (add, remove, replace, move, copy, test), for `kubectl patch --type json` and clients
/// that send application/json-patch+json. Errors throw <see cref="StoreException"/> with the codes the real
/// server uses: 422 for a failed test or a path that does not exist, 400 for a malformed patch.
/// </summary>
internal static class JsonPatch
{
    public static JsonNode? Apply(JsonNode? document, JsonNode? patch)
    {
        if (patch is not JsonArray operations)
        {
            throw BadRequest("a JSON patch must be an array of operations");
        }

        foreach (var entry in operations)
        {
            if (entry is not JsonObject operation)
            {
                throw BadRequest("each JSON patch operation must be an object");
            }

            var op = JsonTools.GetString(operation, "op") ?? throw BadRequest("JSON patch operation without \"op\"");
            var path = JsonTools.GetString(operation, "path") ?? throw BadRequest($"JSON patch \"{op}\" without \"path\"");
            switch (op)
            {
                case "add":
                    document = Add(document, path, ValueOf(operation));
                    break;
                case "remove":
                    document = Remove(document, path, out _);
                    break;
                case "replace":
                    document = Remove(document, path, out _);
                    document = Add(document, path, ValueOf(operation));
                    break;
                case "move":
                    {
                        var from = JsonTools.GetString(operation, "from") ?? throw BadRequest("JSON patch \"move\" without \"from\"");
                        document = Remove(document, from, out var moved);
                        document = Add(document, path, moved);
                        break;
                    }

                case "copy":
                    {
                        var from = JsonTools.GetString(operation, "from") ?? throw BadRequest("JSON patch \"copy\" without \"from\"");
                        document = Add(document, path, Find(document, from)?.DeepClone());
                        break;
                    }

                case "test":
                    if (!JsonNode.DeepEquals(Find(document, path), ValueOf(operation)))
                    {
                        throw new StoreException(422, "Invalid", $"the JSON patch test at \"{path}\" failed");
                    }

                    break;
                default:
                    throw BadRequest($"unknown JSON patch operation \"{op}\"");
            }
        }

        return document;
    }

    private static JsonNode? ValueOf(JsonObject operation) =>
        operation.TryGetPropertyValue("value", out var value) ? value?.DeepClone() : throw BadRequest("JSON patch operation without \"value\"");

    private static string[] Split(string pointer)
    {
        if (pointer.Length == 0)
        {
            return [];
        }

        if (pointer[0] != '/')
        {
            throw BadRequest($"invalid JSON pointer \"{pointer}\"");
        }

        return [.. pointer[1..].Split('/').Select(token => token.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal))];
    }

    private static JsonNode? Find(JsonNode? document, string pointer)
    {
        var node = document;
        foreach (var token in Split(pointer))
        {
            node = node switch
            {
                JsonObject obj when obj.TryGetPropertyValue(token, out var child) => child,
                JsonArray array when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < array.Count => array[index],
                _ => throw Missing(pointer),
            };
        }

        return node;
    }

    private static JsonNode? Add(JsonNode? document, string pointer, JsonNode? value)
    {
        var tokens = Split(pointer);
        if (tokens.Length == 0)
        {
            return value;
        }

        var parent = Find(document, ParentPointer(pointer));
        var last = tokens[^1];
        switch (parent)
        {
            case JsonObject obj:
                obj[last] = value;
                break;
            case JsonArray array when last == "-":
                array.Add(value);
                break;
            case JsonArray array when int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index <= array.Count:
                array.Insert(index, value);
                break;
            default:
                throw Missing(pointer);
        }

        return document;
    }

    private static JsonNode? Remove(JsonNode? document, string pointer, out JsonNode? removed)
    {
        var tokens = Split(pointer);
        if (tokens.Length == 0)
        {
            removed = document;
            return null;
        }

        var parent = Find(document, ParentPointer(pointer));
        var last = tokens[^1];
        switch (parent)
        {
            case JsonObject obj when obj.TryGetPropertyValue(last, out var child):
                obj.Remove(last);
                removed = child;
                break;
            case JsonArray array when int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < array.Count:
                removed = array[index];
                array.RemoveAt(index);
                break;
            default:
                throw Missing(pointer);
        }

        return document;
    }

    private static string ParentPointer(string pointer) => pointer[..pointer.LastIndexOf('/')];

    private static StoreException Missing(string pointer) =>
        new(422, "Invalid", $"the JSON patch path \"{pointer}\" does not exist");

    private static StoreException BadRequest(string message) => new(400, "BadRequest", message);
}
