using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Vouch.AuditBench;

/// <summary>
/// An HTTP CONNECT proxy on 127.0.0.1 that answers for one HTTPS host itself (TLS with a certificate
/// from a CA generated here, trusted by the client through NODE_EXTRA_CA_CERTS) and refuses every
/// other host: nothing leaves the machine.
/// </summary>
internal sealed class TlsInterceptingProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _host;
    private readonly IReadOnlyDictionary<string, byte[]> _files;
    private readonly X509Certificate2 _serverCertificate;
    private readonly CancellationTokenSource _stop = new();

    public TlsInterceptingProxy(string host, IReadOnlyDictionary<string, byte[]> files)
    {
        _host = host;
        _files = files;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Vouch audit benchmark CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        CaPem = PemEncoding.WriteString("CERTIFICATE", ca.RawData) + "\n";

        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest($"CN={host}", leafKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(host);
        leafRequest.CertificateExtensions.Add(san.Build());
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var leaf = leafRequest.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(6), RandomNumberGenerator.GetBytes(16));
        using var withKey = leaf.CopyWithPrivateKey(leafKey);
        _serverCertificate = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        _listener.Start();
        _ = AcceptLoopAsync();
    }

    public string CaPem { get; }

    public Uri Url => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    public int Requests;

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var (requestLine, _) = await ReadHeadAsync(stream);
                var parts = requestLine?.Split(' ') ?? [];
                if (parts is not ["CONNECT", var target, _] || !target.Equals($"{_host}:443", StringComparison.OrdinalIgnoreCase))
                {
                    await stream.WriteAsync("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray());
                    return;
                }

                await stream.WriteAsync("HTTP/1.1 200 Connection Established\r\n\r\n"u8.ToArray());
                await using var tls = new SslStream(stream);
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = _serverCertificate,
                    ApplicationProtocols = [SslApplicationProtocol.Http11],
                });
                while (true)
                {
                    var (line, headers) = await ReadHeadAsync(tls);
                    if (line is null)
                    {
                        return;
                    }

                    Interlocked.Increment(ref Requests);
                    var path = line.Split(' ')[1].TrimStart('/');
                    var query = path.IndexOf('?', StringComparison.Ordinal);
                    path = Uri.UnescapeDataString(query < 0 ? path : path[..query]);
                    var body = _files.TryGetValue(path, out var content) ? content : [];
                    var status = content is null ? "404 Not Found" : "200 OK";
                    await tls.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Type: application/octet-stream\r\nContent-Length: {body.Length}\r\n\r\n"));
                    await tls.WriteAsync(body);
                    await tls.FlushAsync();
                    if (headers.Contains("connection: close", StringComparison.OrdinalIgnoreCase))
                    {
                        return;
                    }
                }
            }
            catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or ObjectDisposedException)
            {
                // The client went away.
            }
        }
    }

    /// <summary>Reads a request line and headers (up to the blank line), byte by byte: bodies never follow GET or CONNECT.</summary>
    private static async Task<(string? Line, string Headers)> ReadHeadAsync(Stream stream)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (buffer.Count < 64 * 1024)
        {
            if (await stream.ReadAsync(one) == 0)
            {
                return (null, "");
            }

            buffer.Add(one[0]);
            if (buffer.Count >= 4 && buffer[^1] == '\n' && buffer[^2] == '\r' && buffer[^3] == '\n' && buffer[^4] == '\r')
            {
                var text = Encoding.ASCII.GetString(buffer.ToArray());
                var end = text.IndexOf("\r\n", StringComparison.Ordinal);
                return (text[..end], text[(end + 2)..]);
            }
        }

        return (null, "");
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _serverCertificate.Dispose();
    }
}
