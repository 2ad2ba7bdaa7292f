using System.Buffers;
using System.Text;
using k8s.Models;
using PostureExporter.Engine.Model;
using PostureExporter.Informers;

namespace PostureExporter.Tests.Informers;

/// <summary>
/// One watch line, as the informers decode it: in one piece or split over many buffers (a pod is larger than
/// a pipe segment), with its properties in either order, and broken lines reported, not thrown.
/// </summary>
public sealed class WatchLineTests
{
    private const string PodJson = """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"team-a","resourceVersion":"42","labels":{"component":"x"}},"spec":{"containers":[{"name":"c","image":"nginx:1.27"}]},"status":{"phase":"Running"}}""";

    public static TheoryData<string, int> Pieces()
    {
        var data = new TheoryData<string, int>();
        foreach (var line in new[] { $$"""{"type":"MODIFIED","object":{{PodJson}}}""", $$"""{"object":{{PodJson}},"type":"MODIFIED"}""" })
        {
            foreach (var piece in new[] { int.MaxValue, 7, 1 })
            {
                data.Add(line, piece);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Pieces))]
    public void ParseLine_InAnyOrderAndAnyPieces_DecodesTheObject(string line, int piece)
    {
        var parsed = KubeApi.ParseLine<V1Pod>(Split(line, piece));

        Assert.Null(parsed.DecodeError);
        Assert.Equal("MODIFIED", parsed.Type);
        var pod = Assert.IsType<ProjectedPod>(parsed.Object);
        Assert.Equal(("team-a", "web", "42"), (pod.Metadata.NamespaceProperty, pod.Metadata.Name, pod.Metadata.ResourceVersion));
        Assert.Equal("nginx:1.27", pod.Projection.Spec.Containers.Single().Image);
    }

    [Theory]
    [InlineData("""{"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired"}}""", 3)]
    [InlineData("""{"object":{"kind":"Status","code":410,"reason":"Expired"},"type":"ERROR"}""", int.MaxValue)]
    public void ParseLine_Error_GivesTheStatus(string line, int piece)
    {
        var parsed = KubeApi.ParseLine<V1Pod>(Split(line, piece));

        Assert.Equal("ERROR", parsed.Type);
        Assert.Equal(410, parsed.Status?.Code);
    }

    [Theory]
    [InlineData("""{"type":"ADDED","object":{"metadata":{"name":1}}}""")] // the wrong shape
    [InlineData("""{"type":"ADDED","object":{"metadata":{"name":"a"}},"extra":]""")] // broken after the object
    [InlineData("""{"type":"ADDED","object":{"metadata":{"name":"a""")] // cut off
    [InlineData("""{"type":"ADDED"}""")]
    [InlineData("""[1,2]""")]
    public void ParseLine_Broken_IsReportedNotThrown(string line)
    {
        foreach (var piece in new[] { int.MaxValue, 4 })
        {
            var parsed = KubeApi.ParseLine<V1Pod>(Split(line, piece));

            Assert.NotNull(parsed.DecodeError);
            Assert.Null(parsed.Object);
        }
    }

    /// <summary>The line's bytes as a sequence of segments of at most <paramref name="piece"/> bytes.</summary>
    private static ReadOnlySequence<byte> Split(string line, int piece)
    {
        var bytes = Encoding.UTF8.GetBytes(line);
        if (piece >= bytes.Length)
        {
            return new ReadOnlySequence<byte>(bytes);
        }
        Segment? first = null, last = null;
        for (var at = 0; at < bytes.Length; at += piece)
        {
            var chunk = bytes.AsMemory(at, Math.Min(piece, bytes.Length - at));
            last = last is null ? first = new Segment(chunk, 0) : last.Append(chunk);
        }
        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
