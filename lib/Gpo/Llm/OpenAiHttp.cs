using System.Globalization;
using System.Net.Http.Headers;

namespace Gpo.Llm;

/// <summary>How an <see cref="OpenAiHttp"/> connection waits, retries and authenticates.</summary>
public sealed record OpenAiHttpSettings
{
    /// <summary>Name of the environment variable holding the API key (sent as <c>Authorization: Bearer</c>); unset or empty: no key.</summary>
    public string? ApiKeyVariable { get; init; }

    /// <summary>Time limit of one request.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Further attempts after a failed one (429, 5xx, timeout, connection error); other errors are not retried.</summary>
    public int MaxRetries { get; init; } = 5;

    /// <summary>Wait before the first retry; doubles with each further one, up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait between attempts, also the cap on a server's Retry-After.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// The HTTP plumbing every OpenAI-compatible client of the project shares (embeddings, completions, chat):
/// endpoint URLs under <c>{base}/v1/</c>, a JSON POST under a per-attempt deadline, an optional bearer key
/// from an environment variable, and retries of rate limits (429), server errors (5xx), time-outs and
/// dropped connections with exponential back-off (a Retry-After header is honoured, capped). Other HTTP
/// errors fail at once. Failures are raised through the caller's exception factory, so each client keeps
/// its own exception type.
/// </summary>
public sealed class OpenAiHttp : IDisposable
{
    private readonly HttpClient http;
    private readonly string? apiKey;
    private readonly Func<string, Exception?, Exception> fail;

    /// <param name="baseUrl">Server root, e.g. <c>http://127.0.0.1:8080</c> (a trailing <c>/v1</c> is accepted).</param>
    /// <param name="settings">Retry, time-out and key settings.</param>
    /// <param name="fail">Makes the exception for a failure message (and its cause, when there is one).</param>
    /// <param name="handler">Transport override (tests); default a fresh <see cref="SocketsHttpHandler"/>.</param>
    /// <param name="delay">How to wait between attempts (tests substitute a recorder); default <see cref="Thread.Sleep(TimeSpan)"/>.</param>
    public OpenAiHttp(Uri baseUrl, OpenAiHttpSettings settings, Func<string, Exception?, Exception> fail, HttpMessageHandler? handler = null, Action<TimeSpan>? delay = null)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(fail);
        ArgumentOutOfRangeException.ThrowIfNegative(settings.MaxRetries);
        if (baseUrl.Scheme is not ("http" or "https")) throw new ArgumentException($"server URL '{baseUrl}' is not http(s)", nameof(baseUrl));
        Settings = settings;
        this.fail = fail;
        var root = baseUrl.AbsoluteUri.TrimEnd('/');
        ApiRoot = root.EndsWith("/v1", StringComparison.Ordinal) ? root : root + "/v1";
        http = new HttpClient(handler ?? new SocketsHttpHandler(), disposeHandler: true) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        apiKey = string.IsNullOrEmpty(settings.ApiKeyVariable) ? null : Environment.GetEnvironmentVariable(settings.ApiKeyVariable);
        if (string.IsNullOrEmpty(apiKey)) apiKey = null;
        Delay = delay ?? Thread.Sleep;
    }

    /// <summary>The settings this connection was made with.</summary>
    public OpenAiHttpSettings Settings { get; }

    /// <summary>The API root, <c>{base}/v1</c>.</summary>
    public string ApiRoot { get; }

    private Action<TimeSpan> Delay { get; }

    /// <summary>The URL of an API path, e.g. <c>Endpoint("embeddings")</c> = <c>{base}/v1/embeddings</c>.</summary>
    public Uri Endpoint(string path) => new(ApiRoot + "/" + path.TrimStart('/'));

    /// <summary>Posts a JSON body, retrying what may pass on a later attempt; returns the body of the first successful (2xx) answer.</summary>
    public string PostJson(Uri endpoint, byte[] body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(body);
        for (var attempt = 0; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string failure;
            TimeSpan? retryAfter = null;
            try
            {
                // Asynchronous send under a per-attempt deadline: the synchronous Send does not reliably
                // abandon a request whose answer is late.
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                deadline.CancelAfter(Settings.Timeout);
                using var message = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new ByteArrayContent(body) };
                message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                if (apiKey is not null) message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
                using var response = http.SendAsync(message, HttpCompletionOption.ResponseContentRead, deadline.Token).GetAwaiter().GetResult();
                var text = response.Content.ReadAsStringAsync(deadline.Token).GetAwaiter().GetResult();
                if (response.IsSuccessStatusCode) return text;
                var status = (int)response.StatusCode;
                failure = $"HTTP {status} {response.ReasonPhrase}: {Excerpt(text)}";
                if (status != 429 && status < 500) throw fail($"{endpoint}: {failure} (not retried)", null);
                retryAfter = RetryAfter(response);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                failure = $"no answer within {Settings.Timeout.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s";
            }
            catch (HttpRequestException e)
            {
                failure = $"connection failed: {e.Message}";
            }
            if (attempt >= Settings.MaxRetries)
                throw fail($"{endpoint}: gave up after {attempt + 1} attempts; last: {failure}", null);
            var backoff = Settings.InitialBackoff * Math.Pow(2, attempt);
            var wait = retryAfter ?? backoff;
            Delay(wait > Settings.MaxBackoff ? Settings.MaxBackoff : wait);
        }
    }

    /// <summary>The Retry-After header as a wait: delta-seconds or an HTTP date; null when absent.</summary>
    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        if (header?.Date is { } date)
        {
            var wait = date - DateTimeOffset.UtcNow;
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }
        return null;
    }

    /// <summary>The first 300 characters of a response, for error messages.</summary>
    public static string Excerpt(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Length <= 300 ? text : string.Create(CultureInfo.InvariantCulture, $"{text[..300]}… ({text.Length} characters)");
    }

    public void Dispose() => http.Dispose();
}
