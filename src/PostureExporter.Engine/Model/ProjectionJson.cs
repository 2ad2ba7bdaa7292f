using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using k8s;
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
                (nameof(V1PodSpec), "volumes") => new FilteredListConverter<V1Volume>("volumes", HostPathVolume),
                (nameof(V1Container) or nameof(V1EphemeralContainer), "env") => new FilteredListConverter<V1EnvVar>("env", LiteralEnvVar),
                (nameof(V1Container) or nameof(V1EphemeralContainer), "ports") => new FilteredListConverter<V1ContainerPort>("ports", HostPort),
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

    // What the projector reads of a volume, an env var and a port: the list keeps only those that matter, and of
    // them only what is read. (A pod's projected token volume alone, with its sources, is ~1 KB of objects.)

    /// <summary>A hostPath volume, by name (the source itself is not read); null for any other volume.</summary>
    private static V1Volume? HostPathVolume(ref Utf8JsonReader reader)
    {
        string? name = null;
        var hostPath = false;
        while (NextProperty(ref reader, "a volume"))
        {
            if (reader.ValueTextEquals("name"u8))
            {
                name = ReadString(ref reader, "a volume's name");
            }
            else
            {
                hostPath |= reader.ValueTextEquals("hostPath"u8);
                SkipValue(ref reader, "a volume");
            }
        }
        return hostPath ? new V1Volume { Name = name, HostPath = PresentHostPath } : null;
    }

    private static readonly V1HostPathVolumeSource PresentHostPath = new() { Path = "" };

    /// <summary>An env var with a literal, non-empty value, by name (the value itself is not read); null otherwise.</summary>
    private static V1EnvVar? LiteralEnvVar(ref Utf8JsonReader reader)
    {
        string? name = null;
        var literal = false;
        while (NextProperty(ref reader, "an env var"))
        {
            if (reader.ValueTextEquals("name"u8))
            {
                name = ReadString(ref reader, "an env var's name");
            }
            else if (reader.ValueTextEquals("value"u8))
            {
                Advance(ref reader, "an env var");
                literal = reader.TokenType switch
                {
                    JsonTokenType.String => reader.HasValueSequence ? reader.ValueSequence.Length > 0 : reader.ValueSpan.Length > 0,
                    JsonTokenType.Null => false,
                    _ => throw new JsonException($"an env var's value must be a string, not {reader.TokenType}"),
                };
            }
            else
            {
                SkipValue(ref reader, "an env var");
            }
        }
        return literal ? new V1EnvVar { Name = name, Value = PresentValue } : null;
    }

    private const string PresentValue = "(set)";

    /// <summary>A port with a host port above 0, by that number alone; null otherwise.</summary>
    private static V1ContainerPort? HostPort(ref Utf8JsonReader reader)
    {
        int? hostPort = null;
        while (NextProperty(ref reader, "a port"))
        {
            if (reader.ValueTextEquals("hostPort"u8))
            {
                Advance(ref reader, "a port");
                hostPort = reader.TokenType switch
                {
                    JsonTokenType.Number when reader.TryGetInt32(out var n) => n,
                    JsonTokenType.Null => null,
                    _ => throw new JsonException($"a port's hostPort must be a 32-bit number, not {reader.TokenType}"),
                };
            }
            else
            {
                SkipValue(ref reader, "a port");
            }
        }
        return hostPort is > 0 ? new V1ContainerPort { HostPort = hostPort } : null;
    }

    private delegate T? ItemReader<T>(ref Utf8JsonReader reader);

    /// <summary>A list property whose items are read by <paramref name="readItem"/>, which drops those it returns null for; null when none is kept.</summary>
    private sealed class FilteredListConverter<T>(string what, ItemReader<T> readItem) : JsonConverter<IList<T>?>
        where T : class
    {
        public override bool HandleNull => true;

        public override IList<T>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.Null)
            {
                return null;
            }
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                throw new JsonException($"{what} must be an array, not {reader.TokenType}");
            }
            List<T>? kept = null;
            while (true)
            {
                Advance(ref reader, what);
                if (reader.TokenType == JsonTokenType.EndArray)
                {
                    return kept;
                }
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    throw new JsonException($"an item of {what} must be an object, not {reader.TokenType}");
                }
                if (readItem(ref reader) is { } item)
                {
                    (kept ??= []).Add(item);
                }
            }
        }

        public override void Write(Utf8JsonWriter writer, IList<T>? value, JsonSerializerOptions options) =>
            throw new NotSupportedException("ProjectionJson only decodes");
    }

    /// <summary>Moves to the next property name of the object the reader is in; false at its end.</summary>
    private static bool NextProperty(ref Utf8JsonReader reader, string what)
    {
        Advance(ref reader, what);
        return reader.TokenType == JsonTokenType.PropertyName;
    }

    private static string? ReadString(ref Utf8JsonReader reader, string what)
    {
        Advance(ref reader, what);
        return reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Null => null,
            _ => throw new JsonException($"{what} must be a string, not {reader.TokenType}"),
        };
    }

    /// <summary>Skips the value of the property the reader is on.</summary>
    private static void SkipValue(ref Utf8JsonReader reader, string what)
    {
        Advance(ref reader, what);
        // The serializer buffers a converter's whole value before calling it, so TrySkip cannot run short; but the
        // reader of a streamed page is never the final block, so Skip() would throw.
        if (!reader.TrySkip())
        {
            throw new JsonException($"{what} cut short");
        }
    }

    private static void Advance(ref Utf8JsonReader reader, string what)
    {
        if (!reader.Read())
        {
            throw new JsonException($"{what} cut short");
        }
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
            if (reader.TokenType == JsonTokenType.Null)
            {
                return null;
            }
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new JsonException($"{what} must be an object, not {reader.TokenType}");
            }
            Dictionary<string, string>? kept = null;
            while (NextProperty(ref reader, what))
            {
                // An escaped or split key is rare: it is compared as a string.
                var plain = !reader.ValueIsEscaped && !reader.HasValueSequence;
                if (plain ? !readsUtf8(reader.ValueSpan) : !reads(reader.GetString()!))
                {
                    SkipValue(ref reader, what);
                    continue;
                }
                var key = reader.GetString()!;
                (kept ??= new(StringComparer.Ordinal))[key] = ReadString(ref reader, $"the value of {what} {key}") ?? "";
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
