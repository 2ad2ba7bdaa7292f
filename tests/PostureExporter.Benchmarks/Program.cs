using System.Text.Json;
using BenchmarkDotNet.Running;
using PostureExporter.Benchmarks.Harness;
using PostureExporter.Benchmarks.Scenarios;

namespace PostureExporter.Benchmarks;

/// <summary>
/// dotnet run -c Release --project tests/PostureExporter.Benchmarks -- SCENARIO [options]
/// Scenarios sync, churn and scrape print one JSON object as their last line; micro hands the rest of the
/// arguments to BenchmarkDotNet's switcher (e.g. micro --filter '*').
/// </summary>
internal static class Program
{
    private const string Usage = """
        usage: PostureExporter.Benchmarks SCENARIO [options]
          sync   --pods N [--runs K] [--seed S] [--no-kubectl] [--show-log] [--gcdump FILE]
          model  --pods N [--seed S] [--gcdump FILE] (the engine's heap alone, in this process)
          churn  --pods N [--rate R] [--seconds S] [--probe-every K]
          scrape --series N [--rate R] [--scrapes K]
          micro  [BenchmarkDotNet arguments, e.g. --filter '*']
          sample (prints one synthetic pod)
        """;

    // NaN (a measurement that was skipped) is written as "NaN" rather than failing the whole run.
    private static readonly JsonSerializerOptions ResultJson = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }
        if (args[0] == "sample")
        {
            // One synthetic pod as the simulator serves it, to see what the benchmarks decode.
            Console.WriteLine(System.Text.Encoding.UTF8.GetString(Simulator.Synthetic.SyntheticCluster.BarePod("team-0001", "api-0-7d9c5b8f4-x2x7k", runAsRoot: false)));
            return 0;
        }
        if (args[0] == "micro")
        {
            BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args[1..], Micro.MicroConfig.Create());
            return 0;
        }
        var options = new Arguments(args[1..]);
        object result = args[0] switch
        {
            "sync" => await SyncScenario.RunAsync(options),
            "churn" => await ChurnScenario.RunAsync(options),
            "scrape" => await ScrapeScenario.RunAsync(options),
            "model" => await ModelScenario.RunAsync(options),
            _ => throw new ArgumentException($"unknown scenario {args[0]}\n{Usage}"),
        };
        Console.WriteLine(JsonSerializer.Serialize(result, ResultJson));
        return 0;
    }
}
