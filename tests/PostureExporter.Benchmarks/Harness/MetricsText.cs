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
