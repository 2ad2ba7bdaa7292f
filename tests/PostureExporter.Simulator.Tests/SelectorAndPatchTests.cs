using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace PostureExporter.Simulator.Tests;

public sealed class SelectorAndPatchTests
{
    private static readonly JsonElement Labels = JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["app"] = "web", ["tier"] = "front", ["replicas"] = "3" });

    [Theory]
    [InlineData("", true)]
    [InlineData("app=web", true)]
    [InlineData("app==web", true)]
    [InlineData("app=db", false)]
    [InlineData("app!=db", true)]
    [InlineData("missing!=x", true)]
    [InlineData("app", true)]
    [InlineData("!app", false)]
    [InlineData("!missing", true)]
    [InlineData("app in (db, web)", true)]
    [InlineData("app in (db)", false)]
    [InlineData("app notin (db)", true)]
    [InlineData("missing notin (db)", true)]
    [InlineData("app notin (web,db)", false)]
    [InlineData("app=web,tier=front", true)]
    [InlineData("app=web, tier in (back)", false)]
    [InlineData("replicas>2", true)]
    [InlineData("replicas<2", false)]
    public void LabelSelector_Matches(string selector, bool expected) =>
        Assert.Equal(expected, LabelSelector.Parse(selector).Matches(Labels));

    [Theory]
    [InlineData("app in web")]
    [InlineData("=x")]
    [InlineData("app=web,")]
    [InlineData("app in (a")]
    [InlineData("replicas>x")]
    public void LabelSelector_RejectsMalformed(string selector) =>
        Assert.Throws<FormatException>(() => LabelSelector.Parse(selector));

    [Theory]
    [InlineData("metadata.name=web", true)]
    [InlineData("metadata.name==web", true)]
    [InlineData("metadata.name!=web", false)]
    [InlineData("metadata.namespace=prod", true)]
    [InlineData("metadata.name=web,metadata.namespace=dev", false)]
    [InlineData("spec.nodeName=node-1", true)]
    [InlineData("status.phase=Running", false)]
    [InlineData("status.phase=", true)]
    public void FieldSelector_Matches(string selector, bool expected)
    {
        var pod = JsonSerializer.SerializeToElement(new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "web", ["namespace"] = "prod" },
            ["spec"] = new JsonObject { ["nodeName"] = "node-1" },
        });

        Assert.Equal(expected, FieldSelector.Parse(selector).Matches(pod, new ObjectKey("prod", "web")));
    }

    [Fact]
    public void MergePatch_FollowsRfc7386()
    {
        // The example of RFC 7386 section 3.
        var target = JsonNode.Parse("""{"title":"Goodbye!","author":{"givenName":"John","familyName":"Doe"},"tags":["example","sample"],"content":"This will be unchanged"}""");
        var patch = JsonNode.Parse("""{"title":"Hello!","phoneNumber":"+01-123-456-7890","author":{"familyName":null},"tags":["example"]}""");

        var result = JsonMergePatch.Apply(target, patch, strategic: false);

        var expected = JsonNode.Parse("""{"title":"Hello!","author":{"givenName":"John"},"tags":["example"],"content":"This will be unchanged","phoneNumber":"+01-123-456-7890"}""");
        Assert.True(JsonNode.DeepEquals(expected, result), result!.ToJsonString());
    }

    [Fact]
    public void StrategicMergePatch_DropsDirectives()
    {
        var target = JsonNode.Parse("""{"metadata":{"labels":{"a":"1"}}}""");
        var patch = JsonNode.Parse("""{"metadata":{"labels":{"b":"2"},"$setElementOrder/x":[]},"$patch":"merge"}""");

        var result = JsonMergePatch.Apply(target, patch, strategic: true);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"metadata":{"labels":{"a":"1","b":"2"}}}"""), result), result!.ToJsonString());
    }

    [Fact]
    public void JsonPatch_AppliesOperationsInOrder()
    {
        var target = JsonNode.Parse("""{"metadata":{"labels":{"a":"1"}},"spec":{"containers":[{"name":"c","image":"x"}]}}""");
        var patch = JsonNode.Parse("""
            [{"op":"add","path":"/metadata/labels/b~1c","value":"2"},
             {"op":"replace","path":"/spec/containers/0/image","value":"y"},
             {"op":"add","path":"/spec/containers/-","value":{"name":"d"}},
             {"op":"remove","path":"/metadata/labels/a"},
             {"op":"test","path":"/spec/containers/1/name","value":"d"}]
            """);

        var result = JsonPatch.Apply(target, patch);

        var expected = JsonNode.Parse("""{"metadata":{"labels":{"b/c":"2"}},"spec":{"containers":[{"name":"c","image":"y"},{"name":"d"}]}}""");
        Assert.True(JsonNode.DeepEquals(expected, result), result!.ToJsonString());
        Assert.Equal(422, Assert.Throws<StoreException>(() => JsonPatch.Apply(result, JsonNode.Parse("""[{"op":"test","path":"/spec","value":1}]"""))).Code);
    }

    [Fact]
    public void ContinueToken_RoundTrips_AndRejectsGarbage()
    {
        var token = new ContinueToken(42, new ObjectKey("ns", "name"));

        Assert.Equal(token, ContinueToken.Decode(token.Encode()));
        Assert.Throws<FormatException>(() => ContinueToken.Decode("not-a-token!"));
    }
}
