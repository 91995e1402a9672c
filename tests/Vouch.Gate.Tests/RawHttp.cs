using System.Net.Sockets;
using System.Text;

namespace Vouch.Gate.Tests;

/// <summary>
/// A request sent byte for byte as written: HttpClient normalises the target (dot segments, some
/// escapes) before sending, which would hide exactly the forms an attacker sends.
/// </summary>
internal static class RawHttp
{
    internal sealed record Answer(int Status, string Head, byte[] Body)
    {
        public string Text => Encoding.UTF8.GetString(Body);
    }

    public static async Task<Answer> SendAsync(Uri server, string method, string target, IEnumerable<string>? headers = null, byte[]? body = null)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        await using var stream = tcp.GetStream();
        var head = new StringBuilder();
        head.Append(method).Append(' ').Append(target).Append(" HTTP/1.1\r\n");
        head.Append("Host: ").Append(server.Authority).Append("\r\n");
        head.Append("Connection: close\r\n");
        foreach (var h in headers ?? [])
        {
            head.Append(h).Append("\r\n");
        }

        if (body is not null)
        {
            head.Append("Content-Length: ").Append(body.Length).Append("\r\n");
        }

        head.Append("\r\n");
        await stream.WriteAsync(Encoding.Latin1.GetBytes(head.ToString()));
        if (body is not null)
        {
            await stream.WriteAsync(body);
        }

        using var ms = new MemoryStream();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await stream.CopyToAsync(ms, cts.Token);
        return Parse(ms.ToArray(), HeadIsBodyless(method));
    }

    private static bool HeadIsBodyless(string method) => method == "HEAD";

    private static Answer Parse(byte[] raw, bool bodyless)
    {
        var end = raw.AsSpan().IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            return new Answer(0, Encoding.Latin1.GetString(raw), raw);
        }

        var head = Encoding.Latin1.GetString(raw, 0, end);
        var status = int.Parse(head.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture);
        var rest = raw.AsSpan(end + 4).ToArray();
        if (bodyless || !head.Contains("transfer-encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            return new Answer(status, head, rest);
        }

        // De-chunk, so a byte sequence split over two chunks is still found by the caller.
        using var body = new MemoryStream();
        var i = 0;
        while (i < rest.Length)
        {
            var lineEnd = rest.AsSpan(i).IndexOf("\r\n"u8);
            if (lineEnd < 0)
            {
                break;
            }

            var sizeText = Encoding.Latin1.GetString(rest, i, lineEnd).Split(';')[0].Trim();
            var size = Convert.ToInt32(sizeText, 16);
            i += lineEnd + 2;
            if (size == 0)
            {
                break;
            }

            body.Write(rest, i, Math.Min(size, rest.Length - i));
            i += size + 2;
        }

        return new Answer(status, head, body.ToArray());
    }
}
