using PostureExporter.Cli;
using PostureExporter.Configuration;
using PostureExporter.Audit;
using PostureExporter.Hosting;

namespace PostureExporter;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        try
        {
            var cli = CommandLine.Parse(args);
            switch (cli.Command)
            {
                case Command.Help:
                    Console.WriteLine(CommandLine.Usage);
                    return 0;
                case Command.Version:
                    Console.WriteLine(ServeCommand.Version);
                    return 0;
            }
            var loader = new ConfigurationLoader(cli);
            var configuration = loader.Build();
            var options = ExporterOptions.Load(configuration);
            var settings = options.Posture.ToSettings(out var waiverProblems);
            foreach (var problem in waiverProblems)
            {
                await Console.Error.WriteLineAsync($"posture-exporter: invalid central waiver ignored (not honoured): {problem}");
            }
            return cli.Command == Command.Audit
                ? await AuditCommand.RunAsync(options, settings, cli)
                : await ServeCommand.RunAsync(configuration, loader, options, settings, waiverProblems);
        }
        catch (Exception e) when (e is UsageException or ConfigurationException)
        {
            await Console.Error.WriteLineAsync($"posture-exporter: {e.Message}");
            return 2;
        }
    }
}
