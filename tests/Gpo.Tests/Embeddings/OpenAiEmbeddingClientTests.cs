using System.Net;
using System.Text.Json.Nodes;
using Gpo.Embeddings;

namespace Gpo.Tests.Embeddings;

/// <summary>The embeddings client against a real HTTP server on 127.0.0.1 that misbehaves on purpose.</summary>
public sealed class OpenAiEmbeddingClientTests : IDisposable
{
    private readonly List<TimeSpan> delays = [];
    private readonly List<IDisposable> owned = [];

    public void Dispose()
    {
        foreach (var item in owned) item.Dispose();
    }

    /// <summary>The server's vectors come from the built-in encoder on the tiny BERT fixture (16-d, no download needed).</summary>
    private static readonly Lazy<BertEncoder> TinyBert = new(() => new BertEncoder(TestData.Fixture("tiny_bert")));

    private static string[] Texts(int count) => Enumerable.Range(0, count).Select(i => $"the man {(i % 2 == 0 ? "eating" : "ride")} food {i}").ToArray();

    private static List<string> Inputs(string body) =>
        JsonNode.Parse(body)!["input"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();

    /// <summary>A correct response for <paramref name="inputs"/> from <paramref name="encoder"/>, entries in reverse order.</summary>
    private static string Answer(ITextEncoder encoder, List<string> inputs, Func<int, float[], float[]>? tamper = null)
    {
        var vectors = encoder.Embed(inputs);
        var d = encoder.Dimension;
        var data = new JsonArray();
        for (var i = inputs.Count - 1; i >= 0; i--)
        {
            var vector = vectors.AsSpan(i * d, d).ToArray();
            if (tamper is not null) vector = tamper(i, vector);
            data.Add(new JsonObject { ["object"] = "embedding", ["index"] = i, ["embedding"] = new JsonArray(vector.Select(v => (JsonNode)v).ToArray()) });
        }
        return new JsonObject { ["object"] = "list", ["model"] = "test", ["data"] = data }.ToJsonString();
    }

    private LoopbackServer Server(Action<int, string, HttpListenerContext> respond)
    {
        var server = new LoopbackServer(respond);
        owned.Add(server);
        return server;
    }

    private OpenAiEmbeddingClient Client(LoopbackServer server, int batchSize = 4, double timeoutSeconds = 10, int maxRetries = 3, string? keyVariable = null, int? dimension = null)
    {
        var client = new OpenAiEmbeddingClient(new EmbeddingServerOptions(server.BaseUrl, "test-model")
        {
            BatchSize = batchSize,
            Timeout = TimeSpan.FromSeconds(timeoutSeconds),
            MaxRetries = maxRetries,
            ApiKeyVariable = keyVariable,
            Dimension = dimension,
        }, delay: d => { lock (delays) delays.Add(d); });
        owned.Add(client);
        return client;
    }

    [Fact]
    public void Batches_are_reassembled_in_input_order_with_the_key_sent()
    {
        var encoder = TinyBert.Value;
        var server = Server((_, body, context) => LoopbackServer.Reply(context, 200, Answer(encoder, Inputs(body))));
        var keyVariable = "GPO_TEST_KEY_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(keyVariable, "sekret");
        try
        {
            var client = Client(server, batchSize: 4, keyVariable: keyVariable);
            var vectors = client.Embed(Texts(10));
            Assert.Equal(encoder.Embed(Texts(10)), vectors);
            Assert.Equal(3, server.RequestCount);
            Assert.All(server.Headers, h => Assert.Equal("Bearer sekret", h));
            Assert.Equal("test-model", JsonNode.Parse(server.Bodies[0])!["model"]!.GetValue<string>());
            Assert.Equal(16, client.Dimension);
            Assert.Contains("/v1/embeddings", client.Identity);
            Assert.Contains("test-model", client.Identity);
            Assert.Null(JsonNode.Parse(server.Bodies[0])!["embd_normalize"]);
        }
        finally { Environment.SetEnvironmentVariable(keyVariable, null); }
    }

    [Fact]
    public void Extra_fields_are_sent_and_change_the_identity()
    {
        var encoder = TinyBert.Value;
        var server = Server((_, body, context) => LoopbackServer.Reply(context, 200, Answer(encoder, Inputs(body))));
        var plain = Client(server);
        var raw = new OpenAiEmbeddingClient(new EmbeddingServerOptions(server.BaseUrl, "test-model")
        {
            ExtraFields = new Dictionary<string, JsonNode?> { ["embd_normalize"] = -1 },
        });
        owned.Add(raw);
        raw.Embed(Texts(1));
        Assert.Equal(-1, JsonNode.Parse(server.Bodies.Single())!["embd_normalize"]!.GetValue<int>());
        Assert.NotEqual(plain.Identity, raw.Identity);
        Assert.EndsWith("?{\"embd_normalize\":-1}", raw.Identity);
    }

    [Fact]
    public void A_slow_answer_times_out_and_is_retried()
    {
        var encoder = TinyBert.Value;
        var server = Server((n, body, context) =>
        {
            if (n == 1) Thread.Sleep(8000);
            LoopbackServer.Reply(context, 200, Answer(encoder, Inputs(body)));
        });
        var vectors = Client(server, timeoutSeconds: 4).Embed(Texts(2));
        Assert.Equal(encoder.Embed(Texts(2)), vectors);
        Assert.Equal(2, server.RequestCount);
        Assert.Equal([TimeSpan.FromSeconds(1)], delays);
    }

    [Fact]
    public void A_server_that_never_answers_in_time_is_a_clear_error()
    {
        var server = Server((_, _, context) => { Thread.Sleep(2000); LoopbackServer.Reply(context, 200, "{}"); });
        var error = Assert.Throws<EmbeddingServerException>(() => Client(server, timeoutSeconds: 0.3, maxRetries: 1).Embed(Texts(1)));
        Assert.Contains("gave up after 2 attempts", error.Message);
        Assert.Contains("no answer within 0.3 s", error.Message);
    }

    [Fact]
    public void Service_unavailable_then_success_backs_off_exponentially()
    {
        var encoder = TinyBert.Value;
        var server = Server((n, body, context) =>
        {
            if (n <= 3) LoopbackServer.Reply(context, 503, "{\"error\":\"loading model\"}");
            else LoopbackServer.Reply(context, 200, Answer(encoder, Inputs(body)));
        });
        var vectors = Client(server).Embed(Texts(3));
        Assert.Equal(encoder.Embed(Texts(3)), vectors);
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)], delays);
    }

    [Fact]
    public void Too_many_requests_honours_retry_after()
    {
        var encoder = TinyBert.Value;
        var server = Server((n, body, context) =>
        {
            if (n == 1) LoopbackServer.Reply(context, 429, "{\"error\":\"slow down\"}", ("Retry-After", "7"));
            else LoopbackServer.Reply(context, 200, Answer(encoder, Inputs(body)));
        });
        Client(server).Embed(Texts(2));
        Assert.Equal([TimeSpan.FromSeconds(7)], delays);
    }

    [Fact]
    public void Persistent_failure_gives_up_after_the_retry_budget()
    {
        var server = Server((_, _, context) => LoopbackServer.Reply(context, 500, "{\"error\":\"boom\"}"));
        var error = Assert.Throws<EmbeddingServerException>(() => Client(server, maxRetries: 2).Embed(Texts(1)));
        Assert.Contains("gave up after 3 attempts", error.Message);
        Assert.Contains("HTTP 500", error.Message);
        Assert.Equal(3, server.RequestCount);
    }

    [Fact]
    public void A_client_error_is_not_retried()
    {
        var server = Server((_, _, context) => LoopbackServer.Reply(context, 400, "{\"error\":\"unknown model\"}"));
        var error = Assert.Throws<EmbeddingServerException>(() => Client(server).Embed(Texts(1)));
        Assert.Contains("HTTP 400", error.Message);
        Assert.Contains("unknown model", error.Message);
        Assert.Equal(1, server.RequestCount);
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("no data", "no 'data' array")]
    [InlineData("wrong count", "got 1 embeddings back")]
    [InlineData("wrong dimension", "has 7 numbers, expected dimension 16")]
    [InlineData("repeated index", "appears twice")]
    [InlineData("index out of range", "expected 0..1")]
    [InlineData("not a number", "not a finite number")]
    public void Malformed_responses_are_clear_errors(string flaw, string expectedMessage)
    {
        var encoder = TinyBert.Value;
        var server = Server((_, body, context) =>
        {
            var inputs = Inputs(body);
            var text = flaw switch
            {
                "not json" => "{\"data\": [",
                "no data" => "{\"object\": \"list\"}",
                "wrong count" => Answer(encoder, inputs.Take(1).ToList()),
                "wrong dimension" => Answer(encoder, inputs, (i, v) => i == 0 ? v[..7] : v),
                "repeated index" => Answer(encoder, inputs).Replace("\"index\":0", "\"index\":1", StringComparison.Ordinal),
                "index out of range" => Answer(encoder, inputs).Replace("\"index\":0", "\"index\":5", StringComparison.Ordinal),
                "not a number" => Answer(encoder, inputs).Replace("\"embedding\":[", "\"embedding\":[\"x\",", StringComparison.Ordinal),
                _ => throw new ArgumentOutOfRangeException(nameof(flaw)),
            };
            LoopbackServer.Reply(context, 200, text);
        });
        var error = Assert.Throws<EmbeddingServerException>(() => Client(server, dimension: 16).Embed(Texts(2)));
        Assert.Contains(expectedMessage, error.Message);
        Assert.Equal(1, server.RequestCount);
    }

    [SkippableFact]
    public void Server_vectors_from_the_built_in_encoder_round_trip_exactly_and_are_cached()
    {
        var folder = ModelFolder.Require();
        var bert = new BertEncoder(folder);
        var server = Server((_, body, context) => LoopbackServer.Reply(context, 200, Answer(bert, Inputs(body))));
        var client = Client(server, batchSize: 3);
        string[] texts = ["A man is eating food.", "A man is riding a horse.", "Question: Q?\nAnswer: Yes", "Another text", "Last one"];
        Assert.Equal(bert.Embed(texts), client.Embed(texts));
        Assert.Equal(384, client.Dimension);

        var cacheRoot = Directory.CreateTempSubdirectory("gpo-client-cache-");
        try
        {
            var before = server.RequestCount;
            var first = new CachedTextEncoder(client, EmbeddingCache.For(client, cacheRoot.FullName)).Embed(texts);
            Assert.True(server.RequestCount > before);
            var afterFirst = server.RequestCount;
            var second = new CachedTextEncoder(client, EmbeddingCache.For(client, cacheRoot.FullName)).Embed(texts);
            Assert.Equal(afterFirst, server.RequestCount);
            Assert.Equal(first, second);
        }
        finally { cacheRoot.Delete(recursive: true); }
    }
}
