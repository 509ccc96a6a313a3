namespace Gpo.Figures;

/// <summary>
/// The fixed trace colours of every figure: the Okabe–Ito palette, chosen so that the series stay
/// distinguishable for readers with the common forms of colour blindness and in greyscale print.
/// Trace <c>i</c> gets <c>Colors[i % Colors.Count]</c> unless it names its own colour.
/// </summary>
public static class Palette
{
    /// <summary>
    /// Blue, orange, bluish green, vermillion, reddish purple, sky blue, yellow, black (Okabe–Ito), then indigo, wine,
    /// olive and grey (Paul Tol's muted scheme) for figures with more than eight series — as <c>#rrggbb</c>.
    /// </summary>
    public static IReadOnlyList<string> Colors { get; } =
        ["#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#f0e442", "#000000", "#332288", "#882255", "#999933", "#888888"];

    /// <summary>The colour of the trace at <paramref name="traceIndex"/>.</summary>
    public static string ColorAt(int traceIndex) => Colors[traceIndex % Colors.Count];

    /// <summary>True when <paramref name="color"/> is written <c>#rrggbb</c> (the only form figures accept).</summary>
    public static bool IsHexColor(string color) =>
        color is { Length: 7 } && color[0] == '#' && color.AsSpan(1).ContainsAnyExcept("0123456789abcdefABCDEF") == false;
}
