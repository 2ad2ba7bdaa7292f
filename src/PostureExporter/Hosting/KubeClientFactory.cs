using k8s;
using k8s.KubeConfigModels;
using PostureExporter.Configuration;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

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
            return KubernetesClientConfiguration.BuildConfigFromConfigObject(LoadKubeconfig(options.Kubeconfig), options.Context);
        }
        catch (Exception e) when (e is k8s.Exceptions.KubeConfigException or FileNotFoundException or DirectoryNotFoundException or YamlDotNet.Core.YamlException)
        {
            throw new ConfigurationException($"Kubeconfig: cannot use {(options.Kubeconfig ?? "the default kubeconfig")}{(options.Context is null ? "" : $" with context {options.Context}")}: {e.Message} (or run with --demo)");
        }
    }

    /// <summary>
    /// Reads a kubeconfig as the client's <c>BuildConfigFromConfigFile</c> does (relative paths resolved against the
    /// file's folder), but with a deserializer for the kubeconfig types alone: the client's shared YAML
    /// deserializer first scans every model type of the library for attribute overrides, which took over a
    /// second of the exporter's start-up.
    /// </summary>
    private static K8SConfiguration LoadKubeconfig(string? path)
    {
        var file = new FileInfo(path ?? KubernetesClientConfiguration.KubeConfigDefaultLocation);
        if (!file.Exists)
        {
            throw new k8s.Exceptions.KubeConfigException($"kubeconfig file not found at {file.FullName}");
        }
        using var reader = file.OpenText();
        var config = KubeconfigYaml.Deserialize<K8SConfiguration?>(reader)
            ?? throw new k8s.Exceptions.KubeConfigException($"{file.FullName} is empty");
        config.FileName = file.FullName;
        return config;
    }

    private static readonly IDeserializer KubeconfigYaml = new DeserializerBuilder()
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .IgnoreUnmatchedProperties()
        .Build();
}
