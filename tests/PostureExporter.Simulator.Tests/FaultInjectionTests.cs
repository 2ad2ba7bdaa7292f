using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Xunit;
using static PostureExporter.Simulator.Tests.TestSupport;

namespace PostureExporter.Simulator.Tests;

/// <summary>
/// Fault injection, driven the way the exporter meets it: through the real KubernetesClient where its reaction is
/// what matters, and through raw HTTP where the bytes on the wire are.
/// </summary>
public sealed class FaultInjectionTests : IAsyncLifetime
{
    /// <summary>With bookmarks every 100 ms, a healthy watch sends ~10 lines in this window; a hung one none.</summary>
    private static readonly TimeSpan Silence = TimeSpan.FromSeconds(1);

    private SimulatedCluster _cluster = null!;
    private Kubernetes _client = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _cluster = await StartAsync(o => o.BookmarkInterval = TimeSpan.FromMilliseconds(100));
        _client = Client(_cluster);
        _http = HttpClientFor(_cluster);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        _client.Dispose();
        await _cluster.DisposeAsync();
    }

    // ---- drop-watches ----

    [Fact]
    public async Task DropWatches_BreaksTheStream_SoTheClientEnumerationThrows()
    {
        using var cancel = new CancellationTokenSource(Deadline);
        var watch = ClientWatch.Start(_client, CurrentRv(), cancel.Token);
        await watch.FirstEventAsync();

        var report = await PostFaultAsync("drop-watches");

        Assert.Equal(("drop-watches", 1), ((string)report["fault"]!, (int)report["droppedWatches"]!));
        var error = await Assert.ThrowsAnyAsync<Exception>(() => watch.Completion.WaitAsync(Deadline));

        // Pinned: the KubernetesClient lets the transport error out of the enumeration (it does not go to onError).
        // On Linux it is an IOException around SocketException 104, connection reset: Kestrel resets the connection.
        Assert.IsAssignableFrom<IOException>(error);
        Assert.Empty(watch.Errors);
        Assert.False(cancel.IsCancellationRequested);
        await UntilAsync(() => _cluster.Store.WatcherCount == 0, "the dropped watch to unregister");
    }

    [Fact]
    public async Task DropWatches_InProcess_CountsEveryOpenWatch_AndLaterWatchesWork()
    {
        using var cancel = new CancellationTokenSource(Deadline);
        var pods = ClientWatch.Start(_client, CurrentRv(), cancel.Token);
        await using var namespaces = await RawWatch.OpenAsync(_http, "/api/v1/namespaces", CurrentRv());
        await pods.FirstEventAsync();
        Assert.NotNull(await namespaces.NextLineAsync(Deadline));

        Assert.Equal(2, _cluster.Faults.DropWatches());

        await Assert.ThrowsAnyAsync<IOException>(() => pods.Completion.WaitAsync(Deadline));
        await Assert.ThrowsAnyAsync<IOException>(() => namespaces.DrainAsync(Deadline));
        Assert.Equal(0, _cluster.Faults.DropWatches());

        var later = ClientWatch.Start(_client, CurrentRv(), cancel.Token);
        _cluster.Store.Create(PodJson("web"));
        await UntilAsync(() => later.Events.Any(e => e.Type == WatchEventType.Added && e.Name == "web"), "the later watch to see the new pod");
    }

    // ---- hang-watches ----

    [Fact]
    public async Task HangWatches_SilencesOpenWatches_KeepsThemOpen_AndNewWatchesWork()
    {
        // timeoutSeconds=1 as well: a hung watch must not end by it either, or the client would recover by itself.
        await using var hung = await RawWatch.OpenAsync(_http, "/api/v1/pods", CurrentRv(), timeoutSeconds: 1);
        Assert.Contains("BOOKMARK", await hung.NextLineAsync(Deadline), StringComparison.Ordinal);

        var report = await PostFaultAsync("hang-watches");
        _cluster.Store.Create(PodJson("during-hang"));

        Assert.Equal(1, (int)report["hungWatches"]!);

        // Lines already on their way when the fault hit may still arrive; then nothing for a whole second, while
        // a live watch would have had ~10 bookmarks and the ADDED, and timeoutSeconds would have ended it.
        var stragglers = new List<string>();
        while (await hung.NextLineOrSilenceAsync(Silence) is { } line)
        {
            stragglers.Add(line);
            Assert.True(stragglers.Count <= 2, "the hung watch kept sending: " + string.Join(" | ", stragglers));
        }

        Assert.DoesNotContain(stragglers, l => l.Contains("during-hang", StringComparison.Ordinal));
        Assert.True(hung.ReadIsPending, "the hung watch's connection ended");
        Assert.Equal(1, _cluster.Store.WatcherCount);

        using var cancel = new CancellationTokenSource(Deadline);
        var fresh = ClientWatch.Start(_client, CurrentRv(), cancel.Token);
        await UntilAsync(() => fresh.Events.Any(e => e.Type == WatchEventType.Bookmark), "a bookmark on the new watch");
        _cluster.Store.Create(PodJson("after-hang"));
        await UntilAsync(() => fresh.Events.Any(e => e.Type == WatchEventType.Added && e.Name == "after-hang"), "the new watch to see the new pod");
        Assert.True(hung.ReadIsPending, "the hung watch's connection ended");

        // Hanging again takes only the new watch: a hung watch is not counted twice.
        Assert.Equal(1, _cluster.Faults.HangWatches());
    }

    [Fact]
    public async Task HungWatch_IsDroppedByDropWatches()
    {
        await using var hung = await RawWatch.OpenAsync(_http, "/api/v1/pods", CurrentRv());
        Assert.NotNull(await hung.NextLineAsync(Deadline));
        Assert.Equal(1, _cluster.Faults.HangWatches());
        Assert.Equal(0, _cluster.Faults.HangWatches());

        Assert.Equal(1, _cluster.Faults.DropWatches());

        await Assert.ThrowsAnyAsync<IOException>(() => hung.DrainAsync(Deadline));
        await UntilAsync(() => _cluster.Store.WatcherCount == 0, "the dropped watch to unregister");
    }

    [Fact]
    public async Task HungWatch_EndsWhenTheClusterIsDisposed()
    {
        await using var cluster = await StartAsync(o => o.BookmarkInterval = TimeSpan.FromMilliseconds(100));
        using var http = HttpClientFor(cluster);
        await using var hung = await RawWatch.OpenAsync(http, "/api/v1/pods", cluster.Store.ResourceVersion.ToString(CultureInfo.InvariantCulture));
        Assert.NotNull(await hung.NextLineAsync(Deadline));
        Assert.Equal(1, cluster.Faults.HangWatches());

        var dispose = cluster.DisposeAsync().AsTask();

        // A clean end or a broken stream: either way the hung connection must not outlive the cluster.
        var ended = await Record.ExceptionAsync(() => hung.DrainAsync(Deadline));
        Assert.True(ended is null or IOException, $"unexpected {ended}");
        await dispose.WaitAsync(Deadline);
    }

    // ---- compact ----

    [Fact]
    public async Task Compact_OldWatchGets410ThroughOnError_OpenWatchesAreUnaffected()
    {
        _cluster.Store.Create(PodJson("a"));
        var old = CurrentRv();
        _cluster.Store.Create(PodJson("b"));
        using var cancel = new CancellationTokenSource(Deadline);
        var open = ClientWatch.Start(_client, old, cancel.Token);
        await UntilAsync(() => open.Events.Any(e => e.Name == "b"), "the open watch to replay b");

        var report = await PostFaultAsync("compact");

        Assert.Equal(CurrentRv(), (string)report["resourceVersion"]!);
        Assert.Equal(2, (int)report["forgottenEvents"]!);

        var expired = ClientWatch.Start(_client, old, cancel.Token);
        await expired.Completion.WaitAsync(Deadline);
        var status = Assert.IsType<KubernetesException>(Assert.Single(expired.Errors)).Status;
        Assert.Equal((410, "Expired"), (status.Code, status.Reason));
        Assert.Empty(expired.Events);

        // Resuming at the compaction revision is fine, and the watch that was open keeps receiving events.
        var resumed = ClientWatch.Start(_client, CurrentRv(), cancel.Token);
        await resumed.FirstEventAsync();
        _cluster.Store.Create(PodJson("c"));
        await UntilAsync(() => open.Events.Any(e => e.Name == "c") && resumed.Events.Any(e => e.Name == "c"), "both live watches to see c");
        Assert.Empty(open.Errors);
        Assert.Empty(resumed.Errors);
    }

    [Fact]
    public async Task Compact_OldContinueTokenGets410()
    {
        foreach (var name in new[] { "a", "b", "c" })
        {
            _cluster.Store.Create(PodJson(name));
        }

        var first = await _client.CoreV1.ListPodForAllNamespacesAsync(limit: 2);
        _cluster.Store.Create(PodJson("d"));
        var fresh = await _client.CoreV1.ListPodForAllNamespacesAsync(limit: 2);

        var compaction = _cluster.Faults.Compact();

        Assert.Equal(_cluster.Store.ResourceVersion, compaction.ResourceVersion);
        var error = await Assert.ThrowsAsync<HttpOperationException>(
            () => _client.CoreV1.ListPodForAllNamespacesAsync(limit: 2, continueParameter: first.Metadata.ContinueProperty));
        Assert.Equal(HttpStatusCode.Gone, error.Response.StatusCode);
        var status = JsonNode.Parse(error.Response.Content)!;
        Assert.Equal(("Status", "Expired", 410), ((string)status["kind"]!, (string)status["reason"]!, (int)status["code"]!));

        // A token taken at the current revision is still good: only older ones expired.
        var rest = await _client.CoreV1.ListPodForAllNamespacesAsync(limit: 2, continueParameter: fresh.Metadata.ContinueProperty);
        Assert.Equal(["c", "d"], rest.Items.Select(p => p.Metadata.Name));
    }

    // ---- outage ----

    [Fact]
    public async Task Outage_Answers503WithAStatus_DropsOpenWatches_ThenRecovers()
    {
        using var cancel = new CancellationTokenSource(Deadline);
        var watch = ClientWatch.Start(_client, CurrentRv(), cancel.Token);
        await watch.FirstEventAsync();

        var report = await PostFaultAsync("outage?seconds=1");

        Assert.Equal((1.0, 1), ((double)report["seconds"]!, (int)report["droppedWatches"]!));
        await Assert.ThrowsAnyAsync<IOException>(() => watch.Completion.WaitAsync(Deadline));
        var listError = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ListPodForAllNamespacesAsync());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, listError.Response.StatusCode);
        using (var health = await _http.GetAsync("/healthz"))
        {
            await AssertStatusAsync(health, HttpStatusCode.ServiceUnavailable, "ServiceUnavailable");
        }

        using (var newWatch = await _http.GetAsync("/api/v1/pods?watch=true&timeoutSeconds=5", HttpCompletionOption.ResponseHeadersRead))
        {
            await AssertStatusAsync(newWatch, HttpStatusCode.ServiceUnavailable, "ServiceUnavailable");
        }

        await UntilAsync(() => _cluster.Faults.OutageRemaining is null, "the outage to end");
        var pods = await _client.CoreV1.ListPodForAllNamespacesAsync();
        Assert.Empty(pods.Items);
    }

    [Fact]
    public async Task Clear_EndsOutageAndThrottleEarly_AndSimulatorEndpointsWorkDuringThem()
    {
        var outage = await PostFaultAsync("outage?seconds=600");
        var throttle = await PostFaultAsync("throttle?seconds=600");
        using (var refused = await _http.GetAsync("/api/v1/pods"))
        {
            // Both windows are open; the outage wins.
            await AssertStatusAsync(refused, HttpStatusCode.ServiceUnavailable, "ServiceUnavailable");
        }

        var clear = await PostFaultAsync("clear");
        var again = await PostFaultAsync("clear");

        Assert.Equal(0, (int)outage["droppedWatches"]!);
        Assert.True(DateTimeOffset.Parse((string)throttle["until"]!, CultureInfo.InvariantCulture) > DateTimeOffset.UtcNow.AddMinutes(9));
        Assert.Equal((true, true), ((bool)clear["endedOutage"]!, (bool)clear["endedThrottle"]!));
        Assert.Equal((false, false), ((bool)again["endedOutage"]!, (bool)again["endedThrottle"]!));
        Assert.Empty((await _client.CoreV1.ListPodForAllNamespacesAsync()).Items);
    }

    // ---- throttle ----

    [Fact]
    public async Task Throttle_Answers429WithRetryAfter_ThenRecovers()
    {
        var report = await PostFaultAsync("throttle?seconds=3");

        using var response = await _http.GetAsync("/api/v1/pods");
        var status = await AssertStatusAsync(response, HttpStatusCode.TooManyRequests, "TooManyRequests");
        var retryAfter = response.Headers.RetryAfter?.Delta;
        Assert.Equal(3, (int)report["seconds"]!);
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3));
        Assert.Equal(retryAfter.Value.TotalSeconds, (int)status["details"]!["retryAfterSeconds"]!);

        // Pinned: the KubernetesClient does not retry a 429 by itself; the caller sees it at once.
        var error = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ListPodForAllNamespacesAsync());
        Assert.Equal(HttpStatusCode.TooManyRequests, error.Response.StatusCode);
        Assert.True(_cluster.Faults.ThrottleRemaining > TimeSpan.Zero);

        await UntilAsync(() => _cluster.Faults.ThrottleRemaining is null, "the throttle window to end");
        Assert.Empty((await _client.CoreV1.ListPodForAllNamespacesAsync()).Items);
    }

    [Fact]
    public async Task Throttle_RetryAfterIsAtLeastOneSecond()
    {
        _cluster.Faults.StartThrottle(TimeSpan.FromMilliseconds(400));

        using var response = await _http.GetAsync("/api/v1/namespaces");

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task Throttle_LeavesOpenWatchesAlone()
    {
        using var cancel = new CancellationTokenSource(Deadline);
        var watch = ClientWatch.Start(_client, CurrentRv(), cancel.Token);
        await watch.FirstEventAsync();

        _cluster.Faults.StartThrottle(TimeSpan.FromMinutes(10));
        _cluster.Store.Create(PodJson("web"));

        await UntilAsync(() => watch.Events.Any(e => e.Name == "web"), "the open watch to see the new pod");
        Assert.False(watch.Completion.IsCompleted);
    }

    // ---- malformed-watch-line ----

    [Fact]
    public async Task MalformedWatchLine_GoesToOnErrorAsJsonException_AndTheEnumerationContinues()
    {
        using var cancel = new CancellationTokenSource(Deadline);
        var pods = ClientWatch.Start(_client, CurrentRv(), cancel.Token);
        await using var namespaces = await RawWatch.OpenAsync(_http, "/api/v1/namespaces", CurrentRv());
        await pods.FirstEventAsync();

        var report = await PostFaultAsync("malformed-watch-line?resource=pods");
        _cluster.Store.Create(PodJson("after"));

        Assert.Equal(("pods", 1), ((string)report["resource"]!, (int)report["watches"]!));
        await UntilAsync(() => pods.Events.Any(e => e.Name == "after"), "the event after the malformed line");
        Assert.IsType<JsonException>(Assert.Single(pods.Errors));
        Assert.False(pods.Completion.IsCompleted);

        // The namespaces watch got nothing of it: bookmarks only.
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("BOOKMARK", (string)JsonNode.Parse((await namespaces.NextLineAsync(Deadline))!)!["type"]!);
        }
    }

    [Fact]
    public async Task MalformedWatchLine_OnTheWire_IsOneInvalidLineBetweenValidOnes()
    {
        var rv = CurrentRv();
        _cluster.Store.Create(PodJson("before"));
        await using var watch = await RawWatch.OpenAsync(_http, "/api/v1/pods", rv, bookmarks: false);
        Assert.Contains("\"before\"", await watch.NextLineAsync(Deadline), StringComparison.Ordinal);

        Assert.Equal(1, _cluster.Faults.WriteMalformedWatchLine("pods"));
        _cluster.Store.Create(PodJson("after"));

        var malformed = await watch.NextLineAsync(Deadline);
        var next = JsonNode.Parse((await watch.NextLineAsync(Deadline))!)!;
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(malformed!));
        Assert.Equal(("ADDED", "after"), ((string)next["type"]!, (string)next["object"]!["metadata"]!["name"]!));
    }

    // ---- unexpected-shape ----

    [Fact]
    public async Task UnexpectedShape_GoesToOnErrorAsJsonException_AndTheEnumerationContinues()
    {
        using var cancel = new CancellationTokenSource(Deadline);
        var pods = ClientWatch.Start(_client, CurrentRv(), cancel.Token);
        await pods.FirstEventAsync();
        var rvBefore = _cluster.Store.ResourceVersion;

        var report = await PostFaultAsync("unexpected-shape?resource=pods");
        _cluster.Store.Create(PodJson("after"));

        Assert.Equal(1, (int)report["watches"]!);
        await UntilAsync(() => pods.Events.Any(e => e.Name == "after"), "the event after the bad object");
        Assert.IsType<JsonException>(Assert.Single(pods.Errors));
        Assert.DoesNotContain(pods.Events, e => e.Type == WatchEventType.Added && e.Name != "after");
        Assert.False(pods.Completion.IsCompleted);

        // Nothing was stored and no revision was used up.
        Assert.Equal(["after"], _cluster.Store.List("pods").Select(p => (string)p["metadata"]!["name"]!));
        Assert.Equal(rvBefore + 1, _cluster.Store.ResourceVersion);
    }

    [Fact]
    public async Task UnexpectedShape_OnTheWire_IsAnAddedEventWithANumericName()
    {
        await using var watch = await RawWatch.OpenAsync(_http, "/apis/apps/v1/deployments", CurrentRv(), bookmarks: false);
        await using var pods = await RawWatch.OpenAsync(_http, "/api/v1/pods", CurrentRv());
        Assert.NotNull(await pods.NextLineAsync(Deadline));
        await UntilAsync(() => _cluster.Store.WatcherCount == 2, "both watches to register");

        Assert.Equal(1, _cluster.Faults.WriteUnexpectedShape("deployments"));

        var line = JsonNode.Parse((await watch.NextLineAsync(Deadline))!)!;
        Assert.Equal(("ADDED", "Deployment", "apps/v1"), ((string)line["type"]!, (string)line["object"]!["kind"]!, (string)line["object"]!["apiVersion"]!));
        Assert.Equal(JsonValueKind.Number, line["object"]!["metadata"]!["name"]!.GetValueKind());
        Assert.Empty(_cluster.Store.List("deployments"));
    }

    // ---- the endpoints themselves ----

    [Theory]
    [InlineData("POST", "/simulator/faults/explode", HttpStatusCode.NotFound, "NotFound")]
    [InlineData("POST", "/simulator/nothing", HttpStatusCode.NotFound, "NotFound")]
    [InlineData("POST", "/simulator/faults/drop-watches/extra", HttpStatusCode.NotFound, "NotFound")]
    [InlineData("GET", "/simulator/faults/drop-watches", HttpStatusCode.MethodNotAllowed, "MethodNotAllowed")]
    [InlineData("POST", "/simulator/faults/outage", HttpStatusCode.BadRequest, "BadRequest")]
    [InlineData("POST", "/simulator/faults/outage?seconds=abc", HttpStatusCode.BadRequest, "BadRequest")]
    [InlineData("POST", "/simulator/faults/outage?seconds=0", HttpStatusCode.BadRequest, "BadRequest")]
    [InlineData("POST", "/simulator/faults/throttle?seconds=-1", HttpStatusCode.BadRequest, "BadRequest")]
    [InlineData("POST", "/simulator/faults/throttle?seconds=1e3", HttpStatusCode.BadRequest, "BadRequest")]
    [InlineData("POST", "/simulator/faults/throttle?seconds=86401", HttpStatusCode.BadRequest, "BadRequest")]
    [InlineData("POST", "/simulator/faults/malformed-watch-line", HttpStatusCode.BadRequest, "BadRequest")]
    [InlineData("POST", "/simulator/faults/unexpected-shape?resource=services", HttpStatusCode.BadRequest, "BadRequest")]
    public async Task FaultEndpoints_RefuseUnknownNamesAndBadParameters_WithAStatus(string method, string path, HttpStatusCode code, string reason)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);

        using var response = await _http.SendAsync(request);

        await AssertStatusAsync(response, code, reason);
        Assert.Null(_cluster.Faults.OutageRemaining);
        Assert.Null(_cluster.Faults.ThrottleRemaining);
    }

    [Fact]
    public async Task FaultEndpoints_AcceptFractionalSeconds()
    {
        // Long enough that a slow machine cannot see it end before the assertion.
        var report = await PostFaultAsync("outage?seconds=120.5");

        Assert.Equal(120.5, (double)report["seconds"]!);
        Assert.InRange(_cluster.Faults.OutageRemaining!.Value, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(120.5));
    }

    [Fact]
    public void InProcessFaults_RejectBadArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _cluster.Faults.StartOutage(TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => _cluster.Faults.StartThrottle(TimeSpan.FromDays(2)));
        Assert.Throws<ArgumentException>(() => _cluster.Faults.WriteMalformedWatchLine("services"));
        Assert.Throws<ArgumentNullException>(() => _cluster.Faults.WriteUnexpectedShape(null!));
        Assert.Null(_cluster.Faults.OutageRemaining);
    }

    // ---- helpers ----

    private string CurrentRv() => _cluster.Store.ResourceVersion.ToString(CultureInfo.InvariantCulture);

    private async Task<JsonNode> PostFaultAsync(string fault)
    {
        using var response = await _http.PostAsync("/simulator/faults/" + fault, content: null);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"POST {fault}: {(int)response.StatusCode} {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(body)!;
    }

    private static async Task<JsonNode> AssertStatusAsync(HttpResponseMessage response, HttpStatusCode code, string reason)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(code == response.StatusCode, $"expected {(int)code}, got {(int)response.StatusCode}: {body}");
        var status = JsonNode.Parse(body)!;
        Assert.Equal(("Status", "Failure", reason, (int)code), ((string)status["kind"]!, (string)status["status"]!, (string)status["reason"]!, (int)status["code"]!));
        return status;
    }

    /// <summary>A KubernetesClient pod watch running in the background, recording events and onError calls.</summary>
    private sealed class ClientWatch
    {
        private readonly ConcurrentQueue<(WatchEventType Type, string? Name)> _events = new();
        private readonly ConcurrentQueue<Exception> _errors = new();

        private ClientWatch()
        {
        }

        public IReadOnlyCollection<(WatchEventType Type, string? Name)> Events => _events;

        public IReadOnlyCollection<Exception> Errors => _errors;

        /// <summary>Ends when the enumeration ends; faulted when it throws.</summary>
        public Task Completion { get; private set; } = Task.CompletedTask;

        public static ClientWatch Start(Kubernetes client, string rv, CancellationToken ct)
        {
            var watch = new ClientWatch();
            watch.Completion = Task.Run(async () =>
            {
                await foreach (var (type, pod) in client.CoreV1.WatchListPodForAllNamespacesAsync(
                    allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds: 30, onError: watch._errors.Enqueue, cancellationToken: ct))
                {
                    watch._events.Enqueue((type, pod.Metadata?.Name));
                }
            }, CancellationToken.None);
            return watch;
        }

        public Task FirstEventAsync() => UntilAsync(() => !_events.IsEmpty || Completion.IsCompleted, "the watch's first event");
    }

    /// <summary>A watch read as raw bytes, so that a read can be left pending and checked for silence.</summary>
    private sealed class RawWatch : IAsyncDisposable
    {
        private readonly HttpResponseMessage _response;
        private readonly Stream _stream;
        private readonly List<byte> _buffered = [];
        private readonly byte[] _chunk = new byte[16 * 1024];
        private Task<int>? _read;

        private RawWatch(HttpResponseMessage response, Stream stream)
        {
            _response = response;
            _stream = stream;
        }

        /// <summary>True while a read is outstanding and nothing (no byte, no end, no error) has come back for it.</summary>
        public bool ReadIsPending => _read is { IsCompleted: false };

        public static async Task<RawWatch> OpenAsync(HttpClient http, string path, string rv, bool bookmarks = true, int timeoutSeconds = 30)
        {
            var url = $"{path}?watch=true&resourceVersion={rv}&timeoutSeconds={timeoutSeconds}&allowWatchBookmarks={(bookmarks ? "true" : "false")}";
            var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return new RawWatch(response, await response.Content.ReadAsStreamAsync());
        }

        /// <summary>The next line; null at the end of the stream; TimeoutException after <paramref name="within"/>.</summary>
        public async Task<string?> NextLineAsync(TimeSpan within) =>
            await NextLineOrSilenceAsync(within) is { } line ? line
            : _read is null ? null
            : throw new TimeoutException($"no line within {within.TotalSeconds:0.#}s");

        /// <summary>
        /// The next line, or null when the stream ended or nothing arrived within <paramref name="within"/> (then the
        /// read stays pending, see <see cref="ReadIsPending"/>).
        /// </summary>
        public async Task<string?> NextLineOrSilenceAsync(TimeSpan within)
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                var newline = _buffered.IndexOf((byte)'\n');
                if (newline >= 0)
                {
                    var line = Encoding.UTF8.GetString([.. _buffered.Take(newline)]);
                    _buffered.RemoveRange(0, newline + 1);
                    return line;
                }

                _read ??= _stream.ReadAsync(_chunk).AsTask();
                var left = within - clock.Elapsed;
                if (left <= TimeSpan.Zero || await Task.WhenAny(_read, Task.Delay(left)) != _read)
                {
                    return null;
                }

                var count = await _read;
                if (count == 0)
                {
                    _read = null;
                    return null;
                }

                _read = null;
                _buffered.AddRange(_chunk.AsSpan(0, count));
            }
        }

        /// <summary>Reads until the stream ends (returns) or breaks (throws), within <paramref name="within"/>.</summary>
        public async Task DrainAsync(TimeSpan within)
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                _read ??= _stream.ReadAsync(_chunk).AsTask();
                var left = within - clock.Elapsed;
                if (left <= TimeSpan.Zero || await Task.WhenAny(_read, Task.Delay(left)) != _read)
                {
                    throw new TimeoutException($"the watch did not end within {within.TotalSeconds:0.#}s");
                }

                var count = await _read;
                _read = null;
                if (count == 0)
                {
                    return;
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stream.DisposeAsync();
            _response.Dispose();
        }
    }
}
