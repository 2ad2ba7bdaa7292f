using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using k8s;
using k8s.Autorest;
using k8s.Models;
using PostureExporter.Engine.Model;

namespace PostureExporter.Informers;

/// <summary>One page of a LIST: the objects read, and why any others could not be (an object of an unexpected shape).</summary>
internal sealed record ListPage(IReadOnlyList<IKubernetesObject<V1ObjectMeta>> Items, string ResourceVersion, string? Continue)
{
    public IReadOnlyList<JsonException> BadItems { get; init; } = [];
}

/// <summary>
/// One page of a LIST as it came, read whole: the first <see cref="Length"/> bytes of <see cref="Buffer"/>, with the
/// list's resourceVersion and continue token already read (so the next page can be asked for before this one's
/// items are decoded).
/// </summary>
internal sealed record ListPageBytes(byte[] Buffer, int Length, string ResourceVersion, string? Continue)
{
    public ReadOnlySpan<byte> Json => Buffer.AsSpan(0, Length);
}

/// <summary>
/// One line of a WATCH: an object event (ADDED, MODIFIED, DELETED, BOOKMARK), an ERROR with its Status, or a line
/// that could not be read (<see cref="DecodeError"/> set; the watch goes on).
/// </summary>
internal readonly record struct WatchLine(string Type, IKubernetesObject<V1ObjectMeta>? Object, V1Status? Status, Exception? DecodeError);

/// <summary>
/// LIST and WATCH over the KubernetesClient's own HTTP client and credentials (so every kubeconfig and
/// in-cluster authentication works as with the client's generated methods), decoding with
/// <see cref="ProjectionJson"/> instead of into full objects: a list page is read whole and its continue token
/// read first, so the informer can ask for the next page while this one is decoded (any thread may call
/// <see cref="DecodeListPage{T}"/>), and watch lines are split and decoded from UTF-8 bytes without first
/// becoming strings.
/// </summary>
internal sealed class KubeApi(Kubernetes client, KubernetesClientConfiguration? config = null)
{
    private readonly Uri _base = client.BaseUri.AbsoluteUri.EndsWith('/') ? client.BaseUri : new Uri(client.BaseUri.AbsoluteUri + "/");

    public async Task<ListPage> ListAsync<T>(string path, string? continueToken, int limit, CancellationToken ct)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        DecodeListPage<T>(await FetchListPageAsync(path, continueToken, limit, null, ct));

    /// <summary>
    /// Reads one LIST page whole, into <paramref name="buffer"/> when it is large enough (a spare one of the same
    /// list) or a new array, and reads its list metadata. The items are left for <see cref="DecodeListPage{T}"/>.
    /// </summary>
    public async Task<ListPageBytes> FetchListPageAsync(string path, string? continueToken, int limit, byte[]? buffer, CancellationToken ct)
    {
        var query = $"?limit={limit}" + (continueToken is null ? "" : $"&continue={Uri.EscapeDataString(continueToken)}");
        using var response = await SendAsync(path + query, ct);
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        var announced = response.Content.Headers.ContentLength is { } n and > 0 and < int.MaxValue ? (int)n : 0;
        if (buffer is null || buffer.Length < announced)
        {
            buffer = GC.AllocateUninitializedArray<byte>(Math.Max(announced, 64 * 1024));
        }
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                Array.Resize(ref buffer, checked(buffer.Length * 2));
            }
            var read = await body.ReadAsync(buffer.AsMemory(length), ct);
            if (read == 0)
            {
                break;
            }
            length += read;
        }
        var (resourceVersion, next) = ReadListMetadata(buffer.AsSpan(0, length), path);
        return new ListPageBytes(buffer, length, resourceVersion, next);
    }

    /// <summary>
    /// The items of a page read by <see cref="FetchListPageAsync"/>. An item of an unexpected shape is skipped and
    /// given back in <see cref="ListPage.BadItems"/>, the rest of the page is read; only a page that is not JSON at
    /// all fails whole. Safe to call on any thread.
    /// </summary>
    public static ListPage DecodeListPage<T>(ListPageBytes page) where T : class, IKubernetesObject<V1ObjectMeta>
    {
        try
        {
            // The whole page at once: ~10 % less CPU and allocation than item by item, which only a page holding an
            // object of an unexpected shape (rare: the API server validates what it stores) then pays as well.
            var list = JsonSerializer.Deserialize<ObjectList<T>>(page.Json, ProjectionJson.Options)
                ?? throw new JsonException("a LIST page is null");
            return new ListPage(list.Items ?? [], page.ResourceVersion, page.Continue);
        }
        catch (Exception e) when (IsDecodeFailure(e))
        {
            return DecodeItemByItem<T>(page);
        }
    }

    private static ListPage DecodeItemByItem<T>(ListPageBytes page) where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var reader = new Utf8JsonReader(page.Json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("a LIST page is not a JSON object");
        }
        var items = new List<IKubernetesObject<V1ObjectMeta>>();
        List<JsonException>? bad = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!reader.ValueTextEquals("items"u8))
            {
                reader.Skip();
                continue;
            }
            reader.Read();
            if (reader.TokenType == JsonTokenType.Null)
            {
                continue;
            }
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                throw new JsonException($"a LIST page's items are a {reader.TokenType}, not an array");
            }
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                var start = reader;
                try
                {
                    if (JsonSerializer.Deserialize<T>(ref reader, ProjectionJson.Options) is { } item)
                    {
                        items.Add(item);
                    }
                }
                catch (Exception e) when (IsDecodeFailure(e))
                {
                    // Back to where the item started, and over it: its JSON is whole, only its shape was unexpected.
                    reader = start;
                    reader.Skip();
                    (bad ??= []).Add(AsJsonException(e));
                }
            }
        }
        return new ListPage(items, page.ResourceVersion, page.Continue) { BadItems = (IReadOnlyList<JsonException>?)bad ?? [] };
    }

    /// <summary>
    /// The list's resourceVersion and continue token, from its metadata: the API server writes it before the items,
    /// so this reads a few hundred bytes (items before it are skipped over, not decoded).
    /// </summary>
    internal static (string ResourceVersion, string? Continue) ReadListMetadata(ReadOnlySpan<byte> json, string path)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException($"the LIST of {path} did not return a JSON object");
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("metadata"u8))
            {
                reader.Read();
                var meta = JsonSerializer.Deserialize<V1ListMeta>(ref reader, ProjectionJson.Options);
                return (meta?.ResourceVersion ?? "", string.IsNullOrEmpty(meta?.ContinueProperty) ? null : meta.ContinueProperty);
            }
            reader.Skip();
        }
        return ("", null);
    }

    public async IAsyncEnumerable<WatchLine> WatchAsync<T>(string path, string resourceVersion, int timeoutSeconds,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var query = $"?watch=true&allowWatchBookmarks=true&resourceVersion={Uri.EscapeDataString(resourceVersion)}&timeoutSeconds={timeoutSeconds}";
        using var response = await SendAsync(path + query, ct);
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        // Buffers large enough for most events (a pod is ~5 KB): a line within one buffer is read in one piece.
        var reader = PipeReader.Create(body, new StreamPipeReaderOptions(bufferSize: 64 * 1024));
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(ct);
                var buffer = result.Buffer;
                while (TryTakeLine(ref buffer, out var line))
                {
                    if (!IsBlank(line))
                    {
                        yield return ParseLine<T>(line);
                    }
                }
                if (result.IsCompleted)
                {
                    // A last line without its newline is still a line.
                    if (!IsBlank(buffer))
                    {
                        yield return ParseLine<T>(buffer);
                    }
                    yield break;
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    private static bool TryTakeLine(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line)
    {
        if (buffer.PositionOf((byte)'\n') is not { } end)
        {
            line = default;
            return false;
        }
        line = buffer.Slice(0, end);
        buffer = buffer.Slice(buffer.GetPosition(1, end));
        return true;
    }

    private static bool IsBlank(ReadOnlySequence<byte> line)
    {
        foreach (var segment in line)
        {
            foreach (var b in segment.Span)
            {
                if (b is not ((byte)' ' or (byte)'\r' or (byte)'\t'))
                {
                    return false;
                }
            }
        }
        return true;
    }

    /// <summary>
    /// {"type":…,"object":{…}}: the object is decoded once its type is known, whichever comes first on the line
    /// (the reader is a struct, so a copy remembers where the object starts). A line split over buffers is first
    /// copied into one piece: the reader is about twice as fast on contiguous bytes.
    /// </summary>
    internal static WatchLine ParseLine<T>(ReadOnlySequence<byte> line) where T : class, IKubernetesObject<V1ObjectMeta>
    {
        if (line.IsSingleSegment)
        {
            return ParseLine<T>(new Utf8JsonReader(line.FirstSpan));
        }
        var length = checked((int)line.Length);
        var contiguous = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            line.CopyTo(contiguous);
            return ParseLine<T>(new Utf8JsonReader(contiguous.AsSpan(0, length)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(contiguous);
        }
    }

    private static WatchLine ParseLine<T>(Utf8JsonReader reader) where T : class, IKubernetesObject<V1ObjectMeta>
    {
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new JsonException("a watch line is not a JSON object");
            }
            string? type = null;
            var objectStart = default(Utf8JsonReader);
            var hasObject = false;
            WatchLine? decoded = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    type = reader.GetString();
                }
                else if (reader.ValueTextEquals("object"u8))
                {
                    reader.Read();
                    hasObject = true;
                    if (type is not null)
                    {
                        // The usual order: decoded where it stands, in one pass.
                        decoded = Decode<T>(type, ref reader);
                    }
                    else
                    {
                        objectStart = reader;
                        reader.Skip();
                    }
                }
                else
                {
                    reader.Skip();
                }
            }
            if (type is null || !hasObject)
            {
                throw new JsonException("a watch line without type or object");
            }
            return decoded ?? Decode<T>(type, ref objectStart);
        }
        catch (Exception e) when (IsDecodeFailure(e))
        {
            return new WatchLine("", null, null, AsJsonException(e));
        }
    }

    private static WatchLine Decode<T>(string type, ref Utf8JsonReader reader) where T : class, IKubernetesObject<V1ObjectMeta>
    {
        if (type == "ERROR")
        {
            return new WatchLine(type, null, JsonSerializer.Deserialize<V1Status>(ref reader, ProjectionJson.Options), null);
        }
        var obj = JsonSerializer.Deserialize<T>(ref reader, ProjectionJson.Options)
            ?? throw new JsonException($"a {type} watch line with a null object");
        return new WatchLine(type, obj, null, null);
    }

    /// <summary>
    /// What the decoder throws for an object it cannot read: System.Text.Json's own errors, and those of the model
    /// types' converters (a bad date, an unknown enum value).
    /// </summary>
    private static bool IsDecodeFailure(Exception e) =>
        e is JsonException or InvalidOperationException or FormatException or NotSupportedException;

    private static JsonException AsJsonException(Exception e) => e as JsonException ?? new JsonException(e.Message, e);

    /// <summary>GET with the client's credentials; a non-2xx answer throws the client's own exception type.</summary>
    private async Task<HttpResponseMessage> SendAsync(string relative, CancellationToken ct)
    {
        // Not disposed here: the response that is returned still refers to it.
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_base, relative));
        if (config is not { DisableHttp2: true })
        {
            // As the client does: HTTP/2 when the server offers it, so all watches share one connection.
            request.Version = HttpVersion.Version20;
        }
        if (!string.IsNullOrWhiteSpace(config?.TlsServerName))
        {
            request.Headers.Host = config.TlsServerName;
        }
        if (client.Credentials is { } credentials)
        {
            await credentials.ProcessHttpRequestAsync(request, ct);
        }
        var response = await client.HttpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }
        using (response)
        {
            var content = await response.Content.ReadAsStringAsync(ct);
            throw new HttpOperationException($"Operation returned an invalid status code '{response.StatusCode}', response body {content}")
            {
                Response = new HttpResponseMessageWrapper(response, content),
            };
        }
    }

    /// <summary>Any kind's list, decoded whole: its items (the metadata was read before, see <see cref="ReadListMetadata"/>).</summary>
    private sealed class ObjectList<T>
    {
        [JsonPropertyName("items")]
        public List<T>? Items { get; set; }
    }
}
