using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Fusion.Generator.Model;

/// <summary>A <see cref="Location"/> reduced to values, so that models stay equatable and hold no syntax tree.</summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);

    public static LocationInfo? From(Location? location)
        => location is null || location.SourceTree is null
            ? null
            : new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);

    public static LocationInfo? From(SyntaxNode? node) => node is null ? null : From(node.GetLocation());
}

/// <summary>Where one argument of one attribute was written (<c>Conv2d.Stride</c>, <c>BatchNorm.Momentum</c>, …).</summary>
internal sealed record ArgumentLocation(string Attribute, string Argument, LocationInfo Location);

/// <summary>A diagnostic reduced to values: its descriptor id, where, and the message arguments.</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo? location, params object[] arguments)
        => new(descriptor.Id, location, System.Linq.Enumerable.Select(arguments, a => string.Format(System.Globalization.CultureInfo.InvariantCulture, "{0}", a)).ToEquatableArray());
}
