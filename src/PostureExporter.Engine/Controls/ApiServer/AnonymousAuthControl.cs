namespace PostureExporter.Engine.Controls.ApiServer;

public sealed class AnonymousAuthControl : ApiServerControl
{
    public override ControlMetadata Metadata { get; } = new(
        "apiserver-anonymous-auth",
        "API server accepting anonymous requests",
        "8",
        "exposure",
        Severity.Medium,
        "the kube-apiserver's `--anonymous-auth` is not `false` (unset counts: the default is true)",
        "With anonymous authentication on, any request without credentials is served as system:anonymous: one "
        + "careless binding to it (or to system:unauthenticated) opens the API to the network.",
        "Pass --anonymous-auth=false to the kube-apiserver, and check that no binding grants system:anonymous or "
        + "system:unauthenticated anything.",
        ["CIS Kubernetes 1.2.1", "NSA/CISA Kubernetes Hardening: authentication"]);

    protected override Verdict Evaluate(ApiServerFlags flags, EvaluationContext context)
    {
        var value = flags["anonymous-auth"];
        // Go's flag package reads booleans with strconv.ParseBool.
        return Verdict.FailIf(value is not ("false" or "False" or "FALSE" or "f" or "F" or "0"),
            () => value is null ? "--anonymous-auth is unset (default true)" : $"--anonymous-auth={value}");
    }
}
