using System.Net;
using System.Net.Http.Headers;
using PostureExporter.Simulator;
using PostureExporter.Tests.Support;

namespace PostureExporter.Tests.Security;

/// <summary>--auth kubernetes: TokenReview then SubjectAccessReview against the (simulated) API server.</summary>
public sealed class KubernetesAuthTests
{
    [Fact]
    public async Task KubernetesAuth_ChecksTokenReviewThenSubjectAccessReview()
    {
        await using var cluster = await SimulatedCluster.StartAsync(new SimulatorOptions
        {
            Tokens =
            {
                ["prometheus-token"] = new SimulatedUser("system:serviceaccount:monitoring:prometheus", ["system:serviceaccounts"]),
                ["intern-token"] = new SimulatedUser("intern", ["interns"]),
            },
            NonResourceGrants = { new NonResourceGrant("system:serviceaccount:monitoring:prometheus", "/metrics", ["get"]) },
        });
        using var kubeconfig = new Kubeconfig(cluster.BaseAddress);
        await using var exporter = await ExporterProcess.StartAsync(demo: false, ["--kubeconfig", kubeconfig.Path, "--listen", "127.0.0.1:0", "--auth", "kubernetes"]);
        using var http = new HttpClient();

        async Task<HttpStatusCode> Get(string path, string? token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(exporter.BaseUrl, path));
            if (token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }
            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await Get("/metrics", null));
        Assert.Equal(HttpStatusCode.Unauthorized, await Get("/metrics", "forged-token"));
        Assert.Equal(HttpStatusCode.Forbidden, await Get("/metrics", "intern-token"));
        Assert.Equal(HttpStatusCode.OK, await Get("/metrics", "prometheus-token"));
        // The grant is for /metrics only: the findings API is another path.
        Assert.Equal(HttpStatusCode.Forbidden, await Get("/api/v1/findings", "prometheus-token"));
        Assert.Equal(HttpStatusCode.OK, await Get("/healthz", null));
    }
}
