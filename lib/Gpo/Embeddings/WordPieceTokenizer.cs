using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Gpo.Embeddings;

/// <summary>
/// BERT's WordPiece tokenizer, configured from a Hugging Face <c>tokenizer.json</c>: special tokens
/// written literally in the text (<c>[CLS]</c>, <c>[MASK]</c>, …) are kept whole; the rest is
/// normalised (<see cref="BertNormalizer"/>), split on whitespace and around every punctuation
/// character, and each word is cut greedily into the longest vocabulary pieces (continuations carry
/// the <c>##</c> prefix; a word with an unknown piece or over the length limit becomes <c>[UNK]</c>).
/// The result is wrapped as <c>[CLS] tokens [SEP]</c> and truncated to <see cref="MaxTokens"/> ids in all.
/// </summary>
public sealed class WordPieceTokenizer
{
    private readonly Dictionary<string, int> vocabulary;
    private readonly Dictionary<string, int> continuationVocabulary;
    /// <summary>Special tokens matched literally in the raw text, longest first.</summary>
    private readonly (string Content, int Id)[] specialTokens;

    public WordPieceTokenizer(IReadOnlyDictionary<string, int> vocabulary, BertNormalizer normalizer, string unknownToken = "[UNK]",
        string classToken = "[CLS]", string separatorToken = "[SEP]", string paddingToken = "[PAD]", string continuationPrefix = "##",
        int maxCharsPerWord = 100, int maxTokens = 256, IEnumerable<(string Content, int Id)>? specialTokens = null)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 2);
        this.vocabulary = new Dictionary<string, int>(vocabulary, StringComparer.Ordinal);
        continuationVocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (piece, id) in vocabulary)
        {
            if (piece.StartsWith(continuationPrefix, StringComparison.Ordinal) && piece.Length > continuationPrefix.Length)
                continuationVocabulary[piece[continuationPrefix.Length..]] = id;
        }
        Normalizer = normalizer;
        UnknownId = Lookup(unknownToken);
        ClassId = Lookup(classToken);
        SeparatorId = Lookup(separatorToken);
        PaddingId = Lookup(paddingToken);
        ContinuationPrefix = continuationPrefix;
        MaxCharsPerWord = maxCharsPerWord;
        MaxTokens = maxTokens;
        this.specialTokens = (specialTokens ?? []).Where(t => t.Content.Length > 0)
            .OrderByDescending(t => t.Content.Length).ThenBy(t => t.Content, StringComparer.Ordinal).ToArray();
        VocabularySize = vocabulary.Values.Max() + 1;

        int Lookup(string token) => this.vocabulary.TryGetValue(token, out var id)
            ? id : throw new ArgumentException($"the vocabulary has no token '{token}'", nameof(vocabulary));
    }

    public BertNormalizer Normalizer { get; }
    public int UnknownId { get; }
    public int ClassId { get; }
    public int SeparatorId { get; }
    public int PaddingId { get; }
    public string ContinuationPrefix { get; }
    public int MaxCharsPerWord { get; }
    /// <summary>Most ids an encoded text may have, <c>[CLS]</c> and <c>[SEP]</c> included (sentence-transformers' max_seq_length).</summary>
    public int MaxTokens { get; }
    /// <summary>One more than the largest id: the row count the word-embedding table must have.</summary>
    public int VocabularySize { get; }

    /// <summary>
    /// Reads a Hugging Face <c>tokenizer.json</c> with a WordPiece model, a BertNormalizer (or none) and a
    /// BertPreTokenizer. The file's own truncation and padding settings are ignored: texts are truncated to
    /// <paramref name="maxTokens"/> and never padded here.
    /// </summary>
    public static WordPieceTokenizer Load(string path, int maxTokens = 256)
    {
        JsonDocument document;
        try { document = JsonDocument.Parse(File.ReadAllBytes(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e); }
        using (document)
        {
            var root = document.RootElement;
            if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{path}: no 'model' object");
            var type = model.TryGetProperty("type", out var t) ? t.GetString() : null;
            if (type != "WordPiece") throw new InvalidDataException($"{path}: model.type is '{type}', only WordPiece is supported");
            if (!model.TryGetProperty("vocab", out var vocab) || vocab.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{path}: model.vocab is missing or not an object");
            var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var entry in vocab.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out var id) || id < 0)
                    throw new InvalidDataException($"{path}: model.vocab[\"{entry.Name}\"] is not a non-negative integer id");
                vocabulary[entry.Name] = id;
            }
            var normalizer = ReadNormalizer(path, root);
            if (root.TryGetProperty("pre_tokenizer", out var pre) && pre.ValueKind == JsonValueKind.Object)
            {
                var preType = pre.TryGetProperty("type", out var pt) ? pt.GetString() : null;
                if (preType != "BertPreTokenizer") throw new InvalidDataException($"{path}: pre_tokenizer.type is '{preType}', only BertPreTokenizer is supported");
            }
            var specials = new List<(string, int)>();
            if (root.TryGetProperty("added_tokens", out var added) && added.ValueKind == JsonValueKind.Array)
            {
                foreach (var token in added.EnumerateArray())
                {
                    if (token.TryGetProperty("special", out var special) && special.ValueKind == JsonValueKind.True
                        && token.TryGetProperty("content", out var content) && token.TryGetProperty("id", out var id))
                        specials.Add((content.GetString() ?? "", id.GetInt32()));
                }
            }
            return new WordPieceTokenizer(vocabulary, normalizer,
                unknownToken: StringOr(model, "unk_token", "[UNK]"),
                continuationPrefix: StringOr(model, "continuing_subword_prefix", "##"),
                maxCharsPerWord: model.TryGetProperty("max_input_chars_per_word", out var m) && m.TryGetInt32(out var max) ? max : 100,
                maxTokens: maxTokens, specialTokens: specials);
        }
    }

    private static BertNormalizer ReadNormalizer(string path, JsonElement root)
    {
        if (!root.TryGetProperty("normalizer", out var n) || n.ValueKind == JsonValueKind.Null)
            return new BertNormalizer(CleanText: false, HandleChineseChars: false, StripAccents: false, Lowercase: false);
        var type = n.TryGetProperty("type", out var t) ? t.GetString() : null;
        if (type != "BertNormalizer") throw new InvalidDataException($"{path}: normalizer.type is '{type}', only BertNormalizer is supported");
        var lowercase = Flag("lowercase", true);
        // strip_accents null means "follow lowercase", as in BERT's uncased models.
        var stripAccents = n.TryGetProperty("strip_accents", out var s) && s.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? s.GetBoolean() : lowercase;
        return new BertNormalizer(Flag("clean_text", true), Flag("handle_chinese_chars", true), stripAccents, lowercase);

        bool Flag(string name, bool fallback) =>
            n.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : fallback;
    }

    private static string StringOr(JsonElement element, string name, string fallback) =>
        element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : fallback;

    /// <summary>The ids of <paramref name="text"/>: <c>[CLS]</c>, at most <see cref="MaxTokens"/> − 2 word pieces, <c>[SEP]</c>.</summary>
    public int[] Encode(string text)
    {
        var ids = new List<int>(64) { ClassId };
        var budget = MaxTokens - 1;
        foreach (var (segment, specialId) in SplitOnSpecialTokens(text))
        {
            if (ids.Count >= budget) break;
            if (specialId >= 0) { ids.Add(specialId); continue; }
            foreach (var word in PreTokenize(Normalizer.Normalize(segment)))
            {
                AppendWordPieces(word, ids);
                if (ids.Count >= budget) break;
            }
        }
        if (ids.Count > budget) ids.RemoveRange(budget, ids.Count - budget);
        ids.Add(SeparatorId);
        return [.. ids];
    }

    /// <summary>The word pieces of <paramref name="text"/> as strings, without <c>[CLS]</c>/<c>[SEP]</c> and untruncated (for inspection).</summary>
    public IReadOnlyList<string> Tokenize(string text)
    {
        var names = vocabulary.GroupBy(p => p.Value).ToDictionary(g => g.Key, g => g.First().Key);
        var ids = new List<int>();
        foreach (var (segment, specialId) in SplitOnSpecialTokens(text))
        {
            if (specialId >= 0) { ids.Add(specialId); continue; }
            foreach (var word in PreTokenize(Normalizer.Normalize(segment))) AppendWordPieces(word, ids);
        }
        return ids.Select(id => names[id]).ToList();
    }

    /// <summary>Splits the raw text around literal special tokens (leftmost, longest match); other pieces get id −1.</summary>
    private IEnumerable<(string Segment, int SpecialId)> SplitOnSpecialTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (specialTokens.Length == 0) { yield return (text, -1); yield break; }
        var start = 0;
        var position = 0;
        while (position < text.Length)
        {
            var matched = -1;
            foreach (var (content, id) in specialTokens)
            {
                if (position + content.Length <= text.Length && string.CompareOrdinal(text, position, content, 0, content.Length) == 0)
                {
                    if (position > start) yield return (text[start..position], -1);
                    yield return (content, id);
                    position += content.Length;
                    start = position;
                    matched = id;
                    break;
                }
            }
            if (matched < 0) position++;
        }
        if (start < text.Length) yield return (text[start..], -1);
    }

    /// <summary>
    /// BERT's pre-tokenizer: words are separated by whitespace, and every punctuation character (ASCII
    /// punctuation such as <c>$ + &lt; = &gt; ^ ` | ~</c> as well as Unicode categories P*) is a word of its own.
    /// </summary>
    public static List<string> PreTokenize(string normalized)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        foreach (var rune in normalized.EnumerateRunes())
        {
            if (BertNormalizer.IsWhitespace(rune)) { Flush(); continue; }
            if (IsPunctuation(rune))
            {
                Flush();
                words.Add(rune.ToString());
                continue;
            }
            current.Append(rune.ToString());
        }
        Flush();
        return words;

        void Flush()
        {
            if (current.Length == 0) return;
            words.Add(current.ToString());
            current.Clear();
        }
    }

    /// <summary>ASCII punctuation (<c>!</c>…<c>/</c>, <c>:</c>…<c>@</c>, <c>[</c>…<c>`</c>, <c>{</c>…<c>~</c>) or any Unicode P* category.</summary>
    public static bool IsPunctuation(Rune rune)
    {
        var c = rune.Value;
        if (c is (>= 33 and <= 47) or (>= 58 and <= 64) or (>= 91 and <= 96) or (>= 123 and <= 126)) return true;
        return Rune.GetUnicodeCategory(rune) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    /// <summary>Greedy longest-match WordPiece of one word; the whole word is <c>[UNK]</c> if any piece is missing.</summary>
    private void AppendWordPieces(string word, List<int> ids)
    {
        // Boundaries are counted in code points, so a piece never splits a surrogate pair.
        var boundaries = new List<int>(word.Length + 1);
        for (var i = 0; i < word.Length; i += char.IsSurrogatePair(word, i) ? 2 : 1) boundaries.Add(i);
        boundaries.Add(word.Length);
        var codePointCount = boundaries.Count - 1;
        if (codePointCount > MaxCharsPerWord) { ids.Add(UnknownId); return; }

        var firstPiece = ids.Count;
        var lookupFirst = vocabulary.GetAlternateLookup<ReadOnlySpan<char>>();
        var lookupNext = continuationVocabulary.GetAlternateLookup<ReadOnlySpan<char>>();
        var start = 0;
        while (start < codePointCount)
        {
            var found = -1;
            var end = codePointCount;
            for (; end > start; end--)
            {
                var piece = word.AsSpan(boundaries[start], boundaries[end] - boundaries[start]);
                if ((start == 0 ? lookupFirst : lookupNext).TryGetValue(piece, out var id)) { found = id; break; }
            }
            if (found < 0)
            {
                ids.RemoveRange(firstPiece, ids.Count - firstPiece);
                ids.Add(UnknownId);
                return;
            }
            ids.Add(found);
            start = end;
        }
    }
}
