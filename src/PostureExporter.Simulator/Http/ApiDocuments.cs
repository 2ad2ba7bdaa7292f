using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PostureExporter.Simulator.Http;

/// <summary>The JSON documents of the API surface that are not stored objects: discovery, Status, tables.</summary>
internal static class ApiDocuments
{
    private static readonly string[] Verbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    public static JsonObject Version(string gitVersion)
    {
        // "v1.32.0" -> major "1", minor "32": kubectl compares these for its version-skew warning.
        var parts = gitVersion.TrimStart('v').Split('.', '-', '+');
        return new JsonObject
        {
            ["major"] = parts.ElementAtOrDefault(0) ?? "1",
            ["minor"] = parts.ElementAtOrDefault(1) ?? "0",
            ["gitVersion"] = gitVersion,
            ["gitCommit"] = "0000000000000000000000000000000000000000",
            ["gitTreeState"] = "clean",
            ["buildDate"] = "2024-12-11T00:00:00Z",
            ["goVersion"] = "go1.23.3",
            ["compiler"] = "gc",
            ["platform"] = "linux/amd64",
        };
    }

    public static JsonObject CoreVersions(string serverAddress) => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject
        {
            ["clientCIDR"] = "0.0.0.0/0",
            ["serverAddress"] = serverAddress,
        }),
    };

    public static JsonObject GroupList()
    {
        var groups = new JsonArray();
        foreach (var group in NamedGroups())
        {
            groups.Add(GroupBody(group));
        }

        return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups };
    }

    public static JsonObject? Group(string name)
    {
        if (!NamedGroups().Contains(name, StringComparer.Ordinal))
        {
            return null;
        }

        var body = GroupBody(name);
        return new JsonObject
        {
            ["kind"] = "APIGroup",
            ["apiVersion"] = "v1",
            ["name"] = body["name"]!.DeepClone(),
            ["versions"] = body["versions"]!.DeepClone(),
            ["preferredVersion"] = body["preferredVersion"]!.DeepClone(),
        };
    }

    public static JsonObject ResourceList(string group, string version)
    {
        var resources = new JsonArray();
        foreach (var kind in ResourceCatalog.All.Where(k => k.Group == group && k.Version == version))
        {
            var resource = new JsonObject
            {
                ["name"] = kind.Plural,
                ["singularName"] = kind.Kind.ToLowerInvariant(),
                ["namespaced"] = kind.Namespaced,
                ["kind"] = kind.Kind,
                ["verbs"] = new JsonArray([.. Verbs.Select(v => JsonValue.Create(v))]),
            };
            var shortNames = ResourceCatalog.ShortNamesOf(kind);
            if (shortNames.Length > 0)
            {
                resource["shortNames"] = new JsonArray([.. shortNames.Select(s => JsonValue.Create(s))]);
            }

            if (ResourceCatalog.InAllCategory(kind))
            {
                resource["categories"] = new JsonArray("all");
            }

            resources.Add(resource);
        }

        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}",
            ["resources"] = resources,
        };
    }

    public static JsonObject RootPaths()
    {
        var paths = new JsonArray("/api", "/api/v1", "/apis", "/healthz", "/livez", "/readyz", "/version");
        foreach (var group in NamedGroups())
        {
            paths.Add($"/apis/{group}");
            foreach (var (g, v) in ResourceCatalog.GroupVersions.Where(gv => gv.Group == group))
            {
                paths.Add($"/apis/{g}/{v}");
            }
        }

        return new JsonObject { ["paths"] = paths };
    }

    public static JsonObject Failure(StoreException error)
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = error.Message,
            ["reason"] = error.Reason,
        };
        if (error.Name is not null || error.ResourcePlural is not null || error.RetryAfterSeconds is not null)
        {
            var details = new JsonObject();
            if (error.Name is not null)
            {
                details["name"] = error.Name;
            }

            if (!string.IsNullOrEmpty(error.Group))
            {
                details["group"] = error.Group;
            }

            if (error.ResourcePlural is not null)
            {
                details["kind"] = error.ResourcePlural;
            }

            if (error.RetryAfterSeconds is { } retryAfter)
            {
                details["retryAfterSeconds"] = retryAfter;
            }

            status["details"] = details;
        }

        status["code"] = error.Code;
        return status;
    }

    public static JsonObject Success(ResourceKind kind, StoredObject deleted)
    {
        var details = new JsonObject { ["name"] = JsonTools.StringProperty(deleted.Metadata, "name") };
        if (kind.Group.Length > 0)
        {
            details["group"] = kind.Group;
        }

        details["kind"] = kind.Plural;
        details["uid"] = deleted.Uid;
        return new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Success",
            ["details"] = details,
        };
    }

    /// <summary>
    /// A meta.k8s.io Table, which is what kubectl's human-readable output asks for: the server decides the
    /// columns. Name and Age for every kind (what a real server shows for kinds without custom printers), plus
    /// the familiar Ready/Status/Restarts for pods and Status for namespaces.
    /// </summary>
    public static JsonObject Table(ResourceKind kind, TableFormat format, IEnumerable<StoredObject> objects, bool withHeaders, long rv, string? continueToken, DateTimeOffset now)
    {
        var metadata = new JsonObject { ["resourceVersion"] = JsonTools.FormatRv(rv) };
        if (continueToken is not null)
        {
            metadata["continue"] = continueToken;
        }

        var rows = new JsonArray();
        foreach (var obj in objects)
        {
            var created = JsonTools.StringProperty(obj.Metadata, "creationTimestamp");
            var age = created is not null && DateTimeOffset.TryParse(created, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
                ? HumanDuration.Format(now - at)
                : "<unknown>";
            var row = new JsonObject { ["cells"] = Cells(kind, obj, age) };
            switch (format.IncludeObject)
            {
                case "None":
                    break;
                case "Object":
                    row["object"] = obj.ToJsonObject();
                    break;
                default:
                    row["object"] = new JsonObject
                    {
                        ["kind"] = "PartialObjectMetadata",
                        ["apiVersion"] = format.ApiVersion,
                        ["metadata"] = JsonObject.Create(obj.Metadata.Clone()) ?? new JsonObject(),
                    };
                    break;
            }

            rows.Add(row);
        }

        var columns = new JsonArray();
        if (withHeaders)
        {
            columns.Add(Column("Name", "name", "Name must be unique within a namespace."));
            switch (kind.Plural)
            {
                case "pods":
                    columns.Add(Column("Ready", "", "The number of containers that are ready out of all containers."));
                    columns.Add(Column("Status", "", "The aggregate status of the containers in this pod."));
                    columns.Add(Column("Restarts", "", "The number of times the containers in this pod have been restarted."));
                    break;
                case "namespaces":
                    columns.Add(Column("Status", "", "The status of the namespace."));
                    break;
            }

            columns.Add(Column("Age", "", "CreationTimestamp is a timestamp representing the server time when this object was created."));
        }

        return new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = format.ApiVersion,
            ["metadata"] = metadata,
            ["columnDefinitions"] = columns,
            ["rows"] = rows,
        };
    }

    private static JsonArray Cells(ResourceKind kind, StoredObject obj, string age)
    {
        var name = JsonTools.StringProperty(obj.Metadata, "name");
        var status = JsonTools.Property(obj.Root, "status");
        switch (kind.Plural)
        {
            case "pods":
                var containers = JsonTools.Property(JsonTools.Property(obj.Root, "spec"), "containers");
                var statuses = JsonTools.Property(status, "containerStatuses") is { ValueKind: JsonValueKind.Array } array ? [.. array.EnumerateArray()] : new List<JsonElement>();
                var ready = statuses.Count(s => JsonTools.Property(s, "ready").ValueKind == JsonValueKind.True);
                var restarts = statuses.Sum(s => JsonTools.Property(s, "restartCount") is { ValueKind: JsonValueKind.Number } n && n.TryGetInt32(out var count) ? count : 0);
                var phase = JsonTools.StringProperty(obj.Metadata, "deletionTimestamp") is not null
                    ? "Terminating"
                    : JsonTools.StringProperty(status, "phase") ?? "Pending";
                var total = containers.ValueKind == JsonValueKind.Array ? containers.GetArrayLength() : 0;
                return new JsonArray(name, $"{ready}/{total}", phase, restarts.ToString(CultureInfo.InvariantCulture), age);
            case "namespaces":
                return new JsonArray(name, JsonTools.StringProperty(status, "phase") ?? "Active", age);
            default:
                return new JsonArray(name, age);
        }
    }

    private static JsonObject Column(string name, string format, string description) => new()
    {
        ["name"] = name,
        ["type"] = "string",
        ["format"] = format,
        ["description"] = description,
        ["priority"] = 0,
    };

    private static IEnumerable<string> NamedGroups() =>
        ResourceCatalog.GroupVersions.Select(gv => gv.Group).Where(g => g.Length > 0).Distinct();

    private static JsonObject GroupBody(string group)
    {
        var versions = new JsonArray();
        foreach (var (_, version) in ResourceCatalog.GroupVersions.Where(gv => gv.Group == group))
        {
            versions.Add(new JsonObject { ["groupVersion"] = $"{group}/{version}", ["version"] = version });
        }

        return new JsonObject
        {
            ["name"] = group,
            ["versions"] = versions,
            ["preferredVersion"] = versions[0]!.DeepClone(),
        };
    }
}

/// <summary>A Table response was asked for: which meta.k8s.io version and how much of each object to embed.</summary>
internal sealed record TableFormat(string ApiVersion, string IncludeObject)
{
    /// <summary>Reads the Accept header the way the API server negotiates: the first JSON Table media range wins.</summary>
    public static TableFormat? FromRequest(string? accept, string? includeObject)
    {
        if (string.IsNullOrEmpty(accept) || !accept.Contains("as=Table", StringComparison.Ordinal))
        {
            return null;
        }

        foreach (var range in accept.Split(','))
        {
            var parts = range.Split(';', StringSplitOptions.TrimEntries);
            if (!string.Equals(parts[0], "application/json", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var parameters = parts.Skip(1)
                .Select(p => p.Split('=', 2))
                .Where(kv => kv.Length == 2)
                .ToDictionary(kv => kv[0], kv => kv[1], StringComparer.Ordinal);
            if (parameters.GetValueOrDefault("as") == "Table" && parameters.GetValueOrDefault("g") == "meta.k8s.io"
                && parameters.GetValueOrDefault("v") is "v1" or "v1beta1")
            {
                return new TableFormat($"meta.k8s.io/{parameters["v"]}", includeObject ?? "Metadata");
            }
        }

        return null;
    }
}
