using System.Text;
using System.Text.Json;
using PostureExporter.Informers;

namespace PostureExporter.Tests.Informers;

/// <summary>
/// A LIST page's resourceVersion and continue token are read before its items are decoded (so the next page can
/// be asked for meanwhile): wherever the metadata stands in the object.
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
}
