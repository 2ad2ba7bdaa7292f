using System.Text.Json.Nodes;

namespace PostureExporter.Simulator.Http;

/// <summary>
/// TokenReview and SubjectAccessReview, so that a client guarding its endpoints the way kube-rbac-proxy does
/// can be tested against the simulator: tokens and non-resource grants come from <see cref="SimulatorOptions"/>.
/// </summary>
internal static class Reviews
{
    public static JsonObject TokenReview(JsonObject request, IReadOnlyDictionary<string, SimulatedUser> tokens)
    {
        var token = (string?)request["spec"]?["token"] ?? "";
        var status = tokens.TryGetValue(token, out var user)
            ? new JsonObject
            {
                ["authenticated"] = true,
                ["user"] = new JsonObject
                {
                    ["username"] = user.Name,
                    ["uid"] = user.Name,
                    ["groups"] = new JsonArray([.. user.Groups.Select(g => (JsonNode)JsonValue.Create(g))]),
                },
            }
            : new JsonObject { ["authenticated"] = false, ["error"] = "token not recognised" };
        return new JsonObject
        {
            ["apiVersion"] = "authentication.k8s.io/v1",
            ["kind"] = "TokenReview",
            ["metadata"] = new JsonObject(),
            ["spec"] = new JsonObject { ["token"] = token },
            ["status"] = status,
        };
    }

    public static JsonObject SubjectAccessReview(JsonObject request, IReadOnlyList<NonResourceGrant> grants)
    {
        var spec = request["spec"] as JsonObject ?? [];
        var user = (string?)spec["user"] ?? "";
        var groups = (spec["groups"] as JsonArray ?? []).Select(g => (string?)g ?? "").ToHashSet(StringComparer.Ordinal);
        var path = (string?)spec["nonResourceAttributes"]?["path"];
        var verb = (string?)spec["nonResourceAttributes"]?["verb"] ?? "";
        var allowed = path is not null && grants.Any(g =>
            (g.Subject == user || (g.Subject.StartsWith("group:", StringComparison.Ordinal) && groups.Contains(g.Subject[6..])))
            && g.Verbs.Contains(verb)
            && (g.Path == path || (g.Path.EndsWith('*') && path.StartsWith(g.Path[..^1], StringComparison.Ordinal))));
        return new JsonObject
        {
            ["apiVersion"] = "authorization.k8s.io/v1",
            ["kind"] = "SubjectAccessReview",
            ["metadata"] = new JsonObject(),
            ["spec"] = spec.DeepClone(),
            ["status"] = new JsonObject
            {
                ["allowed"] = allowed,
                ["reason"] = allowed ? "granted by the simulator's NonResourceGrants" : "no grant matches",
            },
        };
    }
}
