using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;
using PostureExporter.Cli;
using PostureExporter.Configuration;
using PostureExporter.Engine;
using PostureExporter.Engine.Controls;
using PostureExporter.Engine.Findings;
using PostureExporter.Engine.Manifests;
using PostureExporter.Hosting;
using PostureExporter.Informers;
using PostureExporter.Reports;

namespace PostureExporter.Audit;

/// <summary>
/// audit: one-shot evaluation of manifests or of the cluster, with the same model and engine as serve, so a
/// dump of a cluster audits to exactly what the exporter reports for it.
/// </summary>
internal static class AuditCommand
{
    public static async Task<int> RunAsync(ExporterOptions options, PostureSettings settings, ParsedCommandLine cli)
    {
        var output = cli.Overrides.GetValueOrDefault("Audit:Output") ?? "table";
        var failOn = cli.Overrides.GetValueOrDefault("Audit:FailOn") ?? "high";
        IReadOnlyList<IKubernetesObject<V1ObjectMeta>> objects;
        IReadOnlyDictionary<string, int> ignored;
        if (cli.Files.Count > 0)
        {
            ManifestSet set;
            try
            {
                set = ManifestReader.ReadPaths(cli.Files);
            }
            catch (ManifestException e)
            {
                throw new UsageException(e.Message);
            }
            objects = set.Objects;
            ignored = set.IgnoredKinds;
        }
        else
        {
            var clientConfig = KubeClientFactory.Configure(options, null);
            using var client = new Kubernetes(clientConfig);
            settings = settings with { ApiServerVersion = settings.ApiServerVersion ?? await ApiServerVersion.TryGetAsync(client) };
            objects = await ListClusterAsync(new KubeApi(client, clientConfig), settings);
            ignored = new Dictionary<string, int>();
        }

        var index = Evaluation.FromObjects(objects, settings, DateTimeOffset.UtcNow);
        var report = AuditReport.From(index);
        Console.Out.Write(output == "json" ? report.ToJson() : report.ToTable(ignored));
        return report.Fails(failOn) ? 1 : 0;
    }

    private static async Task<List<IKubernetesObject<V1ObjectMeta>>> ListClusterAsync(KubeApi api, PostureSettings settings)
    {
        var kinds = ControlCatalog.Enabled(settings).SelectMany(c => c.Reads).Distinct();
        var all = new List<IKubernetesObject<V1ObjectMeta>>();
        foreach (var d in ResourceDescriptor.For(kinds))
        {
            string? cont = null;
            do
            {
                ListPage page;
                try
                {
                    page = await d.List(api, cont, 500, CancellationToken.None);
                }
                catch (Exception e) when (e is HttpRequestException or k8s.Autorest.HttpOperationException or System.Text.Json.JsonException or IOException)
                {
                    // An audit that cannot read the cluster has no verdict to give: say why, as an input error.
                    throw new UsageException($"cannot list {d.Resource} from the cluster: {e.Message}");
                }
                if (page.BadItems is [var bad, ..])
                {
                    // An audit gives a verdict on everything or nothing: an object it could not read is an input error.
                    throw new UsageException($"cannot read {page.BadItems.Count} of the {d.Resource} listed from the cluster: {bad.Message}");
                }
                all.AddRange(page.Items);
                cont = string.IsNullOrEmpty(page.Continue) ? null : page.Continue;
            }
            while (cont is not null);
        }
        return all;
    }
}
