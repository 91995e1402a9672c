using System.Text;

namespace Vouch.Sri;

/// <summary>
/// A file's text decoded so that encoding it again gives back exactly the original bytes: UTF-8
/// (with or without BOM) when the bytes are valid UTF-8, UTF-16 with a BOM, and Latin-1 (one char
/// per byte, always reversible) otherwise. Edits are made on this text, so `fix` never changes a
/// byte it did not mean to.
/// </summary>
public sealed class SourceText
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private int[]? _lineStarts;

    private SourceText(string text, Encoding encoding, byte[] preamble)
    {
        Text = text;
        Encoding = encoding;
        Preamble = preamble;
    }

    public string Text { get; }

    public Encoding Encoding { get; }

    public byte[] Preamble { get; }

    public static SourceText FromString(string text) => new(text, StrictUtf8, []);

    public static SourceText Decode(byte[] bytes)
    {
        if (bytes.AsSpan().StartsWith(new byte[] { 0xEF, 0xBB, 0xBF }))
        {
            return TryStrict(bytes, 3, StrictUtf8, out var t) ? new SourceText(t!, StrictUtf8, bytes[..3]) : Latin1(bytes);
        }

        if (bytes.AsSpan().StartsWith(new byte[] { 0xFF, 0xFE }))
        {
            var le = new UnicodeEncoding(bigEndian: false, byteOrderMark: false, throwOnInvalidBytes: true);
            return TryStrict(bytes, 2, le, out var t) ? new SourceText(t!, le, bytes[..2]) : Latin1(bytes);
        }

        if (bytes.AsSpan().StartsWith(new byte[] { 0xFE, 0xFF }))
        {
            var be = new UnicodeEncoding(bigEndian: true, byteOrderMark: false, throwOnInvalidBytes: true);
            return TryStrict(bytes, 2, be, out var t) ? new SourceText(t!, be, bytes[..2]) : Latin1(bytes);
        }

        return TryStrict(bytes, 0, StrictUtf8, out var text) ? new SourceText(text!, StrictUtf8, []) : Latin1(bytes);
    }

    public byte[] Encode(string text) => [.. Preamble, .. Encoding.GetBytes(text)];

    /// <summary>1-based line and column (UTF-16 code units, SARIF's default) of an index; CRLF, CR and LF end lines.</summary>
    public (int Line, int Column) Position(int index)
    {
        _lineStarts ??= LineStarts(Text);
        var line = Array.BinarySearch(_lineStarts, index);
        if (line < 0)
        {
            line = ~line - 1;
        }

        return (line + 1, index - _lineStarts[line] + 1);
    }

    private static int[] LineStarts(string text)
    {
        var starts = new List<int> { 0 };
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\r')
            {
                if (i + 1 < text.Length && text[i + 1] == '\n')
                {
                    i++;
                }

                starts.Add(i + 1);
            }
            else if (text[i] == '\n')
            {
                starts.Add(i + 1);
            }
        }

        return [.. starts];
    }

    private static SourceText Latin1(byte[] bytes) => new(Encoding.Latin1.GetString(bytes), Encoding.Latin1, []);

    private static bool TryStrict(byte[] bytes, int offset, Encoding encoding, out string? text)
    {
        try
        {
            text = encoding.GetString(bytes, offset, bytes.Length - offset);
            return true;
        }
        catch (DecoderFallbackException)
        {
            text = null;
            return false;
        }
    }
}
