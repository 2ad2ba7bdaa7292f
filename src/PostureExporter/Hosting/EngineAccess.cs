using System.Threading.Channels;
using PostureExporter.Engine.Findings;

namespace PostureExporter.Hosting;

/// <summary>
/// The way into the engine from other threads: work is queued to the engine loop and runs there, between
/// informer events, so readers (the findings API, the status page) see a consistent index without locks and
/// never re-evaluate anything.
/// </summary>
internal sealed class EngineAccess
{
    private readonly Channel<Action<FindingsIndex>> _work = Channel.CreateUnbounded<Action<FindingsIndex>>(new UnboundedChannelOptions { SingleReader = true });

    public ChannelReader<Action<FindingsIndex>> Work => _work.Reader;

    /// <summary>Runs a read on the engine thread and returns its result.</summary>
    public Task<T> QueryAsync<T>(Func<FindingsIndex, T> query, CancellationToken ct = default)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        using (ct.Register(() => done.TrySetCanceled(ct)))
        {
            if (!_work.Writer.TryWrite(index =>
            {
                try
                {
                    done.TrySetResult(query(index));
                }
                catch (Exception e)
                {
                    done.TrySetException(e);
                }
            }))
            {
                done.TrySetException(new InvalidOperationException("the engine has stopped"));
            }
        }
        return done.Task;
    }

    public void Post(Action<FindingsIndex> work) => _work.Writer.TryWrite(work);

    public void Complete() => _work.Writer.TryComplete();
}
