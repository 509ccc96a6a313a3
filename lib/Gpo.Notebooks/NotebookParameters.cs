using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Gpo.Notebooks;

/// <summary>
/// Papermill-style parameters: the variables declared at the top level of the cell tagged
/// <c>parameters</c> can be given new values from the command line (<c>-p quick=true</c>). The runner
/// injects a cell tagged <c>injected-parameters</c> right after that cell which declares them again with
/// the new values, typed as the original declaration: <c>bool</c>, <c>int</c>, <c>double</c> or
/// <c>string</c>, written explicitly or inferred from a literal after <c>var</c>.
/// </summary>
public static class NotebookParameters
{
    public const string ParametersTag = "parameters";
    public const string InjectedTag = "injected-parameters";

    /// <summary>The parameter names of a <c>parameters</c> cell and their C# types ("bool", "int", "double", "string"; null when not one of those).</summary>
    public static IReadOnlyDictionary<string, string?> Declarations(string source)
    {
        var tree = CSharpSyntaxTree.ParseText(source, CSharpParseOptions.Default.WithKind(SourceCodeKind.Script));
        var declarations = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var declaration in tree.GetRoot().DescendantNodes().OfType<VariableDeclarationSyntax>())
        {
            // Only top-level declarations (script fields or global statements), not locals inside lambdas or methods.
            if (declaration.Parent is not (FieldDeclarationSyntax or LocalDeclarationStatementSyntax { Parent: GlobalStatementSyntax })) continue;
            foreach (var variable in declaration.Variables)
                declarations[variable.Identifier.ValueText] = TypeOf(declaration.Type, variable.Initializer?.Value);
        }
        return declarations;
    }

    private static string? TypeOf(TypeSyntax type, ExpressionSyntax? initializer)
    {
        if (type is PredefinedTypeSyntax predefined)
            return predefined.Keyword.ValueText is "bool" or "int" or "double" or "string" ? predefined.Keyword.ValueText : null;
        if (!type.IsVar) return null;
        return initializer switch
        {
            LiteralExpressionSyntax literal when literal.IsKind(SyntaxKind.TrueLiteralExpression) || literal.IsKind(SyntaxKind.FalseLiteralExpression) => "bool",
            LiteralExpressionSyntax literal when literal.IsKind(SyntaxKind.StringLiteralExpression) => "string",
            LiteralExpressionSyntax literal when literal.IsKind(SyntaxKind.NumericLiteralExpression) => literal.Token.Value switch
            {
                int => "int",
                double => "double",
                _ => null,
            },
            PrefixUnaryExpressionSyntax { Operand: LiteralExpressionSyntax operand } negative when negative.IsKind(SyntaxKind.UnaryMinusExpression) =>
                TypeOf(type, operand),
            _ => null,
        };
    }

    /// <summary>
    /// The source of the injected cell that gives <paramref name="values"/> (name → command-line text) to the
    /// parameters declared in <paramref name="parametersSource"/>. Throws <see cref="NotebookException"/> (prefixed
    /// with <paramref name="where"/>) for an unknown name, an untyped declaration or a value that does not parse.
    /// </summary>
    public static string InjectedSource(string parametersSource, IReadOnlyDictionary<string, string> values, string where)
    {
        ArgumentNullException.ThrowIfNull(values);
        var declarations = Declarations(parametersSource);
        var source = new StringBuilder("// Parameters injected by `gpo notebook run -p` (they replace the defaults above).");
        foreach (var (name, text) in values.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            if (!declarations.TryGetValue(name, out var type))
                throw new NotebookException($"{where}: unknown parameter '{name}'; the parameters cell declares: {string.Join(", ", declarations.Keys.Order(StringComparer.Ordinal))}.");
            if (type is null)
                throw new NotebookException($"{where}: parameter '{name}' cannot be set: declare it as bool, int, double or string (explicitly, or with var and a literal).");
            source.Append('\n').Append(type).Append(' ').Append(name).Append(" = ").Append(Literal(type, name, text, where)).Append(';');
        }
        return source.ToString();
    }

    private static string Literal(string type, string name, string text, string where)
    {
        string Fail() => throw new NotebookException($"{where}: parameter '{name}' is {type}, and '{text}' is not a {type} value.");
        switch (type)
        {
            case "bool":
                return bool.TryParse(text, out var flag) ? (flag ? "true" : "false") : Fail();
            case "int":
                return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var integer) ? integer.ToString(CultureInfo.InvariantCulture) : Fail();
            case "double":
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real)) return Fail();
                return double.IsNaN(real) ? "double.NaN"
                    : double.IsPositiveInfinity(real) ? "double.PositiveInfinity"
                    : double.IsNegativeInfinity(real) ? "double.NegativeInfinity"
                    : real.ToString("R", CultureInfo.InvariantCulture) + "d";
            default:
                return SymbolDisplay.FormatLiteral(text, quote: true);
        }
    }
}
