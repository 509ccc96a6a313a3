using System.Globalization;
using System.Text;

namespace Gpo.Data;

/// <summary>A Python dict literal: keys and values in source order (keys are strings, numbers, booleans or null).</summary>
public sealed class PythonDict
{
    public PythonDict(IReadOnlyList<KeyValuePair<object?, object?>> entries) => Entries = entries;

    public IReadOnlyList<KeyValuePair<object?, object?>> Entries { get; }

    /// <summary>The value under a string key, or throws <see cref="KeyNotFoundException"/>.</summary>
    public object? this[string key] => TryGet(key, out var v) ? v : throw new KeyNotFoundException(key);

    public bool TryGet(string key, out object? value)
    {
        foreach (var (k, v) in Entries)
            if (k is string s && s == key) { value = v; return true; }
        value = null;
        return false;
    }
}

/// <summary>Malformed Python literal text; <see cref="Position"/> is the 0-based character offset.</summary>
public sealed class PythonLiteralException : Exception
{
    /// <param name="problem">What is wrong.</param>
    /// <param name="position">0-based character offset, or -1 when not meaningful.</param>
    public PythonLiteralException(string problem, int position) : base(position >= 0 ? $"{problem} at character {position + 1}" : problem) { Position = position; }
    public PythonLiteralException() { }
    public PythonLiteralException(string message) : base(message) { }
    public PythonLiteralException(string message, Exception inner) : base(message, inner) { }
    public int Position { get; }
}

/// <summary>
/// Parser for the Python-literal text found in data files (what Python's <c>repr</c> prints):
/// strings in single or double quotes with escapes (<c>\' \" \\ \n \t \r \xNN \uNNNN \UNNNNNNNN</c>),
/// ints, floats (exponents, <c>nan</c>, <c>inf</c>), <c>None/True/False</c>, lists, tuples, dicts, and
/// the wrapper <c>defaultdict(&lt;class 'list'&gt;, {...})</c>, which yields its dict.
/// Values come back as <c>string</c>, <c>long</c>, <c>double</c>, <c>bool</c>, <c>null</c>,
/// <c>List&lt;object?&gt;</c> (lists and tuples) and <see cref="PythonDict"/>.
/// Also reads numpy's printed vectors (<c>[0.49927085 0.29788298 0.11926615]</c>) via <see cref="ParseVector"/>.
/// </summary>
public sealed class PythonLiteral
{
    private readonly string _text;
    private int _pos;
    private int _depth;

    private PythonLiteral(string text) => _text = text;

    /// <summary>Parses one literal; the whole text must be consumed (surrounding whitespace allowed).</summary>
    public static object? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parser = new PythonLiteral(text);
        var value = parser.ParseValue();
        parser.SkipWhitespace();
        if (parser._pos != text.Length) throw new PythonLiteralException($"unexpected '{text[parser._pos]}' after the value", parser._pos);
        return value;
    }

    /// <summary>Parses a list of strings (numbers become their Python text, e.g. 1.0 → "1.0").</summary>
    public static List<string> ParseStringList(string text)
    {
        if (Parse(text) is not List<object?> list) throw new PythonLiteralException("expected a list", 0);
        return list.Select(QuestionIdentity.OptionText).ToList();
    }

    /// <summary>
    /// Parses a numeric vector written as a Python list (<c>[0.1, 0.2]</c>) or as numpy prints it
    /// (<c>[0.1 0.2]</c>, possibly wrapped over lines).
    /// </summary>
    public static double[] ParseVector(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (trimmed.Length < 2 || trimmed[0] != '[' || trimmed[^1] != ']') throw new PythonLiteralException("expected a vector in [ ]", 0);
        if (trimmed.Contains(','))
        {
            if (Parse(trimmed) is not List<object?> list) throw new PythonLiteralException("expected a list", 0);
            return list.Select((v, i) => v switch
            {
                double d => d,
                long l => l,
                _ => throw new PythonLiteralException($"element {i} is not a number", -1),
            }).ToArray();
        }
        var parts = trimmed[1..^1].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var result = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!TryParseFloat(parts[i], out result[i])) throw new PythonLiteralException($"element {i} '{parts[i]}' is not a number", -1);
        return result;
    }

    /// <summary>A double as Python's repr prints it (1.0, 0.5, 1e-05, nan, inf).</summary>
    public static string FormatFloat(double value)
    {
        if (double.IsNaN(value)) return "nan";
        if (double.IsPositiveInfinity(value)) return "inf";
        if (double.IsNegativeInfinity(value)) return "-inf";
        var s = value.ToString("R", CultureInfo.InvariantCulture);
        if (s.Contains('E', StringComparison.Ordinal))
        {
            // .NET "1E-05" → Python "1e-05"
            var parts = s.Split('E');
            var exponent = int.Parse(parts[1], CultureInfo.InvariantCulture);
            return $"{parts[0]}e{(exponent < 0 ? "-" : "+")}{Math.Abs(exponent):00}";
        }
        return s.Contains('.', StringComparison.Ordinal) ? s : s + ".0";
    }

    private static bool TryParseFloat(string s, out double value)
    {
        switch (s)
        {
            case "nan": value = double.NaN; return true;
            case "inf": value = double.PositiveInfinity; return true;
            case "-inf": value = double.NegativeInfinity; return true;
        }
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    private object? ParseValue()
    {
        SkipWhitespace();
        if (_pos >= _text.Length) throw new PythonLiteralException("unexpected end of text", _pos);
        char c = _text[_pos];
        switch (c)
        {
            case '\'': case '"': return ParseString();
            case '[': _pos++; return Nested(() => ParseSequence(']'));
            case '(': _pos++; return Nested(() => ParseSequence(')'));
            case '{': return Nested(ParseDict);
        }
        if (c == '-' || c == '+' || c == '.' || char.IsAsciiDigit(c)) return ParseNumber();
        if (char.IsAsciiLetter(c) || c == '_')
        {
            int start = _pos;
            while (_pos < _text.Length && (char.IsAsciiLetterOrDigit(_text[_pos]) || _text[_pos] == '_')) _pos++;
            var word = _text[start.._pos];
            switch (word)
            {
                case "None": return null;
                case "True": return true;
                case "False": return false;
                case "nan": return double.NaN;
                case "inf": return double.PositiveInfinity;
                case "defaultdict": return ParseDefaultDict(start);
                default: throw new PythonLiteralException($"unknown name '{word}'", start);
            }
        }
        throw new PythonLiteralException($"unexpected '{c}'", _pos);
    }

    /// <summary>Parses a list, tuple or dict one level deeper, refusing nesting beyond <see cref="IO.InputLimits.MaxNestingDepth"/> (no stack overflow).</summary>
    private T Nested<T>(Func<T> parse)
    {
        if (++_depth > IO.InputLimits.MaxNestingDepth)
            throw new PythonLiteralException($"lists/dicts nested deeper than {IO.InputLimits.MaxNestingDepth} levels (the nesting limit)", _pos - 1);
        try { return parse(); }
        finally { _depth--; }
    }

    private PythonDict ParseDefaultDict(int start)
    {
        SkipWhitespace();
        Expect('(');
        SkipWhitespace();
        // the default factory, printed as <class 'list'> (or None)
        if (_pos < _text.Length && _text[_pos] == '<')
        {
            int close = _text.IndexOf('>', _pos);
            if (close < 0) throw new PythonLiteralException("unterminated <class ...> in defaultdict", _pos);
            _pos = close + 1;
        }
        else ParseValue();
        SkipWhitespace();
        Expect(',');
        var dict = ParseValue() as PythonDict ?? throw new PythonLiteralException("defaultdict without a dict", start);
        SkipWhitespace();
        Expect(')');
        return dict;
    }

    private List<object?> ParseSequence(char close)
    {
        var items = new List<object?>();
        while (true)
        {
            SkipWhitespace();
            if (_pos >= _text.Length) throw new PythonLiteralException($"unterminated list, expected '{close}'", _pos);
            if (_text[_pos] == close) { _pos++; return items; }
            items.Add(ParseValue());
            SkipWhitespace();
            if (_pos >= _text.Length) throw new PythonLiteralException($"unterminated list, expected '{close}'", _pos);
            if (_text[_pos] == ',') { _pos++; continue; }
            if (_text[_pos] == close) { _pos++; return items; }
            throw new PythonLiteralException($"expected ',' or '{close}' but found '{_text[_pos]}'", _pos);
        }
    }

    private PythonDict ParseDict()
    {
        Expect('{');
        var entries = new List<KeyValuePair<object?, object?>>();
        while (true)
        {
            SkipWhitespace();
            if (_pos >= _text.Length) throw new PythonLiteralException("unterminated dict, expected '}'", _pos);
            if (_text[_pos] == '}') { _pos++; return new PythonDict(entries); }
            var key = ParseValue();
            SkipWhitespace();
            Expect(':');
            var value = ParseValue();
            entries.Add(new(key, value));
            SkipWhitespace();
            if (_pos >= _text.Length) throw new PythonLiteralException("unterminated dict, expected '}'", _pos);
            if (_text[_pos] == ',') { _pos++; continue; }
            if (_text[_pos] == '}') { _pos++; return new PythonDict(entries); }
            throw new PythonLiteralException($"expected ',' or '}}' but found '{_text[_pos]}'", _pos);
        }
    }

    private object ParseNumber()
    {
        int start = _pos;
        if (_text[_pos] is '-' or '+') _pos++;
        if (_text.AsSpan(_pos).StartsWith("inf", StringComparison.Ordinal)) { _pos += 3; return _text[start] == '-' ? double.NegativeInfinity : double.PositiveInfinity; }
        if (_text.AsSpan(_pos).StartsWith("nan", StringComparison.Ordinal)) { _pos += 3; return double.NaN; }
        bool isFloat = false;
        while (_pos < _text.Length)
        {
            char c = _text[_pos];
            if (char.IsAsciiDigit(c) || c == '_') { _pos++; continue; }
            if (c is '.' or 'e' or 'E') { isFloat = true; _pos++; if (c is 'e' or 'E' && _pos < _text.Length && _text[_pos] is '+' or '-') _pos++; continue; }
            break;
        }
        var s = _text[start.._pos].Replace("_", "", StringComparison.Ordinal);
        if (!isFloat && long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l)) return l;
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d)) return d;
        throw new PythonLiteralException($"bad number '{s}'", start);
    }

    private string ParseString()
    {
        char quote = _text[_pos];
        int start = _pos;
        _pos++;
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _text.Length || _text[_pos] == '\n') throw new PythonLiteralException("unterminated string", start);
            char c = _text[_pos++];
            if (c == quote) return sb.ToString();
            if (c != '\\') { sb.Append(c); continue; }
            if (_pos >= _text.Length) throw new PythonLiteralException("unterminated string", start);
            char e = _text[_pos++];
            switch (e)
            {
                case '\\': sb.Append('\\'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case '0': sb.Append('\0'); break;
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'v': sb.Append('\v'); break;
                case '\n': break; // line continuation
                case 'x': sb.Append((char)Hex(2)); break;
                case 'u': sb.Append((char)Hex(4)); break;
                case 'U':
                    int at = _pos - 2;
                    long codePoint = (uint)Hex(8);
                    if (codePoint > 0x10FFFF) throw new PythonLiteralException($"\\U escape {_text.Substring(at, 10)} is beyond U+10FFFF, the last Unicode code point", at);
                    if (codePoint <= 0xFFFF) sb.Append((char)codePoint); // a lone surrogate stays as Python keeps it
                    else sb.Append(char.ConvertFromUtf32((int)codePoint));
                    break;
                default: sb.Append('\\').Append(e); break; // Python keeps unknown escapes as written
            }
        }
    }

    private int Hex(int digits)
    {
        if (_pos + digits > _text.Length || !int.TryParse(_text.AsSpan(_pos, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int value))
            throw new PythonLiteralException($"bad \\x/\\u/\\U escape, expected {digits} hex digits", _pos);
        _pos += digits;
        return value;
    }

    private void Expect(char c)
    {
        if (_pos >= _text.Length || _text[_pos] != c) throw new PythonLiteralException($"expected '{c}'", _pos);
        _pos++;
    }

    private void SkipWhitespace()
    {
        while (_pos < _text.Length && char.IsWhiteSpace(_text[_pos])) _pos++;
    }
}
