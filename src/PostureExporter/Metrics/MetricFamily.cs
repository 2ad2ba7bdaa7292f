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
    // Series i is _lines[i], its whole exposition line, and nothing else: its `name{labels} ` prefix ends at the
    // line's last space (a value's text has none) and its value is read back from the text after it (the text is
    // the shortest that round-trips), so a series costs no value or length of its own (at 100k pods, 270k series,
    // those were 3.3 MB). The lines are a dense list, so a scrape copies them with one block copy of references
    // (no walk over 200k series scattered on the heap under the lock); removal moves the last series into the
    // hole (order within a family carries no meaning in the formats).
    private readonly List<byte[]> _lines = [];
    // The series' positions, hashed and compared by their line's prefix bytes and looked up with the prefix
    // bytes of the labels asked for: a series keeps no copy of its label values (at 100k pods, 320k series,
    // that copy and a series object were ~100 of the ~290 bytes a series cost).
    private readonly HashSet<int> _positions;
    private readonly HashSet<int>.AlternateLookup<ReadOnlySpan<byte>> _byPrefix;
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
        _positions = new HashSet<int>(new PrefixComparer(this));
        _byPrefix = _positions.GetAlternateLookup<ReadOnlySpan<byte>>();
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
    public void Set(double value, params string[] labelValues) => Update(labelValues, value, Mode.Set);

    /// <summary>Adds one to a counter's series, creating it at 0 first if it does not exist.</summary>
    public void Inc(params string[] labelValues) => Update(labelValues, 1, Mode.Increment);

    /// <summary>
    /// Makes the series exist (at 0 if new) without changing an existing one: a counter exported at 0 before its
    /// first increment lets increase() see that first increment.
    /// </summary>
    public void Ensure(params string[] labelValues) => Update(labelValues, 0, Mode.Ensure);

    /// <summary>Removes the series; false when it did not exist.</summary>
    public bool Remove(params string[] labelValues)
    {
        CheckArity(labelValues);
        using var prefix = new Prefix(this, labelValues);
        lock (_lock)
        {
            if (!_byPrefix.TryGetValue(prefix.Bytes, out var position))
            {
                return false;
            }
            _positions.Remove(position);
            _lineBytes -= _lines[position].Length;
            var last = _lines.Count - 1;
            if (position != last)
            {
                // The last series takes the hole: it leaves the set under its old position, while its line is
                // still there to hash, and comes back under the new one.
                _positions.Remove(last);
                _lines[position] = _lines[last];
                _positions.Add(position);
            }
            _lines.RemoveAt(last);
            return true;
        }
    }

    /// <summary>The value of a series, or null when it does not exist (for tests and diagnostics).</summary>
    public double? Value(params string[] labelValues)
    {
        CheckArity(labelValues);
        using var prefix = new Prefix(this, labelValues);
        lock (_lock)
        {
            return _byPrefix.TryGetValue(prefix.Bytes, out var position) ? ValueOf(position) : null;
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

    /// <summary>Gives back the spare room the series' tables kept while they grew by doubling.</summary>
    public void TrimExcess()
    {
        lock (_lock)
        {
            _lines.TrimExcess();
            _positions.TrimExcess();
        }
    }

    private enum Mode
    {
        Set,
        Increment,
        Ensure,
    }

    private void Update(string[] labelValues, double value, Mode mode)
    {
        CheckArity(labelValues);
        using var prefix = new Prefix(this, labelValues);
        lock (_lock)
        {
            if (!_byPrefix.TryGetValue(prefix.Bytes, out var position))
            {
                Add(prefix.Bytes, value);
                return;
            }
            var current = ValueOf(position);
            var next = mode switch
            {
                Mode.Set => value,
                Mode.Increment => current + 1,
                _ => current,
            };
            if (!current.Equals(next))
            {
                Replace(position, next);
            }
        }
    }

    /// <summary>A new series; the caller holds the lock.</summary>
    private void Add(ReadOnlySpan<byte> prefix, double value)
    {
        var position = _lines.Count;
        var line = Line(prefix, value);
        _lines.Add(line);
        _positions.Add(position);
        _lineBytes += line.Length;
    }

    /// <summary>
    /// A new line for a new value; the caller holds the lock. The old line is left untouched because a scrape may
    /// be writing it out right now.
    /// </summary>
    private void Replace(int position, double value)
    {
        var old = _lines[position];
        var line = Line(PrefixOf(position), value);
        _lines[position] = line;
        _lineBytes += line.Length - old.Length;
    }

    /// <summary>The prefix, the value, a newline.</summary>
    private static byte[] Line(ReadOnlySpan<byte> prefix, double value)
    {
        Span<byte> valueText = stackalloc byte[MaxValueBytes];
        var valueLength = FormatValue(value, valueText);
        var line = new byte[prefix.Length + valueLength + 1];
        prefix.CopyTo(line);
        valueText[..valueLength].CopyTo(line.AsSpan(prefix.Length));
        line[^1] = (byte)'\n';
        return line;
    }

    private ReadOnlySpan<byte> PrefixOf(int position) => PrefixOf(_lines[position]);

    /// <summary>A line's <c>name{labels} </c> part: up to its last space, since a value's text has none.</summary>
    private static ReadOnlySpan<byte> PrefixOf(byte[] line) => line.AsSpan(0, line.AsSpan().LastIndexOf((byte)' ') + 1);

    private double ValueOf(int position)
    {
        var line = _lines[position];
        return ParseValue(line.AsSpan(PrefixOf(line).Length..^1));
    }

    private void CheckArity(string[] labelValues)
    {
        if (labelValues.Length != LabelNames.Count)
        {
            throw new ArgumentException($"{Name} has {LabelNames.Count} labels, got {labelValues.Length} values", nameof(labelValues));
        }
    }

    /// <summary>
    /// The prefix of the series with these label values, <c>name{a="x",b="y"} </c> (or <c>name </c> for a family
    /// without labels), as UTF-8 in a pooled array: the key a series is found by, and the start of its line.
    /// </summary>
    private readonly ref struct Prefix
    {
        private readonly byte[] _rented;

        public Prefix(MetricFamily family, string[] labelValues)
        {
            var most = family._nameBytes.Length + 2;
            for (var i = 0; i < labelValues.Length; i++)
            {
                // Escaping at most doubles a character's bytes.
                most += family._labelOpeners[i].Length + 1 + 2 * Encoding.UTF8.GetMaxByteCount(labelValues[i].Length);
            }
            _rented = ArrayPool<byte>.Shared.Rent(most);
            Bytes = _rented.AsSpan(0, family.WritePrefix(labelValues, _rented));
        }

        public ReadOnlySpan<byte> Bytes { get; }

        public void Dispose() => ArrayPool<byte>.Shared.Return(_rented);
    }

    /// <summary>
    /// Writes <c>name{a="x",b="y"} </c>, or <c>name </c> for a family without labels, into <paramref name="destination"/>
    /// (large enough) and returns its length: straight to UTF-8, from the name and openers encoded once.
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

    /// <summary>Reads back what <see cref="FormatValue"/> wrote.</summary>
    internal static double ParseValue(ReadOnlySpan<byte> text)
    {
        if (text.SequenceEqual("+Inf"u8))
        {
            return double.PositiveInfinity;
        }
        if (text.SequenceEqual("-Inf"u8))
        {
            return double.NegativeInfinity;
        }
        return double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    /// <summary>Series positions compared by their line's prefix; looked up by a prefix's bytes. Used under the family's lock.</summary>
    private sealed class PrefixComparer(MetricFamily family) : IEqualityComparer<int>, IAlternateEqualityComparer<ReadOnlySpan<byte>, int>
    {
        public bool Equals(int x, int y) => x == y || family.PrefixOf(x).SequenceEqual(family.PrefixOf(y));

        public int GetHashCode(int position) => Hash(family.PrefixOf(position));

        public bool Equals(ReadOnlySpan<byte> alternate, int other) => alternate.SequenceEqual(family.PrefixOf(other));

        public int GetHashCode(ReadOnlySpan<byte> alternate) => Hash(alternate);

        public int Create(ReadOnlySpan<byte> alternate) =>
            throw new NotSupportedException("series are added by position, never from their prefix alone");

        private static int Hash(ReadOnlySpan<byte> prefix)
        {
            var hash = new HashCode();
            hash.AddBytes(prefix);
            return hash.ToHashCode();
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
