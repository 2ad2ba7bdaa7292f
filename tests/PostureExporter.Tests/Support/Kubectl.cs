using System.Diagnostics;

namespace PostureExporter.Tests.Support;

/// <summary>kubectl as a second, independent client of the simulated cluster.</summary>
public static class Kubectl
{
    public static async Task<string> RunAsync(Uri server, params string[] args)
    {
        var psi = new ProcessStartInfo("kubectl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.Environment["KUBECONFIG"] = "/dev/null";
        psi.ArgumentList.Add("--server");
        psi.ArgumentList.Add(server.ToString().TrimEnd('/'));
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"kubectl {string.Join(' ', args)} exited {p.ExitCode}: {await stderr}");
        }
        return await stdout;
    }
}
