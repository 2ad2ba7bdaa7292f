using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace PostureExporter.Security;

internal enum AuthMode { None, TokenFile, Kubernetes }

/// <summary>
/// Guards /metrics, /api/* and the status page: posture metrics are a map of the cluster's weak spots.
/// Bearer tokens are checked against a static token file, or against the API server with TokenReview and
/// authorised with a SubjectAccessReview on the request path (as kube-rbac-proxy does). /healthz and /readyz
/// stay open for probes.
/// </summary>
internal sealed partial class EndpointGuard(AuthMode mode, string? tokenFile, IKubernetes? client, TimeProvider time, ILogger<EndpointGuard> logger)
{
    private static readonly TimeSpan CacheTtl = TimeSpan.FromSeconds(60);
    private readonly ConcurrentDictionary<(string TokenHash, string Path), (bool Authenticated, bool Allowed, DateTimeOffset Expires)> _cache = new();
    // Replaced whole (a reference), so concurrent requests never see half of an update.
    private volatile TokenSet? _tokens;

    private sealed record TokenSet(DateTime Stamp, HashSet<string> Tokens);

    public AuthMode Mode => mode;

    public static bool IsOpen(PathString path) => path == "/healthz" || path == "/readyz";

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (mode == AuthMode.None || IsOpen(context.Request.Path))
        {
            await next(context);
            return;
        }
        var header = context.Request.Headers.Authorization.ToString();
        var token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : "";
        if (token.Length == 0)
        {
            await Deny(context, StatusCodes.Status401Unauthorized, "a bearer token is required");
            return;
        }
        var path = context.Request.Path.Value ?? "/";
        var (authenticated, allowed) = mode == AuthMode.TokenFile
            ? (TokenFileContains(token), true)
            : await ReviewAsync(token, path, context.RequestAborted);
        if (!authenticated)
        {
            await Deny(context, StatusCodes.Status401Unauthorized, "the token is not valid");
        }
        else if (!allowed)
        {
            await Deny(context, StatusCodes.Status403Forbidden, $"not allowed to get {path}");
        }
        else
        {
            await next(context);
        }
    }

    private static async Task Deny(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        if (status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
        }
        await context.Response.WriteAsync(message + "\n");
    }

    /// <summary>The token file holds one token per line; it is re-read when it changes (a rotated Secret).</summary>
    private bool TokenFileContains(string token)
    {
        var stamp = File.GetLastWriteTimeUtc(tokenFile!);
        var current = _tokens;
        if (current is null || current.Stamp != stamp)
        {
            var tokens = File.Exists(tokenFile!)
                ? File.ReadAllLines(tokenFile!).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToHashSet(StringComparer.Ordinal)
                : [];
            current = new TokenSet(stamp, tokens);
            _tokens = current;
        }
        var given = Encoding.UTF8.GetBytes(token);
        var match = false;
        foreach (var t in current.Tokens)
        {
            // Constant time per candidate, so a wrong token's timing says nothing about a right one.
            match |= CryptographicOperations.FixedTimeEquals(given, Encoding.UTF8.GetBytes(t));
        }
        return match;
    }

    private async Task<(bool Authenticated, bool Allowed)> ReviewAsync(string token, string path, CancellationToken ct)
    {
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
        var now = time.GetUtcNow();
        if (_cache.TryGetValue((hash, path), out var cached) && cached.Expires > now)
        {
            return (cached.Authenticated, cached.Allowed);
        }
        bool authenticated = false, allowed = false;
        try
        {
            var review = await client!.AuthenticationV1.CreateTokenReviewAsync(
                new V1TokenReview { Spec = new V1TokenReviewSpec { Token = token } }, cancellationToken: ct);
            authenticated = review.Status?.Authenticated == true;
            if (authenticated)
            {
                var user = review.Status!.User;
                var sar = await client.AuthorizationV1.CreateSubjectAccessReviewAsync(new V1SubjectAccessReview
                {
                    Spec = new V1SubjectAccessReviewSpec
                    {
                        User = user?.Username,
                        Groups = user?.Groups,
                        Uid = user?.Uid,
                        NonResourceAttributes = new V1NonResourceAttributes { Path = path, Verb = "get" },
                    },
                }, cancellationToken: ct);
                allowed = sar.Status?.Allowed == true;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The API server could not answer: deny, and do not cache the failure.
            LogReviewFailed(logger, e.Message);
            return (false, false);
        }
        if (_cache.Count > 10_000)
        {
            _cache.Clear();
        }
        _cache[(hash, path)] = (authenticated, allowed, now + CacheTtl);
        return (authenticated, allowed);
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Warning, Message = "token review failed, request denied: {Error}")]
    private static partial void LogReviewFailed(ILogger logger, string error);
}
