using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Vouch.Gate.Storage;
using Vouch.Reviews;
using Vouch.Reviews.Signed;

namespace Vouch.Gate.Api;

/// <summary>
/// Issue 17: <c>/-/vouch/v1/reviews</c>. A posted review is untrusted bytes until it verified: the
/// version must exist upstream and its tarball verify, and the bundle must be a signed review of that
/// tarball's sha512 by a reviewer the policy's web of trust accepts. Only then is it stored (append-only,
/// audit-logged) and counted by the <c>reviews</c> rule.
/// </summary>
internal sealed partial class AdminApi
{
    private static object Review(ReviewRecord r, bool withBundle) => new
    {
        id = r.Id,
        name = r.Name,
        version = r.Version,
        sha512 = r.Sha512,
        reviewer = r.Reviewer,
        criteria = r.Criteria,
        deltaFrom = r.DeltaFrom,
        digest = "sha256:" + r.Digest,
        submittedBy = r.SubmittedBy,
        submittedAt = r.SubmittedAt,
        bundle = withBundle ? BundleElement(r.Bundle) : null,
    };

    /// <summary>The stored bundle as JSON (it verified before it was stored, so it parses).</summary>
    private static JsonElement? BundleElement(string bundle)
    {
        using var doc = Vouch.Common.Json.JsonInput.Parse(bundle, 64);
        return doc.RootElement.Clone();
    }

    private async Task ListReviewsAsync(HttpContext ctx, GateToken token)
    {
        var name = ctx.Request.Query["name"].ToString();
        var version = ctx.Request.Query["version"].ToString();
        var errors = new List<string>();
        if (name.Length > 0 && !GatePath.ValidName(name))
        {
            errors.Add("name: not a valid package name");
        }

        if (version.Length > 0 && (name.Length == 0 || Approvals.ApprovalInput.CheckVersion(version) is not null))
        {
            errors.Add(name.Length == 0 ? "version: only with name" : Approvals.ApprovalInput.CheckVersion(version)!);
        }

        var limit = 1000;
        if (ctx.Request.Query["limit"].ToString() is { Length: > 0 } l && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > 10_000))
        {
            errors.Add("limit: 1 to 10000");
        }

        if (errors.Count > 0)
        {
            await GateJson.ErrorAsync(ctx, 400, GateCodes.BadRequest, string.Join("; ", errors)).ConfigureAwait(false);
            return;
        }

        var list = await Gate.Store.ListReviewsAsync(name.Length == 0 ? null : name, version.Length == 0 ? null : version, limit, ctx.RequestAborted).ConfigureAwait(false);
        await GateJson.WriteAsync(ctx, 200, new { reviews = list.Select(r => Review(r, withBundle: false)) }).ConfigureAwait(false);
    }

    private async Task GetReviewAsync(HttpContext ctx, GateToken token)
    {
        if (!long.TryParse(ctx.Request.RouteValues["id"] as string, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            await GateJson.ErrorAsync(ctx, 400, GateCodes.BadRequest, "the review id must be a number").ConfigureAwait(false);
            return;
        }

        if (await Gate.Store.GetReviewAsync(id, ctx.RequestAborted).ConfigureAwait(false) is not { } review)
        {
            await GateJson.ErrorAsync(ctx, 404, GateCodes.NotFound, $"no review {id}").ConfigureAwait(false);
            return;
        }

        await GateJson.WriteAsync(ctx, 200, Review(review, withBundle: true)).ConfigureAwait(false);
    }

    /// <summary>The body is the review's Sigstore bundle as `vouch review certify --sign` writes it.</summary>
    private async Task PostReviewAsync(HttpContext ctx, GateToken token)
    {
        if (reviews.Verifier is not { } verifier)
        {
            await GateJson.ErrorAsync(ctx, 409, GateCodes.ReviewsDisabled, "the gate's policy has no reviews rule: there is no web of trust to verify a review against").ConfigureAwait(false);
            return;
        }

        var body = await RequestBody.ReadAsync(ctx, Math.Min(_options.MaxRequestBodyBytes, Limits.MaxReviewBodyBytes)).ConfigureAwait(false);
        if (body is null)
        {
            return;
        }

        // Structure first: the claimed subject only picks the version to verify against; it is trusted after verification.
        if (!System.Text.Unicode.Utf8.IsValid(body) || ReviewCheck.ClaimedSubject(body) is not { } claimed)
        {
            await GateJson.ErrorAsync(ctx, 400, GateCodes.BadBody, "the body must be a Sigstore bundle (JSON) whose DSSE payload is a review statement naming predicate.package.name and .version (docs/reviews.md)").ConfigureAwait(false);
            return;
        }

        var (name, version) = claimed;
        if (!GatePath.ValidName(name) || Approvals.ApprovalInput.CheckVersion(version) is not null)
        {
            await GateJson.ErrorAsync(ctx, 400, GateCodes.BadRequest, "the review names no valid package name and exact version").ConfigureAwait(false);
            return;
        }

        var verified = await Gate.VerifyAsync(name, version, ctx.RequestAborted).ConfigureAwait(false);
        if (verified.Status != TarballStatus.Ok)
        {
            await NpmRoutes.TarballErrorAsync(ctx, verified).ConfigureAwait(false);
            return;
        }

        var packument = await Gate.GetPackumentAsync(name).ConfigureAwait(false);
        var integrity = packument.Entry?.Filtered.Upstream.Versions.TryGetValue(version, out var pv) == true ? pv.Dist.Integrity : null;
        if (verified.Report?.Integrity.Status != "verified" || ReviewStatement.Sha512Of(integrity) is not { } sha512)
        {
            await GateJson.ErrorAsync(ctx, 422, ReviewCodes.SubjectMismatch, $"{name}@{version} has no verified sha512 integrity to bind a review to").ConfigureAwait(false);
            return;
        }

        var result = verifier.Verify(body, name, version, sha512);
        if (!result.IsValid)
        {
            await GateJson.ErrorAsync(ctx, 422, result.Code!, $"the review of {name}@{version} was not stored: {result.Message}").ConfigureAwait(false);
            return;
        }

        var review = result.Review!;
        var (stored, added) = await Gate.Store.AddReviewAsync(name, version, Convert.ToHexStringLower(sha512), review.ReviewerId, review.Predicate.Criteria, review.Predicate.DeltaFrom,
            System.Text.Encoding.UTF8.GetString(body), token.Name, ctx.RequestAborted).ConfigureAwait(false);
        if (added)
        {
            reviews.Add(stored);

            // A release decision made before this review may now change.
            Gate.Decisions.Invalidate();
        }

        await GateJson.WriteAsync(ctx, added ? 201 : 200, Review(stored, withBundle: false)).ConfigureAwait(false);
    }

    /// <summary>Why approval <paramref name="id"/> may not be granted yet (no stored review of its version), or null.</summary>
    private async Task<string?> MissingReviewAsync(long id, CancellationToken ct)
    {
        var approval = (await Gate.Store.ListApprovalsAsync(null, ct).ConfigureAwait(false)).FirstOrDefault(a => a.Id == id);
        if (approval is null || approval.Status != "pending")
        {
            return null; // the decision itself answers 404 or 409
        }

        var stored = await Gate.Store.ListReviewsAsync(approval.Name, approval.Version, 1, ct).ConfigureAwait(false);
        return stored.Count > 0 ? null : $"approval {id} of {approval.Name}@{approval.Version} needs a verified review of that version first (POST /-/vouch/v1/reviews)";
    }
}
