using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace PostureExporter.Configuration;

/// <summary>
/// The log levels of the Logging section (<c>Logging:LogLevel:*</c>, and a provider's own such as
/// <c>Logging:Console:LogLevel:*</c>), checked at start-up: the logging library would otherwise stop the
/// process with a stack trace the first time it reads one.
/// </summary>
internal static class LogLevels
{
    public const string Names = "Trace, Debug, Information, Warning, Error, Critical or None";

    /// <summary>As the logging library reads them: a level's name, in any case.</summary>
    public static bool IsValid(string value) =>
        Enum.TryParse<LogLevel>(value, ignoreCase: true, out var level) && Enum.IsDefined(level);

    public static void Validate(IConfiguration configuration)
    {
        foreach (var (key, value) in configuration.GetSection("Logging").AsEnumerable())
        {
            if (value is not null && IsLevelKey(key) && !IsValid(value))
            {
                throw new ConfigurationException($"{key}: \"{value}\" is not {Names}");
            }
        }
    }

    /// <summary>Logging:LogLevel:CATEGORY or Logging:PROVIDER:LogLevel:CATEGORY.</summary>
    private static bool IsLevelKey(string key)
    {
        var parts = key.Split(':');
        return parts.Length >= 3 && (parts[1] == "LogLevel" || (parts.Length >= 4 && parts[2] == "LogLevel"));
    }
}
