using Microsoft.Extensions.Configuration;
using PostureExporter.Cli;

namespace PostureExporter.Configuration;

/// <summary>Builds the configuration from its sources: --config files, then POSTURE_ environment variables, then flags.</summary>
internal sealed class ConfigurationLoader(ParsedCommandLine cli)
{
    public IReadOnlyList<string> Files => cli.ConfigFiles;

    public IConfigurationRoot Build()
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

    /// <summary>A fingerprint of the configuration files' contents (a mounted ConfigMap changes by symlink swap).</summary>
    public string Fingerprint()
    {
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var file in cli.ConfigFiles)
        {
            try
            {
                sha.AppendData(File.ReadAllBytes(file));
            }
            catch (IOException)
            {
                sha.AppendData([0]);
            }
        }
        return Convert.ToHexString(sha.GetHashAndReset());
    }
}
