using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace PostureExporter.Ops.Tests.Support;

/// <summary>
/// YAML documents as JSON nodes, with plain scalars typed by the YAML 1.2 core schema (true, 42, 1.5, null)
/// and quoted ones kept as strings, so manifests and rules compare by value.
/// </summary>
internal static partial class Yaml
{
    public static IReadOnlyList<JsonObject> LoadAll(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents
            .Select(d => ToJson(d.RootNode))
            .OfType<JsonObject>()
            .ToList();
    }

    public static JsonObject Load(string text) => LoadAll(text).Single();

    public static JsonObject LoadFile(params string[] parts) => Load(Repo.ReadAllText(parts));

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(kv =>
            KeyValuePair.Create(((YamlScalarNode)kv.Key).Value ?? "", ToJson(kv.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(ToJson).ToArray()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new FormatException($"unsupported YAML node at {node.Start}"),
    };

    private static JsonValue? Scalar(YamlScalarNode scalar)
    {
        var v = scalar.Value ?? "";
        if (scalar.Style is not ScalarStyle.Plain)
        {
            return JsonValue.Create(v);
        }
        if (v is "" or "~" or "null" or "Null" or "NULL")
        {
            return null;
        }
        if (v is "true" or "True" or "TRUE")
        {
            return JsonValue.Create(true);
        }
        if (v is "false" or "False" or "FALSE")
        {
            return JsonValue.Create(false);
        }
        if (IntegerPattern().IsMatch(v) && long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
        {
            return JsonValue.Create(l);
        }
        if (FloatPattern().IsMatch(v) && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
        {
            return JsonValue.Create(d);
        }
        return JsonValue.Create(v);
    }

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();
}
