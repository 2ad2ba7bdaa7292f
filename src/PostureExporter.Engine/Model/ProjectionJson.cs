using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using k8s.Models;

namespace PostureExporter.Engine.Model;

/// <summary>
/// JSON options that decode API objects into the KubernetesClient model types, but only the properties
/// <see cref="Projector"/> reads. Everything else (managedFields, status, probes, volumes' sources, the
/// last-applied annotation's siblings …) is skipped by the reader instead of being built into objects that are
/// thrown away a moment later: a full <c>V1Pod</c> costs ~63 µs and ~18 KB of garbage to decode, most of it for
/// fields no control reads. The decoded objects are therefore partial and must only be handed to the projector.
/// <para>
/// Keep <see cref="Kept"/> in step with <see cref="Projector"/>: a property read there and missing here reads as
/// null. <c>ProjectionJsonTests</c> holds the two together by projecting every fixture both ways.
/// </para>
/// </summary>
public static class ProjectionJson
{
    private static readonly string[] Meta = ["metadata"];
    private static readonly string[] ContainerFields = ["name", "image", "securityContext", "resources", "ports", "env", "command", "args"];

    /// <summary>The JSON properties kept per model type; types not listed keep all of theirs.</summary>
    private static readonly FrozenDictionary<Type, FrozenSet<string>> Kept = new Dictionary<Type, string[]>
    {
        [typeof(V1ObjectMeta)] = ["name", "namespace", "resourceVersion", "labels", "annotations", "ownerReferences"],
        [typeof(V1OwnerReference)] = ["kind", "name", "controller"],

        [typeof(V1Pod)] = ["metadata", "spec", "status"],
        [typeof(V1PodStatus)] = ["phase"],
        [typeof(V1PodTemplateSpec)] = ["spec"],
        [typeof(V1PodSpec)] = ["serviceAccountName", "serviceAccount", "automountServiceAccountToken", "hostPID", "hostIPC",
            "hostNetwork", "volumes", "securityContext", "initContainers", "containers", "ephemeralContainers"],
        [typeof(V1Volume)] = ["name", "hostPath"],
        [typeof(V1PodSecurityContext)] = ["runAsUser", "runAsNonRoot", "seccompProfile"],
        [typeof(V1Container)] = ContainerFields,
        [typeof(V1EphemeralContainer)] = ContainerFields,
        [typeof(V1SecurityContext)] = ["runAsUser", "runAsNonRoot", "privileged", "allowPrivilegeEscalation",
            "readOnlyRootFilesystem", "capabilities", "seccompProfile"],
        [typeof(V1ResourceRequirements)] = ["limits"],
        [typeof(V1ContainerPort)] = ["hostPort"],
        [typeof(V1EnvVar)] = ["name", "value"],

        [typeof(V1Deployment)] = ["metadata", "spec"],
        [typeof(V1DeploymentSpec)] = ["template"],
        [typeof(V1ReplicaSet)] = ["metadata", "spec"],
        [typeof(V1ReplicaSetSpec)] = ["template"],
        [typeof(V1StatefulSet)] = ["metadata", "spec"],
        [typeof(V1StatefulSetSpec)] = ["template"],
        [typeof(V1DaemonSet)] = ["metadata", "spec"],
        [typeof(V1DaemonSetSpec)] = ["template"],
        [typeof(V1ReplicationController)] = ["metadata", "spec"],
        [typeof(V1ReplicationControllerSpec)] = ["template"],
        [typeof(V1Job)] = ["metadata", "spec"],
        [typeof(V1JobSpec)] = ["template"],
        [typeof(V1CronJob)] = ["metadata", "spec"],
        [typeof(V1CronJobSpec)] = ["jobTemplate"],
        [typeof(V1JobTemplateSpec)] = ["spec"],

        [typeof(V1Namespace)] = Meta,
        [typeof(V1ServiceAccount)] = ["metadata", "automountServiceAccountToken"],
        [typeof(V1LimitRange)] = ["metadata", "spec"],
        [typeof(V1LimitRangeItem)] = ["type", "default"],
        [typeof(V1Node)] = ["metadata", "status"],
        [typeof(V1NodeStatus)] = ["nodeInfo"],
        [typeof(V1NodeSystemInfo)] = ["kubeletVersion"],
        [typeof(V1Role)] = ["metadata", "rules"],
        [typeof(V1ClusterRole)] = ["metadata", "rules", "aggregationRule"],
        [typeof(V1PolicyRule)] = ["verbs", "resources", "apiGroups"],
        [typeof(V1RoleBinding)] = ["metadata", "roleRef", "subjects"],
        [typeof(V1ClusterRoleBinding)] = ["metadata", "roleRef", "subjects"],
        [typeof(V1NetworkPolicy)] = ["metadata", "spec"],
        // Only the number of ingress rules is read, and of egress rules only their ports.
        [typeof(V1NetworkPolicyIngressRule)] = [],
        [typeof(V1NetworkPolicyEgressRule)] = ["ports"],
        [typeof(V1Ingress)] = ["metadata", "spec"],
        [typeof(V1IngressSpec)] = ["rules", "tls"],
        [typeof(V1IngressRule)] = ["host"],
    }.ToFrozenDictionary(e => e.Key, e => e.Value.ToFrozenSet(StringComparer.Ordinal));

    /// <summary>The options; decode with <c>JsonSerializer.Deserialize&lt;V1Pod&gt;(…, ProjectionJson.Options)</c>.</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    private static JsonSerializerOptions CreateOptions()
    {
        var resolver = new DefaultJsonTypeInfoResolver();
        resolver.Modifiers.Add(KeepOnlyWhatTheProjectorReads);
        var options = new JsonSerializerOptions
        {
            TypeInfoResolver = resolver,
            // Quantities are only tested for presence (a limit is set or not): parsing "512Mi" into a number
            // would cost more than the rest of a container together.
            Converters = { new PresenceOnlyQuantityConverter() },
        };
        options.MakeReadOnly();
        return options;
    }

    private static void KeepOnlyWhatTheProjectorReads(JsonTypeInfo info)
    {
        if (info.Kind != JsonTypeInfoKind.Object || !Kept.TryGetValue(info.Type, out var keep))
        {
            return;
        }
        for (var i = info.Properties.Count - 1; i >= 0; i--)
        {
            var property = info.Properties[i];
            if (!keep.Contains(property.Name))
            {
                info.Properties.RemoveAt(i);
            }
            else if (info.Type == typeof(V1ObjectMeta) && property.Name == "annotations")
            {
                property.CustomConverter = new ReadAnnotationsConverter();
            }
        }
    }

    /// <summary>
    /// Annotations, keeping only those a projection reads (<see cref="Projector.ReadsAnnotation"/>): the rest, the
    /// last-applied-configuration above all (a copy of the whole object), is skipped unread; null when none is kept.
    /// </summary>
    private sealed class ReadAnnotationsConverter : JsonConverter<IDictionary<string, string>?>
    {
        public override bool HandleNull => true;

        public override IDictionary<string, string>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.Null)
            {
                return null;
            }
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new JsonException($"annotations must be an object, not {reader.TokenType}");
            }
            Dictionary<string, string>? kept = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var key = reader.GetString()!;
                reader.Read();
                if (Projector.ReadsAnnotation(key))
                {
                    (kept ??= new(StringComparer.Ordinal))[key] = reader.TokenType == JsonTokenType.Null ? "" : reader.GetString()!;
                }
                else if (!reader.TrySkip())
                {
                    // The serializer buffers a converter's whole value first, so this cannot happen; but the reader
                    // of a streamed page is never the final block, so Skip() would throw.
                    throw new JsonException("annotations cut short");
                }
            }
            return kept;
        }

        public override void Write(Utf8JsonWriter writer, IDictionary<string, string>? value, JsonSerializerOptions options) =>
            throw new NotSupportedException("ProjectionJson only decodes");
    }

    /// <summary>Reads any quantity as one shared placeholder; never writes (these options only decode).</summary>
    private sealed class PresenceOnlyQuantityConverter : JsonConverter<ResourceQuantity>
    {
        private static readonly ResourceQuantity Present = new("1");

        public override ResourceQuantity Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.Number))
            {
                throw new JsonException($"a quantity must be a string or a number, not {reader.TokenType}");
            }
            return Present;
        }

        public override void Write(Utf8JsonWriter writer, ResourceQuantity value, JsonSerializerOptions options) =>
            throw new NotSupportedException("ProjectionJson only decodes");
    }
}
