using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;
using static PostureExporter.Simulator.Tests.TestSupport;

namespace PostureExporter.Simulator.Tests;

/// <summary>The wire format itself: discovery documents, Status errors, list and watch framing.</summary>
public sealed class HttpSurfaceTests : IAsyncLifetime
{
    private SimulatedCluster _cluster = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _cluster = await StartAsync(o => o.GitVersion = "v1.32.3");
        _http = HttpClientFor(_cluster);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task Discovery_DescribesVersionGroupsAndResources()
    {
        var version = await GetJsonAsync("/version");
        var core = await GetJsonAsync("/api");
        var groups = await GetJsonAsync("/apis");
        var v1 = await GetJsonAsync("/api/v1");
        var apps = await GetJsonAsync("/apis/apps/v1");
        var rbac = await GetJsonAsync("/apis/rbac.authorization.k8s.io");

        Assert.Equal(("1", "32", "v1.32.3"), ((string)version["major"]!, (string)version["minor"]!, (string)version["gitVersion"]!));
        Assert.Equal("APIVersions", (string)core["kind"]!);
        Assert.Equal(["v1"], core["versions"]!.AsArray().Select(v => (string)v!));
        Assert.Equal(
            ["rbac.authorization.k8s.io", "networking.k8s.io", "apps", "batch"],
            groups["groups"]!.AsArray().Select(g => (string)g!["name"]!));
        Assert.All(groups["groups"]!.AsArray(), g => Assert.Equal("v1", (string)g!["preferredVersion"]!["version"]!));
        var pods = v1["resources"]!.AsArray().Single(r => (string)r!["name"]! == "pods")!;
        Assert.Equal(("pod", true, "Pod"), ((string)pods["singularName"]!, (bool)pods["namespaced"]!, (string)pods["kind"]!));
        Assert.Equal(["po"], pods["shortNames"]!.AsArray().Select(s => (string)s!));
        Assert.Contains("watch", pods["verbs"]!.AsArray().Select(s => (string)s!));
        Assert.False((bool)v1["resources"]!.AsArray().Single(r => (string)r!["name"]! == "nodes")!["namespaced"]!);
        Assert.Equal(["deployments", "replicasets", "statefulsets", "daemonsets"], apps["resources"]!.AsArray().Select(r => (string)r!["name"]!));
        Assert.Equal("APIGroup", (string)rbac["kind"]!);
    }

    [Theory]
    [InlineData("/api/v1/services")]
    [InlineData("/api/v2/pods")]
    [InlineData("/apis/apps/v1/pods")]
    [InlineData("/api/v1/pods/web")]
    [InlineData("/api/v1/namespaces/default/nodes")]
    [InlineData("/api/v1/namespaces/default/pods/web/log")]
    [InlineData("/apis/extensions")]
    [InlineData("/nonsense")]
    [InlineData("/openapi/v2")]
    public async Task UnknownPaths_Are404Status(string path)
    {
        using var response = await _http.GetAsync(path);

        await AssertStatusAsync(response, HttpStatusCode.NotFound, "NotFound");
    }

    [Fact]
    public async Task MissingObject_Is404WithDetails()
    {
        using var response = await _http.GetAsync("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/nope");

        var status = await AssertStatusAsync(response, HttpStatusCode.NotFound, "NotFound");
        Assert.Equal("clusterrolebindings.rbac.authorization.k8s.io \"nope\" not found", (string)status["message"]!);
        Assert.Equal(("nope", "rbac.authorization.k8s.io", "clusterrolebindings"), ((string)status["details"]!["name"]!, (string)status["details"]!["group"]!, (string)status["details"]!["kind"]!));
    }

    [Fact]
    public async Task UnsupportedVerbs_Are405()
    {
        using var createEverywhere = await _http.PostAsync("/api/v1/pods", Json(PodJson("web")));
        using var putCollection = await _http.PutAsync("/api/v1/namespaces/default/pods", Json(PodJson("web")));
        using var postDiscovery = await _http.PostAsync("/api/v1", Json(new JsonObject()));

        await AssertStatusAsync(createEverywhere, HttpStatusCode.MethodNotAllowed, "MethodNotAllowed");
        await AssertStatusAsync(putCollection, HttpStatusCode.MethodNotAllowed, "MethodNotAllowed");
        await AssertStatusAsync(postDiscovery, HttpStatusCode.MethodNotAllowed, "MethodNotAllowed");
    }

    [Fact]
    public async Task BadBodies_Are400Or415()
    {
        var wrongKind = PodJson("web");
        wrongKind["kind"] = "Node";
        var wrongNamespace = PodJson("web", "other");
        var nameless = PodJson("web");
        nameless["metadata"]!.AsObject().Remove("name");

        using var malformed = await _http.PostAsync("/api/v1/namespaces/default/pods", new StringContent("{\"kind\":", Encoding.UTF8, "application/json"));
        using var kindMismatch = await _http.PostAsync("/api/v1/namespaces/default/pods", Json(wrongKind));
        using var namespaceMismatch = await _http.PostAsync("/api/v1/namespaces/default/pods", Json(wrongNamespace));
        using var missingName = await _http.PostAsync("/api/v1/namespaces/default/pods", Json(nameless));
        using var yaml = await _http.PostAsync("/api/v1/namespaces/default/pods", new StringContent("kind: Pod", Encoding.UTF8, "application/yaml"));
        using var badSelector = await _http.GetAsync("/api/v1/pods?labelSelector=" + Uri.EscapeDataString("app in web"));

        await AssertStatusAsync(malformed, HttpStatusCode.BadRequest, "BadRequest");
        await AssertStatusAsync(kindMismatch, HttpStatusCode.BadRequest, "BadRequest");
        await AssertStatusAsync(namespaceMismatch, HttpStatusCode.BadRequest, "BadRequest");
        await AssertStatusAsync(missingName, HttpStatusCode.BadRequest, "BadRequest");
        await AssertStatusAsync(yaml, HttpStatusCode.UnsupportedMediaType, "UnsupportedMediaType");
        await AssertStatusAsync(badSelector, HttpStatusCode.BadRequest, "BadRequest");
    }

    [Fact]
    public async Task Create_WithoutTypeMeta_TakesItFromThePath_AndAnswers201()
    {
        var body = PodJson("web");
        body.Remove("kind");
        body.Remove("apiVersion");
        body["metadata"]!.AsObject().Remove("namespace");

        using var response = await _http.PostAsync("/api/v1/namespaces/team-a/pods", Json(body));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(("Pod", "v1", "team-a"), ((string)created["kind"]!, (string)created["apiVersion"]!, (string)created["metadata"]!["namespace"]!));
    }

    [Fact]
    public async Task List_OmitsItemTypeMeta_AndFiltersBySelectors()
    {
        _cluster.Store.Create(PodJson("web", label: "app=web"));
        _cluster.Store.Create(PodJson("db", label: "app=db"));
        _cluster.Store.Create(PodJson("web", "other", label: "app=web"));

        var byLabel = await GetJsonAsync("/api/v1/pods?labelSelector=" + Uri.EscapeDataString("app in (web)"));
        var byField = await GetJsonAsync("/api/v1/pods?fieldSelector=" + Uri.EscapeDataString("metadata.namespace=default,metadata.name!=db"));
        var inNamespace = await GetJsonAsync("/api/v1/namespaces/other/pods?watch=false");

        Assert.Equal(("PodList", "v1"), ((string)byLabel["kind"]!, (string)byLabel["apiVersion"]!));
        Assert.Equal(_cluster.Store.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), (string)byLabel["metadata"]!["resourceVersion"]!);
        Assert.Equal(["default/web", "other/web"], Keys(byLabel));
        Assert.Null(byLabel["items"]![0]!["kind"]);
        Assert.Equal(["default/web"], Keys(byField));
        Assert.Equal(["other/web"], Keys(inNamespace));
    }

    [Fact]
    public async Task ContinueToken_OlderThanHistory_Is410Expired()
    {
        await using var small = await StartAsync(o => o.HistoryLimit = 2);
        using var http = HttpClientFor(small);
        for (var i = 0; i < 3; i++)
        {
            small.Store.Create(PodJson($"p{i}"));
        }

        var first = JsonNode.Parse(await http.GetStringAsync("/api/v1/pods?limit=1"))!;
        small.Store.Create(PodJson("late-1"));
        small.Store.Create(PodJson("late-2"));
        small.Store.Create(PodJson("late-3"));

        using var response = await http.GetAsync("/api/v1/pods?limit=1&continue=" + (string)first["metadata"]!["continue"]!);

        await AssertStatusAsync(response, HttpStatusCode.Gone, "Expired");
    }

    [Fact]
    public async Task Watch_IsChunkedJsonLines_AndHonoursTheWatchPathPrefix()
    {
        var rv = _cluster.Store.ResourceVersion;
        _cluster.Store.Create(PodJson("web"));
        _cluster.Store.Delete("pods", "default", "web");

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/watch/namespaces/default/pods?resourceVersion={rv}&timeoutSeconds=5");
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var first = JsonNode.Parse((await reader.ReadLineAsync())!)!;
        var second = JsonNode.Parse((await reader.ReadLineAsync())!)!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.TransferEncodingChunked);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(("ADDED", "Pod", "v1"), ((string)first["type"]!, (string)first["object"]!["kind"]!, (string)first["object"]!["apiVersion"]!));
        Assert.Equal("DELETED", (string)second["type"]!);

        // The DELETED object carries the revision of the deletion, as etcd reports it.
        Assert.Equal(_cluster.Store.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), (string)second["object"]!["metadata"]!["resourceVersion"]!);
    }

    [Fact]
    public async Task Watch_EndsCleanlyAfterTimeoutSeconds()
    {
        using var response = await _http.GetAsync("/api/v1/pods?watch=true&timeoutSeconds=1&resourceVersion=" + _cluster.Store.ResourceVersion, HttpCompletionOption.ResponseHeadersRead);

        var body = await response.Content.ReadAsStringAsync().WaitAsync(Deadline);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("", body);
        await UntilAsync(() => _cluster.Store.WatcherCount == 0, "the watcher to unregister");
    }

    [Fact]
    public async Task Watch_WithSendInitialEvents_MarksTheEndOfTheInitialState()
    {
        _cluster.Store.Create(PodJson("web"));

        using var response = await _http.GetAsync("/api/v1/pods?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=5", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var added = JsonNode.Parse((await reader.ReadLineAsync().WaitAsync(Deadline))!)!;
        var bookmark = JsonNode.Parse((await reader.ReadLineAsync().WaitAsync(Deadline))!)!;

        Assert.Equal("ADDED", (string)added["type"]!);
        Assert.Equal("BOOKMARK", (string)bookmark["type"]!);
        Assert.Equal("true", (string)bookmark["object"]!["metadata"]!["annotations"]!["k8s.io/initial-events-end"]!);
        Assert.Equal(_cluster.Store.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), (string)bookmark["object"]!["metadata"]!["resourceVersion"]!);
    }

    [Fact]
    public async Task Watch_OfOneObject_SeesOnlyThatObject()
    {
        var rv = _cluster.Store.ResourceVersion;
        _cluster.Store.Create(PodJson("other"));
        _cluster.Store.Create(PodJson("web"));

        using var response = await _http.GetAsync($"/api/v1/namespaces/default/pods/web?watch=1&resourceVersion={rv}&timeoutSeconds=5", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var line = JsonNode.Parse((await reader.ReadLineAsync().WaitAsync(Deadline))!)!;

        Assert.Equal("web", (string)line["object"]!["metadata"]!["name"]!);
    }

    [Fact]
    public async Task TableRequests_GetServerSideTables()
    {
        _cluster.Store.Create(PodJson("web"));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/namespaces/default/pods");
        request.Headers.Accept.ParseAdd("application/json;as=Table;v=v1;g=meta.k8s.io");
        request.Headers.Accept.ParseAdd("application/json");

        using var response = await _http.SendAsync(request);
        var table = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(("Table", "meta.k8s.io/v1"), ((string)table["kind"]!, (string)table["apiVersion"]!));
        Assert.Equal(["Name", "Ready", "Status", "Restarts", "Age"], table["columnDefinitions"]!.AsArray().Select(c => (string)c!["name"]!));
        Assert.Equal("web", (string)table["rows"]![0]!["cells"]![0]!);
        Assert.Equal("PartialObjectMetadata", (string)table["rows"]![0]!["object"]!["kind"]!);
    }

    [Fact]
    public async Task Delete_AnswersObjectForPods_StatusForOthers_And404WhenMissing()
    {
        _cluster.Store.Create(PodJson("web"));
        _cluster.Store.Create(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ServiceAccount", ["metadata"] = new JsonObject { ["name"] = "sa", ["namespace"] = "default" } });

        var pod = JsonNode.Parse(await (await _http.DeleteAsync("/api/v1/namespaces/default/pods/web")).Content.ReadAsStringAsync())!;
        var status = JsonNode.Parse(await (await _http.DeleteAsync("/api/v1/namespaces/default/serviceaccounts/sa")).Content.ReadAsStringAsync())!;
        using var missing = await _http.DeleteAsync("/api/v1/namespaces/default/pods/web");

        Assert.Equal("Pod", (string)pod["kind"]!);
        Assert.Equal(("Status", "Success", "sa"), ((string)status["kind"]!, (string)status["status"]!, (string)status["details"]!["name"]!));
        await AssertStatusAsync(missing, HttpStatusCode.NotFound, "NotFound");
    }

    [Fact]
    public async Task DeleteCollection_DeletesWhatTheSelectorMatches()
    {
        _cluster.Store.Create(PodJson("a", label: "tier=front"));
        _cluster.Store.Create(PodJson("b", label: "tier=back"));

        using var response = await _http.DeleteAsync("/api/v1/namespaces/default/pods?labelSelector=tier%3Dfront");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["b"], _cluster.Store.List("pods").Select(p => (string)p["metadata"]!["name"]!));
    }

    [Fact]
    public async Task Patch_MergeAndJsonPatch_AndRejectsApply()
    {
        _cluster.Store.Create(PodJson("web"));

        using var merge = await PatchAsync("application/merge-patch+json", """{"metadata":{"labels":{"a":"1"}}}""");
        using var json = await PatchAsync("application/json-patch+json", """[{"op":"add","path":"/metadata/labels/b","value":"2"}]""");
        using var rename = await PatchAsync("application/merge-patch+json", """{"metadata":{"name":"other"}}""");
        using var apply = await PatchAsync("application/apply-patch+yaml", "metadata: {}");

        Assert.Equal(HttpStatusCode.OK, merge.StatusCode);
        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
        var labels = _cluster.Store.Get("pods", "default", "web")!["metadata"]!["labels"]!;
        Assert.Equal(("1", "2"), ((string)labels["a"]!, (string)labels["b"]!));
        await AssertStatusAsync(rename, HttpStatusCode.BadRequest, "BadRequest");
        await AssertStatusAsync(apply, HttpStatusCode.UnsupportedMediaType, "UnsupportedMediaType");
    }

    [Theory]
    [InlineData("0.0.0.0:0")]
    [InlineData("192.168.1.10:0")]
    [InlineData("example.com:0")]
    [InlineData("[::]:0")]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:70000")]
    public async Task StartAsync_RefusesNonLoopbackOrMalformedListen(string listen) =>
        await Assert.ThrowsAsync<ArgumentException>(() => SimulatedCluster.StartAsync(new SimulatorOptions { Listen = listen }));

    [Fact]
    public async Task StartAsync_AcceptsLocalhost_AndPicksAPort()
    {
        await using var cluster = await SimulatedCluster.StartAsync(new SimulatorOptions { Listen = "localhost:0" });

        Assert.Equal("127.0.0.1", cluster.BaseAddress.Host);
        Assert.NotEqual(0, cluster.BaseAddress.Port);
        Assert.Equal("ok", await new HttpClient { BaseAddress = cluster.BaseAddress }.GetStringAsync("/healthz"));
    }

    private async Task<HttpResponseMessage> PatchAsync(string mediaType, string body)
    {
        var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return await _http.PatchAsync("/api/v1/namespaces/default/pods/web", content);
    }

    private async Task<JsonNode> GetJsonAsync(string path) => JsonNode.Parse(await _http.GetStringAsync(path))!;

    private static StringContent Json(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    private static List<string> Keys(JsonNode list) =>
        [.. list["items"]!.AsArray().Select(p => $"{p!["metadata"]!["namespace"]}/{p["metadata"]!["name"]}")];

    private static async Task<JsonNode> AssertStatusAsync(HttpResponseMessage response, HttpStatusCode code, string reason)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(code == response.StatusCode, $"expected {(int)code}, got {(int)response.StatusCode}: {body}");
        var status = JsonNode.Parse(body)!;
        Assert.Equal(("Status", "Failure", reason, (int)code), ((string)status["kind"]!, (string)status["status"]!, (string)status["reason"]!, (int)status["code"]!));
        return status;
    }
}
