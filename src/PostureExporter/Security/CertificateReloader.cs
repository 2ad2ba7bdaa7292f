using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace PostureExporter.Security;

/// <summary>
/// The serving certificate from PEM files, re-read when either file changes (a renewed cert-manager Secret),
/// checked at most once a second on new TLS handshakes. A bad new pair keeps the old one and is logged.
/// </summary>
internal sealed partial class CertificateReloader(string certFile, string keyFile, ILogger logger)
{
    private readonly Lock _lock = new();
    private X509Certificate2? _current;
    private (DateTime Cert, DateTime Key) _stamps;
    private DateTime _lastCheck;

    /// <summary>Loads the pair once; throws when it cannot be read, so start-up fails naming the files.</summary>
    public void LoadInitial() => _current = Load();

    public X509Certificate2 Current
    {
        get
        {
            lock (_lock)
            {
                var now = DateTime.UtcNow;
                if (now - _lastCheck >= TimeSpan.FromSeconds(1))
                {
                    _lastCheck = now;
                    var stamps = (File.GetLastWriteTimeUtc(certFile), File.GetLastWriteTimeUtc(keyFile));
                    if (stamps != _stamps)
                    {
                        try
                        {
                            _current = Load();
                            LogReloaded(logger, certFile, _current.Thumbprint);
                        }
                        catch (Exception e)
                        {
                            LogReloadFailed(logger, certFile, e.Message);
                            _stamps = stamps;
                        }
                    }
                }
                return _current!;
            }
        }
    }

    private X509Certificate2 Load()
    {
        _stamps = (File.GetLastWriteTimeUtc(certFile), File.GetLastWriteTimeUtc(keyFile));
        using var pem = X509Certificate2.CreateFromPemFile(certFile, keyFile);
        // Re-import so the private key is usable by the TLS stack on every platform.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    [LoggerMessage(EventId = 410, Level = LogLevel.Information, Message = "serving certificate {File} loaded ({Thumbprint})")]
    private static partial void LogReloaded(ILogger logger, string file, string thumbprint);

    [LoggerMessage(EventId = 411, Level = LogLevel.Error, Message = "serving certificate {File} could not be reloaded, keeping the old one: {Error}")]
    private static partial void LogReloadFailed(ILogger logger, string file, string error);
}
