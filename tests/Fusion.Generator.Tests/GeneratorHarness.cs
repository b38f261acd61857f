using System;
using System.Collections.Immutable;
using System.Linq;
using Basic.Reference.Assemblies;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Fusion.Generator.Tests;

/// <summary>Runs the generator on in-memory source against the .NET 10 reference assemblies and the Fusion runtime.</summary>
internal static class GeneratorHarness
{
    private static readonly MetadataReference[] References =
    [
        .. Net100.References.All,
        MetadataReference.CreateFromFile(typeof(Fusion.ConvBlock).Assembly.Location),
    ];

    public static CSharpParseOptions ParseOptions { get; } = new(LanguageVersion.Preview);

    public static CSharpCompilation Compile(string source, bool allowUnsafe = true, params string[] more)
        => CSharpCompilation.Create(
            "UserAssembly",
            new[] { source }.Concat(more).Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: i == 0 ? "Model.cs" : $"Other{i}.cs")),
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: allowUnsafe, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver Driver(bool trackSteps = false)
        => CSharpGeneratorDriver.Create(
            [new FusionGenerator().AsSourceGenerator()],
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));

    /// <summary>The generator's diagnostics, its sources, and every diagnostic of the compilation that includes them.</summary>
    public static (ImmutableArray<Diagnostic> Generator, ImmutableArray<GeneratedSourceResult> Sources, ImmutableArray<Diagnostic> Compilation) Run(string source, bool allowUnsafe = true)
    {
        CSharpCompilation compilation = Compile(source, allowUnsafe);
        GeneratorDriver driver = Driver().RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out _);
        GeneratorRunResult result = driver.GetRunResult().Results.Single();
        if (result.Exception is not null)
        {
            throw new InvalidOperationException("The generator threw", result.Exception);
        }

        return (result.Diagnostics, result.GeneratedSources, output.GetDiagnostics());
    }

    public const string Usings = "using Fusion;\n\nnamespace Demo;\n\n";
}
