using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PostureExporter.Tests.Support;

namespace PostureExporter.Tests.Security;

/// <summary>/metrics behind a bearer token and TLS; probes stay open; SIGTERM stops the process cleanly.</summary>
public sealed class GuardedEndpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("posture-sec-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<HttpStatusCode> GetAsync(HttpClient http, Uri url, string? token = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task TokenFile_GuardsMetrics_ButNotTheProbes()
    {
        var tokens = Path.Combine(_dir, "tokens");
        await File.WriteAllTextAsync(tokens, "# one per line\ns3cret-reader\n");
        await using var exporter = await ExporterProcess.StartDemoAsync("--auth", "token-file", "--auth-token-file", tokens);
        using var http = new HttpClient();

        Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync(http, exporter.MetricsUrl));
        Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync(http, exporter.MetricsUrl, "wrong"));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(http, exporter.MetricsUrl, "s3cret-reader"));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(http, new Uri(exporter.BaseUrl, "/healthz")));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(http, new Uri(exporter.BaseUrl, "/readyz")));

        // A rotated token file takes effect without a restart.
        await File.WriteAllTextAsync(tokens, "rotated-token\n");
        File.SetLastWriteTimeUtc(tokens, DateTime.UtcNow.AddSeconds(5));
        Assert.Equal(HttpStatusCode.Unauthorized, await GetAsync(http, exporter.MetricsUrl, "s3cret-reader"));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(http, exporter.MetricsUrl, "rotated-token"));
    }

    [Fact]
    public async Task Tls_ServesTheCertificateFiles_AndReloadsThemWhenTheyChange()
    {
        var cert = Path.Combine(_dir, "tls.crt");
        var key = Path.Combine(_dir, "tls.key");
        var first = WriteSelfSigned(cert, key, "first");
        await using var exporter = await ExporterProcess.StartDemoAsync("--tls-cert-file", cert, "--tls-key-file", key);
        Assert.Equal("https", exporter.MetricsUrl.Scheme);

        Assert.Equal(first, await ServedThumbprintAsync(exporter.MetricsUrl));

        var second = WriteSelfSigned(cert, key, "second");
        File.SetLastWriteTimeUtc(cert, DateTime.UtcNow.AddSeconds(5));
        File.SetLastWriteTimeUtc(key, DateTime.UtcNow.AddSeconds(5));
        string served = first;
        await Eventually.WaitAsync(async () => (served = await ServedThumbprintAsync(exporter.MetricsUrl)) == second,
            TimeSpan.FromSeconds(15), "the renewed certificate was never served");
        Assert.NotEqual(first, served);
    }

    [Fact]
    public async Task Sigterm_StopsTheExporterCleanly()
    {
        var exporter = await ExporterProcess.StartDemoAsync();
        await using (exporter)
        {
            using var kill = Process.Start("kill", ["-TERM", exporter.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
            await kill.WaitForExitAsync();

            var code = await exporter.WaitForExitAsync(TimeSpan.FromSeconds(20));

            Assert.Equal(0, code);
            Assert.Contains("Application is shutting down", exporter.Log, StringComparison.Ordinal);
        }
    }

    private static async Task<string> ServedThumbprintAsync(Uri url)
    {
        string? thumbprint = null;
        using var handler = new SocketsHttpHandler
        {
            // A fresh connection each time, so a new handshake shows the current certificate.
            PooledConnectionLifetime = TimeSpan.Zero,
            SslOptions = { RemoteCertificateValidationCallback = (_, c, _, _) => { thumbprint = c?.GetCertHashString(); return true; } },
        };
        using var http = new HttpClient(handler);
        using var response = await http.GetAsync(url);
        response.EnsureSuccessStatusCode();
        return thumbprint ?? throw new InvalidOperationException("no certificate was presented");
    }

    private static string WriteSelfSigned(string certFile, string keyFile, string name)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(certFile, cert.ExportCertificatePem());
        File.WriteAllText(keyFile, rsa.ExportPkcs8PrivateKeyPem());
        return cert.GetCertHashString();
    }
}
