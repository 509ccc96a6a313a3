using System.Text;
using Gpo.Embeddings;

namespace Gpo.Tests.Embeddings;

public class WordPieceTokenizerTests
{
    /// <summary>A toy vocabulary small enough to work every expected id out by hand.</summary>
    private static WordPieceTokenizer Toy(int maxTokens = 256, int maxCharsPerWord = 100)
    {
        string[] pieces = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able", "##a", "a", "cafe", "$", "?", "¿",
            "—", "中", "国", "hello", "##llo", "he", "!", "x", "##x", "😀"];
        var vocabulary = pieces.Select((p, i) => (p, i)).ToDictionary(t => t.p, t => t.i);
        return new WordPieceTokenizer(vocabulary, new BertNormalizer(), maxCharsPerWord: maxCharsPerWord, maxTokens: maxTokens,
            specialTokens: [("[PAD]", 0), ("[UNK]", 1), ("[CLS]", 2), ("[SEP]", 3), ("[MASK]", 4)]);
    }

    [Fact]
    public void String_normalize_is_a_no_op_under_invariant_globalization()
    {
        // Why UnicodeDecomposition exists: with InvariantGlobalization (Directory.Build.props) there is no ICU,
        // and string.Normalize returns non-ASCII text unchanged. If this starts failing, the runtime gained NFD.
        Assert.Equal("\u00e9", "\u00e9".Normalize(NormalizationForm.FormD));
    }

    [Fact]
    public void Decomposition_matches_hand_worked_cases()
    {
        Assert.Equal("e\u0301", UnicodeDecomposition.Decompose("\u00e9"));
        // U+1EC7 (e with circumflex and dot below) decomposes fully: e, dot below, circumflex.
        Assert.Equal("e\u0323\u0302", UnicodeDecomposition.Decompose("\u1ec7"));
        // Hangul: U+D55C (han) = U+1112 U+1161 U+11AB; U+AC00 (ga) has no trailing consonant.
        Assert.Equal("\u1112\u1161\u11ab\u1100\u1161", UnicodeDecomposition.Decompose("\ud55c\uac00"));
        Assert.Equal("Ecole francaise", UnicodeDecomposition.StripAccents("\u00c9cole fran\u00e7aise"));
        Assert.Equal("cafe naive", new BertNormalizer().Normalize("Café Naïve"));
    }

    [Fact]
    public void Normalizer_cleans_spaces_cjk_and_case()
    {
        var normalizer = new BertNormalizer();
        // U+0000 dropped, U+200B (format) dropped, tab/newline/NBSP become spaces, CJK padded with spaces.
        Assert.Equal("ab  c d", normalizer.Normalize("A\u0000\u200Bb\t\nC\u00A0D"));
        Assert.Equal(" 中  国 ", normalizer.Normalize("中国"));
        Assert.Equal("uber", normalizer.Normalize("Über"));
    }

    [Fact]
    public void Greedy_longest_match_with_continuations()
    {
        var tokenizer = Toy();
        // "unaffable" = un ##aff ##able (greedy: "un" is the longest prefix in the vocabulary).
        Assert.Equal([2, 5, 6, 7, 3], tokenizer.Encode("unaffable"));
        // "hello" is whole; "hellox" = hello ##x; "hex" has "he" then "##x".
        Assert.Equal([2, 17, 17, 22, 19, 22, 3], tokenizer.Encode("Hello hellox hex"));
        // A word with a piece missing from the vocabulary becomes one [UNK], not a partial match.
        Assert.Equal([2, 1, 9, 3], tokenizer.Encode("unaffz a"));
    }

    [Fact]
    public void Punctuation_and_symbols_are_words_of_their_own()
    {
        var tokenizer = Toy();
        // '$' is ASCII punctuation for BERT although Unicode calls it a currency symbol; '¿' and '—' are P*.
        Assert.Equal([2, 11, 9, 12, 13, 9, 14, 9, 20, 3], tokenizer.Encode("$a?¿a—a!"));
        Assert.Equal(["cafe", "中", "国", "😀"], tokenizer.Tokenize("CAFÉ中国 😀"));
    }

    [Fact]
    public void Overlong_words_become_unknown()
    {
        var tokenizer = Toy(maxCharsPerWord: 5);
        Assert.Equal([2, 9, 1, 3], tokenizer.Encode("a xxxxxx"));
        Assert.Equal([2, 9, 21, 22, 22, 22, 22, 3], tokenizer.Encode("a xxxxx"));
    }

    [Fact]
    public void Literal_special_tokens_are_kept_whole()
    {
        var tokenizer = Toy();
        Assert.Equal([2, 9, 4, 9, 3], tokenizer.Encode("a[MASK]a"));
        // Lowercase "[mask]" is ordinary text: punctuation and an unknown word.
        Assert.Equal([2, 1, 1, 1, 3], tokenizer.Encode("[mask]"));
    }

    [Fact]
    public void Truncates_to_the_token_budget_including_cls_and_sep()
    {
        var tokenizer = Toy(maxTokens: 5);
        Assert.Equal([2, 9, 9, 9, 3], tokenizer.Encode("a a a a a a a"));
        // Truncation may cut inside a word's pieces, as the reference tokenizer does.
        Assert.Equal([2, 9, 5, 6, 3], tokenizer.Encode("a unaffable"));
    }

    [SkippableFact]
    public void Minilm_ids_match_the_reference()
    {
        var tokenizer = WordPieceTokenizer.Load(Path.Combine(ModelFolder.Require(), "tokenizer.json"));
        Assert.Equal(30522, tokenizer.VocabularySize);
        Assert.Equal([101, 1037, 2158, 2003, 5983, 2833, 1012, 102], tokenizer.Encode("A man is eating food."));
        Assert.Equal([101, 3160, 1024, 2079, 2017, 2490, 2168, 1011, 3348, 3510, 1029, 3437, 1024, 6118, 5993, 102],
            tokenizer.Encode("Question: Do you support same-sex marriage? Answer: Strongly agree"));
        var longText = string.Join(' ', Enumerable.Repeat("food", 400));
        var ids = tokenizer.Encode(longText);
        Assert.Equal(256, ids.Length);
        Assert.Equal(101, ids[0]);
        Assert.Equal(102, ids[^1]);
    }

    [Fact]
    public void Malformed_tokenizer_file_is_a_clear_error()
    {
        var folder = Directory.CreateTempSubdirectory("gpo-tok-");
        try
        {
            var path = Path.Combine(folder.FullName, "tokenizer.json");
            File.WriteAllText(path, "{\"model\": {\"type\": \"BPE\", \"vocab\": {}}}");
            var error = Assert.Throws<InvalidDataException>(() => WordPieceTokenizer.Load(path));
            Assert.Contains("WordPiece", error.Message);
            Assert.Contains(path, error.Message);
            File.WriteAllText(path, "{\"model\": ");
            Assert.Contains(path, Assert.Throws<InvalidDataException>(() => WordPieceTokenizer.Load(path)).Message);
        }
        finally { folder.Delete(recursive: true); }
    }
}
