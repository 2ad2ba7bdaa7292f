namespace PostureExporter.Tests.Support;

/// <summary>A kubeconfig file pointing at a simulated cluster, deleted on dispose.</summary>
public sealed class Kubeconfig : IDisposable
{
    public Kubeconfig(Uri server)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"kubeconfig-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(Path, $"""
            apiVersion: v1
            kind: Config
            clusters:
              - name: simulated
                cluster: {"{"}server: "{server.ToString().TrimEnd('/')}"{"}"}
            users:
              - name: exporter
                user: {"{"}token: exporter-token{"}"}
            contexts:
              - name: simulated
                context: {"{"}cluster: simulated, user: exporter{"}"}
            current-context: simulated
            """);
    }

    public string Path { get; }

    public void Dispose() => File.Delete(Path);
}
