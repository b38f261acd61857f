using System.Linq;
using System.Text;
using Basic.Reference.Assemblies;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Fusion.Benchmarks;

/// <summary>The generator's own run on a 20-layer model: parse, plan and emit, in a fresh driver each time (a full, uncached build).</summary>
[MemoryDiagnoser]
public class GeneratorBenchmarks
{
    private CSharpCompilation _compilation = null!;

    [GlobalSetup]
    public void Setup()
    {
        var source = new StringBuilder("using Fusion;\n[FusedModel(InputChannels = 3, InputHeight = 64, InputWidth = 64)]\npublic partial class Deep\n{\n");
        source.AppendLine("    [Conv2d(32, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock L0 { get; }");
        for (int i = 1; i < 19; i++)
        {
            string residual = i % 2 == 0 ? $", Residual(nameof(L{i - 2}))" : "";
            source.AppendLine($"    [Conv2d(32, Kernel = 3, Padding = 1, Bias = false), BatchNorm{residual}, Relu] public partial ConvBlock L{i} {{ get; }}");
        }

        source.AppendLine("    [GlobalAvgPool] public partial PoolLayer L19 { get; }\n}");
        _compilation = CSharpCompilation.Create(
            "Deep",
            [CSharpSyntaxTree.ParseText(source.ToString())],
            [.. Net100.References.All, MetadataReference.CreateFromFile(typeof(ConvBlock).Assembly.Location)],
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true));
    }

    [Benchmark]
    public int Generate20Layers()
    {
        GeneratorDriver driver = CSharpGeneratorDriver.Create(new Fusion.Generator.FusionGenerator()).RunGenerators(_compilation);
        return driver.GetRunResult().GeneratedTrees.Sum(t => t.Length);
    }
}
