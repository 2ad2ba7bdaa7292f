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

    /// <summary>Gives back what every family's tables kept spare (after the initial evaluation made most series).</summary>
    public void TrimExcess()
    {
        foreach (var family in Families)
        {
            family.TrimExcess();
        }
    }

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
    public IReadOnlyList<FamilySnapshot> Capture(ExpositionFormat format) =>
        [.. Families.Select(f => f.Capture(format))];

    /// <summary>Captures and writes every family (for tests and tools; /metrics captures first to know the length).</summary>
    public async Task WriteToAsync(ExpositionWriter writer, ExpositionFormat format, CancellationToken ct)
    {
        var snapshots = Capture(format);
        try
        {
            foreach (var snapshot in snapshots)
            {
                await snapshot.WriteToAsync(writer, ct);
            }
        }
        finally
        {
            foreach (var snapshot in snapshots)
            {
                snapshot.Dispose();
            }
        }
    }
}
