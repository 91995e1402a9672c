namespace Vouch.Common.IO;

/// <summary>
/// Reads at most <paramref name="cap"/> bytes from <paramref name="inner"/>; one more is an
/// <see cref="InvalidDataException"/>. Wraps a decompressing stream so a small archive cannot unpack
/// into an unbounded amount of data (tarballs read by the SRI resolver and by the gate's publish path).
/// The caller disposes <paramref name="inner"/>.
/// </summary>
public sealed class CappedStream(Stream inner, long cap) : Stream
{
    private long _read;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => _read; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = inner.Read(buffer);
        _read += n;
        if (_read > cap)
        {
            throw new InvalidDataException($"the tarball unpacks to more than {cap} bytes");
        }

        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
