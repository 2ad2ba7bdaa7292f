namespace PostureExporter.Tests.Support;

/// <summary>Polls for an eventual state; the deadline only bounds a failure, it is not the assertion.</summary>
public static class Eventually
{
    public static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string failure)
    {
        var deadline = DateTime.UtcNow + timeout;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
            {
                last = e;
            }
            await Task.Delay(50);
        }
        throw new TimeoutException(failure + (last is null ? "" : $" (last error: {last.Message})"));
    }

    public static Task WaitAsync(Func<bool> condition, TimeSpan timeout, string failure) =>
        WaitAsync(() => Task.FromResult(condition()), timeout, failure);
}
