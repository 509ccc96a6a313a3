namespace Gpo.Figures;

/// <summary>
/// Names the class that knows how to display a type in a notebook. Polyglot Notebooks (.NET Interactive)
/// honours any attribute with exactly this name, by convention, without this library referencing any of
/// its packages; <c>gpo notebook run</c> honours the same convention. The formatter source has a
/// <c>CreateTypeFormatters()</c> method returning objects that each have a <c>string MimeType</c> and a
/// <c>bool Format(object instance, TextWriter writer)</c> (see <see cref="MimeFormatter"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, AllowMultiple = false, Inherited = true)]
public sealed class TypeFormatterSourceAttribute(Type formatterSourceType) : Attribute
{
    public Type FormatterSourceType { get; } = formatterSourceType;

    /// <summary>The MIME types a front-end should prefer for the type (Polyglot shows the first it has).</summary>
    public string[] PreferredMimeTypes { get; set; } = [];
}

/// <summary>One MIME type's formatter, in the shape the <see cref="TypeFormatterSourceAttribute"/> convention expects.</summary>
public sealed class MimeFormatter(string mimeType, Func<object, TextWriter, bool> format)
{
    public string MimeType { get; } = mimeType;

    /// <summary>Writes <paramref name="instance"/> as <see cref="MimeType"/>; false when it cannot (the output then lacks that type).</summary>
    public bool Format(object instance, TextWriter writer) => format(instance, writer);
}
