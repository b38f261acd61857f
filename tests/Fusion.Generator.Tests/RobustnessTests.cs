using System;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Fusion.Generator.Tests;

/// <summary>
/// The generator's contract on any declaration: it never throws, and either reports an error or produces code that
/// compiles without errors. Checked on seeded random declarations, many of them broken on purpose.
/// </summary>
public sealed class RobustnessTests
{
    private static string RandomModel(Random random)
    {
        int Pick(params int[] values) => values[random.Next(values.Length)];
        var source = new StringBuilder(GeneratorHarness.Usings);
        source.AppendLine($"[FusedModel(InputChannels = {Pick(0, 1, 3, 8)}, InputHeight = {Pick(-1, 1, 5, 8)}, InputWidth = {Pick(1, 4, 7)})]");
        source.AppendLine("public partial class Net\n{");
        int layers = random.Next(1, 5);
        for (int i = 0; i < layers; i++)
        {
            string post = string.Join(", ", new[]
            {
                random.Next(3) == 0 ? $"BatchNorm(Momentum = {Pick(0, 1, 2) / 2.0:0.0}f, Epsilon = {(random.Next(5) == 0 ? "0f" : "1e-5f")})" : null,
                random.Next(4) == 0 ? $"Residual(\"L{random.Next(0, layers)}\")" : null,
                random.Next(3) == 0 ? new[] { "Relu", "Silu", "Clamp(1f, 0f)", "LeakyRelu(0.1f)", "Mish" }[random.Next(5)] : null,
                random.Next(6) == 0 ? $"Input(\"L{random.Next(0, layers)}\")" : null,
            }.Where(p => p is not null));
            string layer = random.Next(6) switch
            {
                0 => $"[MaxPool2d({Pick(0, 2, 3)}, Padding = {Pick(-1, 0, 1, 2)}){(post.Length > 0 ? ", " + post : "")}] public partial PoolLayer L{i} {{ get; }}",
                1 => $"[Linear({Pick(0, 3, 9)}, InFeatures = {Pick(0, 5)}){(post.Length > 0 ? ", " + post : "")}] public partial LinearBlock L{i} {{ get; }}",
                2 => $"[Flatten] public partial FlattenLayer L{i} {{ get; }}",
                3 => $"[GlobalAvgPool] public partial {(random.Next(2) == 0 ? "Layer" : "ConvBlock")} L{i} {{ get; }}",
                _ => $"[Conv2d({Pick(-1, 1, 8, 9)}, Kernel = {Pick(0, 1, 3, 5)}, Stride = {Pick(0, 1, 2)}, Padding = {Pick(-1, 0, 1, 2)}, Dilation = {Pick(1, 2)}, Groups = {Pick(0, 1, 3)}, Bias = {(random.Next(2) == 0 ? "true" : "false")}){(post.Length > 0 ? ", " + post : "")}] public partial ConvBlock L{i} {{ get; }}",
            };
            source.AppendLine("    " + layer);
        }

        source.AppendLine("}");
        return source.ToString();
    }

    [Fact]
    public void Any_declaration_gives_an_error_or_code_that_compiles()
    {
        var random = new Random(20261130);
        int generated = 0, rejected = 0;
        for (int i = 0; i < 500; i++)
        {
            string source = RandomModel(random);
            var (diagnostics, sources, compilation) = GeneratorHarness.Run(source);   // throws if the generator threw
            Assert.DoesNotContain(diagnostics, d => d.GetMessage().Contains("failed (", StringComparison.Ordinal));
            if (diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error))
            {
                Assert.Empty(sources);
                rejected++;
                continue;
            }

            Diagnostic[] errors = compilation.Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
            Assert.True(errors.Length == 0, source + "\n" + string.Join("\n", errors.Select(e => e.ToString())));
            generated++;
        }

        // The random declarations must exercise both outcomes, or the test proves little.
        Assert.True(generated >= 20, $"only {generated} random declarations were valid");
        Assert.True(rejected >= 20, $"only {rejected} random declarations were rejected");
    }

    [Theory]
    [InlineData("[Conv2d] public partial ConvBlock A { get; }")]
    [InlineData("[Conv2d(\"eight\", Kernel = 3)] public partial ConvBlock A { get; }")]
    [InlineData("[Conv2d(8, Kernel = 3), Residual(null!)] public partial ConvBlock A { get; }")]
    [InlineData("[Conv2d(8, Kernel = 3)] public partial ConvBlock A { get; } [Conv2d(8, Kernel = 3)] public partial ConvBlock A { get; }")]
    [InlineData("[Conv2d(8, Kernel = 3)] public partial UnknownType A { get; }")]
    [InlineData("[Conv2d(8, Kernel = 3), Conv2d(4, Kernel = 1)] public partial ConvBlock A { get; }")]
    [InlineData("[Conv2d(8, Kernel = 3)] public static partial ConvBlock A { get; }")]
    [InlineData("[Conv2d(8, Kernel = 3)] public ConvBlock A() => null!;")]
    [InlineData("[Conv2d(int.MaxValue, Kernel = 3)] public partial ConvBlock A { get; }")]
    public void Broken_declarations_never_crash_the_generator(string member)
        => GeneratorHarness.Run(GeneratorHarness.Usings + "[FusedModel(InputChannels = 3, InputHeight = 8, InputWidth = 8)]\npublic partial class Net\n{\n" + member + "\n}\n");
}
