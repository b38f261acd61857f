using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Fusion.Generator.Diagnostics;
using Fusion.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Fusion.Generator.Parsing;

/// <summary>
/// Attributes and symbols → <see cref="ModelSpec"/>, or diagnostics. Reads declarations only: no shapes are
/// inferred here and no code is written. Everything symbol-shaped is reduced to values before it leaves.
/// </summary>
internal static class ModelParser
{
    public const string FusedModelAttribute = "Fusion.FusedModelAttribute";

    private static readonly Dictionary<string, LayerKind> LayerAttributes = new()
    {
        ["Fusion.Conv2dAttribute"] = LayerKind.Conv2d,
        ["Fusion.LinearAttribute"] = LayerKind.Linear,
        ["Fusion.MaxPool2dAttribute"] = LayerKind.MaxPool2d,
        ["Fusion.AvgPool2dAttribute"] = LayerKind.AvgPool2d,
        ["Fusion.GlobalAvgPoolAttribute"] = LayerKind.GlobalAvgPool,
        ["Fusion.FlattenAttribute"] = LayerKind.Flatten,
    };

    private static readonly Dictionary<string, ActivationKind> ActivationAttributes = new()
    {
        ["Fusion.IdentityAttribute"] = ActivationKind.Identity,
        ["Fusion.ReluAttribute"] = ActivationKind.Relu,
        ["Fusion.LeakyReluAttribute"] = ActivationKind.LeakyRelu,
        ["Fusion.Relu6Attribute"] = ActivationKind.Relu6,
        ["Fusion.ClampAttribute"] = ActivationKind.Clamp,
        ["Fusion.SigmoidAttribute"] = ActivationKind.Sigmoid,
        ["Fusion.TanhAttribute"] = ActivationKind.Tanh,
        ["Fusion.SiluAttribute"] = ActivationKind.Silu,
        ["Fusion.GeluAttribute"] = ActivationKind.Gelu,
        ["Fusion.HardSwishAttribute"] = ActivationKind.HardSwish,
        ["Fusion.HardSigmoidAttribute"] = ActivationKind.HardSigmoid,
        ["Fusion.EluAttribute"] = ActivationKind.Elu,
        ["Fusion.MishAttribute"] = ActivationKind.Mish,
    };

    private const string BatchNormAttribute = "Fusion.BatchNormAttribute";
    private const string ResidualAttribute = "Fusion.ResidualAttribute";
    private const string InputAttribute = "Fusion.InputAttribute";

    /// <summary>The runtime type each layer kind's member must have (or its base, <c>Fusion.Layer</c>).</summary>
    public static string RuntimeType(LayerKind kind) => kind switch
    {
        LayerKind.Conv2d => "Fusion.ConvBlock",
        LayerKind.Linear => "Fusion.LinearBlock",
        LayerKind.Flatten => "Fusion.FlattenLayer",
        _ => "Fusion.PoolLayer",
    };

    public static Result<ModelSpec> Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var diagnostics = new List<DiagnosticInfo>();
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var classSyntax = (ClassDeclarationSyntax)context.TargetNode;
        LocationInfo? classLocation = LocationInfo.From(classSyntax.Identifier.GetLocation());

        if (!type.DeclaringSyntaxReferences.All(r => r.GetSyntax(cancellationToken) is ClassDeclarationSyntax c && c.Modifiers.Any(SyntaxKind.PartialKeyword)))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ModelNotPartial, classLocation, type.Name));
            return new Result<ModelSpec>(null, diagnostics.ToEquatableArray());
        }

        if (type.ContainingType is not null || type.IsGenericType || type.IsStatic)
        {
            string why = type.ContainingType is not null ? "nested classes are not supported; declare it at namespace level"
                : type.IsGenericType ? "generic classes are not supported" : "a model cannot be static";
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedModelClass, classLocation, type.Name, why));
            return new Result<ModelSpec>(null, diagnostics.ToEquatableArray());
        }

        AttributeData modelAttribute = context.Attributes[0];
        var modelArguments = new List<ArgumentLocation>();
        int inputChannels = NamedInt(modelAttribute, "InputChannels", 0, modelArguments, cancellationToken);
        int inputHeight = NamedInt(modelAttribute, "InputHeight", 0, modelArguments, cancellationToken);
        int inputWidth = NamedInt(modelAttribute, "InputWidth", 0, modelArguments, cancellationToken);
        if (inputChannels <= 0 || inputHeight <= 0 || inputWidth <= 0)
        {
            LocationInfo? at = LocationInfo.From(modelAttribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken)) ?? classLocation;
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MissingInputShape, at, type.Name, inputChannels, inputHeight, inputWidth));
        }

        var layers = new List<LayerSpec>();
        foreach (ISymbol member in type.GetMembers())
        {
            cancellationToken.ThrowIfCancellationRequested();
            LayerSpec? layer = ParseMember(member, diagnostics, cancellationToken);
            if (layer is not null)
            {
                layers.Add(layer);
            }
        }

        if (layers.Count == 0 && diagnostics.Count == 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoLayers, classLocation, type.Name));
        }

        var spec = new ModelSpec(
            type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString(),
            type.Name,
            Accessibility(type.DeclaredAccessibility),
            inputChannels,
            inputHeight,
            inputWidth,
            layers.ToEquatableArray(),
            classLocation,
            modelArguments.ToEquatableArray());
        return new Result<ModelSpec>(spec, diagnostics.ToEquatableArray());
    }

    private static LayerSpec? ParseMember(ISymbol member, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        AttributeData? layerAttribute = null;
        LayerKind kind = default;
        var postOps = new List<PostOpSpec>();
        var arguments = new List<ArgumentLocation>();
        string? inputFrom = null;
        string? firstPostOpName = null;
        // GetAttributes() keeps source order, which is the order post-ops apply in.
        var attributes = member.GetAttributes();

        foreach (AttributeData attribute in attributes)
        {
            string? name = attribute.AttributeClass?.ToDisplayString();
            if (name is null || attribute.AttributeConstructor is null)
            {
                continue; // the compiler reports the broken attribute itself
            }

            string shortName = ShortName(attribute);
            if (LayerAttributes.TryGetValue(name, out LayerKind layerKind))
            {
                if (layerAttribute is not null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(
                        DiagnosticDescriptors.UnsupportedCombination,
                        AttributeLocation(attribute, cancellationToken),
                        member.Name,
                        $"a member declares one layer, but it has both [{ShortName(layerAttribute)}] and [{shortName}]"));
                    continue;
                }

                if (postOps.Count > 0)
                {
                    diagnostics.Add(DiagnosticInfo.Create(
                        DiagnosticDescriptors.UnsupportedCombination,
                        AttributeLocation(attribute, cancellationToken),
                        member.Name,
                        $"[{firstPostOpName}] is written before the layer attribute [{shortName}]; post-ops follow the layer they apply to"));
                }

                layerAttribute = attribute;
                kind = layerKind;
            }
            else if (name == BatchNormAttribute)
            {
                var batchNorm = new BatchNormSpec(
                    NamedFloat(attribute, "Epsilon", 1e-5f, arguments, cancellationToken),
                    NamedFloat(attribute, "Momentum", 0.1f, arguments, cancellationToken),
                    NamedBool(attribute, "CumulativeAverage", false, arguments, cancellationToken),
                    NamedBool(attribute, "Affine", true, arguments, cancellationToken),
                    NamedBool(attribute, "TrackRunningStats", true, arguments, cancellationToken));
                postOps.Add(new PostOpSpec(PostOpKind.BatchNorm, batchNorm, null, null, AttributeLocation(attribute, cancellationToken)));
                firstPostOpName ??= shortName;
            }
            else if (name == ResidualAttribute)
            {
                string from = ConstructorString(attribute, 0, "From", arguments, cancellationToken);
                postOps.Add(new PostOpSpec(PostOpKind.Residual, null, from, null, ArgumentOrAttribute(attribute, "From", arguments)));
                firstPostOpName ??= shortName;
            }
            else if (ActivationAttributes.TryGetValue(name, out ActivationKind activation))
            {
                ActivationSpec spec = activation switch
                {
                    ActivationKind.LeakyRelu => new ActivationSpec(activation, ConstructorFloat(attribute, 0, "NegativeSlope", arguments, cancellationToken), 0f),
                    ActivationKind.Elu => new ActivationSpec(activation, ConstructorFloat(attribute, 0, "Alpha", arguments, cancellationToken), 0f),
                    ActivationKind.Clamp => new ActivationSpec(
                        activation,
                        ConstructorFloat(attribute, 0, "Min", arguments, cancellationToken),
                        ConstructorFloat(attribute, 1, "Max", arguments, cancellationToken)),
                    ActivationKind.Gelu when NamedInt(attribute, "Approximate", 0, arguments, cancellationToken) == 1 => new ActivationSpec(ActivationKind.GeluTanh, 0f, 0f),
                    _ => new ActivationSpec(activation, 0f, 0f),
                };
                postOps.Add(new PostOpSpec(PostOpKind.Activation, null, null, spec, AttributeLocation(attribute, cancellationToken)));
                firstPostOpName ??= shortName;
            }
            else if (name == InputAttribute)
            {
                inputFrom = ConstructorString(attribute, 0, "From", arguments, cancellationToken);
            }
        }

        if (layerAttribute is null)
        {
            if (postOps.Count > 0 || inputFrom is not null)
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.PostOpWithoutLayer,
                    postOps.Count > 0 ? postOps[0].Location : LocationInfo.From(member.Locations.FirstOrDefault()),
                    member.Name,
                    firstPostOpName ?? "Input"));
            }

            return null;
        }

        LocationInfo? memberLocation = LocationInfo.From(member.Locations.FirstOrDefault());
        if (member is not IPropertySymbol property || property.IsStatic || !property.IsPartialDefinition || property.SetMethod is not null || property.GetMethod is null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LayerNotPartial, memberLocation, member.Name));
            return null;
        }

        string expectedType = RuntimeType(kind);
        string declaredType = property.Type.ToDisplayString();
        if (declaredType != expectedType && declaredType != "Fusion.Layer")
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WrongLayerType, memberLocation, member.Name, ShortName(layerAttribute), expectedType, declaredType));
            return null;
        }

        int outChannels = 0, inChannels = 0, kernel = 0, kernelHeight = 0, kernelWidth = 0, stride = 1, padding = 0, dilation = 1, groups = 1;
        int paddingHeight, paddingWidth;
        bool bias = true, biasWritten = false, countIncludePad = true;
        switch (kind)
        {
            case LayerKind.Conv2d:
                outChannels = ConstructorInt(layerAttribute, 0, "OutChannels", arguments, cancellationToken);
                inChannels = NamedInt(layerAttribute, "InChannels", 0, arguments, cancellationToken);
                kernel = NamedInt(layerAttribute, "Kernel", 0, arguments, cancellationToken);
                kernelHeight = NamedInt(layerAttribute, "KernelHeight", kernel, arguments, cancellationToken);
                kernelWidth = NamedInt(layerAttribute, "KernelWidth", kernel, arguments, cancellationToken);
                stride = NamedInt(layerAttribute, "Stride", 1, arguments, cancellationToken);
                padding = NamedInt(layerAttribute, "Padding", 0, arguments, cancellationToken);
                dilation = NamedInt(layerAttribute, "Dilation", 1, arguments, cancellationToken);
                groups = NamedInt(layerAttribute, "Groups", 1, arguments, cancellationToken);
                bias = NamedBool(layerAttribute, "Bias", true, arguments, cancellationToken);
                biasWritten = HasNamed(layerAttribute, "Bias");
                break;
            case LayerKind.Linear:
                outChannels = ConstructorInt(layerAttribute, 0, "OutFeatures", arguments, cancellationToken);
                inChannels = NamedInt(layerAttribute, "InFeatures", 0, arguments, cancellationToken);
                bias = NamedBool(layerAttribute, "Bias", true, arguments, cancellationToken);
                biasWritten = HasNamed(layerAttribute, "Bias");
                break;
            case LayerKind.MaxPool2d:
            case LayerKind.AvgPool2d:
                kernel = kernelHeight = kernelWidth = ConstructorInt(layerAttribute, 0, "Kernel", arguments, cancellationToken);
                stride = NamedInt(layerAttribute, "Stride", kernel, arguments, cancellationToken);
                padding = NamedInt(layerAttribute, "Padding", 0, arguments, cancellationToken);
                countIncludePad = NamedBool(layerAttribute, "CountIncludePad", true, arguments, cancellationToken);
                break;
        }

        paddingHeight = NamedInt(layerAttribute, "PaddingHeight", padding, arguments, cancellationToken);
        paddingWidth = NamedInt(layerAttribute, "PaddingWidth", padding, arguments, cancellationToken);

        return new LayerSpec(
            member.Name,
            ToSnakeCase(member.Name),
            kind,
            declaredType,
            Accessibility(property.DeclaredAccessibility),
            outChannels,
            inChannels,
            kernelHeight,
            kernelWidth,
            stride,
            paddingHeight,
            paddingWidth,
            dilation,
            groups,
            bias,
            biasWritten,
            countIncludePad,
            inputFrom,
            postOps.ToEquatableArray(),
            memberLocation,
            AttributeLocation(layerAttribute, cancellationToken),
            arguments.ToEquatableArray());
    }

    /// <summary><c>DownBlock1</c> → <c>down_block1</c>, the way PyTorch modules are usually named.</summary>
    public static string ToSnakeCase(string name)
    {
        var builder = new System.Text.StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c))
            {
                bool boundary = i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1])
                    || (i + 1 < name.Length && char.IsLower(name[i + 1]) && char.IsUpper(name[i - 1])));
                if (boundary && builder.Length > 0 && builder[builder.Length - 1] != '_')
                {
                    builder.Append('_');
                }

                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private static string ShortName(AttributeData attribute)
    {
        string name = attribute.AttributeClass!.Name;
        return name.EndsWith("Attribute", System.StringComparison.Ordinal) ? name.Substring(0, name.Length - "Attribute".Length) : name;
    }

    private static string Accessibility(Microsoft.CodeAnalysis.Accessibility accessibility) => accessibility switch
    {
        Microsoft.CodeAnalysis.Accessibility.Public => "public",
        Microsoft.CodeAnalysis.Accessibility.Internal => "internal",
        Microsoft.CodeAnalysis.Accessibility.Private => "private",
        Microsoft.CodeAnalysis.Accessibility.Protected => "protected",
        Microsoft.CodeAnalysis.Accessibility.ProtectedOrInternal => "protected internal",
        Microsoft.CodeAnalysis.Accessibility.ProtectedAndInternal => "private protected",
        _ => "internal",
    };

    private static LocationInfo? AttributeLocation(AttributeData attribute, CancellationToken cancellationToken)
        => LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken));

    private static LocationInfo? ArgumentOrAttribute(AttributeData attribute, string argument, List<ArgumentLocation> arguments)
    {
        string attributeName = ShortName(attribute);
        foreach (ArgumentLocation location in arguments)
        {
            if (location.Attribute == attributeName && location.Argument == argument)
            {
                return location.Location;
            }
        }

        return AttributeLocation(attribute, default);
    }

    private static bool HasNamed(AttributeData attribute, string name) => attribute.NamedArguments.Any(a => a.Key == name);

    private static TypedConstant? Named(AttributeData attribute, string name, List<ArgumentLocation> arguments, CancellationToken cancellationToken)
    {
        foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
        {
            if (argument.Key != name)
            {
                continue;
            }

            if (attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is AttributeSyntax syntax && syntax.ArgumentList is not null)
            {
                foreach (AttributeArgumentSyntax argumentSyntax in syntax.ArgumentList.Arguments)
                {
                    if (argumentSyntax.NameEquals?.Name.Identifier.ValueText == name && LocationInfo.From(argumentSyntax) is { } location)
                    {
                        arguments.Add(new ArgumentLocation(ShortName(attribute), name, location));
                    }
                }
            }

            return argument.Value;
        }

        return null;
    }

    private static TypedConstant? Positional(AttributeData attribute, int index, string name, List<ArgumentLocation> arguments, CancellationToken cancellationToken)
    {
        if (index >= attribute.ConstructorArguments.Length)
        {
            return null;
        }

        if (attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is AttributeSyntax syntax && syntax.ArgumentList is not null)
        {
            var positional = syntax.ArgumentList.Arguments.Where(a => a.NameEquals is null).ToList();
            AttributeArgumentSyntax? argumentSyntax = positional.FirstOrDefault(a => a.NameColon is not null && string.Equals(a.NameColon.Name.Identifier.ValueText, name, System.StringComparison.OrdinalIgnoreCase))
                ?? (index < positional.Count && positional[index].NameColon is null ? positional[index] : null);
            if (LocationInfo.From(argumentSyntax) is { } location)
            {
                arguments.Add(new ArgumentLocation(ShortName(attribute), name, location));
            }
        }

        return attribute.ConstructorArguments[index];
    }

    private static int NamedInt(AttributeData a, string name, int fallback, List<ArgumentLocation> args, CancellationToken ct)
        => Named(a, name, args, ct) is { Value: int value } ? value : fallback;

    private static float NamedFloat(AttributeData a, string name, float fallback, List<ArgumentLocation> args, CancellationToken ct)
        => Named(a, name, args, ct) is { Value: float value } ? value : fallback;

    private static bool NamedBool(AttributeData a, string name, bool fallback, List<ArgumentLocation> args, CancellationToken ct)
        => Named(a, name, args, ct) is { Value: bool value } ? value : fallback;

    private static int ConstructorInt(AttributeData a, int index, string name, List<ArgumentLocation> args, CancellationToken ct)
        => Positional(a, index, name, args, ct) is { Value: int value } ? value : 0;

    private static float ConstructorFloat(AttributeData a, int index, string name, List<ArgumentLocation> args, CancellationToken ct)
        => Positional(a, index, name, args, ct) is { Value: float value } ? value : 0f;

    private static string ConstructorString(AttributeData a, int index, string name, List<ArgumentLocation> args, CancellationToken ct)
        => Positional(a, index, name, args, ct) is { Value: string value } ? value : string.Empty;
}
