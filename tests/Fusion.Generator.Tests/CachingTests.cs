using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;

namespace Fusion.Generator.Tests;

/// <summary>The incremental pipeline's promise: an edit that touches no model re-runs neither planning nor emission.</summary>
public sealed class CachingTests
{
    private const string Source = GeneratorHarness.Usings + """
        [FusedModel(InputChannels = 3, InputHeight = 8, InputWidth = 8)]
        public partial class Net
        {
            [Conv2d(8, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Relu]
            public partial ConvBlock Stem { get; }
        }
        """;

    private static GeneratorRunResult Rerun(CSharpCompilation first, CSharpCompilation second)
    {
        GeneratorDriver driver = GeneratorHarness.Driver(trackSteps: true).RunGenerators(first);
        return driver.RunGenerators(second).GetRunResult().Results.Single();
    }

    private static IncrementalStepRunReason[] Reasons(GeneratorRunResult result, string step)
        => result.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason).ToArray();

    [Fact]
    public void Unrelated_edit_leaves_plan_and_emit_cached()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(Source);
        CSharpCompilation edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace Demo; public class Unrelated { public int X => 42; }", GeneratorHarness.ParseOptions));

        GeneratorRunResult result = Rerun(compilation, edited);

        Assert.All(Reasons(result, TrackingNames.Parse), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, r.ToString()));
        Assert.All(Reasons(result, TrackingNames.Plan), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, r.ToString()));
        Assert.All(Reasons(result, TrackingNames.Emit), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, r.ToString()));
        Assert.NotEmpty(Reasons(result, TrackingNames.Emit));
    }

    [Fact]
    public void Editing_the_model_re_emits_it()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(Source);
        SyntaxTree tree = compilation.SyntaxTrees.First();
        CSharpCompilation edited = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(Source.Replace("Conv2d(8,", "Conv2d(16,"), GeneratorHarness.ParseOptions, path: tree.FilePath));

        GeneratorRunResult result = Rerun(compilation, edited);

        Assert.Contains(IncrementalStepRunReason.Modified, Reasons(result, TrackingNames.Emit));
    }

    [Fact]
    public void Pipeline_values_hold_no_symbols_or_syntax()
    {
        GeneratorDriver driver = GeneratorHarness.Driver(trackSteps: true).RunGenerators(GeneratorHarness.Compile(Source));
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        foreach (string step in new[] { TrackingNames.Parse, TrackingNames.Plan, TrackingNames.Emit })
        {
            foreach (object value in result.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Value))
            {
                AssertNoRoslynObjects(value, step, depth: 0);
            }
        }
    }

    private static void AssertNoRoslynObjects(object? value, string step, int depth)
    {
        if (value is null || depth > 8 || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum)
        {
            return;
        }

        Assert.False(value is ISymbol or SyntaxNode or Compilation or SemanticModel or Location or SyntaxTree, $"step {step} holds a {value.GetType().Name}");
        if (value is System.Collections.IEnumerable items)
        {
            foreach (object? item in items)
            {
                AssertNoRoslynObjects(item, step, depth + 1);
            }

            return;
        }

        foreach (var field in value.GetType().GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic))
        {
            AssertNoRoslynObjects(field.GetValue(value), step, depth + 1);
        }
    }
}
