using System.Collections;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;
using PostureExporter.Engine.Manifests;
using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Tests;

/// <summary>
/// The informers decode with <see cref="ProjectionJson"/>, which skips every property the projector does not
/// read. These tests hold the two together: every object of the control fixtures and of the conformance
/// corpus, decoded in full and decoded through ProjectionJson, must project to the same thing.
/// </summary>
public sealed class ProjectionJsonTests
{
    public static TheoryData<string> Sources()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(ControlFixtureTests.FixtureRoot).Order(StringComparer.Ordinal))
        {
            data.Add(dir);
        }
        var corpus = Path.Combine(RepoPaths.Shared, "corpus");
        foreach (var dir in Directory.GetDirectories(corpus).Order(StringComparer.Ordinal))
        {
            data.Add(dir);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void Decode_EveryObject_ProjectsAsIfDecodedInFull(string dir)
    {
        var compared = 0;
        var problems = new List<string>();
        foreach (var file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
                     .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal))
                     .Order(StringComparer.Ordinal))
        {
            ManifestSet set;
            try
            {
                set = ManifestReader.ReadPaths([file]);
            }
            catch (ManifestException)
            {
                continue; // not a manifest (a scanner's configuration or an intentionally broken input)
            }
            foreach (var full in set.Objects)
            {
                var json = KubernetesJson.Serialize(full);
                var partial = (IKubernetesObject<V1ObjectMeta>)JsonSerializer.Deserialize(json, full.GetType(), ProjectionJson.Options)!;
                var expected = Describe(Projector.Project(full));
                var actual = Describe(Projector.Project(partial));
                if (expected != actual)
                {
                    problems.Add($"{Path.GetRelativePath(dir, file)} {full.Kind}/{full.Metadata?.Name}:\n    full:    {expected}\n    partial: {actual}");
                }
                compared++;
            }
        }
        Assert.True(compared > 0, $"no object read under {dir}");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Decode_Pod_ReadStraightIntoItsProjection()
    {
        var json = """
            {"apiVersion":"v1","kind":"Pod",
             "metadata":{"name":"a","namespace":"n","resourceVersion":"42","managedFields":[{"manager":"kubectl"}],"creationTimestamp":"2026-01-01T00:00:00Z","labels":{"app":"x"}},
             "spec":{"containers":[{"name":"c","image":"nginx:1.27","resources":{"limits":{"memory":"512Mi"},"requests":{"cpu":"1"}},
                     "livenessProbe":{"httpGet":{"path":"/","port":8080}}}]},
             "status":{"phase":"Running","podIP":"10.0.0.1"}}
            """;

        var pod = Assert.IsType<ProjectedPod>(JsonSerializer.Deserialize<V1Pod>(json, ProjectionJson.Options));

        // No model-type objects beyond the identity the informers read.
        Assert.Equal(("a", "n", "42"), (pod.Metadata.Name, pod.Metadata.NamespaceProperty, pod.Metadata.ResourceVersion));
        Assert.Null(pod.Metadata.ManagedFields);
        Assert.Null(pod.Metadata.Labels);
        Assert.Null(pod.Spec);
        Assert.Null(pod.Status);
        var container = pod.Projection.Spec.Containers.Single();
        Assert.Equal(("c", "nginx:1.27", true, false), (container.Name, container.Image, container.HasMemoryLimit, container.HasCpuLimit));
        Assert.True(pod.Projection.Live);
        Assert.Same(pod.Projection, Projector.Project(pod));
    }

    [Theory]
    [InlineData("Deployment", false)] // run by a workload controller: never its own subject
    [InlineData("CronJob", false)]
    [InlineData("Rollout", true)] // run by an operator's custom resource: its own subject, its template evaluated
    [InlineData(null, true)] // a bare ReplicaSet
    public void Decode_WorkloadRunByAController_SkipsItsTemplate(string? controllerKind, bool templateRead)
    {
        var owners = controllerKind is null ? "" : $$""","ownerReferences":[{"kind":"{{controllerKind}}","name":"o","uid":"u","controller":true}]""";
        var metadata = "{\"name\":\"rs\",\"namespace\":\"n\"" + owners + "}";
        const string spec = """{"replicas":2,"template":{"spec":{"containers":[{"name":"c","image":"nginx","securityContext":{"privileged":true}}]}}}""";

        var metadataFirst = JsonSerializer.Deserialize<V1ReplicaSet>("""{"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":""" + metadata + ""","spec":""" + spec + ""","status":{"replicas":2}}""", ProjectionJson.Options)!;
        var specFirst = JsonSerializer.Deserialize<V1ReplicaSet>("""{"spec":""" + spec + ""","metadata":""" + metadata + "}", ProjectionJson.Options)!;

        Assert.Equal(templateRead, metadataFirst.Spec?.Template is not null);
        Assert.Equal("rs", metadataFirst.Metadata.Name);
        Assert.Equal(controllerKind, metadataFirst.Metadata.OwnerReferences?.Single().Kind);
        // With the spec first the converter cannot know yet: it decodes it, and the projector drops the template.
        Assert.NotNull(specFirst.Spec.Template);
        var full = KubernetesJson.Deserialize<V1ReplicaSet>("""{"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":""" + metadata + ""","spec":""" + spec + "}");
        Assert.Equal(Describe(Projector.Project(full)), Describe(Projector.Project(metadataFirst)));
        Assert.Equal(Describe(Projector.Project(full)), Describe(Projector.Project(specFirst)));
        Assert.Equal(templateRead, ((WorkloadInfo)Projector.Project(metadataFirst)!).Template is not null);
    }

    [Fact]
    public void Decode_WorkloadOfWrongShape_Throws()
    {
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<V1Job>("""[1]""", ProjectionJson.Options));
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<V1Job>("""{"metadata":{"name":1}}""", ProjectionJson.Options));
    }

    [Fact]
    public async Task DecodeAsync_StreamInSmallChunks_ReadsAsInOnePiece()
    {
        // The informers decode LIST pages as they stream in: a page larger than the serializer's buffer is read
        // in pieces, and converters see a reader that is not the final block.
        var pod = Pod("""{"posture-exporter.io/waive-run-as-root":"a reason","kubectl.kubernetes.io/last-applied-configuration":"{\"big\":1}"}""");
        var list = $$$"""{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"7"},"items":[{{{string.Join(",", Enumerable.Repeat(pod, 200))}}}]}""";
        using var stream = new TrickleStream(Encoding.UTF8.GetBytes(list), chunk: 7);

        var decoded = await JsonSerializer.DeserializeAsync<V1PodList>(stream, ProjectionJson.Options);

        Assert.True(list.Length > 64 * 1024, "the page must not fit the serializer's first buffer");
        Assert.Equal(200, decoded!.Items.Count);
        Assert.Equal(Describe(Projector.Project(KubernetesJson.Deserialize<V1Pod>(pod))), Describe(Projector.Project(decoded.Items[199])));
        Assert.Equal(["posture-exporter.io/waive-run-as-root"], Assert.IsType<ProjectedPod>(decoded.Items[0]).Projection.Annotations.Keys);
    }

    private static string Pod(string annotations) => """
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","namespace":"kube-system","annotations":ANNOTATIONS,
         "labels":{"app":"x","component":"kube-apiserver","tier":"control-plane"},
         "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"rs","uid":"u","controller":true}]},
         "spec":{"containers":[{"name":"c","image":"nginx:1.27","securityContext":{"runAsUser":0},
                 "command":["kube-apiserver"],"args":["--anonymous-auth=true"],
                 "env":[{"name":"A","value":"1"},{"name":"B","valueFrom":{"secretKeyRef":{"name":"s","key":"k"}}},{"name":"C","value":""}],
                 "ports":[{"containerPort":80},{"containerPort":443,"hostPort":8443}],
                 "resources":{"limits":{"memory":"512Mi","cpu":2}}}],
                 "volumes":[{"name":"token","projected":{"sources":[{"serviceAccountToken":{"path":"token"}}]}},{"name":"host","hostPath":{"path":"/var/run"}}]},
         "status":{"phase":"Running"}}
        """.Replace("ANNOTATIONS", annotations, StringComparison.Ordinal);

    [Fact]
    public void Decode_KeepsOnlyTheListItemsAndKeysAProjectionReads()
    {
        var json = Pod("""{"posture-exporter.io/waive":"x","kubectl.kubernetes.io/last-applied-configuration":"{}"}""");

        var pod = Assert.IsType<ProjectedPod>(JsonSerializer.Deserialize<V1Pod>(json, ProjectionJson.Options)).Projection;

        var container = pod.Spec.Containers.Single();
        Assert.Equal(["posture-exporter.io/waive"], pod.Annotations.Keys);
        Assert.Equal(new OwnerRef(Kinds.ReplicaSet, "rs"), pod.Controller);
        Assert.Same(Kinds.ReplicaSet, pod.Controller!.Kind);
        Assert.Equal(["host"], pod.Spec.HostPathVolumes.ToArray());
        Assert.Equal(["A"], container.LiteralEnvNames.ToArray());
        Assert.Equal([8443], container.HostPorts.ToArray());
        Assert.Equal((0L, true, true), (container.Security.RunAsUser, container.HasMemoryLimit, container.HasCpuLimit));
        Assert.Equal(["kube-apiserver", "--anonymous-auth=true"], pod.ApiServerCommand.ToArray());
    }

    [Fact]
    public void Decode_PodTemplate_ReadStraightIntoItsProjection()
    {
        // The same spec in a pod and in a bare Deployment's template reads the same.
        var pod = Assert.IsType<ProjectedPod>(JsonSerializer.Deserialize<V1Pod>(Pod("{}"), ProjectionJson.Options)).Projection;
        var spec = JsonDocument.Parse(Pod("{}")).RootElement.GetProperty("spec").GetRawText();
        var deployment = JsonSerializer.Deserialize<V1Deployment>("""{"metadata":{"name":"d","namespace":"n"},"spec":{"template":{"spec":""" + spec + "}}}", ProjectionJson.Options)!;

        Assert.IsType<ProjectedPodSpec>(deployment.Spec.Template.Spec);
        var template = ((WorkloadInfo)Projector.Project(deployment)!).Template;
        Assert.Equal(Describe(pod.Spec), Describe(template));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Decode_ApiServerPod_ReadsItsCommandWhicheverComesFirst(bool metadataFirst)
    {
        const string metadata = """ "metadata":{"name":"kube-apiserver-a","namespace":"kube-system","labels":{"component":"kube-apiserver"}}""";
        const string spec = """ "spec":{"containers":[{"name":"sidecar","command":["sleep"]},{"name":"kube-apiserver","command":["kube-apiserver"],"args":["--profiling=true"]}]}""";
        var json = "{" + (metadataFirst ? metadata + "," + spec : spec + "," + metadata) + "}";

        var pod = Assert.IsType<ProjectedPod>(JsonSerializer.Deserialize<V1Pod>(json, ProjectionJson.Options)).Projection;

        Assert.Equal(["kube-apiserver", "--profiling=true"], pod.ApiServerCommand.ToArray());
        Assert.Equal(Describe(Projector.Project(KubernetesJson.Deserialize<V1Pod>(json))), Describe(pod));
    }

    [Theory]
    [InlineData("""{"metadata":{"name":"p"},"status":{"phase":"Succeeded"}}""", false)]
    [InlineData("""{"metadata":{"name":"p"},"status":{"phase":"Failed"}}""", false)]
    [InlineData("""{"metadata":{"name":"p"},"status":{"phase":"Pending"}}""", true)]
    [InlineData("""{"metadata":{"name":"p"},"status":{}}""", true)]
    [InlineData("""{"metadata":{"name":"p"},"status":null}""", true)]
    public void Decode_PodPhase_TellsWhetherItRuns(string json, bool live)
    {
        var pod = Assert.IsType<ProjectedPod>(JsonSerializer.Deserialize<V1Pod>(json, ProjectionJson.Options)).Projection;

        Assert.Equal(live, pod.Live);
        Assert.Equal(Describe(Projector.Project(KubernetesJson.Deserialize<V1Pod>(json))), Describe(pod));
    }

    /// <summary>Shapes the API allows that the fixtures hardly hold: nulls, empty objects, absent lists, a null hostPath.</summary>
    [Theory]
    [InlineData("""{}""")]
    [InlineData("""{"metadata":null,"spec":null,"status":null}""")]
    [InlineData("""{"metadata":{"labels":null,"annotations":null,"ownerReferences":null},"spec":{}}""")]
    [InlineData("""{"metadata":{"ownerReferences":[{"kind":"Job","name":"j"},{"kind":"Job","name":"k","controller":true},{"kind":"X","name":"l","controller":true}]}}""")]
    [InlineData("""{"metadata":{"annotations":{"posture-exporter.io/a":null,"posture-exporter.io/a":"second"}}}""")]
    [InlineData("""{"spec":{"volumes":[{"name":"a","hostPath":null},{"name":"b","hostPath":{"path":"/"}},{"hostPath":{}}],"securityContext":{}}}""")]
    [InlineData("""{"spec":{"serviceAccount":"old","automountServiceAccountToken":false,"hostPID":true,"hostIPC":false,"hostNetwork":null}}""")]
    [InlineData("""{"spec":{"serviceAccountName":"","serviceAccount":"old"}}""")]
    [InlineData("""{"spec":{"securityContext":{"runAsUser":1000,"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"},"fsGroup":2}}}""")]
    [InlineData("""{"spec":{"ephemeralContainers":[{"name":"e"}],"containers":[{"name":"c","securityContext":{}}],"initContainers":[{"name":"i","securityContext":null}]}}""")]
    [InlineData("""{"spec":{"containers":[{"securityContext":{"capabilities":{"add":["NET_ADMIN",null]},"privileged":false,"allowPrivilegeEscalation":true,"readOnlyRootFilesystem":true,"seccompProfile":{"type":"Localhost","localhostProfile":"p"}}}]}}""")]
    [InlineData("""{"spec":{"containers":[{"securityContext":{"capabilities":{}}},{"securityContext":{"capabilities":null}}]}}""")]
    [InlineData("""{"spec":{"containers":[{"resources":{"limits":{"memory":null}}},{"resources":{"limits":null}},{"resources":{"limits":{"cpu":2,"nvidia.com/gpu":"1"}}},{"resources":null}]}}""")]
    [InlineData("""{"spec":{"containers":[{"ports":[{"hostPort":0},{"hostPort":null},{"hostPort":80}],"env":[{"name":"A","value":""},{"value":"x"},{"name":"B","value":null},{"name":"C","value":"A"}]}]}}""")]
    [InlineData("""{"spec":{"containers":[{"ports":null,"env":null,"command":null,"args":null}]}}""")]
    [InlineData("""{"metadata":{"ownerReferences":[{"kind":"ReplicaSet","name":"a","controller":true},null]}}""")]
    [InlineData("""{"metadata":{"namespace":"kube-system"},"spec":{"containers":[{"name":"kube-apiserver","command":["kube-apiserver"]}]},"metadata":{"namespace":"kube-system","labels":{"component":"kube-apiserver"}}}""")]
    [InlineData("""{"metadata":null,"spec":{"containers":[{"name":"x","args":["--a"]}]},"metadata":{"namespace":"kube-system","labels":{"component":"kube-apiserver"}}}""")]
    [InlineData("""{"spec":{"containers":[{"name":"old"}]},"metadata":{"namespace":"kube-system","labels":{"component":"kube-apiserver"}},"spec":{"containers":[{"name":"kube-apiserver","command":["new"]}]}}""")]
    public void Decode_UnusualPod_ProjectsAsIfDecodedInFull(string json)
    {
        var full = KubernetesJson.Deserialize<V1Pod>(json);

        var pod = Assert.IsType<ProjectedPod>(JsonSerializer.Deserialize<V1Pod>(json, ProjectionJson.Options));

        Assert.Equal(Describe(Projector.Project(full)), Describe(pod.Projection));
    }

    [Fact]
    public void Decode_Namespace_KeepsEveryLabel()
    {
        const string json = """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"prod","labels":{"env":"production","pod-security.kubernetes.io/enforce":"baseline"}}}""";

        var alone = JsonSerializer.Deserialize<V1Namespace>(json, ProjectionJson.Options)!;
        var listed = JsonSerializer.Deserialize<V1NamespaceList>("""{"metadata":{},"items":[""" + json + "]}", ProjectionJson.Options)!.Items.Single();

        Assert.Equal(["env", "pod-security.kubernetes.io/enforce"], alone.Metadata.Labels.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(alone.Metadata.Labels, listed.Metadata.Labels);
    }

    [Theory]
    [InlineData("component", true)]
    [InlineData("comp\\u006fnent", true)] // escaped in the JSON: compared as a string
    [InlineData("app.kubernetes.io/component", false)]
    public void Decode_LabelKey_ReadAsBytesOrAsString(string jsonKey, bool kept)
    {
        var json = """{"metadata":{"name":"p","namespace":"kube-system","labels":{"KEY":"kube-apiserver"}}}""".Replace("KEY", jsonKey, StringComparison.Ordinal);

        var pod = Assert.IsType<ProjectedPod>(JsonSerializer.Deserialize<V1Pod>(json, ProjectionJson.Options));

        Assert.Equal(kept, pod.Projection.IsApiServer);
    }

    [Theory]
    [InlineData("posture-exporter.io/waive")]
    [InlineData("posture-exporter.io/")]
    [InlineData("nginx.ingress.kubernetes.io/ssl-redirect")]
    [InlineData("nginx.ingress.kubernetes.io/ssl-redirect-x")]
    [InlineData("posture-exporter.i")]
    [InlineData("component")]
    [InlineData("kubernetes.io/bootstrapping")]
    [InlineData("kubernetes.io/bootstrapping ")]
    [InlineData("")]
    public void ReadsKey_BytesAndStringAgree(string key)
    {
        Assert.Equal(Projector.ReadsAnnotation(key), Projector.ReadsAnnotation(Encoding.UTF8.GetBytes(key)));
        Assert.Equal(Projector.ReadsLabel(key), Projector.ReadsLabel(Encoding.UTF8.GetBytes(key)));
    }

    [Theory]
    [InlineData("""{"spec":{"volumes":{"name":"v"}}}""")]
    [InlineData("""{"spec":{"volumes":[1]}}""")]
    [InlineData("""{"spec":{"volumes":[{"name":1,"hostPath":{}}]}}""")]
    [InlineData("""{"spec":{"containers":[{"env":[{"name":"A","value":1}]}]}}""")]
    [InlineData("""{"spec":{"containers":[{"ports":[{"hostPort":"80"}]}]}}""")]
    [InlineData("""{"metadata":{"labels":["component"]}}""")]
    [InlineData("""{"metadata":{"labels":{"component":1}}}""")]
    [InlineData("""{"metadata":{"annotations":{"posture-exporter.io/waive":true}}}""")]
    [InlineData("""{"metadata":{"ownerReferences":[{"kind":"ReplicaSet","controller":"yes"}]}}""")]
    [InlineData("""{"metadata":{"ownerReferences":{"kind":"ReplicaSet"}}}""")]
    [InlineData("""{"metadata":"p"}""")]
    [InlineData("""{"status":{"phase":1}}""")]
    [InlineData("""{"spec":[]}""")]
    [InlineData("""{"spec":{"hostPID":"true"}}""")]
    [InlineData("""{"spec":{"serviceAccountName":{}}}""")]
    [InlineData("""{"spec":{"volumes":[{"name":"v","hostPath":"/"}]}}""")]
    [InlineData("""{"spec":{"securityContext":{"runAsUser":1.5}}}""")]
    [InlineData("""{"spec":{"securityContext":{"seccompProfile":{"localhostProfile":1}}}}""")]
    [InlineData("""{"spec":{"containers":[null]}}""")]
    [InlineData("""{"spec":{"containers":{"name":"c"}}}""")]
    [InlineData("""{"spec":{"containers":[{"image":7}]}}""")]
    [InlineData("""{"spec":{"containers":[{"command":[1]}]}}""")]
    [InlineData("""{"spec":{"containers":[{"resources":{"limits":{"memory":true}}}]}}""")]
    [InlineData("""{"spec":{"containers":[{"securityContext":{"capabilities":{"drop":"ALL"}}}]}}""")]
    [InlineData("""{"spec":{"initContainers":[{"securityContext":{"privileged":1}}]}}""")]
    [InlineData("""{"spec":{"containers":[{"name":"c"}]""")] // cut short
    [InlineData("""{"metadata":{"ownerReferences":[null,{"kind":"ReplicaSet","name":"a","controller":true}]}}""")]
    [InlineData("""{"spec":{"containers":[{"command":["\uD800"]}]},"metadata":{"namespace":"kube-system","labels":{"component":"kube-apiserver"}}}""")]
    public void Decode_WrongShapeInAFilteredProperty_Throws(string json)
    {
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<V1Pod>(json, ProjectionJson.Options));
    }

    /// <summary>A stream that hands out at most <c>chunk</c> bytes per read.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            base.ReadAsync(buffer, offset, Math.Min(count, chunk), cancellationToken);
    }

    [Fact]
    public void Decode_WrongShapeOfAReadProperty_Throws()
    {
        var json = """{"apiVersion":"v1","kind":"Pod","metadata":{"name":12345}}""";

        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<V1Pod>(json, ProjectionJson.Options));
    }

    /// <summary>A canonical text of a projection: public properties by name, dictionaries by key, default arrays marked.</summary>
    private static string Describe(object? value)
    {
        var sb = new StringBuilder();
        Write(sb, value);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, object? value)
    {
        switch (value)
        {
            case null:
                sb.Append("null");
                return;
            case string s:
                sb.Append('"').Append(s).Append('"');
                return;
            case IFormattable f when value.GetType().IsPrimitive || value.GetType().IsEnum:
                sb.Append(f.ToString(null, CultureInfo.InvariantCulture));
                return;
            case bool b:
                sb.Append(b);
                return;
            case IDictionary d:
                sb.Append('{');
                foreach (var key in d.Keys.Cast<object>().Select(k => k.ToString()!).Order(StringComparer.Ordinal))
                {
                    sb.Append(key).Append('=');
                    Write(sb, d[key]);
                    sb.Append(',');
                }
                sb.Append('}');
                return;
        }
        var type = value.GetType();
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ImmutableArray<>)
            && (bool)type.GetProperty(nameof(ImmutableArray<int>.IsDefault))!.GetValue(value)!)
        {
            sb.Append("default");
            return;
        }
        if (value is IEnumerable items)
        {
            sb.Append('[');
            foreach (var item in items)
            {
                Write(sb, item);
                sb.Append(',');
            }
            sb.Append(']');
            return;
        }
        sb.Append(type.Name).Append('(');
        foreach (var p in type.GetProperties().Where(p => p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract").OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            sb.Append(p.Name).Append('=');
            Write(sb, p.GetValue(value));
            sb.Append(' ');
        }
        sb.Append(')');
    }
}
