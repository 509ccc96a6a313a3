using System.Text.Json.Nodes;
using Gpo.Data;
using Gpo.Embeddings;
using Microsoft.ML.Tokenizers;

// Every text the project embeds (each preset x each built-in template x each (question, option)) and the strings of
// the tokenizer tests, tokenized by Gpo's WordPieceTokenizer and by Microsoft.ML.Tokenizers' BertTokenizer built from
// the same vocabulary; prints how many were compared and how many differ, with the first differences.
var modelFolder = Environment.GetEnvironmentVariable("GPO_MODEL") ?? throw new InvalidOperationException("set GPO_MODEL to the all-MiniLM-L6-v2 folder");
var dataRoot = DatasetLoader.ResolveDataRoot() ?? throw new InvalidOperationException("set GPO_DATA to the data root");
var tokenizerJson = Path.Combine(modelFolder, "tokenizer.json");
var ours = Gpo.Embeddings.WordPieceTokenizer.Load(tokenizerJson);

// BertTokenizer reads a vocab.txt (one token per line, in id order): write one from tokenizer.json's vocabulary.
var vocabulary = JsonNode.Parse(File.ReadAllText(tokenizerJson))!["model"]!["vocab"]!.AsObject()
    .Select(p => (Token: p.Key, Id: (int)p.Value!)).OrderBy(p => p.Id).ToList();
if (vocabulary.Where((p, i) => p.Id != i).Any()) throw new InvalidDataException($"{tokenizerJson}: vocabulary ids are not 0..n-1");
var vocabFile = Path.Combine(Directory.CreateTempSubdirectory("gpo-vocab-").FullName, "vocab.txt");
File.WriteAllLines(vocabFile, vocabulary.Select(p => p.Token));
var theirs = BertTokenizer.Create(vocabFile, new BertOptions { LowerCaseBeforeTokenization = true, RemoveNonSpacingMarks = true, ApplyBasicTokenization = true });

var texts = new List<(string Source, string Text)>();
foreach (var preset in new[] { DatasetLoader.OpinionQa500, DatasetLoader.OpinionQa22, DatasetLoader.GlobalQa14 })
{
    var dataset = DatasetLoader.Load(preset, dataRoot: dataRoot);
    foreach (var template in EmbeddingTemplate.BuiltIn.Values)
        foreach (var question in dataset.Questions)
            for (var o = 0; o < question.OptionCount; o++)
                texts.Add(($"{preset}/{template.Name}", template.Format(question.Text, question.Options, o)));
}
string[] testStrings = ["A man is eating food.", "Question: Do you support same-sex marriage? Answer: Strongly agree", "Café Naïve", "CAFÉ中国 😀",
    "A\u0000\u200Bb\t\nC\u00A0D", "Über", "\u00c9cole fran\u00e7aise", "\u1ec7", "\ud55c\uac00", "$a?¿a—a!", "a[MASK]a", "[mask]", "unaffable", "Hello hellox hex",
    string.Join(' ', Enumerable.Repeat("food", 400))];
texts.AddRange(testStrings.Select(t => ("tokenizer tests", t)));

var differing = new List<(string Source, string Text, int[] Ours, int[] Theirs)>();
foreach (var (source, text) in texts)
{
    var a = ours.Encode(text);
    var b = theirs.EncodeToIds(text, ours.MaxTokens, out _, out _).ToArray();
    if (!a.AsSpan().SequenceEqual(b)) differing.Add((source, text, a, b));
}
Console.WriteLine($"compared {texts.Count} texts ({texts.Select(t => t.Text).Distinct().Count()} distinct): {differing.Count} differ");
// Templates put the question, options and answer on separate lines; how many differ once newlines are spaces?
var withoutNewlines = differing.Where(d => !ours.Encode(d.Text.Replace('\n', ' ')).AsSpan()
    .SequenceEqual(theirs.EncodeToIds(d.Text.Replace('\n', ' '), ours.MaxTokens, out _, out _).ToArray())).ToList();
Console.WriteLine($"  of those, {withoutNewlines.Count} still differ with every newline replaced by a space, e.g.:");
foreach (var d in withoutNewlines.DistinctBy(d => d.Text).OrderBy(d => d.Text.Length).Take(8))
{
    var text = d.Text.Replace('\n', ' ');
    var (a, b) = (ours.Encode(text), theirs.EncodeToIds(text, ours.MaxTokens, out _, out _).ToArray());
    var at = Enumerable.Range(0, Math.Min(a.Length, b.Length)).FirstOrDefault(i => a[i] != b[i], Math.Min(a.Length, b.Length));
    Console.WriteLine($"    {System.Text.Json.JsonSerializer.Serialize(text.Length > 160 ? text[..160] + "…" : text)}: ours {string.Join(" ", a.Skip(Math.Max(0, at - 2)).Take(5).Select(id => vocabulary[id].Token))} | theirs {string.Join(" ", b.Skip(Math.Max(0, at - 2)).Take(5).Select(id => vocabulary[id].Token))}");
}
foreach (var group in texts.GroupBy(t => t.Source))
    Console.WriteLine($"  {group.Key}: {group.Count()} texts, {differing.Count(d => d.Source == group.Key)} differ");
foreach (var (source, text, a, b) in differing.DistinctBy(d => d.Text).OrderBy(d => d.Text.Length).Take(12))
{
    var at = Enumerable.Range(0, Math.Min(a.Length, b.Length)).FirstOrDefault(i => a[i] != b[i], Math.Min(a.Length, b.Length));
    string Around(int[] ids) => string.Join(" ", ids.Skip(Math.Max(0, at - 2)).Take(6).Select(id => $"{id}:{vocabulary[id].Token}"));
    Console.WriteLine($"  {source}: {System.Text.Json.JsonSerializer.Serialize(text.Length > 160 ? text[..160] + "…" : text)}");
    Console.WriteLine($"    first difference at token {at} of {a.Length} (ours) / {b.Length} (theirs): ours {Around(a)} | theirs {Around(b)}");
}
return differing.Count == 0 ? 0 : 3;
