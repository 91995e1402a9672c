using System.Globalization;
using System.Text.Json;
using Vouch.Common;
using Vouch.Gate.Storage;
using Vouch.Policy.Publish;

namespace Vouch.Gate.Publish;

/// <summary>A publish held by a rule: kept by the gate, linked to the approval that releases it.</summary>
internal sealed record StagedPublish(long ApprovalId, string Name, string Version, string Publisher, string Rule, string Reason, DateTimeOffset StagedAt, DateTimeOffset ExpiresAt);

/// <summary>
/// Held publishes, kept under <c>&lt;data-dir&gt;/publish/staged</c> (the forwarded document first, then
/// its record, each written atomically: a record exists only with its document) and tied to an
/// approval request by the publisher's token. A poller forwards a publish once its approval is
/// granted (four eyes: the approvals machinery refuses a grant by the requesting token), drops it when
/// denied, and denies and drops it when it expires; each is an audit row.
/// </summary>
internal sealed class StagedPublishes(GatePublishOptions options, GateOptions gate, GateStore store, TimeProvider time) : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly string _dir = Path.Combine(gate.DataDirectory, "publish", "staged");
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private Task? _poller;
    private OrgRegistry? _registry;

    public void Start(OrgRegistry registry)
    {
        _registry = registry;
        Directory.CreateDirectory(_dir);
        _poller = Task.Run(PollAsync, CancellationToken.None);
    }

    public IReadOnlyList<StagedPublish> List()
    {
        if (!Directory.Exists(_dir))
        {
            return [];
        }

        var result = new List<StagedPublish>();
        foreach (var file in Directory.EnumerateFiles(_dir, "*.json"))
        {
            try
            {
                if (JsonSerializer.Deserialize<StagedPublish>(File.ReadAllBytes(file), Json) is { } s)
                {
                    result.Add(s);
                }
            }
            catch (Exception e) when (e is IOException or JsonException)
            {
                // Removed by the poller meanwhile, or not ours: skip.
            }
        }

        return result.OrderBy(s => s.ApprovalId).ToList();
    }

    public StagedPublish? Find(string name, string version) => List().FirstOrDefault(s => s.Name == name && s.Version == version);

    public async Task<StagedPublish> StageAsync(PublishRequest request, GateToken token, IReadOnlyList<PublishFinding> held, byte[] document, CancellationToken ct)
    {
        var reason = string.Join("; ", held.Select(h => $"{h.Rule}: {h.Message}"));
        if (reason.Length > 1900)
        {
            reason = reason[..1900] + "...";
        }

        var approval = await store.RequestAsync(request.Name, request.Version.ToString(), held[0].Rule, token.Name, "staged publish: " + reason, ct).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var staged = new StagedPublish(approval.Id, request.Name, request.Version.ToString(), token.Name, held[0].Rule, reason, now, now + options.StageTtl);
        AtomicFile.Write(BodyPath(approval.Id), document);
        AtomicFile.Write(RecordPath(approval.Id), JsonSerializer.SerializeToUtf8Bytes(staged, Json));
        return staged;
    }

    /// <summary>One pass: forward granted, drop denied, deny and drop expired. Runs on the poll interval and after approvals change.</summary>
    public async Task ProcessAsync(CancellationToken ct)
    {
        if (_registry is null)
        {
            return;
        }

        await _lock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var staged = List();
            if (staged.Count == 0)
            {
                return;
            }

            var approvals = (await store.ListApprovalsAsync(null, ct).ConfigureAwait(false)).ToDictionary(a => a.Id);
            foreach (var s in staged)
            {
                approvals.TryGetValue(s.ApprovalId, out var a);
                switch (a?.Status)
                {
                    case "granted":
                        await ForwardAsync(s, a, ct).ConfigureAwait(false);
                        break;
                    case "denied":
                        await DropAsync(s, a.DecidedBy ?? "gate", "publish-dropped", $"approval #{s.ApprovalId} denied: {a.DecisionReason}", ct).ConfigureAwait(false);
                        break;
                    case null:
                        await DropAsync(s, "gate", "publish-dropped", $"approval #{s.ApprovalId} no longer exists", ct).ConfigureAwait(false);
                        break;
                    default:
                        if (time.GetUtcNow() >= s.ExpiresAt)
                        {
                            await store.DecideAsync(s.ApprovalId, grant: false, "gate", "staged publish expired", null, ct: ct).ConfigureAwait(false);
                            await DropAsync(s, "gate", "publish-expired", $"not granted before {s.ExpiresAt.ToString("u", CultureInfo.InvariantCulture)}", ct).ConfigureAwait(false);
                        }

                        break;
                }
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task ForwardAsync(StagedPublish s, ApprovalRecord a, CancellationToken ct)
    {
        byte[] body;
        try
        {
            body = await File.ReadAllBytesAsync(BodyPath(s.ApprovalId), ct).ConfigureAwait(false);
        }
        catch (IOException)
        {
            await DropAsync(s, "gate", "publish-dropped", "the staged document is missing", ct).ConfigureAwait(false);
            return;
        }

        var (status, error) = await _registry!.PutAsync(s.Name, body, ct).ConfigureAwait(false);
        if (status is >= 200 and < 300)
        {
            await DropAsync(s, a.DecidedBy ?? "gate", "published", $"staged publish granted by {a.DecidedBy} (approval #{s.ApprovalId}), forwarded to {_registry.Target}", ct).ConfigureAwait(false);
        }
        else if (status is >= 400 and < 500)
        {
            // The registry will not take it (e.g. the version appeared meanwhile): retrying cannot help.
            await DropAsync(s, "gate", "publish-failed", $"the organisation's registry refused the granted publish: {status} {error}", ct).ConfigureAwait(false);
        }

        // 5xx or unreachable: kept, tried again on the next pass.
    }

    private async Task DropAsync(StagedPublish s, string actor, string action, string reason, CancellationToken ct)
    {
        await store.AppendAuditAsync(actor, action, s.Name, s.Version, s.Rule, reason, ct).ConfigureAwait(false);

        // The record first: without it the document is an orphan, never forwarded.
        File.Delete(RecordPath(s.ApprovalId));
        File.Delete(BodyPath(s.ApprovalId));
    }

    private string RecordPath(long id) => Path.Combine(_dir, id.ToString(CultureInfo.InvariantCulture) + ".json");

    private string BodyPath(long id) => Path.Combine(_dir, id.ToString(CultureInfo.InvariantCulture) + ".body");

    private async Task PollAsync()
    {
        using var timer = new PeriodicTimer(gate.ApprovalsPollInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                try
                {
                    await ProcessAsync(_stopping.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The database or the registry is briefly unavailable: try again next tick.
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_poller is not null)
        {
            await _poller.ConfigureAwait(false);
        }

        _stopping.Dispose();
        _lock.Dispose();
    }
}
