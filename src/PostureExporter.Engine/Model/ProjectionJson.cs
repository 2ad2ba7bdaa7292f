using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using k8s;
using k8s.Models;
using static PostureExporter.Engine.Model.JsonRead;

namespace PostureExporter.Engine.Model;

/// <summary>
/// JSON options that decode API objects into the KubernetesClient model types, but only the properties
/// <see cref="Projector"/> reads. Everything else (managedFields, status, probes, volumes' sources, the
/// last-applied annotation's siblings …) is skipped by the reader instead of being built into objects that are
/// thrown away a moment later: a full <c>V1Pod</c> costs ~63 µs and ~18 KB of garbage to decode, most of it for
/// fields no control reads. The decoded objects are therefore partial and must only be handed to the projector.
/// Pods and pod templates' specs, most of a cluster's bytes, are not decoded into model types at all: they are read
/// straight into their projections by <see cref="PodJson"/> (<see cref="ProjectedPod"/>, <see cref="ProjectedPodSpec"/>).
/// <para>
/// Keep <see cref="Kept"/> and <see cref="PodJson"/> in step with <see cref="Projector"/>: a property read there and
/// missing here reads as null. <c>ProjectionJsonTests</c> holds them together by projecting every fixture both ways.
/// </para>
/// </summary>
public static class ProjectionJson
{
    private static readonly string[] Meta = ["metadata"];

    /// <summary>The JSON properties kept per model type; types not listed keep all of theirs.</summary>
    private static readonly FrozenDictionary<Type, FrozenSet<string>> Kept = new Dictionary<Type, string[]>
    {
        [typeof(V1ObjectMeta)] = ["name", "namespace", "resourceVersion", "labels", "annotations", "ownerReferences"],
        [typeof(V1OwnerReference)] = ["kind", "name", "controller"],

        [typeof(V1PodTemplateSpec)] = ["spec"],

        // The workload kinds themselves are read by WorkloadConverter: metadata, then spec (or not).
        [typeof(V1DeploymentSpec)] = ["template"],
        [typeof(V1ReplicaSetSpec)] = ["template"],
        [typeof(V1StatefulSetSpec)] = ["template"],
        [typeof(V1DaemonSetSpec)] = ["template"],
        [typeof(V1ReplicationControllerSpec)] = ["template"],
        [typeof(V1JobSpec)] = ["template"],
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
    public static JsonSerializerOptions Options { get; } = CreateOptions(allLabels: false);

    /// <summary>
    /// For namespaces, whose labels are all read (Pod Security levels, the production selector, the labels copied
    /// into posture_namespace_info); <see cref="Options"/> hands namespaces to these.
    /// </summary>
    private static readonly JsonSerializerOptions NamespaceOptions = CreateOptions(allLabels: true);

    private static JsonSerializerOptions CreateOptions(bool allLabels)
    {
        var resolver = new DefaultJsonTypeInfoResolver();
        resolver.Modifiers.Add(info => KeepOnlyWhatTheProjectorReads(info, allLabels));
        var options = new JsonSerializerOptions
        {
            TypeInfoResolver = resolver,
            Converters =
            {
                // Quantities are only tested for presence (a limit is set or not): parsing "512Mi" into a number
                // would cost more than the rest of a container together.
                new PresenceOnlyQuantityConverter(),
                new PodConverter(),
                new PodSpecConverter(),
                new WorkloadConverter<V1Deployment, V1DeploymentSpec>((o, m) => o.Metadata = m, (o, s) => o.Spec = s),
                new WorkloadConverter<V1ReplicaSet, V1ReplicaSetSpec>((o, m) => o.Metadata = m, (o, s) => o.Spec = s),
                new WorkloadConverter<V1StatefulSet, V1StatefulSetSpec>((o, m) => o.Metadata = m, (o, s) => o.Spec = s),
                new WorkloadConverter<V1DaemonSet, V1DaemonSetSpec>((o, m) => o.Metadata = m, (o, s) => o.Spec = s),
                new WorkloadConverter<V1ReplicationController, V1ReplicationControllerSpec>((o, m) => o.Metadata = m, (o, s) => o.Spec = s),
                new WorkloadConverter<V1Job, V1JobSpec>((o, m) => o.Metadata = m, (o, s) => o.Spec = s),
                new WorkloadConverter<V1CronJob, V1CronJobSpec>((o, m) => o.Metadata = m, (o, s) => o.Spec = s),
            },
        };
        if (!allLabels)
        {
            options.Converters.Add(new NamespaceConverter());
        }
        options.MakeReadOnly();
        return options;
    }

    private static void KeepOnlyWhatTheProjectorReads(JsonTypeInfo info, bool allLabels)
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
                continue;
            }
            property.CustomConverter = (info.Type.Name, property.Name) switch
            {
                (nameof(V1ObjectMeta), "annotations") => new KeyFilteredMapConverter("annotations", Projector.ReadsAnnotation, Projector.ReadsAnnotation),
                (nameof(V1ObjectMeta), "labels") when !allLabels => new KeyFilteredMapConverter("labels", Projector.ReadsLabel, Projector.ReadsLabel),
                _ => property.CustomConverter,
            };
        }
    }

    /// <summary>Hands a namespace to <see cref="NamespaceOptions"/>, which keep all its labels.</summary>
    private sealed class NamespaceConverter : JsonConverter<V1Namespace>
    {
        public override V1Namespace? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            JsonSerializer.Deserialize<V1Namespace>(ref reader, NamespaceOptions);

        public override void Write(Utf8JsonWriter writer, V1Namespace value, JsonSerializerOptions options) =>
            throw new NotSupportedException("ProjectionJson only decodes");
    }

    /// <summary>A pod, read straight into its projection.</summary>
    private sealed class PodConverter : JsonConverter<V1Pod>
    {
        public override V1Pod Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            new ProjectedPod(PodJson.Read(ref reader));

        public override void Write(Utf8JsonWriter writer, V1Pod value, JsonSerializerOptions options) =>
            throw new NotSupportedException("ProjectionJson only decodes");
    }

    /// <summary>A pod template's spec (a pod's own is read with the pod), read straight into its projection.</summary>
    private sealed class PodSpecConverter : JsonConverter<V1PodSpec>
    {
        public override V1PodSpec Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            new ProjectedPodSpec(PodJson.ReadSpec(ref reader, keepCommands: false)!.Info);

        public override void Write(Utf8JsonWriter writer, V1PodSpec value, JsonSerializerOptions options) =>
            throw new NotSupportedException("ProjectionJson only decodes");
    }

    /// <summary>
    /// Labels or annotations, keeping only the keys a projection reads (<see cref="Projector.ReadsLabel"/>,
    /// <see cref="Projector.ReadsAnnotation"/>): the rest, the last-applied-configuration annotation above all (a copy
    /// of the whole object), is skipped unread, the key tested as UTF-8 bytes without becoming a string; null when
    /// none is kept.
    /// </summary>
    private sealed class KeyFilteredMapConverter(string what, Func<ReadOnlySpan<byte>, bool> readsUtf8, Func<string, bool> reads)
        : JsonConverter<IDictionary<string, string>?>
    {
        public override bool HandleNull => true;

        public override IDictionary<string, string>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            Dictionary<string, string>? kept = null;
            foreach (var (key, value) in ReadFilteredMap(ref reader, what, readsUtf8, reads))
            {
                (kept ??= new(StringComparer.Ordinal))[key] = value;
            }
            return kept;
        }

        public override void Write(Utf8JsonWriter writer, IDictionary<string, string>? value, JsonSerializerOptions options) =>
            throw new NotSupportedException("ProjectionJson only decodes");
    }

    /// <summary>
    /// A workload object: its metadata, then its spec, unless the metadata (which the API server writes first) says
    /// a workload controller runs it. Such an object (a Deployment's ReplicaSet, a CronJob's Job) is never a subject
    /// of its own and <see cref="Projector"/> keeps no template for it, so its spec, a whole pod template, is
    /// skipped unread. Nothing else of a workload is read; a spec that comes before the metadata is decoded.
    /// </summary>
    private sealed class WorkloadConverter<T, TSpec>(Action<T, V1ObjectMeta?> setMetadata, Action<T, TSpec?> setSpec) : JsonConverter<T>
        where T : class, IKubernetesObject<V1ObjectMeta>, new()
        where TSpec : class
    {
        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new JsonException($"a {typeof(T).Name} must be an object, not {reader.TokenType}");
            }
            var result = new T();
            while (NextProperty(ref reader, typeof(T).Name))
            {
                if (reader.ValueTextEquals("metadata"u8))
                {
                    Advance(ref reader, typeof(T).Name);
                    setMetadata(result, JsonSerializer.Deserialize<V1ObjectMeta>(ref reader, options));
                }
                else if (reader.ValueTextEquals("spec"u8) && Projector.KeepsTemplate(result.Metadata))
                {
                    Advance(ref reader, typeof(T).Name);
                    setSpec(result, JsonSerializer.Deserialize<TSpec>(ref reader, options));
                }
                else
                {
                    SkipValue(ref reader, typeof(T).Name);
                }
            }
            return result;
        }

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
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
