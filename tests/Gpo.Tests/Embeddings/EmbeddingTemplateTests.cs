using Gpo.Embeddings;

namespace Gpo.Tests.Embeddings;

public class EmbeddingTemplateTests
{
    private static readonly string[] Options = ["Strongly agree", "Agree", "Disagree"];

    [Fact]
    public void Alpaca_is_the_papers_prompt_with_lettered_options()
    {
        var text = EmbeddingTemplate.Alpaca.Format("Do you support it?", Options, 1);
        Assert.Equal(
            "Below is an instruction that describes a task, paired with an input that provides further context. Write a response that appropriately completes the request.\n\n"
            + "### Instruction:\nAnswer the following question by picking ONE of the given options\n\n"
            + "### Input:\nDo you support it?\n\nOptions:\nA. Strongly agree\nB. Agree\nC. Disagree\n\n### Response:\nB. Agree", text);
    }

    [Fact]
    public void Compact_and_qa_templates()
    {
        Assert.Equal("Question: Do you support it?\nOptions: A. Strongly agree B. Agree C. Disagree\nAnswer: C. Disagree",
            EmbeddingTemplate.Compact.Format("Do you support it?", Options, 2));
        Assert.Equal("Question: Q?\nAnswer: Agree", EmbeddingTemplate.QuestionAnswer.Format("Q?", Options, 1));
        Assert.Equal(3, EmbeddingTemplate.Compact.FormatAll("Q?", Options).Count);
    }

    [Fact]
    public void Custom_patterns_with_escapes_and_literal_braces()
    {
        var template = EmbeddingTemplate.FromNameOrPattern("{{x}} {question}\\n{letter}) {option}");
        Assert.Equal("custom", template.Name);
        Assert.Equal("{x} Q?\nA) Strongly agree", template.Format("Q?", Options, 0));
        Assert.Same(EmbeddingTemplate.Alpaca, EmbeddingTemplate.FromNameOrPattern("alpaca"));
    }

    [Fact]
    public void Bad_patterns_are_clear_errors()
    {
        Assert.Contains("{answer}", Assert.Throws<FormatException>(() => new EmbeddingTemplate("t", "{question} {answer}")).Message);
        Assert.Contains("never closed", Assert.Throws<FormatException>(() => new EmbeddingTemplate("t", "{question")).Message);
        Assert.Contains("unmatched", Assert.Throws<FormatException>(() => new EmbeddingTemplate("t", "a } b")).Message);
        Assert.Contains("unknown template", Assert.Throws<ArgumentException>(() => EmbeddingTemplate.FromNameOrPattern("alpacca")).Message);
    }

    [Fact]
    public void Identity_changes_with_the_pattern()
    {
        Assert.NotEqual(new EmbeddingTemplate("t", "{question} {option}").Identity, new EmbeddingTemplate("t", "{question}: {option}").Identity);
        Assert.Equal(new EmbeddingTemplate("t", "{option}").Identity, new EmbeddingTemplate("t", "{option}").Identity);
    }
}
