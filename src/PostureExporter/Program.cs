using Microsoft.Extensions.Configuration;
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
            var configuration = BuildConfiguration(cli);
            var options = ExporterOptions.Load(configuration);
            var settings = options.Posture.ToSettings();
            return cli.Command == Command.Audit
                ? await AuditCommand.RunAsync(options, settings, cli)
                : await ServeCommand.RunAsync(configuration, options, settings);
        }
        catch (Exception e) when (e is UsageException or ConfigurationException)
        {
            await Console.Error.WriteLineAsync($"posture-exporter: {e.Message}");
            return 2;
        }
    }

    /// <summary>Configuration files, then POSTURE_ environment variables, then flags: later sources win.</summary>
    private static IConfigurationRoot BuildConfiguration(ParsedCommandLine cli)
    {
        var builder = new ConfigurationBuilder();
        foreach (var file in cli.ConfigFiles)
        {
            if (!File.Exists(file))
            {
                throw new ConfigurationException($"--config: no such file {file}");
            }
            builder.AddJsonFile(Path.GetFullPath(file), optional: false, reloadOnChange: false);
        }
        builder.AddEnvironmentVariables("POSTURE_");
        builder.AddInMemoryCollection(cli.Overrides);
        try
        {
            return builder.Build();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException)
        {
            throw new ConfigurationException($"--config: {e.Message}{(e.InnerException is null ? "" : $" ({e.InnerException.Message})")}");
        }
    }
}
