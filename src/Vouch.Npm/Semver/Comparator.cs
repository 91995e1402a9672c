namespace Vouch.Npm;

internal enum ComparatorOperator
{
    Any,
    Equal,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

/// <summary>One primitive comparator such as <c>&gt;=1.2.3</c>, or the empty comparator that matches anything.</summary>
internal sealed class Comparator
{
    /// <summary>node-semver's "null set": nothing satisfies <c>&lt;0.0.0-0</c>.</summary>
    public const string NullSetValue = "<0.0.0-0";

    public static readonly Comparator Any = new(ComparatorOperator.Any, null, "");

    private Comparator(ComparatorOperator op, SemVersion? version, string value)
    {
        Operator = op;
        Version = version;
        Value = value;
    }

    public ComparatorOperator Operator { get; }

    /// <summary>The operand; null only for <see cref="Any"/>.</summary>
    public SemVersion? Version { get; }

    /// <summary>Canonical text: operator (none for equality) followed by the normalised version.</summary>
    public string Value { get; }

    public bool IsNullSet => Value == NullSetValue;

    /// <summary>
    /// Parses a desugared primitive: an optional <c>&lt; &gt; &lt;= &gt;= =</c> and a full strict
    /// version (a single leading <c>v</c> allowed), or the empty string.
    /// </summary>
    public static Comparator? Parse(string text)
    {
        if (text.Length == 0)
        {
            return Any;
        }

        var pos = 0;
        if (text[pos] is '<' or '>')
        {
            pos++;
        }

        if (pos < text.Length && text[pos] == '=')
        {
            pos++;
        }

        var opText = text[..pos];
        var rest = text[pos..];
        // Whitespace between operator and version was already removed; a version with any left is invalid.
        if (rest.Length == 0 || JsWhitespace.Is(rest[0]) || JsWhitespace.Is(rest[^1]) || !SemVersion.TryParse(rest, out var version))
        {
            return null;
        }

        var op = opText switch
        {
            "<" => ComparatorOperator.Less,
            "<=" => ComparatorOperator.LessOrEqual,
            ">" => ComparatorOperator.Greater,
            ">=" => ComparatorOperator.GreaterOrEqual,
            _ => ComparatorOperator.Equal,
        };
        var canonicalOp = op == ComparatorOperator.Equal ? "" : opText;
        return new Comparator(op, version, canonicalOp + version.Version);
    }

    public bool Test(SemVersion candidate)
    {
        if (Version is null)
        {
            return true;
        }

        var c = candidate.CompareTo(Version);
        return Operator switch
        {
            ComparatorOperator.Equal => c == 0,
            ComparatorOperator.Less => c < 0,
            ComparatorOperator.LessOrEqual => c <= 0,
            ComparatorOperator.Greater => c > 0,
            ComparatorOperator.GreaterOrEqual => c >= 0,
            _ => true,
        };
    }

    public override string ToString() => Value;
}
