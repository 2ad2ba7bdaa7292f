using System.Text;
using System.Text.Json;
using k8s.Models;
using PostureExporter.Informers;

namespace PostureExporter.Tests.Informers;

/// <summary>
/// A LIST page read whole: its resourceVersion and continue token are read before its items are decoded (so the
/// next page can be asked for meanwhile), wherever the metadata stands; then its items one by one, so that one of
/// an unexpected shape costs only itself.
/// </summary>
public sealed class ListMetadataTests
{
    private const string Items = """[{"metadata":{"name":"a","continue":"not-this"}},{"metadata":{"name":"b"}}]""";

    public static TheoryData<string, string, string?> Lists() => new()
    {
        { $$$"""{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"42","continue":"next-page"},"items":{{{Items}}}}""", "42", "next-page" },
        { $$$"""{"items":{{{Items}}},"kind":"PodList","metadata":{"continue":"next-page","resourceVersion":"42"}}""", "42", "next-page" },
        { $$$"""{"metadata":{"resourceVersion":"42","continue":""},"items":{{{Items}}}}""", "42", null },
        { $$$"""{"metadata":{"resourceVersion":"7"},"items":[]}""", "7", null },
        { $$$"""{"items":{{{Items}}}}""", "", null },
    };

    [Theory]
    [MemberData(nameof(Lists))]
    public void ListMetadata_IsFoundBeforeOrAfterTheItems(string json, string resourceVersion, string? continueToken)
    {
        var (rv, next) = KubeApi.ReadListMetadata(Encoding.UTF8.GetBytes(json), "/api/v1/pods");

        Assert.Equal(resourceVersion, rv);
        Assert.Equal(continueToken, next);
    }

    [Theory]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("""{"metadata":{"resourceVersion":""")]
    public void NotAListObject_Throws(string json) =>
        Assert.ThrowsAny<JsonException>(() => KubeApi.ReadListMetadata(Encoding.UTF8.GetBytes(json), "/api/v1/pods"));

    private static ListPageBytes Page(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        return new ListPageBytes(bytes, bytes.Length, "1", null);
    }

    [Fact]
    public void AnItemOfAnUnexpectedShape_IsSkippedAndReported_TheRestOfThePageRead()
    {
        var page = KubeApi.DecodeListPage<V1Pod>(Page("""
            {"metadata":{"resourceVersion":"1"},"items":[
              {"metadata":{"name":"a","namespace":"t"},"spec":{"containers":[{"name":"c","image":"nginx:1.27"}]}},
              {"metadata":{"name":"b","namespace":"t"},"spec":{"containers":"oops"}},
              {"metadata":{"name":"c","namespace":"t"},"spec":{"containers":[{"name":"c","image":"nginx:1.27","securityContext":{"privileged":"very"}}]}},
              {"metadata":{"name":"d","namespace":"t"},"spec":{"containers":[]}}
            ]}
            """));

        Assert.Equal(["a", "d"], page.Items.Select(i => i.Metadata.Name));
        Assert.Equal(2, page.BadItems.Count);
    }

    [Theory]
    [InlineData("""{"metadata":{},"items":[{"metadata":{"name":"a"}},{"metadata":{"name":""")]
    [InlineData("""{"metadata":{},"items":{"a":1}}""")]
    [InlineData("""[]""")]
    public void APageThatIsNotAList_Throws(string json) =>
        Assert.ThrowsAny<JsonException>(() => KubeApi.DecodeListPage<V1Pod>(Page(json)));

    [Fact]
    public void NoItems_IsAnEmptyPage() =>
        Assert.Empty(KubeApi.DecodeListPage<V1Pod>(Page("""{"metadata":{},"items":null}""")).Items);
}
