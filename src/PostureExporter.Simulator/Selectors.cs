using System.Globalization;
using System.Text;
using System.Text.Json;

namespace PostureExporter.Simulator;

/// <summary>
/// A parsed labelSelector: comma-separated requirements, all of which must hold. Supports the full set-based
/// grammar of the real API server: <c>a=b</c>, <c>a==b</c>, <c>a!=b</c>, <c>a</c>, <c>!a</c>, <c>a in (x,y)</c>,
/// <c>a notin (x)</c>, and <c>a&gt;1</c>/<c>a&lt;1</c>.
/// </summary>
internal sealed class LabelSelector
{
    public static readonly LabelSelector Everything = new([]);

    private readonly Requirement[] _requirements;

    private LabelSelector(Requirement[] requirements) => _requirements = requirements;

    private enum Op
    {
        Exists,
        DoesNotExist,
        Equals,
        NotEquals,
        In,
        NotIn,
        GreaterThan,
        LessThan,
    }

    public bool IsEmpty => _requirements.Length == 0;

    /// <summary>Parses a selector; throws <see cref="FormatException"/> with a user-facing message when malformed.</summary>
    public static LabelSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var parser = new Parser(text);
        var requirements = new List<Requirement>();
        while (true)
        {
            requirements.Add(parser.ReadRequirement());
            parser.SkipSpaces();
            if (parser.AtEnd)
            {
                break;
            }

            parser.Expect(',');
        }

        return new LabelSelector([.. requirements]);
    }

    /// <summary><paramref name="labels"/> is metadata.labels; undefined when the object has none.</summary>
    public bool Matches(JsonElement labels)
    {
        foreach (var requirement in _requirements)
        {
            if (!requirement.Matches(labels))
            {
                return false;
            }
        }

        return true;
    }

    private sealed record Requirement(string Key, Op Operator, string[] Values)
    {
        public bool Matches(JsonElement labels)
        {
            var value = JsonTools.StringProperty(labels, Key);
            return Operator switch
            {
                Op.Exists => value is not null,
                Op.DoesNotExist => value is null,
                Op.Equals => value is not null && string.Equals(value, Values[0], StringComparison.Ordinal),
                Op.NotEquals => value is null || !string.Equals(value, Values[0], StringComparison.Ordinal),
                Op.In => value is not null && Values.Contains(value, StringComparer.Ordinal),
                Op.NotIn => value is null || !Values.Contains(value, StringComparer.Ordinal),
                Op.GreaterThan => TryInteger(value, out var gt) && gt > long.Parse(Values[0], CultureInfo.InvariantCulture),
                Op.LessThan => TryInteger(value, out var lt) && lt < long.Parse(Values[0], CultureInfo.InvariantCulture),
                _ => false,
            };
        }

        private static bool TryInteger(string? text, out long number) =>
            long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out number);
    }

    private sealed class Parser(string text)
    {
        private int _position;

        public bool AtEnd => _position >= text.Length;

        public void SkipSpaces()
        {
            while (!AtEnd && char.IsWhiteSpace(text[_position]))
            {
                _position++;
            }
        }

        public void Expect(char expected)
        {
            SkipSpaces();
            if (AtEnd || text[_position] != expected)
            {
                throw Error($"expected '{expected}'");
            }

            _position++;
        }

        public Requirement ReadRequirement()
        {
            SkipSpaces();
            if (!AtEnd && text[_position] == '!')
            {
                _position++;
                return new Requirement(ReadKey(), Op.DoesNotExist, []);
            }

            var key = ReadKey();
            SkipSpaces();
            if (AtEnd || text[_position] == ',')
            {
                return new Requirement(key, Op.Exists, []);
            }

            if (TryConsume("==") || TryConsume("="))
            {
                return new Requirement(key, Op.Equals, [ReadValue()]);
            }

            if (TryConsume("!="))
            {
                return new Requirement(key, Op.NotEquals, [ReadValue()]);
            }

            if (TryConsume(">") || TryConsume("<"))
            {
                var op = text[_position - 1] == '>' ? Op.GreaterThan : Op.LessThan;
                var bound = ReadValue();
                if (!long.TryParse(bound, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
                {
                    throw Error($"'{bound}' is not an integer");
                }

                return new Requirement(key, op, [bound]);
            }

            if (TryConsumeWord("notin"))
            {
                return new Requirement(key, Op.NotIn, ReadSet());
            }

            if (TryConsumeWord("in"))
            {
                return new Requirement(key, Op.In, ReadSet());
            }

            throw Error($"unexpected text after key '{key}'");
        }

        private string ReadKey()
        {
            SkipSpaces();
            var start = _position;
            while (!AtEnd && IsKeyChar(text[_position]))
            {
                _position++;
            }

            if (_position == start)
            {
                throw Error("expected a label key");
            }

            return text[start.._position];
        }

        private string ReadValue()
        {
            SkipSpaces();
            var start = _position;
            while (!AtEnd && IsValueChar(text[_position]))
            {
                _position++;
            }

            return text[start.._position];
        }

        private string[] ReadSet()
        {
            Expect('(');
            var values = new List<string>();
            while (true)
            {
                values.Add(ReadValue());
                SkipSpaces();
                if (!AtEnd && text[_position] == ')')
                {
                    _position++;
                    return [.. values];
                }

                Expect(',');
            }
        }

        private bool TryConsume(string token)
        {
            if (string.CompareOrdinal(text, _position, token, 0, token.Length) == 0)
            {
                _position += token.Length;
                return true;
            }

            return false;
        }

        private bool TryConsumeWord(string word)
        {
            var end = _position + word.Length;
            if (end <= text.Length && string.CompareOrdinal(text, _position, word, 0, word.Length) == 0
                && (end == text.Length || char.IsWhiteSpace(text[end]) || text[end] == '('))
            {
                _position = end;
                return true;
            }

            return false;
        }

        private static bool IsKeyChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/';

        private static bool IsValueChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.';

        private FormatException Error(string what) =>
            new($"unable to parse requirement: {what} at position {_position} in label selector \"{text}\"");
    }
}

/// <summary>
/// A parsed fieldSelector: <c>path=value</c>, <c>path==value</c> and <c>path!=value</c>, comma-separated.
/// The real server allows only a few fields per kind; this one resolves any dotted path into the object
/// (metadata.name, metadata.namespace, spec.nodeName, status.phase…), a missing field reading as "".
/// </summary>
internal sealed class FieldSelector
{
    public static readonly FieldSelector Everything = new([]);

    private readonly (string[] Path, bool Negated, string Value)[] _terms;

    private FieldSelector((string[] Path, bool Negated, string Value)[] terms) => _terms = terms;

    public bool IsEmpty => _terms.Length == 0;

    public static FieldSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var terms = new List<(string[], bool, string)>();
        foreach (var term in SplitUnescaped(text, ','))
        {
            var trimmed = term.Trim();
            var (field, negated, value) = SplitTerm(trimmed)
                ?? throw new FormatException($"invalid field selector term \"{trimmed}\": expected field=value, field==value or field!=value");
            if (field.Length == 0)
            {
                throw new FormatException($"invalid field selector term \"{trimmed}\": empty field");
            }

            terms.Add((field.Split('.'), negated, Unescape(value)));
        }

        return new FieldSelector([.. terms]);
    }

    /// <summary>The single name an exact <c>metadata.name=x</c> term pins, if any (lets a watch on one object stay cheap).</summary>
    public static FieldSelector ForName(string name) => new([(["metadata", "name"], false, name)]);

    public bool Matches(JsonElement root, in ObjectKey key)
    {
        foreach (var (path, negated, expected) in _terms)
        {
            var actual = Resolve(root, key, path);
            if (string.Equals(actual, expected, StringComparison.Ordinal) == negated)
            {
                return false;
            }
        }

        return true;
    }

    private static string Resolve(JsonElement root, in ObjectKey key, string[] path)
    {
        if (path is ["metadata", "name"])
        {
            return key.Name;
        }

        if (path is ["metadata", "namespace"])
        {
            return key.Namespace;
        }

        var element = root;
        foreach (var segment in path)
        {
            element = JsonTools.Property(element, segment);
        }

        return JsonTools.ScalarText(element) ?? "";
    }

    private static (string Field, bool Negated, string Value)? SplitTerm(string term)
    {
        for (var i = 0; i < term.Length; i++)
        {
            switch (term[i])
            {
                case '\\':
                    i++;
                    break;
                case '!' when i + 1 < term.Length && term[i + 1] == '=':
                    return (term[..i].Trim(), true, term[(i + 2)..].Trim());
                case '=':
                    var valueStart = i + 1 < term.Length && term[i + 1] == '=' ? i + 2 : i + 1;
                    return (term[..i].Trim(), false, term[valueStart..].Trim());
            }
        }

        return null;
    }

    private static List<string> SplitUnescaped(string text, char separator)
    {
        var parts = new List<string>();
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\')
            {
                i++;
            }
            else if (text[i] == separator)
            {
                parts.Add(text[start..i]);
                start = i + 1;
            }
        }

        parts.Add(text[start..]);
        return parts;
    }

    private static string Unescape(string value)
    {
        if (!value.Contains('\\', StringComparison.Ordinal))
        {
            return value;
        }

        var builder = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\' && i + 1 < value.Length)
            {
                i++;
            }

            builder.Append(value[i]);
        }

        return builder.ToString();
    }
}

/// <summary>What a list or watch asks for: an optional namespace plus label and field selectors.</summary>
internal sealed record ObjectFilter(string? Namespace, LabelSelector Labels, FieldSelector Fields)
{
    public static readonly ObjectFilter Everything = new(null, LabelSelector.Everything, FieldSelector.Everything);

    public bool Matches(StoredObject obj, in ObjectKey key) =>
        (Namespace is null || string.Equals(Namespace, key.Namespace, StringComparison.Ordinal))
        && (Labels.IsEmpty || Labels.Matches(JsonTools.Property(obj.Metadata, "labels")))
        && (Fields.IsEmpty || Fields.Matches(obj.Root, key));
}
