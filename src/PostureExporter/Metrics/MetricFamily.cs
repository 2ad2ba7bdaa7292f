using System.Buffers;
using System.Globalization;
using System.Text;
using Prometheus;

namespace PostureExporter.Metrics;

/// <summary>The two sample types the posture families use.</summary>
internal enum MetricType
{
    Gauge,
    Counter,
}

/// <summary>
/// One metric family kept as ready-to-send exposition text: every series holds its whole line
/// (<c>name{labels} value\n</c>) as UTF-8, re-encoded only when its value changes, so a scrape copies bytes
/// instead of rendering label values again (prometheus-net re-rendered all of them on every scrape: at 200k
/// series, 31 MB of text built from scratch, ~85 ms of CPU).
/// </summary>
/// <remarks>
/// Written by the engine thread, read by any number of concurrent scrapes. Every update holds the family's lock
/// for one dictionary operation and the encoding of one line (about a microsecond); a scrape holds it only to
/// block-copy the references of the lines (~0.13 ms at 200k series, RenderBenchmarks.CaptureFamilies) and writes
/// the bytes out after releasing it. A line's byte array is never changed once visible (a new value gets a new
/// array), so what a scrape copied stays valid, and it shows the family exactly as it stood between two updates,
/// never half of one.
/// </remarks>
internal sealed class MetricFamily
{
    // Room for the longest value text ("-1.7976931348623157E+308", 24 chars) plus the newline.
    private const int MaxValueBytes = 32;

    private readonly object _lock = new();
    private readonly Dictionary<string[], Series> _byLabels = new(LabelValuesComparer.Instance);
    // The lines in a dense list, so a scrape copies them with one block copy of references (no dictionary
    // walk, no visit to each series: at 200k series scattered over the heap that is the difference between a
    // fraction of a millisecond under the lock and several). _series[i] is the series whose line is _lines[i];
    // removal moves the last one into the hole (order within a family carries no meaning in the formats).
    private readonly List<byte[]> _lines = [];
    private readonly List<Series> _series = [];
    // Sum of the lines' lengths, kept as they change, so a capture knows its size without reading every line.
    private long _lineBytes;
    private readonly byte[] _textHeader;
    private readonly byte[] _openMetricsHeader;
    // The fixed parts of a series' prefix, as UTF-8: the name, and per label `{a="` or `,b="`.
    private readonly byte[] _nameBytes;
    private readonly byte[][] _labelOpeners;

    public MetricFamily(string name, string help, MetricType type, params string[] labelNames)
    {
        if (type == MetricType.Counter && !name.EndsWith("_total", StringComparison.Ordinal))
        {
            throw new ArgumentException($"counter {name} must end with _total", nameof(name));
        }
        Name = name;
        Type = type;
        LabelNames = labelNames;
        var typeName = type == MetricType.Counter ? "counter" : "gauge";
        var escapedHelp = EscapeHelp(help);
        _textHeader = Encoding.UTF8.GetBytes($"# HELP {name} {escapedHelp}\n# TYPE {name} {typeName}\n");
        // OpenMetrics names a counter family without the _total its samples carry.
        var familyName = type == MetricType.Counter ? name[..^"_total".Length] : name;
        _openMetricsHeader = Encoding.UTF8.GetBytes($"# HELP {familyName} {escapedHelp}\n# TYPE {familyName} {typeName}\n");
        _nameBytes = Encoding.UTF8.GetBytes(name);
        _labelOpeners = labelNames.Select((l, i) => Encoding.UTF8.GetBytes((i == 0 ? "{" : ",") + l + "=\"")).ToArray();
    }

    public string Name { get; }

    public MetricType Type { get; }

    public IReadOnlyList<string> LabelNames { get; }

    /// <summary>Series currently exported.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _lines.Count;
            }
        }
    }

    /// <summary>Sets the series' value, creating the series if it does not exist.</summary>
    public void Set(double value, params string[] labelValues)
    {
        CheckArity(labelValues);
        lock (_lock)
        {
            if (!_byLabels.TryGetValue(labelValues, out var series))
            {
                Add(labelValues, value);
            }
            else if (!series.Value.Equals(value))
            {
                Replace(series, value);
            }
        }
    }

    /// <summary>Adds one to a counter's series, creating it at 0 first if it does not exist.</summary>
    public void Inc(params string[] labelValues)
    {
        CheckArity(labelValues);
        lock (_lock)
        {
            if (_byLabels.TryGetValue(labelValues, out var series))
            {
                Replace(series, series.Value + 1);
            }
            else
            {
                Add(labelValues, 1);
            }
        }
    }

    /// <summary>
    /// Makes the series exist (at 0 if new) without changing an existing one: a counter exported at 0 before its
    /// first increment lets increase() see that first increment.
    /// </summary>
    public void Ensure(params string[] labelValues)
    {
        CheckArity(labelValues);
        lock (_lock)
        {
            if (!_byLabels.ContainsKey(labelValues))
            {
                Add(labelValues, 0);
            }
        }
    }

    /// <summary>Removes the series; false when it did not exist.</summary>
    public bool Remove(params string[] labelValues)
    {
        CheckArity(labelValues);
        lock (_lock)
        {
            if (!_byLabels.Remove(labelValues, out var series))
            {
                return false;
            }
            _lineBytes -= _lines[series.Index].Length;
            var lastIndex = _lines.Count - 1;
            var last = _series[lastIndex];
            _series[series.Index] = last;
            _lines[series.Index] = _lines[lastIndex];
            last.Index = series.Index;
            _series.RemoveAt(lastIndex);
            _lines.RemoveAt(lastIndex);
            return true;
        }
    }

    /// <summary>The value of a series, or null when it does not exist (for tests and diagnostics).</summary>
    public double? Value(params string[] labelValues)
    {
        lock (_lock)
        {
            return _byLabels.TryGetValue(labelValues, out var s) ? s.Value : null;
        }
    }

    /// <summary>
    /// The family as it stands now, to be written out later: under the lock only the lines' references are copied
    /// (into a pooled array), so a slow client never holds up the engine. Dispose it to return the array.
    /// </summary>
    public FamilySnapshot Capture(ExpositionFormat format)
    {
        var header = format == ExpositionFormat.OpenMetricsText ? _openMetricsHeader : _textHeader;
        lock (_lock)
        {
            var count = _lines.Count;
            var lines = ArrayPool<byte[]>.Shared.Rent(Math.Max(count, 1));
            _lines.CopyTo(0, lines, 0, count);
            return new FamilySnapshot(header, lines, count, header.Length + _lineBytes);
        }
    }

    /// <summary>A new series; the caller holds the lock.</summary>
    private void Add(string[] labelValues, double value)
    {
        var most = _nameBytes.Length + 2;
        for (var i = 0; i < labelValues.Length; i++)
        {
            // Escaping at most doubles a character's bytes.
            most += _labelOpeners[i].Length + 1 + 2 * Encoding.UTF8.GetMaxByteCount(labelValues[i].Length);
        }
        var rented = ArrayPool<byte>.Shared.Rent(most);
        var prefixLength = WritePrefix(labelValues, rented);
        var series = new Series(prefixLength) { Index = _lines.Count, Value = value };
        var line = Line(rented, prefixLength, value);
        ArrayPool<byte>.Shared.Return(rented);
        // Copied: the caller's array may be reused, and a key must never change.
        _byLabels.Add((string[])labelValues.Clone(), series);
        _series.Add(series);
        _lines.Add(line);
        _lineBytes += line.Length;
    }

    /// <summary>
    /// A new line for a new value; the caller holds the lock. The old line is left untouched because a scrape may
    /// be writing it out right now.
    /// </summary>
    private void Replace(Series series, double value)
    {
        var old = _lines[series.Index];
        var line = Line(old, series.PrefixLength, value);
        _lines[series.Index] = line;
        _lineBytes += line.Length - old.Length;
        series.Value = value;
    }

    /// <summary>The first <paramref name="prefixLength"/> bytes of <paramref name="prefix"/>, the value, a newline.</summary>
    private static byte[] Line(byte[] prefix, int prefixLength, double value)
    {
        Span<byte> valueText = stackalloc byte[MaxValueBytes];
        var valueLength = FormatValue(value, valueText);
        var line = new byte[prefixLength + valueLength + 1];
        prefix.AsSpan(0, prefixLength).CopyTo(line);
        valueText[..valueLength].CopyTo(line.AsSpan(prefixLength));
        line[^1] = (byte)'\n';
        return line;
    }

    private void CheckArity(string[] labelValues)
    {
        if (labelValues.Length != LabelNames.Count)
        {
            throw new ArgumentException($"{Name} has {LabelNames.Count} labels, got {labelValues.Length} values", nameof(labelValues));
        }
    }

    /// <summary>
    /// Writes <c>name{a="x",b="y"} </c>, or <c>name </c> for a family without labels, into <paramref name="destination"/>
    /// (large enough) and returns its length: straight to UTF-8, as a new series is made once per label set and
    /// the initial evaluation makes hundreds of thousands of them.
    /// </summary>
    private int WritePrefix(string[] labelValues, Span<byte> destination)
    {
        _nameBytes.CopyTo(destination);
        var length = _nameBytes.Length;
        for (var i = 0; i < labelValues.Length; i++)
        {
            _labelOpeners[i].CopyTo(destination[length..]);
            length += _labelOpeners[i].Length;
            length += WriteEscapedLabelValue(labelValues[i], destination[length..]);
            destination[length++] = (byte)'"';
        }
        if (labelValues.Length > 0)
        {
            destination[length++] = (byte)'}';
        }
        destination[length++] = (byte)' ';
        return length;
    }

    /// <summary>Label values escape backslash, double quote and newline (both formats).</summary>
    private static int WriteEscapedLabelValue(ReadOnlySpan<char> value, Span<byte> destination)
    {
        var length = 0;
        while (true)
        {
            var special = value.IndexOfAny('\\', '"', '\n');
            length += Encoding.UTF8.GetBytes(special < 0 ? value : value[..special], destination[length..]);
            if (special < 0)
            {
                return length;
            }
            destination[length++] = (byte)'\\';
            destination[length++] = value[special] == '\n' ? (byte)'n' : (byte)value[special];
            value = value[(special + 1)..];
        }
    }

    /// <summary>
    /// HELP text escapes backslash and newline. Double quotes are left as they are, as prometheus-net wrote them for
    /// both formats and Prometheus reads them (the HELP lines stay byte for byte what they were).
    /// </summary>
    private static string EscapeHelp(string help) =>
        help.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("\n", @"\n", StringComparison.Ordinal);

    /// <summary>
    /// The shortest text that reads back as the same double ("0", "3", "1796020704.549"), valid in both formats;
    /// infinities and NaN as the formats spell them.
    /// </summary>
    internal static int FormatValue(double value, Span<byte> destination)
    {
        ReadOnlySpan<byte> special = double.IsNaN(value) ? "NaN"u8
            : double.IsPositiveInfinity(value) ? "+Inf"u8
            : double.IsNegativeInfinity(value) ? "-Inf"u8
            : default;
        if (!special.IsEmpty)
        {
            special.CopyTo(destination);
            return special.Length;
        }
        if (!value.TryFormat(destination, out var written, "R", CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException($"cannot format {value}");
        }
        return written;
    }

    /// <summary>
    /// One series. Its labels live only in its line's first PrefixLength bytes (<c>name{labels} </c>), so a series
    /// costs one byte array besides its key and this.
    /// </summary>
    private sealed class Series(int prefixLength)
    {
        public int PrefixLength { get; } = prefixLength;

        /// <summary>Position of its line in the dense list.</summary>
        public int Index { get; set; }

        public double Value { get; set; }
    }

    private sealed class LabelValuesComparer : IEqualityComparer<string[]>
    {
        public static readonly LabelValuesComparer Instance = new();

        public bool Equals(string[]? x, string[]? y) =>
            ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y));

        public int GetHashCode(string[] obj)
        {
            var h = new HashCode();
            foreach (var s in obj)
            {
                h.Add(s, StringComparer.Ordinal);
            }
            return h.ToHashCode();
        }
    }
}

/// <summary>HELP, TYPE and the lines of one family at one moment (see <see cref="MetricFamily.Capture"/>).</summary>
internal sealed class FamilySnapshot : IDisposable
{
    private readonly byte[] _header;
    private byte[][] _lines;
    private readonly int _count;

    public FamilySnapshot(byte[] header, byte[][] lines, int count, long length)
    {
        _header = header;
        _lines = lines;
        _count = count;
        Length = length;
    }

    /// <summary>Bytes <see cref="WriteToAsync"/> writes.</summary>
    public long Length { get; }

    public async ValueTask WriteToAsync(ExpositionWriter writer, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_lines.Length == 0, this);
        await writer.WriteAsync(_header, ct);
        for (var i = 0; i < _count; i++)
        {
            await writer.WriteAsync(_lines[i], ct);
        }
    }

    public void Dispose()
    {
        if (_lines.Length > 0)
        {
            Array.Clear(_lines, 0, _count);
            ArrayPool<byte[]>.Shared.Return(_lines);
            _lines = [];
        }
    }
}
