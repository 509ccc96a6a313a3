using System.CommandLine;
using System.Globalization;

namespace Gpo.Cli;

/// <summary>
/// Range checks on option values, run by the parser: a value out of range is a usage error (exit 2) whose line names
/// the option, the rule and the value given.
/// </summary>
internal static class OptionRules
{
    /// <summary>An integer option that must be at least <paramref name="minimum"/> (and at most <paramref name="maximum"/>).</summary>
    public static Option<int> AtLeast(this Option<int> option, int minimum, int maximum = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(option);
        option.Validators.Add(result =>
        {
            if (!TryValue(result, out int value)) return;
            if (value < minimum || value > maximum)
                result.AddError(string.Create(CultureInfo.InvariantCulture,
                    $"{option.Name} must be {(maximum == int.MaxValue ? $"at least {minimum}" : $"between {minimum} and {maximum}")}, not {value}"));
        });
        return option;
    }

    /// <summary>A number that must be finite and above 0 (a learning rate, a time-out).</summary>
    public static Option<double> FinitePositive(this Option<double> option, double maximum = double.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(option);
        option.Validators.Add(result =>
        {
            if (!TryValue(result, out double value)) return;
            if (!double.IsFinite(value) || value <= 0 || value > maximum)
                result.AddError(string.Create(CultureInfo.InvariantCulture,
                    $"{option.Name} must be a finite number above 0{(maximum < double.MaxValue ? $" and at most {maximum}" : "")}, not {value}"));
        });
        return option;
    }

    /// <summary>A fraction strictly between 0 and 1.</summary>
    public static Option<double> Fraction(this Option<double> option)
    {
        ArgumentNullException.ThrowIfNull(option);
        option.Validators.Add(result =>
        {
            if (!TryValue(result, out double value)) return;
            if (!(value > 0 && value < 1)) result.AddError(string.Create(CultureInfo.InvariantCulture, $"{option.Name} must lie strictly between 0 and 1, not {value}"));
        });
        return option;
    }

    /// <summary>The parsed value, or false when it did not parse (the parser reports that error itself).</summary>
    private static bool TryValue<T>(System.CommandLine.Parsing.OptionResult result, out T value)
    {
        try
        {
            value = result.GetValueOrDefault<T>();
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default!;
            return false;
        }
    }

    /// <summary>Fractions strictly between 0 and 1 (a repeatable option).</summary>
    public static Option<double[]> Fractions(this Option<double[]> option)
    {
        ArgumentNullException.ThrowIfNull(option);
        option.Validators.Add(result =>
        {
            if (!TryValue(result, out double[]? values)) return;
            foreach (var value in values ?? [])
                if (!(value > 0 && value < 1)) result.AddError(string.Create(CultureInfo.InvariantCulture, $"{option.Name} must lie strictly between 0 and 1, not {value}"));
        });
        return option;
    }
}
