using System.Diagnostics;

namespace PostureExporter.Ops.Tests.Support;

internal sealed record ToolResult(int ExitCode, string StdOut, string StdErr)
{
    public string Output => StdOut + StdErr;
}

/// <summary>
/// Runs a command-line tool to completion. A missing tool fails the test (it does not skip): .ci/run installs
/// promtool, prometheus and prometheus-alertmanager, and the machine image ships kubectl.
/// </summary>
internal static class Tool
{
    public static string Require(string name)
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
        return path ?? throw new InvalidOperationException(
            $"{name} is not installed: .ci/run installs it (apt-get install --no-install-recommends prometheus prometheus-alertmanager; kubectl ships with the machine image)");
    }

    public static async Task<ToolResult> RunAsync(string name, IEnumerable<string> args, string? stdin = null, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(Require(name))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Repo.Root,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment["KUBECONFIG"] = "/dev/null";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await p.StandardInput.WriteAsync(stdin);
        }
        p.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{name} {string.Join(' ', args)} did not finish in time");
        }
        return new ToolResult(p.ExitCode, await stdout, await stderr);
    }
}
