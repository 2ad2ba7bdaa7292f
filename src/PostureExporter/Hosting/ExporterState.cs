using System.Collections.Concurrent;
using PostureExporter.Informers;

namespace PostureExporter.Hosting;

/// <summary>What /readyz and /healthz read: the informers and whether their first list reached the index.</summary>
internal sealed class ExporterState(IReadOnlyList<ResourceInformer> informers, TimeProvider time, TimeSpan watchDownBound)
{
    private readonly ConcurrentDictionary<string, bool> _applied = new();

    public IReadOnlyList<ResourceInformer> Informers => informers;

    public IEnumerable<ResourceDescriptor> Resources => informers.Select(i => i.Resource);

    public void MarkApplied(string resource) => _applied[resource] = true;

    /// <summary>Every initial list has been applied.</summary>
    public bool AllApplied => informers.All(i => _applied.ContainsKey(i.Resource.Resource));

    /// <summary>Set once the model built from the initial lists has been evaluated as a whole.</summary>
    public bool InitialEvaluationDone
    {
        get => Volatile.Read(ref _initialEvaluationDone);
        set => Volatile.Write(ref _initialEvaluationDone, value);
    }

    private bool _initialEvaluationDone;

    /// <summary>
    /// False while the API server's version, asked at start-up alongside the first lists, has not come back: the
    /// initial evaluation waits for it, so the kubelet-skew control is first judged with it.
    /// </summary>
    public bool ApiServerVersionSettled
    {
        get => Volatile.Read(ref _apiServerVersionSettled);
        set => Volatile.Write(ref _apiServerVersionSettled, value);
    }

    private bool _apiServerVersionSettled = true;

    /// <summary>Ready once every informer's initial list has been applied to the findings index.</summary>
    public bool IsReady(out string detail)
    {
        var pending = informers.Where(i => !_applied.ContainsKey(i.Resource.Resource)).Select(i => i.Resource.Resource).ToList();
        if (pending.Count > 0)
        {
            detail = "waiting for the initial list of: " + string.Join(", ", pending);
            return false;
        }
        detail = InitialEvaluationDone ? "ok" : ApiServerVersionSettled ? "evaluating the initial state" : "waiting for the API server's version";
        return InitialEvaluationDone;
    }

    /// <summary>Healthy unless some watch has been down longer than the configured bound.</summary>
    public bool IsHealthy(out string detail)
    {
        var now = time.GetUtcNow();
        var down = informers.Where(i => i.DownSince is { } since && now - since > watchDownBound).Select(i => i.Resource.Resource).ToList();
        detail = down.Count == 0 ? "ok" : $"watch down for more than {watchDownBound}: " + string.Join(", ", down);
        return down.Count == 0;
    }
}
