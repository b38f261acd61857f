using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace Fusion.Generator.Tests;

/// <summary>
/// The generated code a reader should see, one snapshot per representative declaration. Every snapshot's source
/// also compiles, together with its declaration, with no warning at all (documentation warnings included).
/// </summary>
public sealed class SnapshotTests
{
    private const string Header = GeneratorHarness.Usings;

    public static TheoryData<string, string> Declarations() => new()
    {
        { "ConvReluBorders", "[FusedModel(InputChannels = 3, InputHeight = 6, InputWidth = 6)]\npublic partial class Net\n{\n    [Conv2d(8, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Relu]\n    public partial ConvBlock Stem { get; }\n}" },
        { "Conv1x1Stride2", "[FusedModel(InputChannels = 16, InputHeight = 8, InputWidth = 8)]\npublic partial class Net\n{\n    [Conv2d(16, Kernel = 1, Stride = 2, Bias = false), BatchNorm]\n    public partial ConvBlock Project { get; }\n}" },
        { "PartialVectorAndTile", "[FusedModel(InputChannels = 4, InputHeight = 5, InputWidth = 11)]\npublic partial class Net\n{\n    [Conv2d(10, Kernel = 3, Padding = 1), Silu]\n    public partial ConvBlock Conv { get; }\n}" },
        { "Depthwise", "[FusedModel(InputChannels = 8, InputHeight = 6, InputWidth = 6)]\npublic partial class Net\n{\n    [Conv2d(8, Kernel = 3, Padding = 1, Groups = 8, Bias = false), BatchNorm, Relu6]\n    public partial ConvBlock Depthwise { get; }\n}" },
        { "Grouped", "[FusedModel(InputChannels = 8, InputHeight = 6, InputWidth = 6)]\npublic partial class Net\n{\n    [Conv2d(16, Kernel = 3, Groups = 2, Bias = false), BatchNorm, HardSwish]\n    public partial ConvBlock Grouped { get; }\n}" },
        { "Dilated", "[FusedModel(InputChannels = 4, InputHeight = 9, InputWidth = 9)]\npublic partial class Net\n{\n    [Conv2d(8, Kernel = 3, Padding = 2, Dilation = 2, Bias = false), BatchNorm, Gelu]\n    public partial ConvBlock Atrous { get; }\n}" },
        { "NonSquareKernel", "[FusedModel(InputChannels = 2, InputHeight = 4, InputWidth = 12)]\npublic partial class Net\n{\n    [Conv2d(8, KernelHeight = 1, KernelWidth = 3, PaddingWidth = 1), LeakyRelu(0.2f)]\n    public partial ConvBlock Row { get; }\n}" },
        { "ResidualAdd", "[FusedModel(InputChannels = 8, InputHeight = 6, InputWidth = 6)]\npublic partial class Net\n{\n    [Conv2d(8, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Relu]\n    public partial ConvBlock A { get; }\n\n    [Conv2d(8, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Residual(nameof(A)), Relu]\n    public partial ConvBlock B { get; }\n}" },
        { "ProjectionShortcut", "[FusedModel(InputChannels = 8, InputHeight = 6, InputWidth = 6)]\npublic partial class Net\n{\n    [Conv2d(16, Kernel = 3, Stride = 2, Padding = 1, Bias = false), BatchNorm, Relu]\n    public partial ConvBlock Conv1 { get; }\n\n    [Conv2d(16, Kernel = 3, Padding = 1, Bias = false), BatchNorm]\n    public partial ConvBlock Conv2 { get; }\n\n    [Input(InputAttribute.ModelInput), Conv2d(16, Kernel = 1, Stride = 2, Bias = false), BatchNorm]\n    public partial ConvBlock Shortcut { get; }\n\n    [Input(nameof(Conv2)), Conv2d(16, Kernel = 1, Bias = false), BatchNorm, Residual(nameof(Shortcut)), Relu]\n    public partial ConvBlock Out { get; }\n}" },
        { "ChannelTileThreads", "[FusedModel(InputChannels = 8, InputHeight = 4, InputWidth = 4)]\npublic partial class Net\n{\n    [Conv2d(104, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Relu]\n    public partial ConvBlock A { get; }\n\n    [Conv2d(104, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Residual(nameof(A)), Relu]\n    public partial ConvBlock B { get; }\n}" },
        { "LinearHead", "[FusedModel(InputChannels = 4, InputHeight = 3, InputWidth = 3)]\npublic partial class Net\n{\n    [Flatten]\n    public partial FlattenLayer Flat { get; }\n\n    [Linear(20, Bias = false), BatchNorm, Gelu(Approximate = GeluApproximation.Tanh)]\n    public partial LinearBlock Hidden { get; }\n\n    [Linear(3)]\n    public partial LinearBlock Logits { get; }\n}" },
        { "Pooling", "[FusedModel(InputChannels = 2, InputHeight = 8, InputWidth = 8)]\npublic partial class Net\n{\n    [MaxPool2d(3, Stride = 2, Padding = 1)]\n    public partial PoolLayer Max { get; }\n\n    [AvgPool2d(2, CountIncludePad = false)]\n    public partial PoolLayer Average { get; }\n\n    [GlobalAvgPool]\n    public partial Layer Global { get; }\n}" },
        { "ActivationConstants", "[FusedModel(InputChannels = 1, InputHeight = 4, InputWidth = 4)]\npublic partial class Net\n{\n    [Conv2d(8, Kernel = 1), Clamp(-1.5f, 2f)]\n    public partial ConvBlock A { get; }\n\n    [Conv2d(8, Kernel = 1), Elu(0.5f)]\n    public partial ConvBlock B { get; }\n\n    [Conv2d(8, Kernel = 1), Mish]\n    public partial ConvBlock C { get; }\n}" },
        { "BatchStatistics", "[FusedModel(InputChannels = 4, InputHeight = 4, InputWidth = 4)]\npublic partial class Net\n{\n    [Conv2d(8, Kernel = 1, Bias = false), BatchNorm(TrackRunningStats = false), Relu]\n    public partial ConvBlock A { get; }\n}" },
        { "TinyNet", "[FusedModel(InputChannels = 3, InputHeight = 32, InputWidth = 32)]\npublic partial class TinyNet\n{\n    [Conv2d(16, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Relu]\n    public partial ConvBlock Stem { get; }\n\n    [Conv2d(32, Kernel = 3, Stride = 2, Padding = 1, Bias = false), BatchNorm, Relu]\n    public partial ConvBlock Down1 { get; }\n\n    [Conv2d(32, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Residual(nameof(Down1)), Relu]\n    public partial ConvBlock Block1 { get; }\n\n    [Conv2d(64, Kernel = 3, Stride = 2, Padding = 1, Bias = false), BatchNorm, Relu]\n    public partial ConvBlock Down2 { get; }\n\n    [Conv2d(64, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Residual(nameof(Down2)), Relu]\n    public partial ConvBlock Block2 { get; }\n\n    [Conv2d(128, Kernel = 1, Bias = false), BatchNorm, Relu]\n    public partial ConvBlock Expand { get; }\n\n    [GlobalAvgPool]\n    public partial PoolLayer Pool { get; }\n\n    [Linear(10)]\n    public partial LinearBlock Head { get; }\n}" },
    };

    [Theory]
    [MemberData(nameof(Declarations))]
    public void Generated_code_matches_its_snapshot_and_compiles_cleanly(string name, string declaration)
    {
        string source = Header + declaration + "\n";
        CSharpCompilation compilation = GeneratorHarness.Compile(source);
        var parseOptions = GeneratorHarness.ParseOptions.WithDocumentationMode(DocumentationMode.Diagnose);
        compilation = compilation.RemoveAllSyntaxTrees().AddSyntaxTrees(CSharpSyntaxTree.ParseText(source, parseOptions, path: "Model.cs"));
        GeneratorDriver driver = Microsoft.CodeAnalysis.CSharp.CSharpGeneratorDriver.Create([new FusionGenerator().AsSourceGenerator()], parseOptions: parseOptions)
            .RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out _);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();

        Assert.Null(result.Exception);
        Assert.DoesNotContain(result.Diagnostics, d => d.Severity >= DiagnosticSeverity.Warning);
        GeneratedSourceResult generated = Assert.Single(result.GeneratedSources);
        Diagnostic[] problems = output.GetDiagnostics()
            .Where(d => d.Severity >= DiagnosticSeverity.Warning && (d.Location.SourceTree?.FilePath.EndsWith(".g.cs", System.StringComparison.Ordinal) ?? true) || d.Severity == DiagnosticSeverity.Error)
            .ToArray();
        Assert.True(problems.Length == 0, string.Join("\n", problems.Select(d => d.ToString())));

        Snapshot.Verify(name, generated.SourceText.ToString());
    }
}
