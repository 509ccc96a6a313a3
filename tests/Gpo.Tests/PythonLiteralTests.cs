using Gpo.Data;

namespace Gpo.Tests;

public class PythonLiteralTests
{
    [Fact]
    public void Strings_in_both_quotes_with_every_escape()
    {
        Assert.Equal("Don't know", PythonLiteral.Parse("\"Don't know\""));
        Assert.Equal("people's", PythonLiteral.Parse(@"'people\'s'"));
        Assert.Equal("say \"hi\"", PythonLiteral.Parse(@"'say \""hi\""'".Replace("\"\"", "\"", StringComparison.Ordinal)));
        Assert.Equal("a\\b", PythonLiteral.Parse(@"'a\\b'"));
        Assert.Equal("line1\nline2\ttab", PythonLiteral.Parse(@"'line1\nline2\ttab'"));
        Assert.Equal("Café été", PythonLiteral.Parse(@"'Caf\xe9 \u00e9t\u00e9'"));
        Assert.Equal("😀", PythonLiteral.Parse(@"'\U0001F600'"));
        Assert.Equal("C:\\d", PythonLiteral.Parse(@"'C:\d'")); // unknown escapes stay as written
    }

    [Fact]
    public void Numbers_ints_floats_exponents_nan_inf()
    {
        Assert.Equal(42L, PythonLiteral.Parse("42"));
        Assert.Equal(-7L, PythonLiteral.Parse("-7"));
        Assert.Equal(0.25, PythonLiteral.Parse("0.25"));
        Assert.Equal(1e-05, PythonLiteral.Parse("1e-05"));
        Assert.Equal(2.5e3, PythonLiteral.Parse("2.5E+3"));
        Assert.Equal(.5, PythonLiteral.Parse(".5"));
        Assert.True(double.IsNaN((double)PythonLiteral.Parse("nan")!));
        Assert.Equal(double.PositiveInfinity, PythonLiteral.Parse("inf"));
        Assert.Equal(double.NegativeInfinity, PythonLiteral.Parse("-inf"));
    }

    [Fact]
    public void None_True_False_lists_tuples_and_nesting()
    {
        var value = Assert.IsType<List<object?>>(PythonLiteral.Parse("[None, True, False, [1, (2, 3)], [], 'x',]"));
        Assert.Null(value[0]);
        Assert.Equal(true, value[1]);
        Assert.Equal(false, value[2]);
        var nested = Assert.IsType<List<object?>>(value[3]);
        Assert.Equal(1L, nested[0]);
        Assert.Equal([2L, 3L], Assert.IsType<List<object?>>(nested[1]));
        Assert.Empty(Assert.IsType<List<object?>>(value[4]));
        Assert.Equal("x", value[5]);
    }

    [Fact]
    public void Dicts_and_the_defaultdict_wrapper()
    {
        var dict = Assert.IsType<PythonDict>(PythonLiteral.Parse(
            "defaultdict(<class 'list'>, {'Belgium': [0.21, 0.07, 0.69, 0.03], \"Côte d'Ivoire\": [1.0], 3: 'three'})"));
        Assert.Equal(3, dict.Entries.Count);
        Assert.Equal([0.21, 0.07, 0.69, 0.03], Assert.IsType<List<object?>>(dict["Belgium"]).Cast<double>());
        Assert.True(dict.TryGet("Côte d'Ivoire", out _));
        Assert.Equal(3L, dict.Entries[2].Key);
        var plain = Assert.IsType<PythonDict>(PythonLiteral.Parse("{1.0: 'Worry a lot', 99.0: 'Refused'}"));
        Assert.Equal(1.0, plain.Entries[0].Key);
        Assert.Empty(Assert.IsType<PythonDict>(PythonLiteral.Parse("defaultdict(<class 'list'>, {})")).Entries);
    }

    [Fact]
    public void String_lists_turn_numbers_into_python_text()
    {
        Assert.Equal(["Not important at all", "1.0", "2.0", "Very important"], PythonLiteral.ParseStringList("['Not important at all', 1.0, 2.0, 'Very important']"));
    }

    [Fact]
    public void Vectors_in_python_and_numpy_print_forms()
    {
        Assert.Equal([0.15446245, 0.42587239, 0.41966516], PythonLiteral.ParseVector("[0.15446245, 0.42587239, 0.41966516]"));
        Assert.Equal([0.49927085, 0.29788298, 0.11926615], PythonLiteral.ParseVector("[0.49927085 0.29788298 0.11926615]"));
        Assert.Equal([0.1, 0.3, 0.6], PythonLiteral.ParseVector("[0.1 0.3\n 0.6]"));
        Assert.Equal([0.25, 0.75, 0.0], PythonLiteral.ParseVector("[0.25       0.75       0.        ]"));
        Assert.Equal([1.0, 2.0, 1.5], PythonLiteral.ParseVector("[1, 2, 1.5]"));
    }

    [Theory]
    [InlineData("['a', 'b'", "unterminated list")]
    [InlineData("['a', 'b]", "unterminated string")]
    [InlineData("['a' 'b']", "expected ','")]
    [InlineData("{'a': 1", "unterminated dict")]
    [InlineData("{'a' 1}", "expected ':'")]
    [InlineData("['a'] x", "after the value")]
    [InlineData("numpy.float64(1)", "unknown name")]
    [InlineData("'\\x4'", "hex digits")]
    [InlineData("", "unexpected end")]
    public void Malformed_text_names_the_problem_and_position(string text, string expected)
    {
        var e = Assert.Throws<PythonLiteralException>(() => PythonLiteral.Parse(text));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Contains("at character", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Float_text_matches_python_repr()
    {
        Assert.Equal("1.0", PythonLiteral.FormatFloat(1.0));
        Assert.Equal("0.5", PythonLiteral.FormatFloat(0.5));
        Assert.Equal("1e-05", PythonLiteral.FormatFloat(1e-5));
        Assert.Equal("nan", PythonLiteral.FormatFloat(double.NaN));
    }
}
