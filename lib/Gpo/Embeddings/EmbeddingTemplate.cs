using System.Security.Cryptography;
using System.Text;

namespace Gpo.Embeddings;

/// <summary>
/// How one (question, option) pair becomes the text that is embedded. A template is a pattern with
/// placeholders:
/// <list type="bullet">
/// <item><c>{question}</c>: the question text;</item>
/// <item><c>{options}</c>: all options lettered, one per line (<c>A. Yes\nB. No</c>);</item>
/// <item><c>{options_inline}</c>: all options lettered on one line (<c>A. Yes B. No</c>);</item>
/// <item><c>{letter}</c>: the chosen option's letter (A, B, …); <c>{option}</c>: its text.</item>
/// </list>
/// <c>{{</c> and <c>}}</c> stand for literal braces; any other <c>{name}</c> is an error.
/// Built-in templates: <see cref="Alpaca"/> (the paper's), <see cref="Compact"/> (the default for the
/// 256-token MiniLM) and <see cref="QuestionAnswer"/> (question and option only, no option list).
/// </summary>
public sealed class EmbeddingTemplate
{
    private static readonly string[] Placeholders = ["question", "options", "options_inline", "letter", "option"];

    /// <summary>The paper's Alpaca prompt (GPO §2), with the chosen option as the response.</summary>
    public static readonly EmbeddingTemplate Alpaca = new("alpaca",
        "Below is an instruction that describes a task, paired with an input that provides further context. Write a response that appropriately completes the request.\n\n"
        + "### Instruction:\nAnswer the following question by picking ONE of the given options\n\n"
        + "### Input:\n{question}\n\nOptions:\n{options}\n\n### Response:\n{letter}. {option}");

    /// <summary>The question, its lettered options on one line and the chosen option: short enough for a 256-token encoder.</summary>
    public static readonly EmbeddingTemplate Compact = new("compact", "Question: {question}\nOptions: {options_inline}\nAnswer: {letter}. {option}");

    /// <summary>Only the question and the chosen option (the other options are not shown).</summary>
    public static readonly EmbeddingTemplate QuestionAnswer = new("qa", "Question: {question}\nAnswer: {option}");

    /// <summary>The built-in templates by name.</summary>
    public static IReadOnlyDictionary<string, EmbeddingTemplate> BuiltIn { get; } =
        new[] { Alpaca, Compact, QuestionAnswer }.ToDictionary(t => t.Name, StringComparer.Ordinal);

    /// <summary>A named template; the pattern is checked for unknown placeholders and unbalanced braces.</summary>
    public EmbeddingTemplate(string name, string pattern)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(pattern);
        Name = name;
        Pattern = pattern;
        _ = Render(pattern, "", [""], 0, validateOnly: true);
        Identity = $"{name}/sha256:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(pattern)))[..16]}";
    }

    public string Name { get; }
    public string Pattern { get; }

    /// <summary><c>{name}/sha256:{first 16 hex digits of the pattern's digest}</c>: part of the cache key, so an edited pattern recomputes.</summary>
    public string Identity { get; }

    /// <summary>
    /// A built-in template by name, or else <paramref name="nameOrPattern"/> itself as a custom pattern (named
    /// <c>custom</c>) in which the two-character sequences <c>\n</c> and <c>\t</c> mean newline and tab,
    /// as typed on a command line.
    /// </summary>
    public static EmbeddingTemplate FromNameOrPattern(string nameOrPattern)
    {
        ArgumentNullException.ThrowIfNull(nameOrPattern);
        if (BuiltIn.TryGetValue(nameOrPattern, out var template)) return template;
        if (!nameOrPattern.Contains('{', StringComparison.Ordinal))
            throw new ArgumentException($"unknown template '{nameOrPattern}': use one of {string.Join(", ", BuiltIn.Keys)} or a pattern with {{question}}, {{option}}, …");
        return new EmbeddingTemplate("custom", nameOrPattern.Replace("\\n", "\n", StringComparison.Ordinal).Replace("\\t", "\t", StringComparison.Ordinal));
    }

    /// <summary>The text for option <paramref name="optionIndex"/> of a question.</summary>
    public string Format(string question, IReadOnlyList<string> options, int optionIndex)
    {
        ArgumentNullException.ThrowIfNull(question);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)optionIndex, (uint)options.Count, nameof(optionIndex));
        return Render(Pattern, question, options, optionIndex, validateOnly: false);
    }

    /// <summary>The texts of every option of a question, in option order.</summary>
    public IReadOnlyList<string> FormatAll(string question, IReadOnlyList<string> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Enumerable.Range(0, options.Count).Select(i => Format(question, options, i)).ToList();
    }

    /// <summary>A, B, …, Z for option indices 0..25.</summary>
    public static char Letter(int optionIndex) =>
        optionIndex is >= 0 and < 26 ? (char)('A' + optionIndex) : throw new ArgumentOutOfRangeException(nameof(optionIndex), $"option {optionIndex + 1}: only 26 options can be lettered");

    private static string Render(string pattern, string question, IReadOnlyList<string> options, int optionIndex, bool validateOnly)
    {
        var text = new StringBuilder(pattern.Length + 256);
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '}')
            {
                if (i + 1 < pattern.Length && pattern[i + 1] == '}') { text.Append('}'); i++; continue; }
                throw new FormatException($"template: unmatched '}}' at character {i + 1} (write '}}}}' for a literal brace)");
            }
            if (c != '{') { text.Append(c); continue; }
            if (i + 1 < pattern.Length && pattern[i + 1] == '{') { text.Append('{'); i++; continue; }
            var close = pattern.IndexOf('}', i + 1);
            if (close < 0) throw new FormatException($"template: '{{' at character {i + 1} is never closed");
            var name = pattern[(i + 1)..close];
            if (!Placeholders.Contains(name))
                throw new FormatException($"template: unknown placeholder '{{{name}}}' at character {i + 1} (known: {string.Join(", ", Placeholders.Select(p => "{" + p + "}"))})");
            i = close;
            if (validateOnly) continue;
            switch (name)
            {
                case "question": text.Append(question); break;
                case "option": text.Append(options[optionIndex]); break;
                case "letter": text.Append(Letter(optionIndex)); break;
                case "options":
                case "options_inline":
                    for (var o = 0; o < options.Count; o++)
                    {
                        if (o > 0) text.Append(name == "options" ? '\n' : ' ');
                        text.Append(Letter(o)).Append(". ").Append(options[o]);
                    }
                    break;
            }
        }
        return text.ToString();
    }

    public override string ToString() => Name;
}
