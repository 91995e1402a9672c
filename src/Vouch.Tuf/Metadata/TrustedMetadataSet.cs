namespace Vouch.Tuf.Metadata;

/// <summary>
/// The verification half of the spec's "detailed client workflow" (section 5), with no I/O: callers
/// feed bytes in the order root → timestamp → snapshot → targets → delegated targets and every
/// check happens here, so the rules can be read (and tested) in one place.
///
/// Like python-tuf, a cached timestamp or snapshot may be loaded even when expired or superseded:
/// it then only serves as the reference for rollback checks of the newer file (an "intermediate"
/// copy). Anything used to go further must be final: unexpired and matching its referrer.
/// </summary>
internal sealed class TrustedMetadataSet
{
    private readonly Dictionary<string, TargetsMetadata> _targets = new(StringComparer.Ordinal);

    /// <summary>(role, delegator) pairs whose delegation the loaded role's signatures were checked against.</summary>
    private readonly HashSet<(string Role, string Delegator)> _verifiedDelegations = [];

    public TrustedMetadataSet(RootMetadata root, DateTimeOffset referenceTime)
    {
        Root = root;
        ReferenceTime = referenceTime;
    }

    /// <summary>The spec's "fixed update start time": every expiry is judged against this one instant.</summary>
    public DateTimeOffset ReferenceTime { get; }

    public RootMetadata Root { get; private set; }

    public TimestampMetadata? Timestamp { get; private set; }

    public SnapshotMetadata? Snapshot { get; private set; }

    public TargetsMetadata? TopLevelTargets => _targets.GetValueOrDefault("targets");

    /// <summary>Parses a root that is trusted by where it came from (disk, bootstrap) and checks it meets its own threshold.</summary>
    public static RootMetadata LoadTrustedRoot(byte[] data)
    {
        var root = RootMetadata.Parse(data);
        SignatureThreshold.Require(root, root.Keys, root.Roles["root"], TufErrorCodes.RootThreshold, $"root v{root.Version}");
        return root;
    }

    /// <summary>Spec 5.3.4–5.3.7: the next root must be signed by the trusted root's root role and by its own, and be exactly N+1.</summary>
    public void UpdateRoot(byte[] data)
    {
        if (Timestamp is not null)
        {
            throw new InvalidOperationException("root cannot change once timestamp is loaded");
        }

        var expected = Root.Version + 1;
        var candidate = RootMetadata.Parse(data);
        SignatureThreshold.Require(candidate, Root.Keys, Root.Roles["root"], TufErrorCodes.RootThreshold, $"root v{candidate.Version} (checked with the keys of trusted root v{Root.Version})");

        if (candidate.Version <= Root.Version)
        {
            throw new TufException(TufErrorCodes.Rollback, $"{expected}.root.json holds root version {candidate.Version}, not newer than trusted version {Root.Version}");
        }

        if (candidate.Version != expected)
        {
            throw new TufException(TufErrorCodes.VersionMismatch, $"{expected}.root.json holds root version {candidate.Version}; roots may not skip versions");
        }

        SignatureThreshold.Require(candidate, candidate.Keys, candidate.Roles["root"], TufErrorCodes.RootThreshold, $"root v{candidate.Version} (checked with its own keys)");

        // An intermediate root may be expired (5.3.6): only the final root's expiry matters.
        Root = candidate;
    }

    /// <summary>Spec 5.3.10: the final root must not be expired (a withheld newer root is a freeze attack).</summary>
    public void CheckRootNotExpired()
    {
        if (Root.IsExpired(ReferenceTime))
        {
            throw new TufException(TufErrorCodes.Expired, $"root v{Root.Version} expired at {Root.Expires:O} (freeze attack or stale repository)");
        }
    }

    /// <summary>Loads a cached timestamp as the rollback reference. Its expiry does not matter here.</summary>
    public void LoadCachedTimestamp(byte[] data)
    {
        var timestamp = TimestampMetadata.Parse(data);
        SignatureThreshold.Require(timestamp, Root.Keys, Root.Roles["timestamp"], TufErrorCodes.Threshold, $"cached timestamp v{timestamp.Version}");
        Timestamp = timestamp;
    }

    /// <summary>
    /// Spec 5.4: verifies a freshly downloaded timestamp against root and the trusted timestamp. Returns
    /// false when it has the trusted version: that is normal (nothing changed) and the trusted copy is kept.
    /// </summary>
    public bool UpdateTimestamp(byte[] data)
    {
        if (Snapshot is not null)
        {
            throw new InvalidOperationException("timestamp cannot change once snapshot is loaded");
        }

        CheckRootNotExpired();
        var candidate = TimestampMetadata.Parse(data);
        SignatureThreshold.Require(candidate, Root.Keys, Root.Roles["timestamp"], TufErrorCodes.Threshold, $"timestamp v{candidate.Version}");

        var changed = true;
        if (Timestamp is { } trusted)
        {
            if (candidate.Version < trusted.Version)
            {
                throw new TufException(TufErrorCodes.Rollback, $"timestamp version {candidate.Version} is older than trusted version {trusted.Version}");
            }

            if (candidate.Version == trusted.Version)
            {
                changed = false;
            }
            else if (candidate.SnapshotMeta.Version < trusted.SnapshotMeta.Version)
            {
                throw new TufException(TufErrorCodes.Rollback, $"timestamp v{candidate.Version} names snapshot version {candidate.SnapshotMeta.Version}, older than trusted {trusted.SnapshotMeta.Version}");
            }
        }

        if (changed)
        {
            Timestamp = candidate;
        }

        CheckFinalTimestamp();
        return changed;
    }

    /// <summary>
    /// Spec 5.5. A cached snapshot (<paramref name="cached"/>) skips the hash check against timestamp,
    /// since it is kept as the rollback reference even when the timestamp moved on; a downloaded one
    /// must match. The snapshot is set before the final checks so a stale cached copy still guards
    /// the next download against rollback.
    /// </summary>
    public void UpdateSnapshot(byte[] data, bool cached)
    {
        if (TopLevelTargets is not null)
        {
            throw new InvalidOperationException("snapshot cannot change once targets is loaded");
        }

        CheckFinalTimestamp();
        var meta = Timestamp!.SnapshotMeta;
        if (!cached)
        {
            CheckLengthAndHashes(data, meta, "snapshot.json");
        }

        var candidate = SnapshotMetadata.Parse(data);
        SignatureThreshold.Require(candidate, Root.Keys, Root.Roles["snapshot"], TufErrorCodes.Threshold, $"snapshot v{candidate.Version}");

        if (Snapshot is { } trusted)
        {
            foreach (var (name, trustedInfo) in trusted.Meta)
            {
                if (!candidate.Meta.TryGetValue(name, out var newInfo))
                {
                    throw new TufException(TufErrorCodes.Rollback, $"snapshot v{candidate.Version} no longer lists '{name}', which trusted snapshot v{trusted.Version} lists");
                }

                if (newInfo.Version < trustedInfo.Version)
                {
                    throw new TufException(TufErrorCodes.Rollback, $"snapshot v{candidate.Version} lists '{name}' at version {newInfo.Version}, older than trusted {trustedInfo.Version}");
                }
            }
        }

        Snapshot = candidate;
        CheckFinalSnapshot();
    }

    /// <summary>
    /// The loaded metadata of <paramref name="role"/> if its signatures were checked against
    /// <paramref name="delegator"/>'s delegation. A role reached through another delegator is not
    /// returned: its signatures met that delegation's keys and threshold, which say nothing about this one's.
    /// </summary>
    public bool TryGetTargets(string role, string delegator, out TargetsMetadata targets)
    {
        targets = null!;
        return _verifiedDelegations.Contains((role, delegator)) && _targets.TryGetValue(role, out targets!);
    }

    /// <summary>The loaded metadata of <paramref name="role"/>, whichever delegator it was verified for.</summary>
    public bool TryGetLoadedTargets(string role, out TargetsMetadata targets) => _targets.TryGetValue(role, out targets!);

    /// <summary>
    /// Spec 5.6 for the top-level targets (delegator "root") and delegated roles (delegator is the
    /// targets role that delegates): hashes and length from snapshot, signatures by the delegator's
    /// keys for this role, version equal to snapshot's, not expired.
    /// </summary>
    public TargetsMetadata UpdateTargets(byte[] data, string role, string delegator)
    {
        CheckFinalSnapshot();
        var meta = SnapshotMetaFor(role);
        CheckLengthAndHashes(data, meta, $"{role}.json");

        var candidate = TargetsMetadata.Parse(data);
        if (delegator == "root")
        {
            SignatureThreshold.Require(candidate, Root.Keys, Root.Roles["targets"], TufErrorCodes.Threshold, $"targets v{candidate.Version}");
        }
        else
        {
            if (!_targets.TryGetValue(delegator, out var parent) || parent.Delegations is null)
            {
                throw new InvalidOperationException($"delegator '{delegator}' is not loaded");
            }

            var delegation = parent.Delegations.Roles.FirstOrDefault(r => r.Name == role)
                ?? throw new InvalidOperationException($"'{delegator}' does not delegate to '{role}'");
            SignatureThreshold.Require(candidate, parent.Delegations.Keys, delegation.Keys, TufErrorCodes.Threshold, $"delegated role '{role}' v{candidate.Version}");
        }

        if (candidate.Version != meta.Version)
        {
            throw new TufException(TufErrorCodes.VersionMismatch, $"{role}.json has version {candidate.Version}, snapshot lists {meta.Version}");
        }

        if (candidate.IsExpired(ReferenceTime))
        {
            throw new TufException(TufErrorCodes.Expired, $"{role} v{candidate.Version} expired at {candidate.Expires:O}");
        }

        _targets[role] = candidate;
        _verifiedDelegations.Add((role, delegator));
        return candidate;
    }

    public MetaFile SnapshotMetaFor(string role)
    {
        if (Snapshot is null || !Snapshot.Meta.TryGetValue($"{role}.json", out var meta))
        {
            throw new TufException(TufErrorCodes.Malformed, $"snapshot does not list '{role}.json'");
        }

        return meta;
    }

    /// <summary>The timestamp used to go further must be unexpired (5.4.4).</summary>
    public void CheckFinalTimestamp()
    {
        var timestamp = Timestamp ?? throw new InvalidOperationException("timestamp is not loaded");
        if (timestamp.IsExpired(ReferenceTime))
        {
            throw new TufException(TufErrorCodes.Expired, $"timestamp v{timestamp.Version} expired at {timestamp.Expires:O}");
        }
    }

    private void CheckFinalSnapshot()
    {
        var snapshot = Snapshot ?? throw new InvalidOperationException("snapshot is not loaded");
        var expected = Timestamp!.SnapshotMeta.Version;
        if (snapshot.Version != expected)
        {
            throw new TufException(TufErrorCodes.VersionMismatch, $"snapshot has version {snapshot.Version}, timestamp lists {expected}");
        }

        if (snapshot.IsExpired(ReferenceTime))
        {
            throw new TufException(TufErrorCodes.Expired, $"snapshot v{snapshot.Version} expired at {snapshot.Expires:O}");
        }
    }

    private static void CheckLengthAndHashes(byte[] data, MetaFile meta, string what)
    {
        if (meta.Length is { } length && data.LongLength != length)
        {
            throw new TufException(TufErrorCodes.MetadataLength, $"{what} is {data.LongLength} bytes, referrer lists {length}");
        }

        if (meta.Hashes is { } hashes)
        {
            Hashing.Verify(data, hashes, TufErrorCodes.MetadataHashMismatch, what);
        }
    }
}
