using System.Globalization;

namespace PostureExporter.Simulator.Http;

/// <summary>The AGE column format kubectl users know ("45s", "3m20s", "5h", "12d"), since the server renders tables.</summary>
internal static class HumanDuration
{
    public static string Format(TimeSpan age)
    {
        var seconds = (long)age.TotalSeconds;
        if (seconds < -1)
        {
            return "<invalid>";
        }

        if (seconds < 0)
        {
            return "0s";
        }

        if (seconds < 120)
        {
            return Text($"{seconds}s");
        }

        var minutes = seconds / 60;
        if (minutes < 10)
        {
            return seconds % 60 == 0 ? Text($"{minutes}m") : Text($"{minutes}m{seconds % 60}s");
        }

        if (minutes < 180)
        {
            return Text($"{minutes}m");
        }

        var hours = minutes / 60;
        if (hours < 8)
        {
            return minutes % 60 == 0 ? Text($"{hours}h") : Text($"{hours}h{minutes % 60}m");
        }

        if (hours < 48)
        {
            return Text($"{hours}h");
        }

        var days = hours / 24;
        if (hours < 24 * 8)
        {
            return hours % 24 == 0 ? Text($"{days}d") : Text($"{days}d{hours % 24}h");
        }

        if (days < 365 * 2)
        {
            return Text($"{days}d");
        }

        var years = days / 365;
        if (days < 365 * 8)
        {
            return days % 365 == 0 ? Text($"{years}y") : Text($"{years}y{days % 365}d");
        }

        return Text($"{years}y");
    }

    private static string Text(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
