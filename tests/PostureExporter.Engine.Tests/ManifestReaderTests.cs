using k8s.Models;
using PostureExporter.Engine.Manifests;

namespace PostureExporter.Engine.Tests;

public sealed class ManifestReaderTests
{
    [Fact]
    public void ReadText_KubectlJsonList_TypesItemsThatLackAKind()
    {
        // Arrange: kubectl get pods -o json omits kind on the items of a PodList.
        const string json = """
            {"apiVersion": "v1", "kind": "PodList", "items": [
              {"metadata": {"name": "a", "namespace": "shop"}, "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}},
              {"metadata": {"name": "b", "namespace": "shop"}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
            ]}
            """;

        // Act
        var set = ManifestReader.ReadText(json);

        // Assert
        Assert.Equal(["a", "b"], set.Objects.Select(o => Assert.IsType<V1Pod>(o).Metadata.Name));
        Assert.Empty(set.IgnoredKinds);
    }

    [Fact]
    public void ReadText_YamlListWithUnknownKinds_CountsThemInsteadOfDroppingThem()
    {
        // Arrange
        const string yaml = """
            apiVersion: v1
            kind: List
            items:
              - apiVersion: v1
                kind: ConfigMap
                metadata: {name: settings, namespace: shop}
              - apiVersion: v1
                kind: Service
                metadata: {name: web, namespace: shop}
              - apiVersion: v1
                kind: Namespace
                metadata: {name: shop}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: other, namespace: shop}
            ---
            """;

        // Act
        var set = ManifestReader.ReadText(yaml);

        // Assert
        Assert.IsType<V1Namespace>(Assert.Single(set.Objects));
        Assert.Equal(2, set.IgnoredKinds["ConfigMap"]);
        Assert.Equal(1, set.IgnoredKinds["Service"]);
    }

    [Fact]
    public void ReadText_ObjectWithoutKind_ThrowsNamingTheSourceAndLine()
    {
        // Arrange
        const string yaml = "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nmetadata: {name: b}\n";

        // Act
        var error = Assert.Throws<ManifestException>(() => ManifestReader.ReadText(yaml, "cluster.yaml"));

        // Assert
        Assert.Equal("cluster.yaml", error.File);
        Assert.Equal(5, error.Line);
    }

    [Fact]
    public void ReadText_MalformedYaml_ThrowsManifestException()
    {
        // Act
        var read = () => ManifestReader.ReadText("kind: Pod\nmetadata: {name: a\n", "broken.yaml");

        // Assert
        Assert.Throws<ManifestException>(read);
    }

    [Fact]
    public void ReadPaths_MissingPath_ThrowsManifestException()
    {
        // Act
        var read = () => ManifestReader.ReadPaths([Path.Combine(AppContext.BaseDirectory, "no-such-dir")]);

        // Assert
        Assert.Throws<ManifestException>(read);
    }
}
