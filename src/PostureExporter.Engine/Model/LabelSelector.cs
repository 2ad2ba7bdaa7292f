using System.Collections.Immutable;

namespace PostureExporter.Engine.Model;

/// <summary>
/// A Kubernetes label selector in its string form: <c>a=b</c>, <c>a==b</c>, <c>a!=b</c>, <c>a</c>, <c>!a</c>,
/// <c>a in (x, y)</c>, <c>a notin (x)</c>, joined by commas. All requirements must hold.
/// </summary>
public sealed class LabelSelector
{
    private readonly ImmutableArray<Func<IReadOnlyDictionary<string, string>, bool>> _requirements;

    private LabelSelector(string text, ImmutableArray<Func<IReadOnlyDictionary<string, string>, bool>> requirements)
    {
        Text = text;
        _requirements = requirements;
    }

    public string Text { get; }

    public bool Matches(IReadOnlyDictionary<string, string> labels) => _requirements.All(r => r(labels));

    public override string ToString() => Text;

    /// <summary>Parses a selector; throws FormatException naming the part it cannot read.</summary>
    public static LabelSelector Parse(string text)
    {
        var reqs = ImmutableArray.CreateBuilder<Func<IReadOnlyDictionary<string, string>, bool>>();
        foreach (var part in SplitTopLevel(text))
        {
            var p = part.Trim();
            if (p.Length == 0)
            {
                continue;
            }
            var inIdx = IndexOfWord(p, " in ");
            var notInIdx = IndexOfWord(p, " notin ");
            if (notInIdx > 0)
            {
                var key = p[..notInIdx].Trim();
                var values = SetValues(p[(notInIdx + 7)..], text);
                reqs.Add(l => !l.TryGetValue(key, out var v) || !values.Contains(v));
            }
            else if (inIdx > 0)
            {
                var key = p[..inIdx].Trim();
                var values = SetValues(p[(inIdx + 4)..], text);
                reqs.Add(l => l.TryGetValue(key, out var v) && values.Contains(v));
            }
            else if (p.Contains("!=", StringComparison.Ordinal))
            {
                var (key, value) = Split(p, "!=");
                reqs.Add(l => !l.TryGetValue(key, out var v) || v != value);
            }
            else if (p.Contains('=', StringComparison.Ordinal))
            {
                var (key, value) = Split(p, p.Contains("==", StringComparison.Ordinal) ? "==" : "=");
                reqs.Add(l => l.TryGetValue(key, out var v) && v == value);
            }
            else if (p.StartsWith('!'))
            {
                var key = CheckKey(p[1..].Trim(), text);
                reqs.Add(l => !l.ContainsKey(key));
            }
            else
            {
                var key = CheckKey(p, text);
                reqs.Add(l => l.ContainsKey(key));
            }
        }
        return new LabelSelector(text, reqs.ToImmutable());
    }

    private static int IndexOfWord(string p, string word) => p.IndexOf(word, StringComparison.Ordinal);

    private static (string, string) Split(string p, string op)
    {
        var i = p.IndexOf(op, StringComparison.Ordinal);
        return (CheckKey(p[..i].Trim(), p), p[(i + op.Length)..].Trim());
    }

    private static string CheckKey(string key, string text)
    {
        if (key.Length == 0 || key.Any(c => char.IsWhiteSpace(c) || c is '(' or ')' or ',' or '!' or '='))
        {
            throw new FormatException($"invalid label selector \"{text}\": bad key \"{key}\"");
        }
        return key;
    }

    private static ImmutableHashSet<string> SetValues(string rest, string text)
    {
        var r = rest.Trim();
        if (!r.StartsWith('(') || !r.EndsWith(')'))
        {
            throw new FormatException($"invalid label selector \"{text}\": expected a parenthesised value list");
        }
        return r[1..^1].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToImmutableHashSet();
    }

    /// <summary>Splits on commas that are not inside parentheses.</summary>
    private static IEnumerable<string> SplitTopLevel(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '(':
                    depth++;
                    break;
                case ')':
                    depth--;
                    break;
                case ',' when depth == 0:
                    yield return text[start..i];
                    start = i + 1;
                    break;
            }
        }
        if (depth != 0)
        {
            throw new FormatException($"invalid label selector \"{text}\": unbalanced parentheses");
        }
        yield return text[start..];
    }
}
