using System;
using System.Globalization;
using System.Text;

namespace Fusion.Generator.Emitting;

/// <summary>An indentation-tracking text writer: every emitter writes through one of these, never through string concatenation of whole blocks.</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _builder = new();
    private int _indent;

    public SourceWriter(int indent = 0) => _indent = indent;

    /// <summary>A writer for a part that is written out of order, at this writer's current indentation; <see cref="Append"/> adds it.</summary>
    public SourceWriter Nested() => new(_indent);

    /// <summary>Appends what a <see cref="Nested"/> writer wrote.</summary>
    public void Append(SourceWriter nested) => _builder.Append(nested._builder);

    public void Line(string text = "")
    {
        if (text.Length > 0)
        {
            _builder.Append(' ', _indent * 4);
            _builder.Append(text);
        }

        _builder.Append('\n');
    }

    /// <summary>Writes <paramref name="header"/>, an opening brace, and indents until the returned scope is disposed.</summary>
    public Scope Block(string header)
    {
        Line(header);
        return Open();
    }

    public Scope Open()
    {
        Line("{");
        _indent++;
        return new Scope(this);
    }

    public override string ToString() => _builder.ToString();

    internal readonly struct Scope(SourceWriter writer) : IDisposable
    {
        public void Dispose()
        {
            writer._indent--;
            writer.Line("}");
        }
    }
}

/// <summary>Literals written the one way generated code spells them: round-trip, invariant culture, <c>f</c> suffix.</summary>
internal static class Literals
{
    public static string Float(float value)
    {
        if (float.IsNaN(value))
        {
            return "float.NaN";
        }

        if (float.IsPositiveInfinity(value))
        {
            return "float.PositiveInfinity";
        }

        if (float.IsNegativeInfinity(value))
        {
            return "float.NegativeInfinity";
        }

        string text = value.ToString("R", CultureInfo.InvariantCulture);
        return text + "f";
    }

    public static string Thousands(long value) => value.ToString("#,0", CultureInfo.InvariantCulture);

    public static string Bool(bool value) => value ? "true" : "false";

    public static string String(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
