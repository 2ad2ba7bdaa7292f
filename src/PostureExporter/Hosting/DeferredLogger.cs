using Microsoft.Extensions.Logging;

namespace PostureExporter.Hosting;

/// <summary>
/// A logger for parts that start before the console logger factory is made (it is made on another thread at
/// start-up, see <see cref="ServeCommand"/>): the real logger is taken from the factory at the first use,
/// waiting for the factory if it is not there yet (a moment at most, and in practice never: the informers'
/// first line comes after their first list).
/// </summary>
internal sealed class DeferredLogger(Task<ILoggerFactory> factory, string category) : ILogger
{
    private ILogger? _logger;

    // Two threads may both make it: the same category gives an equivalent logger, either one will do.
    private ILogger Logger => _logger ??= factory.GetAwaiter().GetResult().CreateLogger(category);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => Logger.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => Logger.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Logger.Log(logLevel, eventId, state, exception, formatter);
}
