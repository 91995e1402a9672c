using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;

namespace Vouch.Npm;

/// <summary>
/// Talks to an npm registry: packuments (full and abbreviated), tarballs, signing keys and
/// attestations. Requests prefer HTTP/2, accept gzip/brotli, run at most
/// <see cref="RegistryClientOptions.MaxConcurrency"/> at a time, retry 408/429/5xx, timeouts and
/// connection failures with exponential backoff and jitter (honouring Retry-After), revalidate the
/// on-disk cache with ETag/Last-Modified, and refuse bodies over the configured caps. Credentials
/// come from <see cref="NpmConfig"/> and are attached per request URL, redirects included, so a
/// token only ever goes to the host and path it was configured for.
/// </summary>
public sealed class RegistryClient : IDisposable
{
    public const string AbbreviatedAccept = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*";
    private const string JsonAccept = "application/json";

    private readonly HttpClient _http;
    private readonly NpmConfig _config;
    private readonly RegistryClientOptions _options;
    private readonly TimeProvider _time;
    private readonly HttpCache? _cache;
    private readonly SemaphoreSlim _gate;
    private readonly RegistryCircuitBreaker _breaker;

    /// <param name="handler">The HTTP stack; <see cref="CreateDefaultHandler"/> gives the production one.</param>
    /// <param name="config">Registries and credentials.</param>
    /// <param name="cacheDirectory">Where responses are cached; null disables the cache (and makes offline mode always miss).</param>
    /// <param name="timeProvider">Clock and timers for backoff, Retry-After and timeouts.</param>
    /// <param name="options">Limits and retry behaviour; defaults when null.</param>
    /// <param name="disposeHandler">Whether disposing the client disposes <paramref name="handler"/>.</param>
    public RegistryClient(HttpMessageHandler handler, NpmConfig config, string? cacheDirectory, TimeProvider timeProvider, RegistryClientOptions? options = null, bool disposeHandler = false)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _options = options ?? new RegistryClientOptions();
        _options.Validate();
        _config = config;
        _time = timeProvider;
        _cache = cacheDirectory is null ? null : new HttpCache(cacheDirectory);
        _gate = new SemaphoreSlim(_options.MaxConcurrency, _options.MaxConcurrency);
        _breaker = new RegistryCircuitBreaker(_options.CircuitBreakerThreshold, _options.CircuitBreakerOpenFor, timeProvider);
        // Timeouts are per attempt and driven by the TimeProvider, not by HttpClient.
        _http = new HttpClient(handler, disposeHandler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public NpmConfig Config => _config;

    public RegistryClientOptions Options => _options;

    /// <summary>
    /// The production HTTP stack: HTTP/2 capable, gzip/brotli/deflate decompression, and no automatic
    /// redirects (the client follows them itself to decide credentials per hop).
    /// </summary>
    public static HttpMessageHandler CreateDefaultHandler() => new SocketsHttpHandler
    {
        AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Brotli | DecompressionMethods.Deflate,
        AllowAutoRedirect = false,
        ConnectTimeout = TimeSpan.FromSeconds(15),
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        EnableMultipleHttp2Connections = true,
    };

    /// <summary>The package document of <paramref name="packageName"/> from the registry that serves it.</summary>
    public async Task<RegistryResult<Packument>> GetPackumentAsync(string packageName, PackumentFormat format = PackumentFormat.Full, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(packageName);
        if (!PackageName.Validate(packageName).ValidForOldPackages)
        {
            throw new ArgumentException($"'{packageName}' is not a valid package name", nameof(packageName));
        }

        var url = new Uri(_config.GetRegistryFor(packageName), PackageName.Escape(packageName));
        var abbreviated = format == PackumentFormat.Abbreviated;
        var outcome = await FetchAsync(url, abbreviated ? AbbreviatedAccept : JsonAccept, abbreviated ? "packument-abbreviated" : "packument", _options.MaxPackumentBytes, hash: false, cancellationToken).ConfigureAwait(false);
        return Convert(outcome, body => Packument.Parse(body, packageName, abbreviated));
    }

    /// <summary>Downloads a tarball (streamed under the size cap, hashed while read).</summary>
    public async Task<RegistryResult<DownloadedTarball>> GetTarballAsync(Uri tarballUrl, CancellationToken cancellationToken = default)
    {
        CheckUrl(tarballUrl);
        var outcome = await FetchAsync(tarballUrl, "*/*", "tarball", _options.MaxTarballBytes, hash: true, cancellationToken).ConfigureAwait(false);
        return Convert(outcome, body => new DownloadedTarball(body, outcome.Hashes ?? TarballHashes.Compute(body)));
    }

    /// <summary><c>GET /-/npm/v1/keys</c> of <paramref name="registry"/> (default: the configured registry). 404 means the registry publishes no keys.</summary>
    public async Task<RegistryResult<RegistryKeySet>> GetRegistryKeysAsync(Uri? registry = null, CancellationToken cancellationToken = default)
    {
        var baseUrl = _config.Registry;
        if (registry is not null && !NpmConfig.TryParseRegistryUrl(registry.OriginalString, out baseUrl, out var error))
        {
            throw new ArgumentException(error, nameof(registry));
        }

        // The registry URL ends with '/', so a registry under a path keeps it ("/npm/-/npm/v1/keys").
        var url = new Uri(baseUrl, "-/npm/v1/keys");
        var outcome = await FetchAsync(url, JsonAccept, "keys", _options.MaxKeysBytes, hash: false, cancellationToken).ConfigureAwait(false);
        return Convert(outcome, body => RegistryKeySet.Parse(body));
    }

    /// <summary>The attestations at <c>dist.attestations.url</c>. 404 means there are none (<see cref="RegistryStatus.NotFound"/>).</summary>
    public async Task<RegistryResult<NpmAttestationSet>> GetAttestationsAsync(Uri attestationsUrl, CancellationToken cancellationToken = default)
    {
        CheckUrl(attestationsUrl);
        var outcome = await FetchAsync(attestationsUrl, JsonAccept, "attestations", _options.MaxAttestationsBytes, hash: false, cancellationToken).ConfigureAwait(false);
        return Convert(outcome, body => NpmAttestationSet.Parse(body));
    }

    /// <summary>
    /// A JSON document at <paramref name="relativeUrl"/> under the configured registry (e.g.
    /// <c>_changes?since=42</c>), with the same credentials, redirects, retries and caps as every
    /// request, and never cached (it is a feed, not a document). The body is returned unparsed.
    /// </summary>
    public async Task<RegistryResult<byte[]>> GetRegistryDocumentAsync(string relativeUrl, long maxBytes, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(relativeUrl);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1);
        var url = new Uri(_config.Registry, relativeUrl);
        if (!url.AbsoluteUri.StartsWith(_config.Registry.AbsoluteUri, StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{relativeUrl}' leaves the registry", nameof(relativeUrl));
        }

        var outcome = await FetchAsync(url, JsonAccept, "registry-document", maxBytes, hash: false, cancellationToken, useCache: false).ConfigureAwait(false);
        return outcome.Status == RegistryStatus.Ok
            ? new RegistryResult<byte[]> { Status = RegistryStatus.Ok, Value = outcome.Body, Url = url, HttpStatus = outcome.HttpStatus }
            : new RegistryResult<byte[]> { Status = outcome.Status, Url = url, Error = outcome.Error, HttpStatus = outcome.HttpStatus };
    }

    public void Dispose()
    {
        _http.Dispose();
        _gate.Dispose();
    }

    private static void CheckUrl(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException($"'{url}' is not an absolute http(s) URL", nameof(url));
        }
    }

    private RegistryResult<T> Convert<T>(FetchOutcome outcome, Func<byte[], T> parse)
        where T : class
    {
        if (outcome.Status != RegistryStatus.Ok)
        {
            return new RegistryResult<T> { Status = outcome.Status, Url = outcome.Url, Error = outcome.Error, HttpStatus = outcome.HttpStatus, FromCache = outcome.FromCache };
        }

        T value;
        try
        {
            value = parse(outcome.Body!);
        }
        catch (NpmDocumentException e)
        {
            return new RegistryResult<T> { Status = RegistryStatus.InvalidResponse, Url = outcome.Url, Error = e.Message, HttpStatus = outcome.HttpStatus, FromCache = outcome.FromCache };
        }

        // Only documents that parsed are cached, so a bad answer cannot stick.
        if (!outcome.FromCache && _cache is not null)
        {
            _cache.Write(outcome.CacheKey, outcome.Url, outcome.ETag, outcome.LastModified, outcome.Body!, _time.GetUtcNow());
        }

        return new RegistryResult<T> { Status = RegistryStatus.Ok, Value = value, Url = outcome.Url, HttpStatus = outcome.HttpStatus, FromCache = outcome.FromCache, ConfirmedAt = outcome.ConfirmedAt ?? _time.GetUtcNow() };
    }

    private sealed record FetchOutcome(RegistryStatus Status, Uri Url, string CacheKey)
    {
        public byte[]? Body { get; init; }

        public TarballHashes? Hashes { get; init; }

        public bool FromCache { get; init; }

        public int? HttpStatus { get; init; }

        public string? Error { get; init; }

        public string? ETag { get; init; }

        public string? LastModified { get; init; }

        /// <summary>Set for a cached copy used within its max-age: when the registry last confirmed it.</summary>
        public DateTimeOffset? ConfirmedAt { get; init; }
    }

    private sealed class ResponseTooLargeException(string message) : Exception(message);

    private sealed class RedirectRefusedException(string message) : Exception(message);

    private async Task<FetchOutcome> FetchAsync(Uri url, string accept, string kind, long maxBytes, bool hash, CancellationToken ct, bool useCache = true)
    {
        var key = HttpCache.KeyFor(kind, url);
        var cached = useCache ? _cache?.TryRead(key, url, maxBytes) : null;
        if (_options.Offline)
        {
            return cached is null
                ? new FetchOutcome(RegistryStatus.NotInCache, url, key) { Error = $"offline and {url} is not in the cache" }
                : FromCachedEntry(url, key, cached, hash, httpStatus: null) with { ConfirmedAt = cached.StoredAt };
        }

        if (cached is not null && IsFresh(cached.StoredAt))
        {
            return FromCachedEntry(url, key, cached, hash, httpStatus: null) with { ConfirmedAt = cached.StoredAt };
        }

        for (var attempt = 0; ; attempt++)
        {
            string failure;
            TimeSpan? retryAfter = null;
            int? lastStatus = null;
            await _gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                // Asked after the slot is taken: requests queued behind a failing one see its outcome.
                if (!_breaker.TryEnter(url, out var refusal))
                {
                    return new FetchOutcome(RegistryStatus.NetworkError, url, key) { Error = refusal };
                }

                using var attemptTimeout = new CancellationTokenSource(_options.AttemptTimeout, _time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, attemptTimeout.Token);
                try
                {
                    var (response, finalUrl) = await SendFollowingRedirectsAsync(url, accept, cached, linked.Token).ConfigureAwait(false);
                    using (response)
                    {
                        _breaker.Answered(url);
                        var status = (int)response.StatusCode;
                        lastStatus = status;
                        if (response.StatusCode == HttpStatusCode.NotModified && cached is not null)
                        {
                            if (_options.CacheMaxAge > TimeSpan.Zero)
                            {
                                // The registry confirmed the copy: its max-age starts again from now.
                                _cache!.Touch(key, _time.GetUtcNow());
                            }

                            return FromCachedEntry(url, key, cached, hash, status);
                        }

                        if (response.IsSuccessStatusCode)
                        {
                            var (body, hashes) = await ReadBodyAsync(response, maxBytes, hash, linked.Token).ConfigureAwait(false);
                            return new FetchOutcome(RegistryStatus.Ok, url, key)
                            {
                                Body = body,
                                Hashes = hashes,
                                HttpStatus = status,
                                ETag = response.Headers.ETag?.ToString(),
                                LastModified = response.Content.Headers.TryGetValues("Last-Modified", out var lm) ? lm.FirstOrDefault() : null,
                            };
                        }

                        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone)
                        {
                            return new FetchOutcome(RegistryStatus.NotFound, url, key) { HttpStatus = status, Error = $"{finalUrl} answered HTTP {status}" };
                        }

                        if (!IsRetryable(response.StatusCode))
                        {
                            return new FetchOutcome(RegistryStatus.NetworkError, url, key) { HttpStatus = status, Error = DescribeRefusal(finalUrl, status) };
                        }

                        failure = $"{finalUrl} answered HTTP {status}";
                        retryAfter = RetryAfter(response);
                    }
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    failure = $"{url} timed out after {_options.AttemptTimeout.TotalSeconds:0.#}s";
                }
                catch (HttpRequestException e)
                {
                    failure = $"{url}: {e.Message}";
                    if (RegistryCircuitBreaker.IsConnectionFailure(e) && _breaker.ConnectionFailed(url, e.Message))
                    {
                        return new FetchOutcome(RegistryStatus.NetworkError, url, key)
                        {
                            Error = $"registry {RegistryCircuitBreaker.OriginOf(url)} is unreachable ({e.Message}); stopped asking it after {_options.CircuitBreakerThreshold} connection failures in a row",
                        };
                    }
                }
                catch (ResponseTooLargeException e)
                {
                    return new FetchOutcome(RegistryStatus.InvalidResponse, url, key) { HttpStatus = lastStatus, Error = e.Message };
                }
                catch (RedirectRefusedException e)
                {
                    return new FetchOutcome(RegistryStatus.NetworkError, url, key) { HttpStatus = lastStatus, Error = e.Message };
                }
                catch (InvalidDataException e)
                {
                    return new FetchOutcome(RegistryStatus.InvalidResponse, url, key) { HttpStatus = lastStatus, Error = $"{url}: the response body could not be decoded ({e.Message})" };
                }
                catch (IOException e)
                {
                    // The connection broke while the body was streaming.
                    failure = $"{url}: {e.Message}";
                }
            }
            finally
            {
                _gate.Release();
            }

            if (attempt >= _options.MaxRetries)
            {
                return new FetchOutcome(RegistryStatus.NetworkError, url, key) { HttpStatus = lastStatus, Error = $"{failure} (gave up after {attempt + 1} attempts)" };
            }

            var wait = retryAfter ?? Backoff(attempt);
            if (wait > _options.MaxRetryDelay)
            {
                return new FetchOutcome(RegistryStatus.NetworkError, url, key)
                {
                    HttpStatus = lastStatus,
                    Error = $"{failure}; it asked to retry after {wait.TotalSeconds:0}s, longer than the {_options.MaxRetryDelay.TotalSeconds:0}s we wait",
                };
            }

            await Task.Delay(wait, _time, ct).ConfigureAwait(false);
        }
    }

    private bool IsFresh(DateTimeOffset storedAt)
    {
        if (_options.CacheMaxAge <= TimeSpan.Zero)
        {
            return false;
        }

        var now = _time.GetUtcNow();
        return storedAt <= now && (_options.CacheMaxAge == TimeSpan.MaxValue || now - storedAt < _options.CacheMaxAge);
    }

    private static FetchOutcome FromCachedEntry(Uri url, string key, HttpCache.Entry entry, bool hash, int? httpStatus) =>
        new(RegistryStatus.Ok, url, key)
        {
            Body = entry.Body,
            Hashes = hash ? TarballHashes.Compute(entry.Body) : null,
            FromCache = true,
            HttpStatus = httpStatus,
        };

    private async Task<(HttpResponseMessage Response, Uri FinalUrl)> SendFollowingRedirectsAsync(Uri url, string accept, HttpCache.Entry? cached, CancellationToken ct)
    {
        var current = url;
        for (var hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, current)
            {
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            };
            request.Headers.TryAddWithoutValidation("Accept", accept);
            request.Headers.TryAddWithoutValidation("Accept-Encoding", "gzip, br, deflate");
            request.Headers.TryAddWithoutValidation("User-Agent", _options.UserAgent);
            // Chosen for this hop's URL: a redirect to another host gets that host's credential or none.
            if (_config.GetCredentialFor(current) is { } credential)
            {
                request.Headers.Authorization = credential.ToAuthorizationHeader();
            }

            if (cached is not null && hop == 0)
            {
                if (cached.ETag is not null)
                {
                    request.Headers.TryAddWithoutValidation("If-None-Match", cached.ETag);
                }

                if (cached.LastModified is not null)
                {
                    request.Headers.TryAddWithoutValidation("If-Modified-Since", cached.LastModified);
                }
            }

            var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            if (!IsRedirect(response.StatusCode) || response.Headers.Location is null)
            {
                return (response, current);
            }

            var next = response.Headers.Location.IsAbsoluteUri ? response.Headers.Location : new Uri(current, response.Headers.Location);
            response.Dispose();
            if (hop >= _options.MaxRedirects)
            {
                throw new RedirectRefusedException($"{url}: more than {_options.MaxRedirects} redirects");
            }

            if (next.Scheme is not ("http" or "https") || (current.Scheme == "https" && next.Scheme == "http"))
            {
                // Following https → http would expose the request (and a credential) in clear.
                throw new RedirectRefusedException($"refused redirect from {current} to {next}");
            }

            current = next;
        }
    }

    private async Task<(byte[] Body, TarballHashes? Hashes)> ReadBodyAsync(HttpResponseMessage response, long maxBytes, bool hash, CancellationToken ct)
    {
        var encodings = response.Content.Headers.ContentEncoding.Where(e => !e.Equals("identity", StringComparison.OrdinalIgnoreCase)).ToList();
        var declared = response.Content.Headers.ContentLength;
        if (declared > maxBytes)
        {
            throw new ResponseTooLargeException($"{response.RequestMessage?.RequestUri} is {declared} bytes, over the {maxBytes}-byte limit");
        }

        var raw = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        await using (raw.ConfigureAwait(false))
        {
            // When the handler did not decompress (the header is still there), do it here; the cap
            // then applies to the decoded bytes, which is what stops a decompression bomb.
            var stream = raw;
            for (var i = encodings.Count - 1; i >= 0; i--)
            {
                stream = encodings[i].ToLowerInvariant() switch
                {
                    "gzip" or "x-gzip" => new GZipStream(stream, CompressionMode.Decompress),
                    "br" => new BrotliStream(stream, CompressionMode.Decompress),
                    "deflate" => new ZLibStream(stream, CompressionMode.Decompress),
                    var other => throw new InvalidDataException($"unsupported content-encoding '{other}'"),
                };
            }

            await using (stream.ConfigureAwait(false))
            {
                using var hasher = hash ? new IncrementalTarballHasher() : null;
                var initial = encodings.Count == 0 && declared is > 0 ? (int)Math.Min(declared.Value, 16 * 1024 * 1024) : 64 * 1024;
                using var buffer = new MemoryStream(initial);
                var chunk = new byte[81920];
                long total = 0;
                while (true)
                {
                    var read = await stream.ReadAsync(chunk, ct).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    total += read;
                    if (total > maxBytes)
                    {
                        throw new ResponseTooLargeException($"{response.RequestMessage?.RequestUri} is larger than the {maxBytes}-byte limit");
                    }

                    hasher?.Append(chunk.AsSpan(0, read));
                    buffer.Write(chunk, 0, read);
                }

                // Hand over the buffer itself when it is exactly full, saving a copy of a large tarball.
                var body = buffer.TryGetBuffer(out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
                    ? segment.Array
                    : buffer.ToArray();
                return (body, hasher?.Finish());
            }
        }
    }

    private TimeSpan Backoff(int attempt)
    {
        // Exponential with "equal jitter": half the step is fixed, half random, so clients that
        // failed together do not retry together.
        var step = _options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, attempt);
        var capped = Math.Min(step, _options.MaxRetryDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds((capped / 2) + (Random.Shared.NextDouble() * capped / 2));
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - _time.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }

    private static bool IsRetryable(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    private static bool IsRedirect(HttpStatusCode status) =>
        status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther
            or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    private string DescribeRefusal(Uri url, int status) => status switch
    {
        401 or 403 => $"{url} refused the request (HTTP {status}); " + (_config.GetCredentialFor(url) is { } c
            ? $"the configured {c.Kind} credential for {c.Prefix} was not accepted"
            : "no credential is configured for it in .npmrc"),
        _ => $"{url} answered HTTP {status}",
    };
}
