namespace Vouch.Reviews.Records;

/// <summary>
/// The criteria an organisation knows, each a bit; a set of criteria is a 64-bit mask closed under
/// `implies`, so "does this audit satisfy what is required" is one AND.
/// </summary>
public sealed class CriteriaRegistry
{
    public const string SafeToRun = "safe-to-run";
    public const string SafeToDeploy = "safe-to-deploy";

    private readonly Dictionary<string, int> _bits = new(StringComparer.Ordinal);
    private readonly List<string> _names = [];
    private ulong[] _closure = [];

    private CriteriaRegistry()
    {
    }

    public IReadOnlyList<string> Names => _names;

    /// <summary>Builds the registry from built-ins and definitions; unknown implied criteria and overflow are problems.</summary>
    public static CriteriaRegistry Build(IEnumerable<CriterionDefinition> definitions, List<ReviewProblem> problems)
    {
        var r = new CriteriaRegistry();
        r.Add(SafeToRun);
        r.Add(SafeToDeploy);
        var defs = definitions.ToList();
        foreach (var d in defs)
        {
            if (r._bits.ContainsKey(d.Name))
            {
                if (d.Name is not (SafeToRun or SafeToDeploy))
                {
                    problems.Add(new ReviewProblem(d.Location.File, d.Location.Line, d.Location.Column, $"criterion '{d.Name}' is defined twice"));
                }

                continue;
            }

            if (r._names.Count >= 64)
            {
                problems.Add(new ReviewProblem(d.Location.File, d.Location.Line, d.Location.Column, "more than 64 criteria"));
                break;
            }

            r.Add(d.Name);
        }

        var direct = new ulong[r._names.Count];
        direct[1] = 1UL << 0; // safe-to-deploy implies safe-to-run
        foreach (var d in defs)
        {
            if (!r._bits.TryGetValue(d.Name, out var bit))
            {
                continue;
            }

            foreach (var implied in d.Implies)
            {
                if (r._bits.TryGetValue(implied, out var ib))
                {
                    direct[bit] |= 1UL << ib;
                }
                else
                {
                    problems.Add(new ReviewProblem(d.Location.File, d.Location.Line, d.Location.Column, $"criterion '{d.Name}' implies unknown criterion '{implied}'"));
                }
            }
        }

        // Transitive closure; cycles are harmless (a ⇒ b ⇒ a just makes them equivalent).
        r._closure = new ulong[direct.Length];
        for (var i = 0; i < direct.Length; i++)
        {
            var mask = 1UL << i;
            var frontier = direct[i];
            while ((frontier & ~mask) != 0)
            {
                var fresh = frontier & ~mask;
                mask |= fresh;
                frontier = 0;
                for (var b = 0; b < direct.Length; b++)
                {
                    if ((fresh & (1UL << b)) != 0)
                    {
                        frontier |= direct[b];
                    }
                }
            }

            r._closure[i] = mask;
        }

        return r;
    }

    public bool Contains(string name) => _bits.ContainsKey(name);

    /// <summary>The closed mask of the named criteria; unknown names go to <paramref name="unknown"/>.</summary>
    public ulong Mask(IEnumerable<string> names, List<string>? unknown = null)
    {
        ulong mask = 0;
        foreach (var n in names)
        {
            if (_bits.TryGetValue(n, out var bit))
            {
                mask |= _closure[bit];
            }
            else
            {
                unknown?.Add(n);
            }
        }

        return mask;
    }

    /// <summary>The criteria that imply <paramref name="name"/> (itself included), as a mask.</summary>
    public ulong ImpliersOf(string name)
    {
        if (!_bits.TryGetValue(name, out var bit))
        {
            return 0;
        }

        ulong m = 0;
        for (var i = 0; i < _closure.Length; i++)
        {
            if ((_closure[i] & (1UL << bit)) != 0)
            {
                m |= 1UL << i;
            }
        }

        return m;
    }

    public IEnumerable<string> NamesOf(ulong mask)
    {
        for (var i = 0; i < _names.Count; i++)
        {
            if ((mask & (1UL << i)) != 0)
            {
                yield return _names[i];
            }
        }
    }

    public int BitOf(string name) => _bits[name];

    private void Add(string name)
    {
        _bits[name] = _names.Count;
        _names.Add(name);
    }
}
