using System.Text.Json;

namespace PostureExporter.Engine.Model;

/// <summary>
/// Small steps over a <see cref="Utf8JsonReader"/> for the hand-written readers (<see cref="PodJson"/>,
/// <see cref="ProjectionJson"/>'s converters). Each checks the shape it reads and throws a
/// <see cref="JsonException"/> naming <c>what</c> otherwise, as the serializer does for a property of the wrong type.
/// The reader may be over a value the serializer buffered for a converter (never the final block), so values are
/// skipped with <see cref="Utf8JsonReader.TrySkip"/>, which cannot run short there.
/// </summary>
internal static class JsonRead
{
    /// <summary>Moves to the next property name of the object the reader is in; false at its end.</summary>
    public static bool NextProperty(ref Utf8JsonReader reader, string what)
    {
        Advance(ref reader, what);
        return reader.TokenType == JsonTokenType.PropertyName;
    }

    /// <summary>Moves to the first token of the next item of the array the reader is in; false at its end.</summary>
    public static bool NextItem(ref Utf8JsonReader reader, string what)
    {
        Advance(ref reader, what);
        return reader.TokenType != JsonTokenType.EndArray;
    }

    /// <summary>Moves to the value of the property the reader is on: true at an object's start, false at null.</summary>
    public static bool ObjectOrNull(ref Utf8JsonReader reader, string what) => StartOrNull(ref reader, JsonTokenType.StartObject, what, "an object");

    /// <summary>Moves to the value of the property the reader is on: true at an array's start, false at null.</summary>
    public static bool ArrayOrNull(ref Utf8JsonReader reader, string what) => StartOrNull(ref reader, JsonTokenType.StartArray, what, "an array");

    private static bool StartOrNull(ref Utf8JsonReader reader, JsonTokenType start, string what, string shape)
    {
        Advance(ref reader, what);
        if (reader.TokenType == start)
        {
            return true;
        }
        if (reader.TokenType == JsonTokenType.Null)
        {
            return false;
        }
        throw new JsonException($"{what} must be {shape}, not {reader.TokenType}");
    }

    /// <summary>Checks that the reader is at an object's start (an array's item, a converter's value).</summary>
    public static void ExpectObject(ref Utf8JsonReader reader, string what)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException($"{what} must be an object, not {reader.TokenType}");
        }
    }

    public static string? ReadString(ref Utf8JsonReader reader, string what)
    {
        Advance(ref reader, what);
        return reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Null => null,
            _ => throw new JsonException($"{what} must be a string, not {reader.TokenType}"),
        };
    }

    public static bool? ReadBool(ref Utf8JsonReader reader, string what)
    {
        Advance(ref reader, what);
        return reader.TokenType switch
        {
            JsonTokenType.True => true,
            JsonTokenType.False => false,
            JsonTokenType.Null => null,
            _ => throw new JsonException($"{what} must be true or false, not {reader.TokenType}"),
        };
    }

    public static long? ReadInt64(ref Utf8JsonReader reader, string what)
    {
        Advance(ref reader, what);
        return reader.TokenType switch
        {
            JsonTokenType.Number when reader.TryGetInt64(out var n) => n,
            JsonTokenType.Null => null,
            _ => throw new JsonException($"{what} must be a 64-bit integer, not {reader.TokenType}"),
        };
    }

    /// <summary>A list of strings (null when the list is); with <paramref name="keep"/> false only checked, and null.</summary>
    public static List<string?>? ReadStrings(ref Utf8JsonReader reader, string what, bool keep)
    {
        if (!ArrayOrNull(ref reader, what))
        {
            return null;
        }
        var items = keep ? new List<string?>() : null;
        while (NextItem(ref reader, what))
        {
            var item = reader.TokenType switch
            {
                JsonTokenType.String => keep ? reader.GetString() : null,
                JsonTokenType.Null => null,
                _ => throw new JsonException($"an item of {what} must be a string, not {reader.TokenType}"),
            };
            items?.Add(item);
        }
        return items;
    }

    /// <summary>
    /// Of a map of strings (labels, annotations), the entries whose key <paramref name="readsUtf8"/> (or, for a key
    /// that is escaped or split in the JSON, <paramref name="reads"/>) selects, a null value read as "". The rest,
    /// the last-applied-configuration annotation above all (a copy of the whole object), is skipped unread, the key
    /// tested as UTF-8 bytes without becoming a string. A later duplicate key comes later in the list. The reader is
    /// at the map's value (an object, or null: no entries).
    /// </summary>
    public static List<KeyValuePair<string, string>> ReadFilteredMap(ref Utf8JsonReader reader, string what,
        Func<ReadOnlySpan<byte>, bool> readsUtf8, Func<string, bool> reads)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return [];
        }
        ExpectObject(ref reader, what);
        List<KeyValuePair<string, string>>? kept = null;
        while (NextProperty(ref reader, what))
        {
            var plain = !reader.ValueIsEscaped && !reader.HasValueSequence;
            if (plain ? !readsUtf8(reader.ValueSpan) : !reads(reader.GetString()!))
            {
                SkipValue(ref reader, what);
                continue;
            }
            var key = reader.GetString()!;
            (kept ??= []).Add(new(key, ReadString(ref reader, $"the value of {what} {key}") ?? ""));
        }
        return kept ?? [];
    }

    /// <summary>Skips the value of the property the reader is on.</summary>
    public static void SkipValue(ref Utf8JsonReader reader, string what)
    {
        Advance(ref reader, what);
        SkipCurrent(ref reader, what);
    }

    /// <summary>Skips the value the reader is at (past its end, for an object or an array).</summary>
    public static void SkipCurrent(ref Utf8JsonReader reader, string what)
    {
        if (!reader.TrySkip())
        {
            throw new JsonException($"{what} cut short");
        }
    }

    public static void Advance(ref Utf8JsonReader reader, string what)
    {
        if (!reader.Read())
        {
            throw new JsonException($"{what} cut short");
        }
    }
}
