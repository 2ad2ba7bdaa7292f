using k8s;

namespace PostureExporter.Hosting;

/// <summary>The API server's version (/version), which the kubelet-skew control compares node versions with.</summary>
internal static class ApiServerVersion
{
    /// <summary>Null when the API server cannot be asked now: the control is then not applicable, never passing.</summary>
    public static async Task<string?> TryGetAsync(IKubernetes client)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                var info = await client.Version.GetCodeAsync(cts.Token);
                return info.GitVersion;
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or k8s.Autorest.HttpOperationException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * (attempt + 1)));
            }
        }
        return null;
    }
}
