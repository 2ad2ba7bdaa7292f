using System.Buffers;

namespace PostureExporter.Metrics;

/// <summary>
/// Copies many small byte arrays (one per series) to a stream through one pooled buffer, so a 30 MB scrape is a
/// few hundred stream writes rather than 200k.
/// </summary>
internal sealed class ExpositionWriter(Stream stream) : IAsyncDisposable
{
    private const int BufferSize = 64 * 1024;

    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
    private int _used;

    /// <summary>Completes synchronously unless the buffer is full.</summary>
    public ValueTask WriteAsync(byte[] bytes, CancellationToken ct)
    {
        if (bytes.Length <= _buffer.Length - _used)
        {
            bytes.CopyTo(_buffer, _used);
            _used += bytes.Length;
            return ValueTask.CompletedTask;
        }
        return FlushAndWriteAsync(bytes, ct);
    }

    private async ValueTask FlushAndWriteAsync(byte[] bytes, CancellationToken ct)
    {
        await FlushAsync(ct);
        if (bytes.Length > _buffer.Length)
        {
            await stream.WriteAsync(bytes, ct);
            return;
        }
        bytes.CopyTo(_buffer, 0);
        _used = bytes.Length;
    }

    /// <summary>Hands what is buffered to the stream (before anything else writes to it directly).</summary>
    public async ValueTask FlushAsync(CancellationToken ct)
    {
        if (_used > 0)
        {
            await stream.WriteAsync(_buffer.AsMemory(0, _used), ct);
            _used = 0;
        }
    }

    /// <summary>Returns the buffer to the pool; what was not flushed is dropped (flush first).</summary>
    public ValueTask DisposeAsync()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
        return ValueTask.CompletedTask;
    }
}
