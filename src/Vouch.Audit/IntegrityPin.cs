using Vouch.Npm;
using Vouch.Provenance;

namespace Vouch.Audit;

/// <summary>
/// Ties a lockfile entry to the registry's evidence without downloading the tarball: npm (or yarn,
/// pnpm, bun) already checked the installed bytes against the lockfile's integrity, so when that
/// integrity equals the registry's <c>dist.integrity</c> — the value the registry signature covers —
/// the registry's signature and provenance speak about the installed bytes.
/// </summary>
internal static class IntegrityPin
{
    public sealed record Outcome(IntegrityReport Report, IReadOnlyList<Problem> Problems, byte[]? SubjectSha512);

    public static Outcome Compare(string name, string version, string? pinned, Dist dist)
    {
        var registry = Integrity.Parse(dist.Integrity).Hashes.ToList();
        if (Integrity.IsValidShasum(dist.Shasum))
        {
            registry.Add(new IntegrityHash(IntegrityAlgorithm.Sha1, Convert.FromHexString(dist.Shasum!)));
        }

        var sha512 = registry.FirstOrDefault(h => h.Algorithm == IntegrityAlgorithm.Sha512)?.Digest;
        if (registry.Count == 0)
        {
            return new(new IntegrityReport("absent", null), [new Problem(ProvenanceCodes.IntegrityMissing, $"{name}@{version} publishes neither dist.integrity nor dist.shasum")], null);
        }

        var lockfile = Integrity.Parse(pinned).Hashes;
        var common = lockfile.Select(h => h.Algorithm).Intersect(registry.Select(h => h.Algorithm)).DefaultIfEmpty().Max();
        if (lockfile.Count == 0 || common == default)
        {
            var why = lockfile.Count == 0
                ? "the lockfile records no integrity for it"
                : $"the lockfile's integrity ({string.Join(' ', lockfile.Select(h => h.ToSri()))}) shares no algorithm with the registry's";
            return new(new IntegrityReport("absent", null), [new Problem(AuditCodes.IntegrityUnpinned, $"{name}@{version}: {why}, so nothing ties the installed bytes to the registry's evidence")], sha512);
        }

        var algorithmName = common.ToString().ToLowerInvariant();
        var matches = lockfile.Where(h => h.Algorithm == common).Any(l => registry.Where(r => r.Algorithm == common).Any(r => r.Digest.AsSpan().SequenceEqual(l.Digest)));
        if (matches)
        {
            return new(new IntegrityReport("verified", algorithmName), [], sha512);
        }

        var expected = string.Join(' ', registry.Where(r => r.Algorithm == common).Select(r => r.ToSri()));
        var actual = string.Join(' ', lockfile.Where(r => r.Algorithm == common).Select(r => r.ToSri()));
        return new(
            new IntegrityReport("invalid", algorithmName),
            [new Problem(AuditCodes.IntegrityMismatch, $"the lockfile pins {name}@{version} to {actual}, but the registry's signed dist.integrity is {expected}: the installed bytes are not the ones the registry vouches for")],
            sha512);
    }
}
