using System.Diagnostics;

namespace PostureExporter.Benchmarks.Harness;

/// <summary>Progress goes to stderr, so that stdout ends with the one JSON result line.</summary>
internal static class Log
{
    private static readonly Stopwatch Clock = Stopwatch.StartNew();

    public static void Info(string message) => Console.Error.WriteLine($"[{Clock.Elapsed.TotalSeconds,7:F1}s] {message}");
}
