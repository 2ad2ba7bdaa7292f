using System.Collections.Immutable;
using System.Text.Json;
using k8s.Models;
using static PostureExporter.Engine.Model.JsonRead;

namespace PostureExporter.Engine.Model;

/// <summary>
/// A pod as <see cref="ProjectionJson"/> decodes it: already its projection, read straight from the JSON by
/// <see cref="PodJson"/>. Only <see cref="V1Pod.Metadata"/>'s name, namespace and resourceVersion are set (the
/// informers read those); everything else of the pod is in <see cref="Projection"/>.
/// </summary>
public sealed record ProjectedPod : V1Pod
{
    public ProjectedPod(PodInfo projection)
    {
        Projection = projection;
        Metadata = new V1ObjectMeta
        {
            Name = projection.Key.Name,
            NamespaceProperty = projection.Key.Namespace,
            ResourceVersion = projection.ResourceVersion,
        };
    }

    public PodInfo Projection { get; }
}

/// <summary>
/// A pod template's spec as <see cref="ProjectionJson"/> decodes it (in a Deployment, a CronJob …): already its
/// projection, read by <see cref="PodJson"/>; none of <see cref="V1PodSpec"/>'s own properties are set.
/// </summary>
public sealed record ProjectedPodSpec(PodSpecInfo Projection) : V1PodSpec;

/// <summary>
/// Reads a pod's JSON straight into its <see cref="PodInfo"/>, with no model-type objects in between: pods are
/// most of a cluster's bytes, and decoding them into <c>V1Pod</c>, <c>V1PodSpec</c>, <c>V1Container</c> … only to
/// project those once made most of the garbage of a large sync (docs/performance.md). It reads what
/// <see cref="Projector"/> reads of a decoded pod, and must give the same projection: <c>ProjectionJsonTests</c>
/// holds the two to each other over the control fixtures and the corpus. A property read here must have the shape
/// the API gives it (a string, a boolean, a 64-bit number, an object, a list) or the pod is not read
/// (<see cref="JsonException"/>), as the model types' decoder does; properties not read are skipped unchecked.
/// </summary>
internal static class PodJson
{
    public static PodInfo Read(ref Utf8JsonReader reader)
    {
        ExpectObject(ref reader, "a pod");
        var meta = default(Meta);
        Spec? spec = null;
        var specStart = default(Utf8JsonReader);
        var live = true;
        while (NextProperty(ref reader, "a pod"))
        {
            if (reader.ValueTextEquals("metadata"u8))
            {
                meta = ReadMeta(ref reader);
            }
            else if (reader.ValueTextEquals("spec"u8))
            {
                Advance(ref reader, "a pod");
                // The reader is a struct: a copy remembers where the spec starts, to read it again for its
                // command lines should the pod turn out to be the API server's (its metadata may come after).
                specStart = reader;
                spec = ReadSpec(ref reader, keepCommands: false);
            }
            else if (reader.ValueTextEquals("status"u8))
            {
                live = ReadStatusLive(ref reader);
            }
            else
            {
                SkipValue(ref reader, "a pod");
            }
        }
        if (meta.IsApiServer && spec is not null)
        {
            spec = ReadSpec(ref specStart, keepCommands: true);
        }
        var info = new PodInfo(new ObjectKey(Kinds.Pod, meta.Namespace ?? "", meta.Name ?? ""), spec?.Info ?? Projector.Spec(null), live)
        {
            Annotations = meta.Annotations ?? ImmutableDictionary<string, string>.Empty,
            Controller = meta.Controller,
            ResourceVersion = meta.ResourceVersion ?? "",
        };
        return meta.IsApiServer ? info with { ApiServerCommand = Projector.ApiServerCommand(spec?.Commands ?? []) } : info;
    }

    /// <summary>What the projection reads of a pod's metadata.</summary>
    private struct Meta
    {
        public string? Name;
        public string? Namespace;
        public string? ResourceVersion;
        public string? ComponentLabel;
        public ImmutableDictionary<string, string>? Annotations;
        public OwnerRef? Controller;

        public readonly bool IsApiServer => Projector.IsApiServerPod(Namespace ?? "", ComponentLabel);
    }

    private static Meta ReadMeta(ref Utf8JsonReader reader)
    {
        var meta = default(Meta);
        if (!ObjectOrNull(ref reader, "a pod's metadata"))
        {
            return meta;
        }
        while (NextProperty(ref reader, "a pod's metadata"))
        {
            if (reader.ValueTextEquals("name"u8))
            {
                meta.Name = ReadString(ref reader, "a pod's name");
            }
            else if (reader.ValueTextEquals("namespace"u8))
            {
                meta.Namespace = ReadString(ref reader, "a pod's namespace");
            }
            else if (reader.ValueTextEquals("resourceVersion"u8))
            {
                meta.ResourceVersion = ReadString(ref reader, "a pod's resourceVersion");
            }
            else if (reader.ValueTextEquals("labels"u8))
            {
                meta.ComponentLabel = null;
                Advance(ref reader, "labels");
                foreach (var (key, value) in ReadFilteredMap(ref reader, "labels", Projector.ReadsLabel, Projector.ReadsLabel))
                {
                    if (key == Projector.ComponentLabel)
                    {
                        meta.ComponentLabel = value;
                    }
                }
            }
            else if (reader.ValueTextEquals("annotations"u8))
            {
                // Of the annotations a projection reads, a pod's are only the waivers.
                Advance(ref reader, "annotations");
                meta.Annotations = Projector.Ours(ReadFilteredMap(ref reader, "annotations", Projector.ReadsAnnotation, Projector.ReadsAnnotation));
            }
            else if (reader.ValueTextEquals("ownerReferences"u8))
            {
                meta.Controller = ReadController(ref reader);
            }
            else
            {
                SkipValue(ref reader, "a pod's metadata");
            }
        }
        return meta;
    }

    /// <summary>The first ownerReference marked as the controller.</summary>
    private static OwnerRef? ReadController(ref Utf8JsonReader reader)
    {
        OwnerRef? controller = null;
        if (!ArrayOrNull(ref reader, "ownerReferences"))
        {
            return null;
        }
        while (NextItem(ref reader, "ownerReferences"))
        {
            // A null reference after the controller is never looked at (the model types' path stops at the first
            // controller); one before it cannot be read.
            if (reader.TokenType == JsonTokenType.Null && controller is not null)
            {
                continue;
            }
            ExpectObject(ref reader, "an ownerReference");
            string? kind = null, name = null;
            bool? isController = null;
            while (NextProperty(ref reader, "an ownerReference"))
            {
                if (reader.ValueTextEquals("kind"u8))
                {
                    kind = ReadString(ref reader, "an ownerReference's kind");
                }
                else if (reader.ValueTextEquals("name"u8))
                {
                    name = ReadString(ref reader, "an ownerReference's name");
                }
                else if (reader.ValueTextEquals("controller"u8))
                {
                    isController = ReadBool(ref reader, "an ownerReference's controller");
                }
                else
                {
                    SkipValue(ref reader, "an ownerReference");
                }
            }
            if (controller is null && isController == true)
            {
                controller = Projector.Owner(kind, name);
            }
        }
        return controller;
    }

    /// <summary>Whether the pod still runs (or will): status.phase is neither Succeeded nor Failed.</summary>
    private static bool ReadStatusLive(ref Utf8JsonReader reader)
    {
        var live = true;
        if (!ObjectOrNull(ref reader, "a pod's status"))
        {
            return live;
        }
        while (NextProperty(ref reader, "a pod's status"))
        {
            if (reader.ValueTextEquals("phase"u8))
            {
                live = Projector.IsLive(ReadString(ref reader, "a pod's phase"));
            }
            else
            {
                SkipValue(ref reader, "a pod's status");
            }
        }
        return live;
    }

    /// <summary>A spec's projection, and its regular containers' command lines when asked for.</summary>
    public sealed record Spec(PodSpecInfo Info, List<Projector.CommandLine>? Commands);

    /// <summary>A pod's spec or a template's, the reader at its value (an object, or null: none).</summary>
    public static Spec? ReadSpec(ref Utf8JsonReader reader, bool keepCommands)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        ExpectObject(ref reader, "a pod spec");
        string? serviceAccountName = null, serviceAccount = null;
        bool? automount = null, hostPid = null, hostIpc = null, hostNetwork = null;
        var hostPathVolumes = ImmutableArray<string>.Empty;
        var podSecurity = SecuritySettings.None;
        List<ContainerSpec>? init = null, regular = null, ephemeral = null;
        List<Projector.CommandLine>? commands = null;
        while (NextProperty(ref reader, "a pod's spec"))
        {
            if (reader.ValueTextEquals("serviceAccountName"u8))
            {
                serviceAccountName = ReadString(ref reader, "serviceAccountName");
            }
            else if (reader.ValueTextEquals("serviceAccount"u8))
            {
                serviceAccount = ReadString(ref reader, "serviceAccount");
            }
            else if (reader.ValueTextEquals("automountServiceAccountToken"u8))
            {
                automount = ReadBool(ref reader, "automountServiceAccountToken");
            }
            else if (reader.ValueTextEquals("hostPID"u8))
            {
                hostPid = ReadBool(ref reader, "hostPID");
            }
            else if (reader.ValueTextEquals("hostIPC"u8))
            {
                hostIpc = ReadBool(ref reader, "hostIPC");
            }
            else if (reader.ValueTextEquals("hostNetwork"u8))
            {
                hostNetwork = ReadBool(ref reader, "hostNetwork");
            }
            else if (reader.ValueTextEquals("volumes"u8))
            {
                hostPathVolumes = ReadHostPathVolumes(ref reader);
            }
            else if (reader.ValueTextEquals("securityContext"u8))
            {
                podSecurity = ReadSecurity(ref reader, container: false);
            }
            else if (reader.ValueTextEquals("initContainers"u8))
            {
                init = ReadContainers(ref reader, ContainerType.Init, null);
            }
            else if (reader.ValueTextEquals("containers"u8))
            {
                commands = keepCommands ? [] : null;
                regular = ReadContainers(ref reader, ContainerType.Regular, commands);
            }
            else if (reader.ValueTextEquals("ephemeralContainers"u8))
            {
                ephemeral = ReadContainers(ref reader, ContainerType.Ephemeral, null);
            }
            else
            {
                SkipValue(ref reader, "a pod's spec");
            }
        }
        var info = Projector.PodSpec(serviceAccountName, serviceAccount, automount, hostPid, hostIpc, hostNetwork,
            hostPathVolumes, podSecurity, init, regular, ephemeral);
        return new Spec(info, commands);
    }

    /// <summary>The names of the hostPath volumes.</summary>
    private static ImmutableArray<string> ReadHostPathVolumes(ref Utf8JsonReader reader) =>
        ReadNamesOfMarked(ref reader, "volumes", "a volume", "a volume's name", HostPathProperty);

    /// <summary>A volume's property: its hostPath marks it (only its presence is read; a null one is none, as the model types' decoder has it).</summary>
    private static bool HostPathProperty(ref Utf8JsonReader reader, bool marked)
    {
        if (!reader.ValueTextEquals("hostPath"u8))
        {
            SkipValue(ref reader, "a volume");
            return marked;
        }
        var hostPath = ObjectOrNull(ref reader, "a volume's hostPath");
        if (hostPath)
        {
            SkipCurrent(ref reader, "a volume's hostPath");
        }
        return hostPath;
    }

    /// <summary>Reads a property of a list item other than its name; says whether the item is marked, given whether it was.</summary>
    private delegate bool MarkingProperty(ref Utf8JsonReader reader, bool marked);

    /// <summary>
    /// The names of the items of a list of objects (volumes, env vars) that one of their other properties marks
    /// (a hostPath, a literal value), in list order, "" for an item without a name.
    /// </summary>
    private static ImmutableArray<string> ReadNamesOfMarked(ref Utf8JsonReader reader, string list, string item, string itemName, MarkingProperty property)
    {
        if (!ArrayOrNull(ref reader, list))
        {
            return [];
        }
        ImmutableArray<string>.Builder? names = null;
        while (NextItem(ref reader, list))
        {
            ExpectObject(ref reader, item);
            string? name = null;
            var marked = false;
            while (NextProperty(ref reader, item))
            {
                if (reader.ValueTextEquals("name"u8))
                {
                    name = ReadString(ref reader, itemName);
                }
                else
                {
                    marked = property(ref reader, marked);
                }
            }
            if (marked)
            {
                (names ??= ImmutableArray.CreateBuilder<string>()).Add(name ?? "");
            }
        }
        return names?.ToImmutable() ?? [];
    }

    private static List<ContainerSpec>? ReadContainers(ref Utf8JsonReader reader, ContainerType type, List<Projector.CommandLine>? commands)
    {
        if (!ArrayOrNull(ref reader, "containers"))
        {
            return null;
        }
        var containers = new List<ContainerSpec>();
        while (NextItem(ref reader, "containers"))
        {
            containers.Add(ReadContainer(ref reader, type, commands));
        }
        return containers;
    }

    private static ContainerSpec ReadContainer(ref Utf8JsonReader reader, ContainerType type, List<Projector.CommandLine>? commands)
    {
        ExpectObject(ref reader, "a container");
        string? name = null, image = null;
        var security = SecuritySettings.None;
        bool memoryLimit = false, cpuLimit = false;
        var hostPorts = ImmutableArray<int>.Empty;
        var literalEnv = ImmutableArray<string>.Empty;
        List<string?>? command = null, args = null;
        while (NextProperty(ref reader, "a container"))
        {
            if (reader.ValueTextEquals("name"u8))
            {
                name = ReadString(ref reader, "a container's name");
            }
            else if (reader.ValueTextEquals("image"u8))
            {
                image = ReadString(ref reader, "a container's image");
            }
            else if (reader.ValueTextEquals("securityContext"u8))
            {
                security = ReadSecurity(ref reader, container: true);
            }
            else if (reader.ValueTextEquals("resources"u8))
            {
                (memoryLimit, cpuLimit) = ReadLimits(ref reader);
            }
            else if (reader.ValueTextEquals("ports"u8))
            {
                hostPorts = ReadHostPorts(ref reader);
            }
            else if (reader.ValueTextEquals("env"u8))
            {
                literalEnv = ReadLiteralEnvNames(ref reader);
            }
            else if (reader.ValueTextEquals("command"u8))
            {
                command = ReadStrings(ref reader, "a container's command", keep: commands is not null);
            }
            else if (reader.ValueTextEquals("args"u8))
            {
                args = ReadStrings(ref reader, "a container's args", keep: commands is not null);
            }
            else
            {
                SkipValue(ref reader, "a container");
            }
        }
        commands?.Add(new Projector.CommandLine(name, command, args));
        return new ContainerSpec(name ?? "", type, image ?? "", security, memoryLimit, cpuLimit, hostPorts, literalEnv);
    }

    /// <summary>A pod's or a container's securityContext; <see cref="SecuritySettings.None"/> when absent or null.</summary>
    private static SecuritySettings ReadSecurity(ref Utf8JsonReader reader, bool container)
    {
        if (!ObjectOrNull(ref reader, "a securityContext"))
        {
            return SecuritySettings.None;
        }
        long? runAsUser = null;
        bool? runAsNonRoot = null, privileged = null, escalation = null, readOnlyRoot = null;
        List<string?>? add = null, drop = null;
        string? seccomp = null;
        while (NextProperty(ref reader, "a securityContext"))
        {
            if (reader.ValueTextEquals("runAsUser"u8))
            {
                runAsUser = ReadInt64(ref reader, "runAsUser");
            }
            else if (reader.ValueTextEquals("runAsNonRoot"u8))
            {
                runAsNonRoot = ReadBool(ref reader, "runAsNonRoot");
            }
            else if (reader.ValueTextEquals("seccompProfile"u8))
            {
                seccomp = ReadSeccompType(ref reader);
            }
            else if (!container)
            {
                // A pod's securityContext: nothing else of it is read.
                SkipValue(ref reader, "a securityContext");
            }
            else if (reader.ValueTextEquals("privileged"u8))
            {
                privileged = ReadBool(ref reader, "privileged");
            }
            else if (reader.ValueTextEquals("allowPrivilegeEscalation"u8))
            {
                escalation = ReadBool(ref reader, "allowPrivilegeEscalation");
            }
            else if (reader.ValueTextEquals("readOnlyRootFilesystem"u8))
            {
                readOnlyRoot = ReadBool(ref reader, "readOnlyRootFilesystem");
            }
            else if (reader.ValueTextEquals("capabilities"u8))
            {
                (add, drop) = ReadCapabilities(ref reader);
            }
            else
            {
                SkipValue(ref reader, "a securityContext");
            }
        }
        return container
            ? new SecuritySettings(runAsUser, runAsNonRoot, privileged, escalation, readOnlyRoot,
                add is null ? [] : [.. add!], drop is null ? [] : [.. drop!], seccomp)
            : new SecuritySettings(RunAsUser: runAsUser, RunAsNonRoot: runAsNonRoot, SeccompProfileType: seccomp);
    }

    private static (List<string?>? Add, List<string?>? Drop) ReadCapabilities(ref Utf8JsonReader reader)
    {
        List<string?>? add = null, drop = null;
        if (!ObjectOrNull(ref reader, "capabilities"))
        {
            return (add, drop);
        }
        while (NextProperty(ref reader, "capabilities"))
        {
            if (reader.ValueTextEquals("add"u8))
            {
                add = ReadStrings(ref reader, "capabilities.add", keep: true);
            }
            else if (reader.ValueTextEquals("drop"u8))
            {
                drop = ReadStrings(ref reader, "capabilities.drop", keep: true);
            }
            else
            {
                SkipValue(ref reader, "capabilities");
            }
        }
        return (add, drop);
    }

    private static string? ReadSeccompType(ref Utf8JsonReader reader)
    {
        string? type = null;
        if (!ObjectOrNull(ref reader, "a seccompProfile"))
        {
            return type;
        }
        while (NextProperty(ref reader, "a seccompProfile"))
        {
            if (reader.ValueTextEquals("type"u8))
            {
                type = ReadString(ref reader, "a seccompProfile's type");
            }
            else if (reader.ValueTextEquals("localhostProfile"u8))
            {
                // Not read, but its shape is checked as the model types' decoder does.
                ReadString(ref reader, "a seccompProfile's localhostProfile");
            }
            else
            {
                SkipValue(ref reader, "a seccompProfile");
            }
        }
        return type;
    }

    /// <summary>Whether resources.limits sets memory and cpu (a quantity is only tested for presence).</summary>
    private static (bool Memory, bool Cpu) ReadLimits(ref Utf8JsonReader reader)
    {
        bool memory = false, cpu = false;
        if (!ObjectOrNull(ref reader, "resources"))
        {
            return (memory, cpu);
        }
        while (NextProperty(ref reader, "resources"))
        {
            if (!reader.ValueTextEquals("limits"u8))
            {
                SkipValue(ref reader, "resources");
                continue;
            }
            (memory, cpu) = (false, false);
            if (!ObjectOrNull(ref reader, "limits"))
            {
                continue;
            }
            while (NextProperty(ref reader, "limits"))
            {
                memory |= reader.ValueTextEquals("memory"u8);
                cpu |= reader.ValueTextEquals("cpu"u8);
                Advance(ref reader, "a limit");
                if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.Number or JsonTokenType.Null))
                {
                    throw new JsonException($"a quantity must be a string or a number, not {reader.TokenType}");
                }
            }
        }
        return (memory, cpu);
    }

    /// <summary>The host ports above 0 of a container's ports.</summary>
    private static ImmutableArray<int> ReadHostPorts(ref Utf8JsonReader reader)
    {
        if (!ArrayOrNull(ref reader, "ports"))
        {
            return [];
        }
        ImmutableArray<int>.Builder? ports = null;
        while (NextItem(ref reader, "ports"))
        {
            ExpectObject(ref reader, "a port");
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
            if (hostPort is { } port and > 0)
            {
                (ports ??= ImmutableArray.CreateBuilder<int>()).Add(port);
            }
        }
        return ports?.ToImmutable() ?? [];
    }

    /// <summary>The names of the env vars with a literal, non-empty value (the value itself is not read).</summary>
    private static ImmutableArray<string> ReadLiteralEnvNames(ref Utf8JsonReader reader) =>
        ReadNamesOfMarked(ref reader, "env", "an env var", "an env var's name", LiteralValueProperty);

    /// <summary>An env var's property: a non-empty value marks it (its text is not read), a later value decides.</summary>
    private static bool LiteralValueProperty(ref Utf8JsonReader reader, bool marked)
    {
        if (!reader.ValueTextEquals("value"u8))
        {
            SkipValue(ref reader, "an env var");
            return marked;
        }
        Advance(ref reader, "an env var");
        return reader.TokenType switch
        {
            // Escapes only ever stand for at least one character: raw bytes tell empty from not.
            JsonTokenType.String => reader.HasValueSequence ? reader.ValueSequence.Length > 0 : reader.ValueSpan.Length > 0,
            JsonTokenType.Null => false,
            _ => throw new JsonException($"an env var's value must be a string, not {reader.TokenType}"),
        };
    }
}
