using PostureExporter.Engine.Model;

namespace PostureExporter.Engine.Controls.ServiceAccounts;

internal static class ServiceAccountFacts
{
    /// <summary>
    /// A static pod's mirror is owned by its Node. The kubelet creates it and ServiceAccount admission skips it, so it
    /// has no ServiceAccount and no token whatever its spec says.
    /// </summary>
    public static bool IsStaticPod(WorkloadSubject workload) =>
        workload.Owner is PodInfo { Controller.Kind: Kinds.Node };
}
