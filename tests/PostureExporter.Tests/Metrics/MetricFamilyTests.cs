using System.Text;
using PostureExporter.Metrics;
using Prometheus;

namespace PostureExporter.Tests.Metrics;

/// <summary>MetricFamily and SeriesStore: updates in, exact exposition text out.</summary>
public sealed class MetricFamilyTests
{
    private const string GaugeHeader = "# HELP g A gauge.\n# TYPE g gauge\n";
    private const string CounterHeader = "# HELP c_total A counter.\n# TYPE c_total counter\n";

    private static async Task<string> RenderAsync(SeriesStore store, ExpositionFormat format = ExpositionFormat.PrometheusText)
    {
        using var stream = new MemoryStream();
        await using (var writer = new ExpositionWriter(stream))
        {
            await store.WriteToAsync(writer, format, CancellationToken.None);
            await writer.FlushAsync(CancellationToken.None);
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    // Table: what the case is about → (updates, the series lines expected after the header).
    private static readonly Dictionary<string, (Action<MetricFamily> Updates, string Series)> GaugeTable = new()
    {
        ["no series: HELP and TYPE only"] = (_ => { }, ""),
        ["set creates"] = (g => g.Set(3, "a", "x"), "g{ns=\"a\",k=\"x\"} 3\n"),
        ["set again replaces the value"] = (g => { g.Set(3, "a", "x"); g.Set(5, "a", "x"); }, "g{ns=\"a\",k=\"x\"} 5\n"),
        ["set back to 0 keeps the series"] = (g => { g.Set(3, "a", "x"); g.Set(0, "a", "x"); }, "g{ns=\"a\",k=\"x\"} 0\n"),
        ["label values are distinct series, in creation order"] = (g => { g.Set(1, "a", "x"); g.Set(2, "b", "x"); g.Set(3, "a", "y"); },
            "g{ns=\"a\",k=\"x\"} 1\ng{ns=\"b\",k=\"x\"} 2\ng{ns=\"a\",k=\"y\"} 3\n"),
        ["remove takes the series away"] = (g => { g.Set(1, "a", "x"); g.Remove("a", "x"); }, ""),
        ["remove of the first moves the last into its place"] = (g => { g.Set(1, "a", "x"); g.Set(2, "b", "x"); g.Set(3, "c", "x"); g.Remove("a", "x"); },
            "g{ns=\"c\",k=\"x\"} 3\ng{ns=\"b\",k=\"x\"} 2\n"),
        ["the series moved into a hole is still found by its labels"] = (g => { g.Set(1, "a", "x"); g.Set(2, "b", "x"); g.Set(3, "c", "x"); g.Remove("a", "x"); g.Set(9, "c", "x"); g.Remove("b", "x"); },
            "g{ns=\"c\",k=\"x\"} 9\n"),
        ["remove of the last"] = (g => { g.Set(1, "a", "x"); g.Set(2, "b", "x"); g.Remove("b", "x"); }, "g{ns=\"a\",k=\"x\"} 1\n"),
        ["remove of a missing series changes nothing"] = (g => { g.Set(1, "a", "x"); g.Remove("zz", "x"); }, "g{ns=\"a\",k=\"x\"} 1\n"),
        ["removed then set again comes back with the new value"] = (g => { g.Set(1, "a", "x"); g.Remove("a", "x"); g.Set(7, "a", "x"); }, "g{ns=\"a\",k=\"x\"} 7\n"),
        ["empty label value (cluster-scoped)"] = (g => g.Set(1, "", "x"), "g{ns=\"\",k=\"x\"} 1\n"),
        ["escaping of backslash, quote and newline"] = (g => g.Set(1, "a\\b", "say \"hi\"\nbye"), "g{ns=\"a\\\\b\",k=\"say \\\"hi\\\"\\nbye\"} 1\n"),
        ["escapes at both ends and back to back"] = (g => g.Set(1, "\"a\\", "\n\n"), "g{ns=\"\\\"a\\\\\",k=\"\\n\\n\"} 1\n"),
        ["non-ASCII label values as UTF-8"] = (g => g.Set(1, "équipe", "名前"), "g{ns=\"équipe\",k=\"名前\"} 1\n"),
        ["fractional timestamps round-trip"] = (g => g.Set(1796020704.549, "a", "x"), "g{ns=\"a\",k=\"x\"} 1796020704.549\n"),
        ["negative and tiny values"] = (g => { g.Set(-2.5, "a", "x"); g.Set(1e-05, "b", "x"); }, "g{ns=\"a\",k=\"x\"} -2.5\ng{ns=\"b\",k=\"x\"} 1E-05\n"),
        ["NaN and infinities as the format spells them"] = (g => { g.Set(double.NaN, "a", "x"); g.Set(double.PositiveInfinity, "b", "x"); g.Set(double.NegativeInfinity, "c", "x"); },
            "g{ns=\"a\",k=\"x\"} NaN\ng{ns=\"b\",k=\"x\"} +Inf\ng{ns=\"c\",k=\"x\"} -Inf\n"),
    };

    public static TheoryData<string> GaugeCases => new(GaugeTable.Keys);

    [Fact]
    public async Task Gauge_ManyRandomUpdatesAndRemovals_MatchAPlainDictionary()
    {
        // Series are found by their line's prefix and move when another is removed: thousands of mixed operations
        // must leave exactly the series and values a plain dictionary holds.
        var store = new SeriesStore();
        var g = store.Gauge("g", "A gauge.", "ns", "k");
        var expected = new Dictionary<(string, string), double>();
        var random = new Random(7);
        for (var i = 0; i < 5_000; i++)
        {
            if (i % 1_000 == 999)
            {
                g.TrimExcess(); // as after the initial evaluation: the tables shrink to fit, and keep working
            }
            var key = ($"ns-{random.Next(40)}", random.Next(3) == 0 ? "\"q\\" : $"k{random.Next(25)}");
            if (random.Next(4) == 0)
            {
                Assert.Equal(expected.Remove(key), g.Remove(key.Item1, key.Item2));
            }
            else
            {
                var value = random.Next(100);
                g.Set(value, key.Item1, key.Item2);
                expected[key] = value;
            }
        }

        Assert.Equal(expected.Count, g.Count);
        foreach (var ((ns, k), value) in expected)
        {
            Assert.Equal(value, g.Value(ns, k));
        }
        var lines = (await RenderAsync(store)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')).Order(StringComparer.Ordinal);
        var want = expected.Select(e => $"g{{ns=\"{e.Key.Item1}\",k=\"{e.Key.Item2.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"}} {e.Value}").Order(StringComparer.Ordinal);
        Assert.Equal(want, lines);
    }

    [Theory]
    [MemberData(nameof(GaugeCases))]
    public async Task Gauge_Updates_GiveExactText(string because)
    {
        var (updates, series) = GaugeTable[because];
        var store = new SeriesStore();
        var g = store.Gauge("g", "A gauge.", "ns", "k");

        updates(g);

        Assert.True(GaugeHeader + series == await RenderAsync(store), because);
    }

    // Table: what the case is about → (updates, the series lines expected after the header).
    private static readonly Dictionary<string, (Action<MetricFamily> Updates, string Series)> CounterTable = new()
    {
        ["ensure creates at 0"] = (c => c.Ensure("a"), "c_total{ns=\"a\"} 0\n"),
        ["ensure leaves an existing value alone"] = (c => { c.Inc("a"); c.Inc("a"); c.Ensure("a"); }, "c_total{ns=\"a\"} 2\n"),
        ["inc creates at 1"] = (c => c.Inc("a"), "c_total{ns=\"a\"} 1\n"),
        ["inc adds one"] = (c => { c.Ensure("a"); c.Inc("a"); c.Inc("a"); c.Inc("a"); }, "c_total{ns=\"a\"} 3\n"),
        ["remove, then inc starts over"] = (c => { c.Inc("a"); c.Inc("a"); c.Remove("a"); c.Inc("a"); }, "c_total{ns=\"a\"} 1\n"),
    };

    public static TheoryData<string> CounterCases => new(CounterTable.Keys);

    [Theory]
    [MemberData(nameof(CounterCases))]
    public async Task Counter_Updates_GiveExactText(string because)
    {
        var (updates, series) = CounterTable[because];
        var store = new SeriesStore();
        var c = store.Counter("c_total", "A counter.", "ns");

        updates(c);

        Assert.True(CounterHeader + series == await RenderAsync(store), because);
    }

    [Fact]
    public async Task UnlabelledGauge_HasNoBraces()
    {
        var store = new SeriesStore();
        var g = store.Gauge("dropped", "Dropped.");

        g.Set(0);
        g.Set(4);

        Assert.Equal("# HELP dropped Dropped.\n# TYPE dropped gauge\ndropped 4\n", await RenderAsync(store));
    }

    [Fact]
    public async Task Families_InRegistrationOrder_EachWithOneHeader_AndOpenMetricsNamesCountersWithoutTotal()
    {
        var store = new SeriesStore();
        var g = store.Gauge("g", "A gauge.", "ns", "k");
        var c = store.Counter("c_total", "A counter.", "ns");
        c.Inc("a");
        g.Set(2, "a", "x");

        Assert.Equal(GaugeHeader + "g{ns=\"a\",k=\"x\"} 2\n" + CounterHeader + "c_total{ns=\"a\"} 1\n", await RenderAsync(store));
        Assert.Equal(GaugeHeader + "g{ns=\"a\",k=\"x\"} 2\n" + "# HELP c A counter.\n# TYPE c counter\nc_total{ns=\"a\"} 1\n",
            await RenderAsync(store, ExpositionFormat.OpenMetricsText));
    }

    [Fact]
    public async Task Help_EscapesBackslashAndNewline()
    {
        var store = new SeriesStore();
        store.Gauge("g", "a\\b\nc");

        Assert.StartsWith("# HELP g a\\\\b\\nc\n", await RenderAsync(store), StringComparison.Ordinal);
    }

    [Fact]
    public void Misuse_IsRefused()
    {
        var store = new SeriesStore();
        var g = store.Gauge("g", "A gauge.", "ns");

        Assert.Throws<ArgumentException>(() => g.Set(1, "a", "extra"));
        Assert.Throws<ArgumentException>(() => g.Set(1));
        Assert.Throws<InvalidOperationException>(() => store.Gauge("g", "Again."));
        Assert.Throws<ArgumentException>(() => store.Counter("c", "Without _total."));
    }

    [Fact]
    public void Value_ReadsBack_AndKeysAreCopied()
    {
        var store = new SeriesStore();
        var g = store.Gauge("g", "A gauge.", "ns");
        var labels = new[] { "a" };
        g.Set(3, labels);
        labels[0] = "b";

        Assert.Equal(3, g.Value("a"));
        Assert.Null(g.Value("b"));
        Assert.Equal(1, g.Count);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(2.5E-7)]
    [InlineData(1796020704.549)]
    [InlineData(0.1 + 0.2)]
    [InlineData(-1.7976931348623157E+308)]
    [InlineData(5E-324)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Values_AreReadBackFromTheirLine_Exactly(double value)
    {
        // A series keeps only its line: its value is read back from the text, and a label value with spaces, a
        // backslash and a quote must not be taken for the value.
        const string Label = "a b \\\" 1";
        var store = new SeriesStore();
        var c = store.Counter("c_total", "A counter.", "ns");
        c.Set(value, Label);

        Assert.Equal(value, c.Value(Label));
        c.Inc(Label);
        Assert.Equal(value + 1, c.Value(Label));
        Assert.Equal(1, c.Count);
    }

    [Fact]
    public async Task LongLines_LargerThanTheWriteBuffer_AreWrittenWhole()
    {
        var store = new SeriesStore();
        var g = store.Gauge("g", "A gauge.", "ns");
        var huge = new string('x', 100_000);
        for (var i = 0; i < 3; i++)
        {
            g.Set(i, huge + i);
        }

        var text = await RenderAsync(store);

        Assert.Equal(GaugeHeader + $"g{{ns=\"{huge}0\"}} 0\ng{{ns=\"{huge}1\"}} 1\ng{{ns=\"{huge}2\"}} 2\n", text);
    }
}
