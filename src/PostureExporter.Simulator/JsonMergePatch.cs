using System.Text.Json.Nodes;

namespace PostureExporter.Simulator;

/// <summary>
/// RFC 7386 JSON merge patch. Strategic merge patches are applied with the same rules after dropping their
/// "$…" directive keys: right for maps (labels, annotations: what kubectl label/annotate send), while lists are
/// replaced instead of merged by key, a documented simplification.
/// </summary>
internal static class JsonMergePatch
{
    /// <summary>Returns the patched document; <paramref name="target"/> may be modified and reused.</summary>
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch, bool strategic)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        if (target is not JsonObject targetObject)
        {
            targetObject = [];
        }

        foreach (var (name, value) in patchObject)
        {
            if (strategic && name.StartsWith('$'))
            {
                continue;
            }

            if (value is null)
            {
                targetObject.Remove(name);
                continue;
            }

            targetObject.TryGetPropertyValue(name, out var existing);
            var merged = Apply(existing, value, strategic);
            if (!ReferenceEquals(merged, existing))
            {
                targetObject[name] = merged;
            }
        }

        return targetObject;
    }
}
