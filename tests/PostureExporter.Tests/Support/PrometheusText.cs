using System.Globalization;
using System.Text.RegularExpressions;

namespace PostureExporter.Tests.Support;

/// <summary>A parsed Prometheus text exposition: samples by name and labels.</summary>
public sealed partial class PrometheusText
{
    private PrometheusText(string text, List<Sample> samples)
    {
        Text = text;
        Samples = samples;
    }

    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    public string Text { get; }

    public IReadOnlyList<Sample> Samples { get; }

    public static PrometheusText Parse(string text)
    {
        var samples = new List<Sample>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            var m = SampleLine().Match(line);
            if (!m.Success)
            {
                throw new FormatException("not a sample line: " + line);
            }
            var labels = new Dictionary<string, string>();
            foreach (Match l in LabelPair().Matches(m.Groups["labels"].Value))
            {
                labels[l.Groups[1].Value] = l.Groups[2].Value.Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
            }
            samples.Add(new Sample(m.Groups["name"].Value, labels, double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)));
        }
        return new PrometheusText(text, samples);
    }

    /// <summary>Samples of a metric whose labels include all the given ones.</summary>
    public IEnumerable<Sample> Find(string name, params (string Key, string Value)[] labels) =>
        Samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value));

    /// <summary>The value of the one matching sample, or null when there is none.</summary>
    public double? Value(string name, params (string Key, string Value)[] labels)
    {
        var found = Find(name, labels).ToList();
        return found.Count switch
        {
            0 => null,
            1 => found[0].Value,
            _ => throw new InvalidOperationException($"{found.Count} samples of {name} match"),
        };
    }

    public double Sum(string name, params (string Key, string Value)[] labels) => Find(name, labels).Sum(s => s.Value);

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)(\s+\d+)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex LabelPair();
}
