using System.Net;
using System.Text.Json;
using PostureExporter.Tests.Support;

namespace PostureExporter.Tests.EndToEnd;

/// <summary>/api/v1/findings and /api/v1/controls on --demo: filters and shapes.</summary>
public sealed class FindingsApiTests(DemoFixture demo) : IClassFixture<DemoFixture>
{
    private async Task<JsonElement> GetAsync(string pathAndQuery)
    {
        using var http = new HttpClient();
        var text = await http.GetStringAsync(new Uri(demo.Exporter.BaseUrl, pathAndQuery));
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static List<(string Control, string Namespace, string Kind, string Name, string Status)> Rows(JsonElement root) =>
        root.GetProperty("findings").EnumerateArray()
            .Select(f => (f.GetProperty("control").GetString()!, f.GetProperty("namespace").GetString()!, f.GetProperty("kind").GetString()!, f.GetProperty("name").GetString()!, f.GetProperty("status").GetString()!))
            .ToList();

    [Fact]
    public async Task Findings_FilteredByNamespace_ReturnThatNamespacesViolationsWithTheAuditFields()
    {
        var root = await GetAsync("/api/v1/findings?namespace=payments");

        var rows = Rows(root);
        Assert.All(rows, r => Assert.Equal("payments", r.Namespace));
        Assert.Equal(root.GetProperty("summary").GetProperty("matching").GetInt32(), rows.Count);
        Assert.Contains(("container-run-as-root", "payments", "Deployment", "legacy-importer", "violation"), rows);
        Assert.Contains(("container-resource-limits", "payments", "Deployment", "legacy-importer", "violation"), rows);
        var first = root.GetProperty("findings")[0];
        foreach (var field in new[] { "control", "severity", "section", "category", "namespace", "kind", "name", "status", "message", "remediation", "firstSeen" })
        {
            Assert.True(first.TryGetProperty(field, out _), $"field {field} is missing");
        }
    }

    [Fact]
    public async Task Findings_FilteredByStatusWaived_ReturnTheWaiverWithItsReason()
    {
        var root = await GetAsync("/api/v1/findings?status=waived");

        var f = Assert.Single(root.GetProperty("findings").EnumerateArray());
        Assert.Equal("prometheus-server", f.GetProperty("name").GetString());
        Assert.Contains("needs root", f.GetProperty("waiver").GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal("2027-06-30", f.GetProperty("waiver").GetProperty("until").GetString());
    }

    [Fact]
    public async Task Findings_FilteredByControlAndSeverity_Combine()
    {
        var critical = Rows(await GetAsync("/api/v1/findings?severity=critical"));
        var limits = Rows(await GetAsync("/api/v1/findings?control=container-resource-limits&status=violation"));
        var none = Rows(await GetAsync("/api/v1/findings?control=container-resource-limits&severity=critical"));

        Assert.Equal([("rbac-cluster-admin-binding", "", "ClusterRoleBinding", "ci-pipeline-admin", "violation")], critical);
        Assert.Equal(["payments", "staging"], limits.Select(r => r.Namespace).Order(StringComparer.Ordinal));
        Assert.Empty(none);
    }

    [Fact]
    public async Task Findings_WithAnEmptyNamespace_ReturnOnlyClusterScopedOnes()
    {
        var rows = Rows(await GetAsync("/api/v1/findings?namespace="));

        Assert.NotEmpty(rows);
        Assert.All(rows, r => Assert.Equal("", r.Namespace));
        Assert.Contains(("rbac-cluster-admin-binding", "", "ClusterRoleBinding", "ci-pipeline-admin", "violation"), rows);
    }

    [Theory]
    [InlineData("/api/v1/findings?severity=urgent", "severity")]
    [InlineData("/api/v1/findings?status=open", "status")]
    [InlineData("/api/v1/findings?control=no-such-control", "control")]
    public async Task Findings_BadFilter_Returns400NamingIt(string url, string parameter)
    {
        using var http = new HttpClient();
        using var response = await http.GetAsync(new Uri(demo.Exporter.BaseUrl, url));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith(parameter + ":", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Controls_ListTheCatalogueWithApplicabilityAndCounts()
    {
        var controls = (await GetAsync("/api/v1/controls")).GetProperty("controls").EnumerateArray().ToList();

        var rootControl = controls.Single(c => c.GetProperty("id").GetString() == "container-run-as-root");
        Assert.Equal(1, rootControl.GetProperty("violations").GetInt32());
        Assert.Equal(1, rootControl.GetProperty("waived").GetInt32());
        Assert.True(rootControl.GetProperty("checked").GetInt32() >= 5);
        Assert.True(rootControl.GetProperty("applicable").GetBoolean());
        Assert.False(string.IsNullOrEmpty(rootControl.GetProperty("remediation").GetString()));
        Assert.Equal(controls.Count, controls.Select(c => c.GetProperty("id").GetString()).Distinct().Count());
    }
}
