using System.Collections.Immutable;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using PostureExporter.Engine.Model;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace PostureExporter.Engine.Manifests;

/// <summary>A manifest that cannot be read, with the file and line of the problem.</summary>
public sealed class ManifestException(string source, long line, string message)
    : Exception($"{source}:{line}: {message}")
{
    public string File { get; } = source;
    public long Line { get; } = line;
}

/// <summary>What a set of manifests holds: the objects the model reads, and counts of the kinds it does not.</summary>
public sealed record ManifestSet(ImmutableArray<IKubernetesObject<V1ObjectMeta>> Objects, ImmutableDictionary<string, int> IgnoredKinds);

/// <summary>
/// Reads YAML or JSON manifests: multi-document YAML, single objects, and List kinds such as the output of
/// <c>kubectl get … -o json</c>. Every object of a kind the model holds is returned typed; other kinds are
/// counted, never silently dropped.
/// </summary>
public static class ManifestReader
{
    /// <summary>The API kinds the model reads, with their client model types.</summary>
    public static readonly ImmutableDictionary<string, Type> KindTypes = new Dictionary<string, Type>
    {
        [Kinds.Namespace] = typeof(V1Namespace),
        [Kinds.Pod] = typeof(V1Pod),
        [Kinds.ServiceAccount] = typeof(V1ServiceAccount),
        [Kinds.LimitRange] = typeof(V1LimitRange),
        [Kinds.Node] = typeof(V1Node),
        [Kinds.Role] = typeof(V1Role),
        [Kinds.ClusterRole] = typeof(V1ClusterRole),
        [Kinds.RoleBinding] = typeof(V1RoleBinding),
        [Kinds.ClusterRoleBinding] = typeof(V1ClusterRoleBinding),
        [Kinds.NetworkPolicy] = typeof(V1NetworkPolicy),
        [Kinds.Ingress] = typeof(V1Ingress),
        [Kinds.Deployment] = typeof(V1Deployment),
        [Kinds.ReplicaSet] = typeof(V1ReplicaSet),
        [Kinds.StatefulSet] = typeof(V1StatefulSet),
        [Kinds.DaemonSet] = typeof(V1DaemonSet),
        [Kinds.Job] = typeof(V1Job),
        [Kinds.CronJob] = typeof(V1CronJob),
        [Kinds.ReplicationController] = typeof(V1ReplicationController),
    }.ToImmutableDictionary();

    private static readonly MethodInfo YamlDeserialize = typeof(KubernetesYaml).GetMethods()
        .First(m => m.Name == "Deserialize" && m.IsGenericMethodDefinition && m.GetParameters() is [{ ParameterType: var p }, ..] && p == typeof(string));

    /// <summary>Reads files and directories (recursively: *.yaml, *.yml, *.json), in a stable order.</summary>
    public static ManifestSet ReadPaths(IEnumerable<string> paths)
    {
        var objects = ImmutableArray.CreateBuilder<IKubernetesObject<V1ObjectMeta>>();
        var ignored = new Dictionary<string, int>();
        foreach (var path in paths)
        {
            IEnumerable<string> files;
            if (Directory.Exists(path))
            {
                files = Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                    .Where(f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
                    .Order(StringComparer.Ordinal);
            }
            else if (File.Exists(path))
            {
                files = [path];
            }
            else
            {
                throw new ManifestException(path, 0, "no such file or directory");
            }
            foreach (var f in files)
            {
                Read(File.ReadAllText(f), f, objects, ignored);
            }
        }
        return new ManifestSet(objects.ToImmutable(), ignored.ToImmutableDictionary());
    }

    public static ManifestSet ReadText(string text, string source = "<input>")
    {
        var objects = ImmutableArray.CreateBuilder<IKubernetesObject<V1ObjectMeta>>();
        var ignored = new Dictionary<string, int>();
        Read(text, source, objects, ignored);
        return new ManifestSet(objects.ToImmutable(), ignored.ToImmutableDictionary());
    }

    private static void Read(string text, string source, ImmutableArray<IKubernetesObject<V1ObjectMeta>>.Builder objects, Dictionary<string, int> ignored)
    {
        var trimmed = text.TrimStart();
        if (trimmed.StartsWith('{') || trimmed.StartsWith('['))
        {
            ReadJson(text, source, objects, ignored);
        }
        else
        {
            ReadYaml(text, source, objects, ignored);
        }
    }

    private static void ReadJson(string text, string source, ImmutableArray<IKubernetesObject<V1ObjectMeta>>.Builder objects, Dictionary<string, int> ignored)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = false });
        }
        catch (JsonException e)
        {
            throw new ManifestException(source, (e.LineNumber ?? 0) + 1, e.Message);
        }
        IEnumerable<JsonNode?> items = root is JsonArray array ? array : [root];
        foreach (var item in items)
        {
            AddJson(item, source, objects, ignored);
        }
    }

    private static void AddJson(JsonNode? node, string source, ImmutableArray<IKubernetesObject<V1ObjectMeta>>.Builder objects, Dictionary<string, int> ignored)
    {
        if (node is not JsonObject obj)
        {
            if (node is not null)
            {
                throw new ManifestException(source, 0, "expected an object");
            }
            return;
        }
        var kind = (string?)obj["kind"];
        if (kind is null)
        {
            throw new ManifestException(source, 0, "an object has no kind");
        }
        if (obj["items"] is JsonArray listItems && kind.EndsWith("List", StringComparison.Ordinal))
        {
            // kubectl omits kind on the items of a typed list (e.g. PodList).
            var itemKind = kind == "List" ? null : kind[..^4];
            foreach (var item in listItems)
            {
                if (item is JsonObject io && itemKind is not null && io["kind"] is null)
                {
                    io["kind"] = itemKind;
                }
                AddJson(item, source, objects, ignored);
            }
            return;
        }
        if (!KindTypes.TryGetValue(kind, out var type))
        {
            ignored[kind] = ignored.GetValueOrDefault(kind) + 1;
            return;
        }
        try
        {
            var typed = (IKubernetesObject<V1ObjectMeta>?)obj.Deserialize(type, KubernetesJsonOptions);
            if (typed is not null)
            {
                objects.Add(typed);
            }
        }
        catch (JsonException e)
        {
            throw new ManifestException(source, 0, $"{kind} {(string?)obj["metadata"]?["name"]}: {e.Message}");
        }
    }

    private static readonly JsonSerializerOptions KubernetesJsonOptions = CreateJsonOptions();

    private static JsonSerializerOptions CreateJsonOptions()
    {
        JsonSerializerOptions? captured = null;
        KubernetesJson.AddJsonOptions(o => captured = o);
        return captured ?? throw new InvalidOperationException("KubernetesJson gave no options");
    }

    private static void ReadYaml(string text, string source, ImmutableArray<IKubernetesObject<V1ObjectMeta>>.Builder objects, Dictionary<string, int> ignored)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new ManifestException(source, e.Start.Line, e.Message);
        }
        foreach (var doc in stream.Documents)
        {
            AddYaml(doc.RootNode, source, objects, ignored);
        }
    }

    private static void AddYaml(YamlNode node, string source, ImmutableArray<IKubernetesObject<V1ObjectMeta>>.Builder objects, Dictionary<string, int> ignored)
    {
        if (node is YamlScalarNode { Value: null or "" })
        {
            return; // an empty document, e.g. after a trailing ---
        }
        if (node is not YamlMappingNode map)
        {
            throw new ManifestException(source, node.Start.Line, "expected a mapping (an object)");
        }
        var kind = Scalar(map, "kind") ?? throw new ManifestException(source, node.Start.Line, "an object has no kind");
        if (kind.EndsWith("List", StringComparison.Ordinal) && map.Children.TryGetValue(new YamlScalarNode("items"), out var items))
        {
            if (items is YamlSequenceNode seq)
            {
                var itemKind = kind == "List" ? null : kind[..^4];
                foreach (var item in seq)
                {
                    if (item is YamlMappingNode im && itemKind is not null && Scalar(im, "kind") is null)
                    {
                        im.Add("kind", itemKind);
                    }
                    AddYaml(item, source, objects, ignored);
                }
            }
            return;
        }
        if (!KindTypes.TryGetValue(kind, out var type))
        {
            ignored[kind] = ignored.GetValueOrDefault(kind) + 1;
            return;
        }
        var writer = new StringWriter();
        new YamlStream(new YamlDocument(map)).Save(writer, assignAnchors: false);
        try
        {
            var typed = (IKubernetesObject<V1ObjectMeta>?)YamlDeserialize.MakeGenericMethod(type).Invoke(null, [writer.ToString(), false]);
            if (typed is not null)
            {
                objects.Add(typed);
            }
        }
        catch (TargetInvocationException e) when (e.InnerException is YamlException ye)
        {
            throw new ManifestException(source, map.Start.Line + ye.Start.Line - 1, $"{kind} {Name(map)}: {ye.InnerException?.Message ?? ye.Message}");
        }
        catch (TargetInvocationException e)
        {
            throw new ManifestException(source, map.Start.Line, $"{kind} {Name(map)}: {e.InnerException?.Message ?? e.Message}");
        }
    }

    private static string? Scalar(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlScalarNode s ? s.Value : null;

    private static string Name(YamlMappingNode map) =>
        map.Children.TryGetValue(new YamlScalarNode("metadata"), out var m) && m is YamlMappingNode meta ? Scalar(meta, "name") ?? "" : "";
}
