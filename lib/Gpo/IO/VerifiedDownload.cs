using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Gpo.IO;

/// <summary>What one <see cref="VerifiedDownload.Get"/> delivered.</summary>
/// <param name="Url">The address the body came from (after redirects).</param>
/// <param name="Length">Bytes written.</param>
/// <param name="DeclaredDigest">
/// The digest the server declared (lowercase hex) or null: an <c>X-Linked-Etag</c> from any hop, else the first
/// <c>ETag</c> along the redirect chain that has the form of a SHA-1 or SHA-256 (an S3-style MD5 ETag does not).
/// </param>
public sealed record DownloadResult(Uri Url, long Length, string? DeclaredDigest);

/// <summary>
/// The one HTTP download loop of gpo (models and data): GET with manual redirects (at most
/// <see cref="MaxRedirects"/>, http/https only), a size cap checked against <c>Content-Length</c> and while
/// reading, a stall timeout per read and an overall deadline, and a body that must be complete. Every failure is a
/// <see cref="DownloadException"/> naming the address. Callers download into a staging folder
/// (<see cref="Stage"/>) and check digests (<see cref="Sha256Of"/>, <see cref="GitBlobSha1Of"/>) before anything is
/// moved into place.
/// </summary>
public static class VerifiedDownload
{
    /// <summary>Redirects followed per download.</summary>
    public const int MaxRedirects = 5;

    /// <summary>An <see cref="HttpClient"/> that leaves redirects to <see cref="Get"/> and timeouts to its deadline.</summary>
    public static HttpClient CreateClient(HttpMessageHandler? handler = null) =>
        new(handler ?? new SocketsHttpHandler { AllowAutoRedirect = false }, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>
    /// GETs <paramref name="url"/> into <paramref name="path"/> (created or overwritten).
    /// </summary>
    /// <param name="http">Client from <see cref="CreateClient"/> (automatic redirects off).</param>
    /// <param name="url">Address.</param>
    /// <param name="path">Output file; on failure it may hold a partial body, so it must live in a staging folder.</param>
    /// <param name="maxBytes">Refuse bodies larger than this (announced or received).</param>
    /// <param name="expectedLength">When known: a different <c>Content-Length</c> or received length is an error.</param>
    /// <param name="timeout">Deadline for the whole download (headers and body).</param>
    /// <param name="stallTimeout">Longest wait for the response headers or for the next bytes of the body.</param>
    /// <param name="progress">Called after each chunk with (bytes so far, announced length or null).</param>
    /// <param name="cancellation">Stops the download (<see cref="OperationCanceledException"/>).</param>
    public static DownloadResult Get(HttpClient http, Uri url, string path, long maxBytes, long? expectedLength = null, TimeSpan? timeout = null,
        TimeSpan? stallTimeout = null, Action<long, long?>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(url);
        using var timer = new DownloadTimer(timeout ?? TimeSpan.FromMinutes(30), stallTimeout ?? TimeSpan.FromSeconds(60), cancellation);
        string? linked = null, firstTag = null;
        var current = url;
        for (var hop = 0; hop <= MaxRedirects; hop++)
        {
            HttpResponseMessage response;
            try { response = http.Send(new HttpRequestMessage(HttpMethod.Get, current), HttpCompletionOption.ResponseHeadersRead, timer.Arm()); }
            catch (OperationCanceledException) when (!cancellation.IsCancellationRequested) { throw timer.TimedOut(current, 0); }
            catch (HttpRequestException e) { throw new DownloadException($"{current}: {e.Message}", e); }
            using (response)
            {
                linked ??= HexDigest(response.Headers.TryGetValues("X-Linked-Etag", out var values) ? values.FirstOrDefault() : null);
                firstTag ??= HexDigest(response.Headers.ETag?.Tag);
                var status = (int)response.StatusCode;
                if (status is >= 300 and < 400 && response.Headers.Location is { } location)
                {
                    current = location.IsAbsoluteUri ? location : new Uri(current, location);
                    if (current.Scheme is not ("http" or "https")) throw new DownloadException($"{url}: redirected to a non-HTTP address {current}");
                    continue;
                }
                if (!response.IsSuccessStatusCode) throw new DownloadException($"{current}: HTTP {status} {response.ReasonPhrase}");
                var announced = response.Content.Headers.ContentLength;
                if (expectedLength is { } expected && announced is { } length && length != expected)
                    throw new DownloadException($"{current}: the server announces {length:N0} bytes, expected {expected:N0}");
                if (announced > maxBytes) throw new DownloadException($"{current}: the server announces {announced:N0} bytes, more than the download limit of {maxBytes:N0}");
                var received = ReadBody(response, current, path, maxBytes, announced, timer, progress, cancellation);
                if (announced is { } total && received != total)
                    throw new DownloadException($"{current}: the body ended after {received:N0} of {total:N0} bytes");
                if (expectedLength is { } wanted && received != wanted)
                    throw new DownloadException($"{current}: received {received:N0} bytes, expected {wanted:N0}");
                return new DownloadResult(current, received, linked ?? firstTag);
            }
        }
        throw new DownloadException($"{url}: more than {MaxRedirects} redirects");
    }

    private static long ReadBody(HttpResponseMessage response, Uri url, string path, long maxBytes, long? announced, DownloadTimer timer,
        Action<long, long?>? progress, CancellationToken cancellation)
    {
        long received = 0;
        var of = announced is { } total ? $" of {total:N0}" : "";
        using var body = Receive(() => response.Content.ReadAsStream(timer.Arm()));
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        var buffer = new byte[1 << 16];
        while (true)
        {
            int read = Receive(() => body.ReadAsync(buffer, timer.Arm()).AsTask().GetAwaiter().GetResult());
            if (read == 0) break;
            received += read;
            if (received > maxBytes) throw new DownloadException($"{url}: the body exceeds the download limit of {maxBytes:N0} bytes");
            file.Write(buffer, 0, read);
            progress?.Invoke(received, announced);
        }
        file.Flush(flushToDisk: true);
        return received;

        // Network failures and timeouts while receiving become one DownloadException naming the address and the bytes so far.
        T Receive<T>(Func<T> step)
        {
            try { return step(); }
            catch (OperationCanceledException) when (!cancellation.IsCancellationRequested) { throw timer.TimedOut(url, received); }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                throw new DownloadException($"{url}: the body broke off after {received:N0}{of} bytes ({e.Message})", e);
            }
        }
    }

    /// <summary>One cancellation timer for a download: re-armed before each wait, it fires after the stall timeout or at the deadline, whichever comes first.</summary>
    private sealed class DownloadTimer(TimeSpan deadline, TimeSpan stall, CancellationToken cancellation) : IDisposable
    {
        private readonly CancellationTokenSource source = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private readonly TimeSpan deadline = deadline == Timeout.InfiniteTimeSpan ? TimeSpan.MaxValue : deadline;
        private bool deadlineArmed;

        /// <summary>Restarts the timer for the next wait; returns its token.</summary>
        public CancellationToken Arm()
        {
            var left = deadline - clock.Elapsed;
            deadlineArmed = left <= stall;
            source.CancelAfter(deadlineArmed ? (left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1)) : stall);
            return source.Token;
        }

        /// <summary>The error for a wait the timer ended.</summary>
        public DownloadException TimedOut(Uri url, long received) => deadlineArmed
            ? new DownloadException($"{url}: did not finish within {deadline.TotalSeconds:0.#} s ({received:N0} bytes received)")
            : new DownloadException($"{url}: no data for {stall.TotalSeconds:0.#} s after {received:N0} bytes; giving up");

        public void Dispose() => source.Dispose();
    }

    /// <summary>An ETag-style value without quotes or weak prefix, lowercased; null unless it is 40 or 64 hex digits.</summary>
    private static string? HexDigest(string? value)
    {
        if (value is null) return null;
        value = value.Trim();
        if (value.StartsWith("W/", StringComparison.Ordinal)) value = value[2..];
        value = value.Trim('"').ToLowerInvariant();
        return value.Length is 40 or 64 && value.All(Uri.IsHexDigit) ? value : null;
    }

    /// <summary>
    /// Creates a staging folder inside <paramref name="destination"/> (same file system, so the final renames are
    /// atomic), lets <paramref name="fill"/> put the checked files there under their relative
    /// <paramref name="names"/>, then renames each into place (creating subfolders). The staging folder is removed
    /// whatever happens; when <paramref name="fill"/> throws, nothing is moved. Staging folders of killed runs
    /// (<see cref="RemoveStaleStaging"/>) are removed first. Returns the placed paths.
    /// </summary>
    public static IReadOnlyList<string> Stage(string destination, IEnumerable<string> names, Action<string> fill)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(fill);
        var root = Path.GetFullPath(destination);
        Directory.CreateDirectory(root);
        RemoveStaleStaging(root);
        var staging = Path.Combine(root, $"{StagingPrefix}{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            fill(staging);
            var placed = new List<string>();
            foreach (var name in names)
            {
                var target = Path.Combine(root, name);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Move(Path.Combine(staging, name), target, overwrite: true);
                placed.Add(target);
            }
            return placed;
        }
        finally { Directory.Delete(staging, recursive: true); }
    }

    /// <summary>Name prefix of <see cref="Stage"/>'s staging folders: <c>.fetch-{pid}-{guid}</c>.</summary>
    public const string StagingPrefix = ".fetch-";

    /// <summary>
    /// Removes staging folders under <paramref name="destination"/> left by a process that no longer runs (killed
    /// mid-download); returns how many were removed.
    /// </summary>
    public static int RemoveStaleStaging(string destination)
    {
        if (!Directory.Exists(destination)) return 0;
        int removed = 0;
        foreach (var folder in Directory.GetDirectories(destination, StagingPrefix + "*"))
        {
            var name = Path.GetFileName(folder)[StagingPrefix.Length..];
            var dash = name.IndexOf('-', StringComparison.Ordinal);
            if (dash <= 0 || !int.TryParse(name[..dash], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid)) continue;
            if (pid == Environment.ProcessId || IsRunning(pid)) continue;
            try { Directory.Delete(folder, recursive: true); removed++; }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return removed;
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    /// <summary>SHA-256 of a file, lowercase hex.</summary>
    public static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Git's blob id: SHA-1 of <c>"blob {length}\0"</c> followed by the content, lowercase hex.</summary>
    public static string GitBlobSha1Of(string path)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        hash.AppendData(Encoding.ASCII.GetBytes($"blob {new FileInfo(path).Length}\0"));
        using var stream = File.OpenRead(path);
        var buffer = new byte[1 << 16];
        int read;
        while ((read = stream.Read(buffer)) > 0) hash.AppendData(buffer, 0, read);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}

/// <summary>A download failed, was refused (size, redirects) or did not pass its checks; the message names the address or file.</summary>
public sealed class DownloadException : IOException
{
    public DownloadException() { }
    public DownloadException(string message) : base(message) { }
    public DownloadException(string message, Exception inner) : base(message, inner) { }
}
