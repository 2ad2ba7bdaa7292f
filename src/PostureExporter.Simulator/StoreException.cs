namespace PostureExporter.Simulator;

/// <summary>
/// A request the store (or the API server in front of it) refuses. <see cref="Code"/> and <see cref="Reason"/>
/// are the HTTP status and the Kubernetes Status reason the API server answers with.
/// </summary>
public class StoreException : Exception
{
    public StoreException()
        : this(500, "InternalError", "internal error")
    {
    }

    public StoreException(string message)
        : this(500, "InternalError", message)
    {
    }

    public StoreException(string message, Exception innerException)
        : this(500, "InternalError", message, innerException)
    {
    }

    public StoreException(int code, string message)
        : this(code, ReasonFor(code), message)
    {
    }

    public StoreException(int code, string reason, string message)
        : this(code, reason, message, null)
    {
    }

    protected StoreException(int code, string reason, string message, Exception? innerException)
        : base(message, innerException)
    {
        Code = code;
        Reason = reason;
    }

    /// <summary>HTTP status code, e.g. 404.</summary>
    public int Code { get; }

    /// <summary>Kubernetes StatusReason, e.g. "NotFound".</summary>
    public string Reason { get; }

    /// <summary>Plural resource name for Status.details.kind, when known.</summary>
    public string? ResourcePlural { get; init; }

    /// <summary>API group for Status.details.group, when known.</summary>
    public string? Group { get; init; }

    /// <summary>Object name for Status.details.name, when known.</summary>
    public string? Name { get; init; }

    /// <summary>Seconds a client should wait before retrying (429): sent as Retry-After and Status.details.retryAfterSeconds.</summary>
    public int? RetryAfterSeconds { get; init; }

    internal static string ReasonFor(int code) => code switch
    {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        406 => "NotAcceptable",
        409 => "Conflict",
        410 => "Expired",
        415 => "UnsupportedMediaType",
        422 => "Invalid",
        429 => "TooManyRequests",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "InternalError",
    };
}

/// <summary>409: the object already exists (Reason "AlreadyExists") or its resourceVersion precondition failed ("Conflict").</summary>
public sealed class StoreConflictException : StoreException
{
    public StoreConflictException()
        : base(409, "Conflict", "conflict")
    {
    }

    public StoreConflictException(string message)
        : base(409, "Conflict", message)
    {
    }

    public StoreConflictException(string message, Exception innerException)
        : base(409, "Conflict", message, innerException)
    {
    }

    public StoreConflictException(string reason, string message)
        : base(409, reason, message)
    {
    }
}
