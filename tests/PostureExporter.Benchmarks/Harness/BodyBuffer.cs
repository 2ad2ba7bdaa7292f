namespace PostureExporter.Benchmarks.Harness;

/// <summary>
/// HTTP bodies read whole into one buffer kept across reads (it grows when a body is larger), as Prometheus reads
/// its scrapes: the harness's own allocations stay out of what it measures. One reader at a time; a body stays
/// valid until the next read.
/// </summary>
internal sealed class BodyBuffer(int initialBytes)
{
    private byte[] _buffer = new byte[initialBytes];

    public async Task<ReadOnlyMemory<byte>> ReadAsync(HttpClient http, Uri url, CancellationToken ct = default)
    {
        using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        var length = 0;
        while (true)
        {
            if (length == _buffer.Length)
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }
            var read = await body.ReadAsync(_buffer.AsMemory(length), ct);
            if (read == 0)
            {
                return _buffer.AsMemory(0, length);
            }
            length += read;
        }
    }
}
