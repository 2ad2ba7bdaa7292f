using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace PostureExporter.Http;

/// <summary>
/// Diagnostics for benchmarks, off unless the environment variable POSTURE_DEBUG_ENDPOINTS=1 is set. Behind the
/// same authentication as every other endpoint but /healthz and /readyz.
/// </summary>
internal static class DebugEndpoints
{
    public const string EnvironmentVariable = "POSTURE_DEBUG_ENDPOINTS";

    public static bool Enabled => Environment.GetEnvironmentVariable(EnvironmentVariable) == "1";

    public static void MapDebugEndpoints(this WebApplication app)
    {
        if (!Enabled)
        {
            return;
        }

        // GET /debug/gc: a full blocking, compacting collection, then the managed heap that survived it and the
        // process's working set, so a benchmark can read the steady heap from outside the process.
        app.MapGet("/debug/gc", (HttpContext context) =>
        {
            // It stalls the process on purpose: never for a caller from another machine.
            if (context.Connection.RemoteIpAddress is not { } remote || !System.Net.IPAddress.IsLoopback(remote))
            {
                return Results.NotFound();
            }
            // What the process did before this call: how many collections, how long they paused it, what it allocated.
            int[] collections = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
            var pause = GC.GetTotalPauseDuration();
            var allocated = GC.GetTotalAllocatedBytes();
            var jitMethods = System.Runtime.JitInfo.GetCompiledMethodCount();
            var jitTime = System.Runtime.JitInfo.GetCompilationTime();
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            var info = GC.GetGCMemoryInfo(GCKind.FullBlocking);
            return Results.Json(new
            {
                heapBytes = GC.GetTotalMemory(forceFullCollection: false),
                heapSizeBytes = info.HeapSizeBytes,
                fragmentedBytes = info.FragmentedBytes,
                workingSetBytes = Environment.WorkingSet,
                gen2Collections = GC.CollectionCount(2),
                collectionsBefore = collections,
                pauseSecondsBefore = pause.TotalSeconds,
                allocatedBytesBefore = allocated,
                jitCompiledMethods = jitMethods,
                jitCompilationSeconds = jitTime.TotalSeconds,
            });
        });
    }
}
