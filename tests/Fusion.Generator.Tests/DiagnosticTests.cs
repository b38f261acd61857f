using System.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace Fusion.Generator.Tests;

/// <summary>
/// One test per diagnostic ID: its id, its severity, and its location. In each source the expected span is marked
/// <c>[|…|]</c>; the marks are removed before compiling.
/// </summary>
public sealed class DiagnosticTests
{
    private static void AssertDiagnostic(string marked, string id, DiagnosticSeverity severity, params string[] messageParts)
    {
        int start = marked.IndexOf("[|", System.StringComparison.Ordinal);
        int end = marked.IndexOf("|]", System.StringComparison.Ordinal) - 2;
        Assert.True(start >= 0 && end >= start, "the test source must mark the expected span with [| |]");
        string source = marked.Replace("[|", "").Replace("|]", "");

        var (diagnostics, _, _) = GeneratorHarness.Run(source);
        Diagnostic diagnostic = Assert.Single(diagnostics, d => d.Id == id);
        Assert.Equal(severity, diagnostic.Severity);
        Assert.Equal(source.Substring(start, end - start), source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
        string message = diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        foreach (string part in messageParts)
        {
            Assert.Contains(part, message);
        }
    }

    private static string Model(string members, string model = "[FusedModel(InputChannels = 3, InputHeight = 8, InputWidth = 8)]")
        => GeneratorHarness.Usings + model + "\npublic partial class Net\n{\n" + members + "\n}\n";

    [Fact]
    public void FUS0001_model_not_partial()
        => AssertDiagnostic(GeneratorHarness.Usings + "[FusedModel(InputChannels = 3, InputHeight = 8, InputWidth = 8)]\npublic class [|Net|] { }", "FUS0001", DiagnosticSeverity.Error, "'Net'", "partial");

    [Fact]
    public void FUS0002_layer_not_a_partial_property()
        => AssertDiagnostic(Model("[Conv2d(8, Kernel = 3)] public ConvBlock [|Stem|] { get; } = null!;"), "FUS0002", DiagnosticSeverity.Error, "'Stem'");

    [Fact]
    public void FUS0002_layer_with_a_setter()
        => AssertDiagnostic(Model("[Conv2d(8, Kernel = 3)] public partial ConvBlock [|Stem|] { get; set; }"), "FUS0002", DiagnosticSeverity.Error, "only a getter");

    [Fact]
    public void FUS0003_missing_input_shape()
        => AssertDiagnostic(Model("[Conv2d(8, Kernel = 3)] public partial ConvBlock Stem { get; }", "[[|FusedModel(InputChannels = 3, InputHeight = 8)|]]"), "FUS0003", DiagnosticSeverity.Error, "3×8×0");

    [Fact]
    public void FUS0004_duplicate_state_dict_name()
        => AssertDiagnostic(
            Model("[Conv2d(8, Kernel = 3)] public partial ConvBlock DownBlock { get; }\n[Conv2d(8, Kernel = 3)] public partial ConvBlock [|Down_Block|] { get; }"),
            "FUS0004", DiagnosticSeverity.Error, "'down_block'");

    [Fact]
    public void FUS0005_wrong_property_type()
        => AssertDiagnostic(Model("[Linear(10)] public partial ConvBlock [|Head|] { get; }"), "FUS0005", DiagnosticSeverity.Error, "Fusion.LinearBlock", "Fusion.ConvBlock");

    [Fact]
    public void FUS0006_post_op_without_a_layer()
        => AssertDiagnostic(Model("[[|BatchNorm|], Relu] public partial ConvBlock Orphan { get; }"), "FUS0006", DiagnosticSeverity.Error, "'Orphan'", "[BatchNorm]");

    [Fact]
    public void FUS0007_activation_before_residual()
        => AssertDiagnostic(
            Model("[Conv2d(8, Kernel = 3, Padding = 1)] public partial ConvBlock A { get; }\n[Conv2d(8, Kernel = 3, Padding = 1), Relu, Residual([|nameof(A)|])] public partial ConvBlock B { get; }"),
            "FUS0007", DiagnosticSeverity.Error, "before the activation");

    [Fact]
    public void FUS0007_two_activations()
        => AssertDiagnostic(Model("[Conv2d(8, Kernel = 3), Relu, [|Silu|]] public partial ConvBlock A { get; }"), "FUS0007", DiagnosticSeverity.Error, "one activation");

    [Fact]
    public void FUS0008_no_layers()
        => AssertDiagnostic(GeneratorHarness.Usings + "[FusedModel(InputChannels = 3, InputHeight = 8, InputWidth = 8)]\npublic partial class [|Net|] { }", "FUS0008", DiagnosticSeverity.Error, "'Net'");

    [Fact]
    public void FUS1001_negative_padding()
        => AssertDiagnostic(Model("[Conv2d(8, Kernel = 3, [|Padding = -1|])] public partial ConvBlock Stem { get; }"), "FUS1001", DiagnosticSeverity.Error, "'Stem'", "Padding", "-1");

    [Fact]
    public void FUS1001_zero_stride()
        => AssertDiagnostic(Model("[Conv2d(8, Kernel = 3, [|Stride = 0|])] public partial ConvBlock Stem { get; }"), "FUS1001", DiagnosticSeverity.Error, "Stride must be positive, but is 0");

    [Fact]
    public void FUS1001_missing_kernel()
        => AssertDiagnostic(Model("[[|Conv2d(8)|]] public partial ConvBlock Stem { get; }"), "FUS1001", DiagnosticSeverity.Error, "Kernel must be positive");

    [Fact]
    public void FUS1002_groups_do_not_divide()
        => AssertDiagnostic(Model("[Conv2d(8, Kernel = 3, [|Groups = 2|])] public partial ConvBlock Stem { get; }"), "FUS1002", DiagnosticSeverity.Error, "Groups = 2", "(3)", "(8)");

    [Fact]
    public void FUS1003_empty_output()
        => AssertDiagnostic(Model("[[|Conv2d(8, Kernel = 9)|]] public partial ConvBlock Stem { get; }"), "FUS1003", DiagnosticSeverity.Error, "3×8×8", "8×0×0");

    [Fact]
    public void FUS1004_residual_source_missing()
        => AssertDiagnostic(Model("[Conv2d(8, Kernel = 3, Padding = 1), Residual([|\"Nowhere\"|])] public partial ConvBlock A { get; }"), "FUS1004", DiagnosticSeverity.Error, "'Nowhere'");

    [Fact]
    public void FUS1005_residual_shape_mismatch()
        => AssertDiagnostic(
            Model("[Conv2d(8, Kernel = 3, Padding = 1)] public partial ConvBlock A { get; }\n[Conv2d(16, Kernel = 3, Stride = 2, Padding = 1), Residual([|nameof(A)|])] public partial ConvBlock B { get; }"),
            "FUS1005", DiagnosticSeverity.Error, "16×4×4", "8×8×8");

    [Fact]
    public void FUS1006_input_source_missing()
        => AssertDiagnostic(Model("[Input([|\"Later\"|]), Conv2d(8, Kernel = 3)] public partial ConvBlock A { get; }"), "FUS1006", DiagnosticSeverity.Error, "'Later'");

    [Fact]
    public void FUS1007_channel_mismatch()
        => AssertDiagnostic(
            Model("[Conv2d(32, Kernel = 3)] public partial ConvBlock Stem { get; }\n[Conv2d(8, Kernel = 1, [|InChannels = 16|])] public partial ConvBlock Down1 { get; }"),
            "FUS1007", DiagnosticSeverity.Error, "Layer 'Down1' expects 16 input channels but 'Stem' produces 32");

    [Fact]
    public void FUS1008_negative_epsilon()
        => AssertDiagnostic(Model("[Conv2d(8, Kernel = 3, Bias = false), BatchNorm([|Epsilon = -1e-5f|])] public partial ConvBlock A { get; }"), "FUS1008", DiagnosticSeverity.Error, "Epsilon");

    [Fact]
    public void FUS1009_conv_after_flatten()
        => AssertDiagnostic(
            Model("[Flatten] public partial FlattenLayer Flat { get; }\n[[|Conv2d(8, Kernel = 1)|]] public partial ConvBlock A { get; }"),
            "FUS1009", DiagnosticSeverity.Error, "'Flat'", "192");

    [Fact]
    public void FUS1010_clamp_min_above_max()
        => AssertDiagnostic(Model("[Conv2d(8, Kernel = 3), [|Clamp(2f, 1f)|]] public partial ConvBlock A { get; }"), "FUS1010", DiagnosticSeverity.Error, "min ≤ max");

    [Fact]
    public void FUS2001_bias_before_batchnorm()
        => AssertDiagnostic(Model("[[|Conv2d(8, Kernel = 3)|], BatchNorm] public partial ConvBlock A { get; }"), "FUS2001", DiagnosticSeverity.Warning, "'A'", "Bias = false");

    [Fact]
    public void FUS2001_points_at_an_explicit_bias()
        => AssertDiagnostic(Model("[Conv2d(8, Kernel = 3, [|Bias = true|]), BatchNorm] public partial ConvBlock A { get; }"), "FUS2001", DiagnosticSeverity.Warning);

    [Fact]
    public void FUS2002_keras_momentum()
        => AssertDiagnostic(Model("[Conv2d(8, Kernel = 3, Bias = false), BatchNorm([|Momentum = 0.99f|])] public partial ConvBlock A { get; }"), "FUS2002", DiagnosticSeverity.Warning, "0.99", "0.01");

    [Fact]
    public void FUS3001_untracked_batchnorm()
        => AssertDiagnostic(Model("[Conv2d(8, Kernel = 3, Bias = false), BatchNorm([|TrackRunningStats = false|])] public partial ConvBlock A { get; }"), "FUS3001", DiagnosticSeverity.Info, "batch's own statistics");

    [Fact]
    public void FUS3002_nested_model()
        => AssertDiagnostic(
            GeneratorHarness.Usings + "public partial class Outer\n{\n    [FusedModel(InputChannels = 3, InputHeight = 8, InputWidth = 8)]\n    public partial class [|Net|] { [Conv2d(8, Kernel = 3)] public partial ConvBlock A { get; } }\n}",
            "FUS3002", DiagnosticSeverity.Error, "nested");

    [Fact]
    public void FUS3003_unsafe_not_allowed()
    {
        var (diagnostics, sources, _) = GeneratorHarness.Run(Model("[Conv2d(8, Kernel = 3)] public partial ConvBlock A { get; }"), allowUnsafe: false);
        Diagnostic diagnostic = Assert.Single(diagnostics);
        Assert.Equal("FUS3003", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Contains("AllowUnsafeBlocks", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(sources);
    }

    [Fact]
    public void Every_descriptor_is_documented_and_tested()
    {
        string root = RepositoryRoot.Find();
        string documentation = System.IO.File.ReadAllText(System.IO.Path.Combine(root, "docs", "diagnostics.md"));
        string tests = System.IO.File.ReadAllText(System.IO.Path.Combine(root, "tests", "Fusion.Generator.Tests", "DiagnosticTests.cs"));
        foreach (DiagnosticDescriptor descriptor in Fusion.Generator.Diagnostics.DiagnosticDescriptors.All)
        {
            Assert.Contains($"| {descriptor.Id} |", documentation);
            Assert.Contains($"void {descriptor.Id}_", tests);
        }
    }

    [Fact]
    public void Errors_suppress_generation_and_warnings_do_not()
    {
        var (_, withError, _) = GeneratorHarness.Run(Model("[Conv2d(8, Kernel = 3, Stride = 0)] public partial ConvBlock A { get; }"));
        Assert.Empty(withError);
        var (warnings, withWarning, compilation) = GeneratorHarness.Run(Model("[Conv2d(8, Kernel = 3), BatchNorm] public partial ConvBlock A { get; }"));
        Assert.Equal("FUS2001", Assert.Single(warnings).Id);
        Assert.Single(withWarning);
        Assert.Empty(compilation.Where(d => d.Severity >= DiagnosticSeverity.Warning));
    }
}
