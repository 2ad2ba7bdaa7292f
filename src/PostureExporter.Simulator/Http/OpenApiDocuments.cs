using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace PostureExporter.Simulator.Http;

/// <summary>
/// A deliberately tiny OpenAPI v3 surface. kubectl create/replace validate by default: kubectl asks /openapi/v3
/// whether the PATCH operation of the kind takes the fieldValidation query parameter; if it does, kubectl leaves
/// validation to the server, otherwise it wants the full /openapi/v2 schema for client-side validation and fails
/// when there is none. So each group-version gets one PATCH operation per kind declaring that parameter, and no
/// schemas. The server accepts fieldValidation and does not validate fields (see the project notes).
/// </summary>
internal static class OpenApiDocuments
{
    private static readonly Lazy<Dictionary<string, JsonObject>> Documents = new(Build);
    private static readonly Lazy<JsonObject> Root = new(BuildRoot);

    /// <summary>The /openapi/v3 discovery document: group-version path to document URL.</summary>
    public static JsonObject Discovery() => (JsonObject)Root.Value.DeepClone();

    /// <summary>The document for "api/v1" or "apis/{group}/{version}", or null.</summary>
    public static JsonObject? ForPath(string path) =>
        Documents.Value.TryGetValue(path, out var document) ? (JsonObject)document.DeepClone() : null;

    private static string PathOf(string group, string version) => group.Length == 0 ? $"api/{version}" : $"apis/{group}/{version}";

    private static Dictionary<string, JsonObject> Build()
    {
        var documents = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var (group, version) in ResourceCatalog.GroupVersions)
        {
            var paths = new JsonObject();
            foreach (var kind in ResourceCatalog.All.Where(k => k.Group == group && k.Version == version))
            {
                var itemPath = kind.Namespaced
                    ? $"/{PathOf(group, version)}/namespaces/{{namespace}}/{kind.Plural}/{{name}}"
                    : $"/{PathOf(group, version)}/{kind.Plural}/{{name}}";
                paths[itemPath] = new JsonObject
                {
                    ["patch"] = new JsonObject
                    {
                        ["operationId"] = $"patch{kind.Kind}",
                        ["parameters"] = new JsonArray(new JsonObject
                        {
                            ["name"] = "fieldValidation",
                            ["in"] = "query",
                            ["description"] = "accepted; the simulated cluster does not validate fields",
                            ["schema"] = new JsonObject { ["type"] = "string", ["uniqueItems"] = true },
                        }),
                        ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "OK" } },
                        ["x-kubernetes-action"] = "patch",
                        ["x-kubernetes-group-version-kind"] = new JsonObject
                        {
                            ["group"] = group,
                            ["version"] = version,
                            ["kind"] = kind.Kind,
                        },
                    },
                };
            }

            documents[PathOf(group, version)] = new JsonObject
            {
                ["openapi"] = "3.0.0",
                ["info"] = new JsonObject { ["title"] = "Kubernetes (simulated)", ["version"] = "unversioned" },
                ["paths"] = paths,
                ["components"] = new JsonObject { ["schemas"] = new JsonObject() },
            };
        }

        return documents;
    }

    private static JsonObject BuildRoot()
    {
        var paths = new JsonObject();
        foreach (var (path, document) in Documents.Value)
        {
            // kubectl's disk cache keys documents by this hash, so it must change whenever the document does.
            var hash = Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(document.ToJsonString())));
            paths[path] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{path}?hash={hash}" };
        }

        return new JsonObject { ["paths"] = paths };
    }
}
