using Prometheus;

namespace PostureExporter.Metrics;

/// <summary>
/// The posture_* families in the order they are written. The families keep their own series (see
/// <see cref="MetricFamily"/>); the store only names them once and writes them out in turn.
/// </summary>
internal sealed class SeriesStore
{
    private readonly List<MetricFamily> _families = [];
    private readonly object _lock = new();

    public MetricFamily Gauge(string name, string help, params string[] labelNames) =>
        Add(new MetricFamily(name, help, MetricType.Gauge, labelNames));

    public MetricFamily Counter(string name, string help, params string[] labelNames) =>
        Add(new MetricFamily(name, help, MetricType.Counter, labelNames));

    public IReadOnlyList<MetricFamily> Families
    {
        get
        {
            lock (_lock)
            {
                return [.. _families];
            }
        }
    }

    /// <summary>Series in all families.</summary>
    public int SeriesCount => Families.Sum(f => f.Count);

    private MetricFamily Add(MetricFamily family)
    {
        lock (_lock)
        {
            // Two families of one name would make the exposition invalid (HELP and TYPE at most once per name).
            if (_families.Any(f => f.Name == family.Name))
            {
                throw new InvalidOperationException($"metric family {family.Name} exists already");
            }
            _families.Add(family);
        }
        return family;
    }

    /// <summary>Every family, each one a consistent picture of itself (families are captured one after another).</summary>
    public async Task WriteToAsync(ExpositionWriter writer, ExpositionFormat format, CancellationToken ct)
    {
        foreach (var family in Families)
        {
            await family.WriteToAsync(writer, format, ct);
        }
    }
}
