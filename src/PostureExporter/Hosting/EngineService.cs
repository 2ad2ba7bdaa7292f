using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PostureExporter.Engine.Findings;
using PostureExporter.Engine.Model;
using PostureExporter.Informers;
using PostureExporter.Metrics;

namespace PostureExporter.Hosting;

/// <summary>
/// The single writer: applies informer events to the model and the findings index in arrival order, and so to
/// the metrics. One thread owns the engine, so the engine needs no locks.
/// </summary>
internal sealed partial class EngineService(
    Channel<InformerEvent> channel,
    FindingsIndex index,
    PostureMetrics metrics,
    ExporterHealthMetrics health,
    ExporterState state,
    EngineAccess access,
    WaiverProblems waiverProblems,
    TimeProvider time,
    ILogger<EngineService> logger) : BackgroundService
{
    private static readonly TimeSpan WaiverCheckInterval = TimeSpan.FromMinutes(1);
    private bool _evaluateAll;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reader = channel.Reader;
        var changedNamespaces = new HashSet<string>();
        metrics.RefreshDerived(index, changedNamespaces, bindingsChanged: true);
        var waivers = RefreshWaiversPeriodicallyAsync(stoppingToken);
        Task<bool>? events = null, work = null;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                events ??= reader.WaitToReadAsync(stoppingToken).AsTask();
                work ??= access.Work.WaitToReadAsync(stoppingToken).AsTask();
                await Task.WhenAny(events, work);
                if (work.IsCompleted)
                {
                    if (!await work)
                    {
                        break;
                    }
                    work = null;
                    while (access.Work.TryRead(out var item))
                    {
                        item(index);
                    }
                    // Work can change settings (waivers, the API server version) and so what is applicable, and the
                    // version's arrival can be what the initial evaluation was waiting for.
                    Settle(changedNamespaces, bindingsChanged: false);
                }
                if (events.IsCompleted)
                {
                    if (!await events)
                    {
                        break;
                    }
                    events = null;
                    ApplyAvailable(reader, changedNamespaces);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            access.Complete();
            await waivers;
        }
    }

    /// <summary>Applies every event waiting in the channel, then updates what is derived once per batch.</summary>
    private void ApplyAvailable(ChannelReader<InformerEvent> reader, HashSet<string> changedNamespaces)
    {
        var bindingsChanged = false;
        var kinds = new HashSet<string>();
        while (reader.TryRead(out var e))
        {
            Apply(e, changedNamespaces, ref bindingsChanged);
            kinds.Add(e.Resource.Kind);
            if (e is Relisted)
            {
                state.MarkApplied(e.Resource.Resource);
            }
        }
        foreach (var resource in state.Resources.Where(r => kinds.Contains(r.Kind)))
        {
            health.InformerObjects.WithLabels(resource.Resource).Set(index.Model.CountOf(resource.Kind));
        }
        if (_evaluateAll && state.InitialEvaluationDone)
        {
            _evaluateAll = false;
            try
            {
                index.EvaluateAll(time.GetUtcNow());
            }
            catch (Exception ex)
            {
                health.EvaluationErrors.Inc();
                LogApplyFailed(logger, ex, "(whole re-evaluation)");
            }
        }
        Settle(changedNamespaces, bindingsChanged);
    }

    /// <summary>After a batch of events or work: the initial evaluation once everything it needs is in, then what is derived.</summary>
    private void Settle(HashSet<string> changedNamespaces, bool bindingsChanged)
    {
        if (!state.InitialEvaluationDone && state.AllApplied && state.ApiServerVersionSettled)
        {
            // The initial lists arrive kind by kind in any order; evaluating them as they came would open and
            // resolve findings on half-built ownership (a ReplicaSet before its Deployment). Evaluate once, whole.
            var started = Stopwatch.GetTimestamp();
            metrics.BeginInitialEvaluation();
            index.EvaluateAll(time.GetUtcNow());
            metrics.EndInitialEvaluation(index);
            // The tables filled by doubling while the lists came in: give back their spare half now.
            index.TrimExcess();
            metrics.TrimExcess();
            state.InitialEvaluationDone = true;
            bindingsChanged = true;
            LogInitialEvaluation(logger, index.Model.Count, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        metrics.RefreshDerived(index, changedNamespaces, bindingsChanged);
        health.InvalidWaivers.Set(index.WaiverProblems.Count + waiverProblems.ConfigCount);
        changedNamespaces.Clear();
    }

    /// <summary>Listed objects, except those held at the same resourceVersion (a page of the same list applied them).</summary>
    private void UpsertListed(IReadOnlyList<ModelObject> objects, DateTimeOffset now, HashSet<string> changedNamespaces, ref bool bindingsChanged)
    {
        foreach (var o in objects)
        {
            if (index.Model.Get(o.Key) is { } existing && existing.ResourceVersion.Length > 0 && existing.ResourceVersion == o.ResourceVersion)
            {
                continue;
            }
            Upsert(o, now);
            Note(o.Key, changedNamespaces, ref bindingsChanged);
        }
    }

    /// <summary>Before the initial evaluation only the model is kept current; after it, the index too.</summary>
    private void Upsert(ModelObject obj, DateTimeOffset now)
    {
        if (state.InitialEvaluationDone)
        {
            index.Upsert(obj, now);
        }
        else
        {
            index.Model.Upsert(obj);
        }
    }

    private void Delete(ObjectKey key, DateTimeOffset now)
    {
        if (state.InitialEvaluationDone)
        {
            index.Delete(key, now);
        }
        else
        {
            index.Model.Delete(key);
        }
    }

    /// <summary>Waivers end with time, not with events: re-check the dated ones every minute, on the engine thread.</summary>
    private async Task RefreshWaiversPeriodicallyAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(WaiverCheckInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                access.Post(i => i.RefreshExpiredWaivers(time.GetUtcNow()));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Apply(InformerEvent e, HashSet<string> changedNamespaces, ref bool bindingsChanged)
    {
        var started = Stopwatch.GetTimestamp();
        var now = time.GetUtcNow();
        try
        {
            switch (e)
            {
                case ObjectUpserted u:
                    // A duplicate or out-of-order event (not newer than what is held) changes nothing.
                    if (index.Model.Get(u.Object.Key) is { } held && !IsNewer(u.Object.ResourceVersion, held.ResourceVersion))
                    {
                        return;
                    }
                    Upsert(u.Object, now);
                    Note(u.Object.Key, changedNamespaces, ref bindingsChanged);
                    break;
                case ObjectDeleted d:
                    Delete(d.Key, now);
                    Note(d.Key, changedNamespaces, ref bindingsChanged);
                    break;
                case ListedPage page:
                    UpsertListed(page.Objects, now, changedNamespaces, ref bindingsChanged);
                    break;
                case Relisted r:
                    var keep = r.Objects.Select(o => o.Key).ToHashSet();
                    foreach (var gone in index.Model.KeysOf(r.Resource.Kind).Where(k => !keep.Contains(k)).ToList())
                    {
                        Delete(gone, now);
                        Note(gone, changedNamespaces, ref bindingsChanged);
                    }
                    UpsertListed(r.Objects, now, changedNamespaces, ref bindingsChanged);
                    LogRelisted(logger, r.Resource.Resource, r.Objects.Count);
                    break;
            }
        }
        catch (Exception ex)
        {
            // A bug in one control must not stop the exporter: log it, count it, and evaluate everything again
            // after this batch, since the model changed but some subjects it dirtied were not re-evaluated.
            health.EvaluationErrors.Inc();
            _evaluateAll = true;
            LogApplyFailed(logger, ex, e.Resource.Resource);
        }
        finally
        {
            health.Evaluation.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    /// <summary>
    /// resourceVersions are opaque by contract but etcd revisions in practice: compare them as numbers when both
    /// are, and treat anything else as newer (never drop an event we cannot order).
    /// </summary>
    internal static bool IsNewer(string incoming, string held) =>
        !(long.TryParse(incoming, out var a) && long.TryParse(held, out var b)) || a > b;

    private static void Note(ObjectKey key, HashSet<string> changedNamespaces, ref bool bindingsChanged)
    {
        if (key.Kind == Kinds.Namespace)
        {
            changedNamespaces.Add(key.Name);
        }
        else if (key.Kind is Kinds.ClusterRoleBinding or Kinds.RoleBinding)
        {
            bindingsChanged = true;
        }
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Debug, Message = "applied a relist of {Resource}: {Count} objects")]
    private static partial void LogRelisted(ILogger logger, string resource, int count);

    [LoggerMessage(EventId = 202, Level = LogLevel.Information, Message = "evaluated the initial state: {Objects} objects in {Milliseconds:0} ms")]
    private static partial void LogInitialEvaluation(ILogger logger, int objects, double milliseconds);

    [LoggerMessage(EventId = 201, Level = LogLevel.Error, Message = "applying a change to {Resource} failed; skipped and counted")]
    private static partial void LogApplyFailed(ILogger logger, Exception exception, string resource);
}
