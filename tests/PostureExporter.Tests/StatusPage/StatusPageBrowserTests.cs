using System.Diagnostics;
using System.Text.RegularExpressions;
using PostureExporter.Tests.Support;

namespace PostureExporter.Tests.StatusPage;

/// <summary>The status page rendered by headless Chromium (Debian's, installed by .ci/run) against --demo.</summary>
public sealed partial class StatusPageBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";

    /// <summary>The DOM after the browser parsed the page (and would have run any script in it).</summary>
    private static async Task<string> DumpDomAsync(Uri url)
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: .ci/run installs Debian's chromium package");
        var profile = Directory.CreateTempSubdirectory("chromium-").FullName;
        try
        {
            var psi = new ProcessStartInfo(Chromium) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", $"--user-data-dir={profile}", "--dump-dom", url.ToString() })
            {
                psi.ArgumentList.Add(a);
            }
            using var p = Process.Start(psi)!;
            var dom = p.StandardOutput.ReadToEndAsync();
            _ = p.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                await p.WaitForExitAsync(cts.Token);
            }
            finally
            {
                if (!p.HasExited)
                {
                    p.Kill(entireProcessTree: true);
                }
            }
            return await dom;
        }
        finally
        {
            Directory.Delete(profile, recursive: true);
        }
    }

    [Fact]
    public async Task StatusPage_OnDemo_ShowsTheSeedFindingsWithTheirFixes()
    {
        await using var exporter = await ExporterProcess.StartDemoAsync();

        var dom = await DumpDomAsync(exporter.BaseUrl);

        Assert.Contains("<tr data-namespace=\"payments\">", dom, StringComparison.Ordinal);
        var payments = FindingRows().Matches(dom).Select(m => m.Value).Where(r => r.Contains("Deployment/payments/legacy-importer", StringComparison.Ordinal)).ToList();
        Assert.Contains(payments, r => r.Contains("data-control=\"container-run-as-root\" data-status=\"violation\"", StringComparison.Ordinal) && r.Contains("fix: Set securityContext.runAsNonRoot", StringComparison.Ordinal));
        Assert.Contains(payments, r => r.Contains("data-control=\"container-resource-limits\" data-status=\"violation\"", StringComparison.Ordinal));
        var waiver = Assert.Single(WaiverRows().Matches(dom).Select(m => m.Value));
        Assert.Contains("Deployment/monitoring/prometheus-server", waiver, StringComparison.Ordinal);
        Assert.Contains("needs root for port 9090", waiver, StringComparison.Ordinal);
        Assert.Contains("2027-06-30", waiver, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatusPage_ControlDrillDown_ListsOnlyThatControlsSubjects()
    {
        await using var exporter = await ExporterProcess.StartDemoAsync();

        var dom = await DumpDomAsync(new Uri(exporter.BaseUrl, "/?control=namespace-default-deny-missing"));

        var rows = FindingRows().Matches(dom).Select(m => m.Value).ToList();
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Contains("data-control=\"namespace-default-deny-missing\"", r, StringComparison.Ordinal));
        Assert.Contains(rows, r => r.Contains("Namespace/staging", StringComparison.Ordinal));
        Assert.Contains(rows, r => r.Contains("Namespace/analytics", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StatusPage_WaiverReasonWithMarkup_ShowsAsTextAndRunsNothing()
    {
        await using var exporter = await ExporterProcess.StartDemoAsync();
        var file = Path.Combine(Path.GetTempPath(), $"xss-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, """
            apiVersion: v1
            kind: Pod
            metadata:
              name: xss-probe
              namespace: sandbox
              annotations:
                posture-exporter.io/waive: container-run-as-root
                posture-exporter.io/waive-reason: "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">"
            spec:
              containers:
                - name: app
                  image: registry.example.com/x:1.0
                  resources: {limits: {cpu: 100m, memory: 64Mi}}
            """);
        try
        {
            await Kubectl.RunAsync(exporter.ApiUrl!, "create", "-f", file);
            await Eventually.WaitAsync(async () =>
                (await exporter.ScrapeAsync()).Value("posture_waived", ("control", "container-run-as-root"), ("namespace", "sandbox")) == 1,
                TimeSpan.FromSeconds(15), "the waived pod never showed up");

            var dom = await DumpDomAsync(exporter.BaseUrl);

            Assert.Contains("<title>PostureExporter — cluster posture</title>", dom, StringComparison.Ordinal);
            Assert.DoesNotContain("pwned</title>", dom, StringComparison.Ordinal);
            Assert.DoesNotContain("<img", dom, StringComparison.Ordinal);
            Assert.DoesNotContain("<script", dom, StringComparison.Ordinal);
            Assert.Contains("&lt;script&gt;document.title='pwned'&lt;/script&gt;&lt;img src=x onerror=\"document.title='pwned'\"&gt;", dom, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [GeneratedRegex("<tr class=\"finding\".*?</tr>", RegexOptions.Singleline)]
    private static partial Regex FindingRows();

    [GeneratedRegex("<tr class=\"waiver\".*?</tr>", RegexOptions.Singleline)]
    private static partial Regex WaiverRows();
}
