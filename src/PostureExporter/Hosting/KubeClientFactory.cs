using k8s;
using PostureExporter.Configuration;

namespace PostureExporter.Hosting;

internal static class KubeClientFactory
{
    /// <summary>
    /// The demo's simulated cluster when given; else --kubeconfig/--context; else the in-cluster config inside a
    /// pod; else the default kubeconfig.
    /// </summary>
    public static KubernetesClientConfiguration Configure(ExporterOptions options, Uri? demoServer)
    {
        if (demoServer is not null)
        {
            return new KubernetesClientConfiguration { Host = demoServer.ToString() };
        }
        if (options.Kubeconfig is null && options.Context is null && KubernetesClientConfiguration.IsInCluster())
        {
            return KubernetesClientConfiguration.InClusterConfig();
        }
        try
        {
            return KubernetesClientConfiguration.BuildConfigFromConfigFile(options.Kubeconfig, options.Context);
        }
        catch (Exception e) when (e is k8s.Exceptions.KubeConfigException or FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ConfigurationException($"Kubeconfig: cannot use {(options.Kubeconfig ?? "the default kubeconfig")}{(options.Context is null ? "" : $" with context {options.Context}")}: {e.Message} (or run with --demo)");
        }
    }
}
