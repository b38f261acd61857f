using System.Collections.Generic;
using System.Linq;
using Fusion.Generator.Diagnostics;
using Fusion.Generator.Emitting;
using Fusion.Generator.Model;
using Fusion.Generator.Parsing;
using Fusion.Generator.Planning;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Fusion.Generator;

/// <summary>
/// The Fusion source generator. The pipeline reads as the story it tells:
/// <c>[FusedModel]</c> classes → <see cref="ModelParser.Parse"/> (spec) → <see cref="ModelPlanner.Plan"/> (shapes,
/// validation, kernel plans) → <see cref="ModelEmitter.Emit"/> (text). Every value between steps is equatable, so an
/// edit that does not touch a model leaves its plan and its text cached.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class FusionGenerator : IIncrementalGenerator
{
    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<Result<ModelSpec>> specs = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                ModelParser.FusedModelAttribute,
                static (node, _) => node is ClassDeclarationSyntax,
                static (syntax, cancellationToken) => Parse(syntax, cancellationToken))
            .WithTrackingName(TrackingNames.Parse);

        IncrementalValueProvider<bool> allowUnsafe = context.CompilationProvider
            .Select(static (compilation, _) => compilation.Options is CSharpCompilationOptions { AllowUnsafe: true })
            .WithTrackingName(TrackingNames.AllowUnsafe);

        IncrementalValuesProvider<(Result<ModelSpec> Spec, Result<ModelPlan> Plan)> plans = specs
            .Combine(allowUnsafe)
            .Select(static (input, _) => (input.Left, PlanModel(input.Left, input.Right)))
            .WithTrackingName(TrackingNames.Plan);

        IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics = plans
            .Select(static (pair, _) => pair.Spec.Diagnostics.Concat(pair.Plan.Diagnostics).ToEquatableArray())
            .WithTrackingName(TrackingNames.Diagnostics);

        IncrementalValuesProvider<GeneratedSource> sources = plans
            .Where(static pair => pair.Plan.Value is not null && !HasErrors(pair.Spec.Diagnostics))
            .Select(static (pair, _) => Emit(pair.Plan.Value!))
            .WithTrackingName(TrackingNames.Emit);

        context.RegisterSourceOutput(diagnostics, static (context, diagnostics) =>
        {
            foreach (DiagnosticInfo info in diagnostics)
            {
                if (DiagnosticDescriptors.Find(info.Id) is { } descriptor)
                {
                    context.ReportDiagnostic(Diagnostic.Create(descriptor, info.Location?.ToLocation(), info.Arguments.Cast<object>().ToArray()));
                }
            }
        });

        context.RegisterSourceOutput(sources, static (context, source) =>
        {
            if (source.Failure is null)
            {
                context.AddSource(source.HintName, source.Text);
            }
            else
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.UnsupportedModelClass, source.Location?.ToLocation(), source.HintName, source.Failure));
            }
        });
    }

    private static Result<ModelSpec> Parse(GeneratorAttributeSyntaxContext syntax, System.Threading.CancellationToken cancellationToken)
    {
        try
        {
            return ModelParser.Parse(syntax, cancellationToken);
        }
        catch (System.Exception exception) when (exception is not System.OperationCanceledException)
        {
            // Half-typed code can hand the parser shapes it has never seen; that must not crash the build.
            var location = LocationInfo.From(syntax.TargetNode is ClassDeclarationSyntax c ? c.Identifier.GetLocation() : syntax.TargetNode.GetLocation());
            return new Result<ModelSpec>(null, new[]
            {
                DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedModelClass, location, syntax.TargetSymbol.Name, "the parser failed (" + exception.GetType().Name + ": " + exception.Message + "); please report this declaration"),
            }.ToEquatableArray());
        }
    }

    private static GeneratedSource Emit(ModelPlan plan)
    {
        try
        {
            return ModelEmitter.Emit(plan);
        }
        catch (System.Exception exception) when (exception is not System.OperationCanceledException)
        {
            return new GeneratedSource(ModelEmitter.HintName(plan), string.Empty, "the emitter failed (" + exception.GetType().Name + ": " + exception.Message + "); please report this declaration", plan.Location);
        }
    }

    private static Result<ModelPlan> PlanModel(Result<ModelSpec> spec, bool allowUnsafe)
    {
        if (spec.Value is null || HasErrors(spec.Diagnostics))
        {
            return new Result<ModelPlan>(null, EquatableArray<DiagnosticInfo>.Empty);
        }

        if (!allowUnsafe)
        {
            return new Result<ModelPlan>(null, new[] { DiagnosticInfo.Create(DiagnosticDescriptors.UnsafeNotAllowed, spec.Value.Location, spec.Value.ClassName) }.ToEquatableArray());
        }

        try
        {
            return ModelPlanner.Plan(spec.Value);
        }
        catch (System.Exception exception) when (exception is not System.OperationCanceledException)
        {
            // A declaration must never crash the build; a planner bug becomes an error the user can report.
            return new Result<ModelPlan>(null, new[]
            {
                DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedModelClass, spec.Value.Location, spec.Value.ClassName, "the planner failed (" + exception.GetType().Name + ": " + exception.Message + "); please report this declaration"),
            }.ToEquatableArray());
        }
    }

    private static bool HasErrors(EquatableArray<DiagnosticInfo> diagnostics)
        => diagnostics.Any(d => DiagnosticDescriptors.Find(d.Id)?.DefaultSeverity == DiagnosticSeverity.Error);
}
