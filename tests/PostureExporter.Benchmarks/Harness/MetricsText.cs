using System.Globalization;

namespace PostureExporter.Benchmarks.Harness;

/// <summary>Just enough of the Prometheus text format to total posture gauges by control.</summary>
internal static class MetricsText
{
    /// <summary>Sum of a metric's samples per value of one label (e.g. posture_checked by control).</summary>
    public static Dictionary<string, double> SumBy(string text, string metric, string label)
    {
        var sums = new Dictionary<string, double>(StringComparer.Ordinal);
        var prefix = metric + "{";
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            if (!line.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }
            var close = line.LastIndexOf('}');
            var key = LabelValue(line[prefix.Length..close], label);
            var value = double.Parse(line[(close + 1)..].Trim(), CultureInfo.InvariantCulture);
            sums[key] = sums.GetValueOrDefault(key) + value;
        }
        return sums;
    }

    /// <summary>The value of the first sample of a metric whose labels contain all the given pairs; null when none.</summary>
    /// <summary>
    /// <see cref="Value(string, string, (string, string)[])"/> on the UTF-8 body, decoding only the lines of that
    /// metric: the churn probe polls back to back, and turning a 10 MB body into a string each time put the
    /// harness's own allocation and GC pauses into the latencies it measures.
    /// </summary>
    public static double? Value(ReadOnlySpan<byte> body, string metric, params (string Label, string Value)[] labels)
    {
        var prefix = System.Text.Encoding.UTF8.GetBytes(metric + "{");
        var lines = new System.Text.StringBuilder();
        var rest = body;
        while (rest.IndexOf(prefix) is var at and >= 0)
        {
            // Only a match at the start of a line is a series of this metric.
            var lineStart = at == 0 || rest[at - 1] == (byte)'\n';
            var end = rest[at..].IndexOf((byte)'\n');
            var line = end < 0 ? rest[at..] : rest.Slice(at, end);
            if (lineStart)
            {
                lines.Append(System.Text.Encoding.UTF8.GetString(line)).Append('\n');
            }
            rest = rest[(at + line.Length)..];
        }
        return Value(lines.ToString(), metric, labels);
    }

    public static double? Value(string text, string metric, params (string Label, string Value)[] labels)
    {
        var prefix = metric + "{";
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            if (!line.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }
            var close = line.LastIndexOf('}');
            var all = line[prefix.Length..close];
            var match = true;
            foreach (var (l, v) in labels)
            {
                if (LabelValue(all, l) != v)
                {
                    match = false;
                    break;
                }
            }
            if (match)
            {
                return double.Parse(line[(close + 1)..].Trim(), CultureInfo.InvariantCulture);
            }
        }
        return null;
    }

    /// <summary>Sample lines (series) in an exposition.</summary>
    public static int CountSeries(string text)
    {
        var n = 0;
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            if (line.Length > 0 && line[0] != '#')
            {
                n++;
            }
        }
        return n;
    }

    private static string LabelValue(ReadOnlySpan<char> labels, string name)
    {
        // Our label values never contain escaped quotes in these metrics' control/namespace labels.
        var needle = name + "=\"";
        var i = 0;
        while (i < labels.Length)
        {
            var at = labels[i..].IndexOf(needle, StringComparison.Ordinal);
            if (at < 0)
            {
                return "";
            }
            var start = i + at;
            if (start == 0 || labels[start - 1] == ',')
            {
                var valueStart = start + needle.Length;
                var end = labels[valueStart..].IndexOf('"');
                return labels.Slice(valueStart, end).ToString();
            }
            i = start + needle.Length;
        }
        return "";
    }
}
