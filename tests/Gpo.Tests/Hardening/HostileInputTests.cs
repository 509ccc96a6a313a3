using System.Text;
using Gpo.Data;
using Gpo.Embeddings;
using Gpo.IO;
using Gpo.Model;

namespace Gpo.Tests.Hardening;

/// <summary>
/// The regression corpus of issue 11, one case per class of hostile or careless input (the inputs are generated here,
/// none is a large file): every command ends with one clear line on stderr naming the file, line, field or option,
/// exit code 1 for bad input and 2 for usage errors, no stack trace and no raw terminal escape.
/// </summary>
[Collection("Console")]
public sealed class HostileInputTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("gpo-hostile-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(folder, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Runs the CLI and checks the policy: the exit code, one message naming what is wrong, no trace, no raw escape.</summary>
    private static string Fails(int exit, string expected, params string[] args)
    {
        var (code, stdout, stderr) = CliRunner.Run(args);
        Assert.True(code == exit, $"exit {code}, expected {exit}; stderr: {stderr}");
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);          // no stack trace
        Assert.DoesNotContain("Exception", stderr, StringComparison.Ordinal);       // no exception type names
        Assert.DoesNotContain('\u001b', stderr + stdout);                          // no raw terminal escape
        Assert.DoesNotContain("unexpected error", stderr, StringComparison.Ordinal); // every case is an expected failure
        Assert.InRange(stderr.Length, 1, 3 * Gpo.Cli.Terminal.MaxMessageLength);      // a huge field is never echoed whole
        return stderr;
    }

    private const string GoqaHeader = "question,selections,options,source\n";

    // ------------------------------------------------------------------ crashes: nesting, escapes, wrong JSON types

    [Fact]
    public void Deeply_nested_python_literal_is_refused_at_the_nesting_limit_not_a_stack_overflow()
    {
        var deep = new string('[', 100_000) + new string(']', 100_000);
        var path = Write("deep.csv", GoqaHeader + $"\"Q1\",\"defaultdict(<class 'list'>, {{'France': {deep}}})\",\"['a', 'b']\",x\n");
        Fails(1, "deep.csv, line 2, field 'selections'", "data", "inspect", path);
        var message = Assert.Throws<PythonLiteralException>(() => PythonLiteral.Parse(deep)).Message;
        Assert.Contains($"nested deeper than {InputLimits.MaxNestingDepth} levels", message, StringComparison.Ordinal);
        // exactly at the limit still parses
        Assert.NotNull(PythonLiteral.Parse(new string('[', InputLimits.MaxNestingDepth) + new string(']', InputLimits.MaxNestingDepth)));
    }

    [Fact]
    public void Deeply_nested_json_is_refused_naming_the_file()
    {
        var path = Write("deep.json", new string('[', 100_000) + new string(']', 100_000));
        Fails(1, "deep.json, line 1: malformed JSON", "data", "inspect", path);
        var predictInput = Write("deep-predict.json", "{\"context\": " + new string('[', 10_000) + new string(']', 10_000) + "}");
        Fails(1, "not well-formed JSON", "predict", "--checkpoint", TinyCheckpoint(), "--input", predictInput);
    }

    [Fact]
    public void An_error_about_a_huge_field_does_not_echo_it_whole()
    {
        var word = new string('a', 5_000_000);
        var path = Write("huge-field.csv", GoqaHeader + $"\"Q1\",\"defaultdict(<class 'list'>, {{'France': [0.5, 0.5]}})\",\"[{word}]\",x\n");
        var stderr = Fails(1, "huge-field.csv, line 2, field 'options'", "data", "inspect", path);
        Assert.Contains("more characters)", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Unicode_escapes_beyond_U_10FFFF_are_an_error_and_lone_surrogates_are_kept()
    {
        var path = Write("bigU.csv", GoqaHeader + "\"Q1\",\"defaultdict(<class 'list'>, {'France': [0.5, 0.5]})\",\"['\\U00110000', 'b']\",x\n");
        Fails(1, "bigU.csv, line 2, field 'options'", "data", "inspect", path);
        Assert.Contains("beyond U+10FFFF", Assert.Throws<PythonLiteralException>(() => PythonLiteral.Parse("'\\UFFFFFFFF'")).Message, StringComparison.Ordinal);
        Assert.Equal("\U0001F600", PythonLiteral.Parse("'\\U0001f600'"));
        Assert.Equal("\ud800", PythonLiteral.Parse("'\\U0000d800'"));
    }

    [Theory]
    [InlineData("""[{"question": "Q", "options": ["a", "b"], "country": 5, "distribution": [0.5, 0.5]}]""", "field '[0].country': expected a string")]
    [InlineData("""[{"question": "Q", "options": ["a", "b"], "country": "France", "distribution": "0.5"}]""", "field '[0].distribution': expected a list of numbers")]
    [InlineData("""[{"question": "Q", "options": ["a", null], "country": "France", "distribution": [0.5, 0.5]}]""", "option 1 is Null")]
    [InlineData("""[{"question": "Q", "options": ["a", "b"], "country": "France", "distribution": [1e400, 0.5]}]""", "element 0 is beyond the range of a double")]
    [InlineData("""[{"question": "Q", "options": ["a", "b"], "country": "France", "distribution": [true, 0.5]}]""", "element 0 is True, not a number")]
    [InlineData("""[{"question": "Q", "gold_distribution": [0.5, 0.5], "attribute": 7, "options": ["a", "b"]}]""", "bench.json")]
    public void Wrong_typed_json_values_in_a_dataset_file_name_the_field(string json, string expected)
    {
        var path = Write("bench.json", json);
        Fails(1, expected, "data", "inspect", path);
    }

    [Fact]
    public void Counts_files_with_wrong_types_or_overflowing_counts_name_the_field()
    {
        var info = ",key,question,references,option_ordinal\n0,Q1_W1,Q one?,\"['Yes', 'No']\",\"[1.0, 2.0]\"\n";
        Write("counts/info.csv", info);
        Write("counts/SEX_data.json", """{"Q1_W1": 5}""");
        Fails(1, "SEX_data.json, field 'Q1_W1': expected {MC_options", "data", "inspect", Path.Combine(folder, "counts"), "--format", "opinionqa-counts");

        Write("counts/SEX_data.json", """{"Q1_W1": {"MC_options": ["Yes", "No"], "question_text": "Q one?", "Female": {"Yes": 1e400, "No": 1}}}""");
        Fails(1, "field 'Q1_W1.Female.Yes': count is beyond the range of a double", "data", "inspect", Path.Combine(folder, "counts"));

        // Finite counts whose sum overflows are rejected with an issue, never stored as an all-zero distribution.
        Write("counts/SEX_data.json", """{"Q1_W1": {"MC_options": ["Yes", "No"], "question_text": "Q one?", "Female": {"Yes": 1.7e308, "No": 1.7e308}, "Male": {"Yes": 1, "No": 3}}}""");
        var dataset = DatasetLoader.Load(Path.Combine(folder, "counts"));
        Assert.Equal(["Male"], dataset.Groups);
        Assert.Contains(dataset.Issues, i => i.Message.Contains("beyond the range of a double", StringComparison.Ordinal));
    }

    [Fact]
    public void Counts_format_on_a_file_not_named_ATTR_data_json_says_what_it_needs()
    {
        var path = Write("survey.json", """{"Q1_W1": {"MC_options": ["a"], "question_text": "q", "Female": {"a": 1}}}""");
        Fails(1, "survey.json: --format opinionqa-counts reads files named <ATTR>_data.json", "data", "inspect", path, "--format", "opinionqa-counts");
    }

    [Fact]
    public void Wrong_typed_safetensors_offsets_and_non_finite_weights_are_clear_errors()
    {
        var header = """{"embedder.0.weight":{"dtype":"F32","shape":[1,1],"data_offsets":["0",4]}}"""u8.ToArray();
        var path = Path.Combine(folder, "bad-offsets.safetensors");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)header.Length), .. header, 0, 0, 0, 0]);
        var input = Write("in.json", """{"context":[{"x":[1,2],"y":0.5}],"targets":[{"x":[[1,0],[0,1]]}]}""");
        Fails(1, "'data_offsets' must be integers", "predict", "--checkpoint", path, "--input", input);

        var model = new GpoModel<float>(new GpoConfig(DimX: 2, ModelWidth: 4, Heads: 1, Layers: 1, FeedForwardWidth: 4));
        model.Initialize(seed: 1);
        model.Parameters.Values[3] = float.NaN;
        var nan = Path.Combine(folder, "nan.safetensors");
        GpoCheckpoint.Save(model, nan);
        Fails(1, "holds NaN at element 3", "predict", "--checkpoint", nan, "--input", input);
    }

    // ------------------------------------------------------------------ non-finite and out-of-range values

    private string TinyCheckpoint()
    {
        var path = Path.Combine(folder, "tiny.safetensors");
        if (File.Exists(path)) return path;
        var model = new GpoModel<float>(new GpoConfig(DimX: 2, ModelWidth: 4, Heads: 1, Layers: 1, FeedForwardWidth: 4));
        model.Initialize(seed: 1);
        GpoCheckpoint.Save(model, path);
        return path;
    }

    [Theory]
    [InlineData("""{"context":[{"x":[1e39,2],"y":0.5}],"targets":[{"x":[[1,0],[0,1]]}]}""", "context[0].x[0]: 1e39 is beyond the range of a 32-bit float")]
    [InlineData("""{"context":[{"x":[1,2],"y":1.5}],"targets":[{"x":[[1,0],[0,1]]}]}""", "context[0].y: a share must lie in [0, 1], not 1.5")]
    [InlineData("""{"context":[{"x":[1,2],"y":0.5}],"targets":[{"x":[[1,0],[0,1]],"y":[-0.5,1.5]}]}""", "targets[0].y[0]: a share must lie in [0, 1]")]
    [InlineData("""{"context":[{"x":[1,2],"y":0.5}],"targets":[{"x":[[1,0],[0,1]],"y":[0.2,0.3]}]}""", "targets[0].y: the shares sum to 0.5, not 1")]
    [InlineData("""{"context":[{"x":[1,2],"y":"NaN"}],"targets":[]}""", "context[0].y: expected a finite number, got string")]
    [InlineData("""{"context":[{"x":[1,2],"y":0.5}],"targets":[{"x":[[1,0],[0,1]],"y":[0.5,null]}]}""", "targets[0].y[1]: expected a finite number, got null")]
    public void Predict_rejects_non_finite_and_out_of_range_values_naming_the_field(string json, string expected)
    {
        Fails(1, expected, "predict", "--checkpoint", TinyCheckpoint(), "--input", Write("in.json", json));
    }

    [Fact]
    public void Predict_with_a_million_targets_stops_at_the_size_limit_before_any_work()
    {
        var builder = new StringBuilder("{\"context\":[{\"x\":[1,2],\"y\":0.5}],\"targets\":[");
        for (var i = 0; i < 1_000_000; i++) builder.Append(i == 0 ? "" : ",").Append("{\"x\":[[1,0]]}");
        builder.Append("]}");
        var stderr = Fails(1, $"targets: 1000000 questions with 1000000 options, beyond the limit of {InputLimits.MaxTargetTokens} options per call", "predict",
            "--checkpoint", TinyCheckpoint(), "--input", Write("huge.json", builder.ToString()));
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public void Predict_slices_many_targets_and_gives_the_same_numbers_as_one_pass()
    {
        // Targets attend to the context only: slicing them (above TargetTokensPerPass) must not change any prediction or the loss.
        var model = GpoCheckpoint.Load<float>(TinyCheckpoint());
        var random = new Random(4);
        var context = Enumerable.Range(0, 5).Select(_ => new ContextToken([random.NextSingle(), random.NextSingle()], random.NextSingle())).ToList();
        var targets = Enumerable.Range(0, 3_000).Select(_ => new TargetQuestion([[random.NextSingle(), random.NextSingle()], [random.NextSingle(), random.NextSingle()]], [0.25f, 0.75f])).ToList();
        var sliced = GpoInference.Predict(model, context, targets); // 6,000 target tokens: two passes
        var parts = new[] { targets.Take(1_000).ToList(), targets.Skip(1_000).Take(1_000).ToList(), targets.Skip(2_000).ToList() }
            .Select(part => GpoInference.Predict(model, context, part)).ToList();
        var byHand = parts.SelectMany(p => p.Predictions).ToArray();
        Assert.Equal(byHand.Length, sliced.Predictions.Length);
        for (var q = 0; q < byHand.Length; q++)
            for (var o = 0; o < 2; o++) Assert.Equal(byHand[q][o], sliced.Predictions[q][o], 5);
        Assert.Equal(parts.Average(p => p.Loss!.Value), sliced.Loss!.Value, 5); // equal-sized parts: the mean of their means
    }

    [Theory]
    [InlineData("--lr", "NaN", "--lr must be a finite number above 0, not NaN")]
    [InlineData("--lr", "-1", "--lr must be a finite number above 0, not -1")]
    [InlineData("--lr", "Infinity", "--lr must be a finite number above 0")]
    [InlineData("--max-questions", "0", "--max-questions must be at least 1, not 0")]
    [InlineData("--steps", "0", "--steps must be at least 1, not 0")]
    [InlineData("--eval-every", "-3", "--eval-every must be at least 1, not -3")]
    [InlineData("--fraction", "1.5", "--fraction must lie strictly between 0 and 1, not 1.5")]
    [InlineData("--heads", "0", "--heads must be between 1 and 65536, not 0")]
    [InlineData("--steps", "many", "many")]
    [InlineData("--no-such-option", "1", "--no-such-option")]
    public void Out_of_range_or_unknown_options_are_usage_errors_naming_the_option(string option, string value, string expected)
    {
        var stderr = Fails(2, expected, "train", "--run", Path.Combine(folder, "never"), option, value);
        Assert.Contains("gpo train --help", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(folder, "never")), "nothing is written for a usage error");
    }

    [Fact]
    public void Embed_server_options_out_of_range_are_usage_errors()
    {
        Fails(2, "--server-timeout must be a finite number above 0 and at most 86400, not -1", "embed", "--text", "a", "--server", "http://127.0.0.1:9", "--server-model", "m", "--server-timeout", "-1");
        Fails(2, "--server-batch must be between 1 and 100000, not 0", "embed", "--text", "a", "--server", "http://127.0.0.1:9", "--server-model", "m", "--server-batch", "0");
    }

    // ------------------------------------------------------------------ size limits, devices

    [SkippableFact]
    public void Data_inspect_of_a_device_or_an_empty_file_is_refused_before_reading()
    {
        Skip.If(OperatingSystem.IsWindows(), "needs /dev/zero");
        Fails(1, "/dev/zero: empty, or not a regular file (a device or a pipe)", "data", "inspect", "/dev/zero");
        Fails(1, "not a regular file", "data", "inspect", "/dev/zero", "--format", "globalopinionqa-csv");
        Fails(1, "empty.csv: empty", "data", "inspect", Write("empty.csv", ""));
    }

    // ------------------------------------------------------------------ caches and servers

    [Fact]
    public void A_cache_chunk_with_NaN_vectors_and_a_matching_checksum_is_dropped_and_recomputed()
    {
        var root = Path.Combine(folder, "cache");
        var cache = new EmbeddingCache(root, "test-encoder", 2);
        cache.Add(["good", "bad"], [1f, 2f, float.NaN, 3f]); // the checksum is computed over the NaN: it matches
        var reopened = new EmbeddingCache(root, "test-encoder", 2);
        var problem = Assert.Single(reopened.Problems);
        Assert.Contains("vector 1 holds NaN (not finite) although the checksum matches", problem, StringComparison.Ordinal);
        Assert.False(reopened.Contains("good"));
        Assert.Empty(Directory.GetFiles(reopened.Folder, "*.gpoemb"));
    }

    [Fact]
    public void Terminal_escapes_from_data_are_shown_as_visible_escapes()
    {
        var path = Write("esc.json", "[{\"question\": \"Q\", \"options\": [\"a\", \"b\"], \"country\": \"Fr\\u001b]0;owned\\u0007ance\", \"distribution\": [0.5, 0.5]}]");
        var (code, stdout, stderr) = CliRunner.Run("data", "inspect", path);
        Assert.Equal(0, code);
        Assert.DoesNotContain('\u001b', stdout + stderr);
        Assert.DoesNotContain('\u0007', stdout + stderr);
        Assert.Contains("Fr\\u001b]0;owned\\u0007ance", stdout, StringComparison.Ordinal);

        var bad = Write("esc-bad.json", "[{\"question\": \"Q\", \"options\": [\"a\", \"b\"], \"country\": \"\\u001b[2J\", \"distribution\": 1}]");
        Fails(1, "expected a list of numbers", "data", "inspect", bad);
        Assert.Equal("a\\u001b[31mb\\u009bc\\u202ed e", Gpo.Cli.Terminal.Sanitize("a\u001b[31mb\u009bc\u202ed\ne"));
        Assert.EndsWith("… (10 more characters)", Gpo.Cli.Terminal.Sanitize(new string('x', 30), 20), StringComparison.Ordinal);
    }

    [Fact]
    public void Server_answers_with_wrong_typed_index_or_escape_sequences_are_clear_one_line_errors()
    {
        var raw = false;
        using var server = new Embeddings.LoopbackServer((_, _, context) =>
            Embeddings.LoopbackServer.Reply(context, 200, raw ? "\u001b]0;owned\u0007\u001b[2J not JSON" : "{\"data\": [{\"index\": \"0\", \"embedding\": [1, 2]}]}"));
        string[] embed = ["embed", "--text", "a", "--server", server.BaseUrl.AbsoluteUri, "--server-model", "m", "--no-cache", "--server-retries", "0"];
        var stderr = Fails(1, "data[0].index is \"0\", expected 0..0", embed);
        Assert.Single(stderr.Trim().Split('\n'));
        raw = true; // a server (or something in between) answering with terminal escapes: shown, never obeyed
        stderr = Fails(1, "\\u001b]0;owned\\u0007\\u001b[2J not JSON", embed);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    // ------------------------------------------------------------------ model downloads

    [SkippableFact]
    public void A_download_that_does_not_load_replaces_nothing_and_a_huge_one_is_refused()
    {
        var destination = Path.Combine(folder, "model");
        Directory.CreateDirectory(destination);
        var good = new Dictionary<string, byte[]> { ["model.safetensors"] = [1, 2, 3], ["tokenizer.json"] = "{}"u8.ToArray(), ["config.json"] = "{\"good\": 1}"u8.ToArray() };
        foreach (var (name, bytes) in good) File.WriteAllBytes(Path.Combine(destination, name), bytes);
        var served = new Dictionary<string, byte[]> { ["model.safetensors"] = [9, 9, 9, 9], ["tokenizer.json"] = "{\"x\": 1}"u8.ToArray(), ["config.json"] = "{\"hidden_size\": 8}"u8.ToArray() };
        var huge = false;
        using var server = new Embeddings.LoopbackServer((_, _, context) =>
        {
            var name = Path.GetFileName(context.Request.Url!.AbsolutePath);
            if (huge)
            {
                context.Response.ContentLength64 = ModelFetcher.MaxDownloadBytes + 1;
                context.Response.Abort();
                return;
            }
            context.Response.ContentLength64 = served[name].Length;
            context.Response.OutputStream.Write(served[name]);
            context.Response.Close();
        });
        var source = ModelFetcher.MiniLmHuggingFace(server.BaseUrl) with
        {
            Files = [.. served.Select(f => new ModelFile(f.Key, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(f.Value))))],
        };
        // Every digest matches, but the files are no encoder: the load check fails before anything is replaced.
        var error = Assert.Throws<ModelFetchException>(() => ModelFetcher.FetchFromHuggingFace(source, destination, verify: ModelFetcher.CheckLoads));
        Assert.Contains("do not load as an encoder", error.Message, StringComparison.Ordinal);
        foreach (var (name, bytes) in good) Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(destination, name)));
        Assert.Equal(good.Keys.Order(), Directory.GetFileSystemEntries(destination).Select(Path.GetFileName).Order());

        huge = true;
        var tooBig = Assert.Throws<ModelFetchException>(() => ModelFetcher.FetchFromHuggingFace(source, destination, verify: ModelFetcher.CheckLoads));
        Assert.Contains("download limit", tooBig.Message, StringComparison.Ordinal);
        foreach (var (name, bytes) in good) Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(destination, name)));

        var model = Embeddings.ModelFolder.Path;
        Skip.If(model is null, "the positive load check needs GPO_MODEL");
        ModelFetcher.CheckLoads(model!); // the real encoder passes
    }
}
