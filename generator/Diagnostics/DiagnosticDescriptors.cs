using Microsoft.CodeAnalysis;

namespace Fusion.Generator.Diagnostics;

/// <summary>
/// Every diagnostic Fusion reports, in one table. Ranges: FUS0xxx the shape of a declaration, FUS1xxx shapes and
/// semantics, FUS2xxx folklore (legal but probably not what was meant), FUS3xxx what this version cannot generate.
/// Keep <c>docs/diagnostics.md</c> and <c>AnalyzerReleases.Unshipped.md</c> in step.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Declaration = "Fusion.Declaration";
    private const string Shapes = "Fusion.Shapes";
    private const string Folklore = "Fusion.Folklore";
    private const string Limits = "Fusion.Limits";

    public static readonly DiagnosticDescriptor ModelNotPartial = Error(
        "FUS0001", "Model class must be partial", "Model class '{0}' must be declared partial so that Fusion can generate its kernels and members", Declaration);

    public static readonly DiagnosticDescriptor LayerNotPartial = Error(
        "FUS0002", "Layer member must be a partial property with only a getter",
        "Layer '{0}' must be declared as an instance 'partial' property with only a getter, e.g. 'public partial ConvBlock {0} {{ get; }}'", Declaration);

    public static readonly DiagnosticDescriptor MissingInputShape = Error(
        "FUS0003", "Model has no input shape",
        "Model '{0}' must declare a positive InputChannels, InputHeight and InputWidth on [FusedModel]; got {1}×{2}×{3}", Declaration);

    public static readonly DiagnosticDescriptor DuplicateLayerName = Error(
        "FUS0004", "Duplicate layer name",
        "Layers '{0}' and '{1}' both map to the state_dict prefix '{2}'; rename one of them", Declaration);

    public static readonly DiagnosticDescriptor WrongLayerType = Error(
        "FUS0005", "Layer property has the wrong type",
        "Layer '{0}' is declared with [{1}] and must have type '{2}' (or 'Fusion.Layer'), not '{3}'", Declaration);

    public static readonly DiagnosticDescriptor PostOpWithoutLayer = Error(
        "FUS0006", "Post-op without a producing layer",
        "'{0}' has [{1}] but no layer that produces values for it: add [Conv2d] or [Linear] to the same member", Declaration);

    public static readonly DiagnosticDescriptor UnsupportedCombination = Error(
        "FUS0007", "Unsupported combination of layer attributes", "Layer '{0}': {1}", Declaration);

    public static readonly DiagnosticDescriptor NoLayers = Error(
        "FUS0008", "Model declares no layers",
        "Model '{0}' declares no layers: mark partial properties with [Conv2d], [Linear], pooling or [Flatten]", Declaration);

    public static readonly DiagnosticDescriptor InvalidHyperparameter = Error(
        "FUS1001", "Invalid layer hyperparameter", "Layer '{0}': {1} must be {2}, but is {3}", Shapes);

    public static readonly DiagnosticDescriptor GroupsDoNotDivide = Error(
        "FUS1002", "Groups must divide the channels",
        "Layer '{0}': Groups = {1} must divide both the input channels ({2}) and the output channels ({3})", Shapes);

    public static readonly DiagnosticDescriptor EmptyOutput = Error(
        "FUS1003", "Layer output would be empty",
        "Layer '{0}' turns a {1} input into a {2} output: a kernel of {3} with stride {4} and padding {5} does not fit", Shapes);

    public static readonly DiagnosticDescriptor ResidualSourceMissing = Error(
        "FUS1004", "Residual source not found",
        "Layer '{0}' adds the output of '{1}', but no layer of that name is declared before it", Shapes);

    public static readonly DiagnosticDescriptor ResidualShapeMismatch = Error(
        "FUS1005", "Residual shape does not match",
        "Layer '{0}' produces {1}, but its residual source '{2}' produces {3}; a residual add needs equal shapes (add a projection layer on the skip path)", Shapes);

    public static readonly DiagnosticDescriptor InputSourceMissing = Error(
        "FUS1006", "Input source not found",
        "Layer '{0}' reads the output of '{1}', but no layer of that name is declared before it (use \"input\" for the model input)", Shapes);

    public static readonly DiagnosticDescriptor ChannelMismatch = Error(
        "FUS1007", "Input channels do not match",
        "Layer '{0}' expects {1} input {2} but '{3}' produces {4}", Shapes);

    public static readonly DiagnosticDescriptor InvalidBatchNorm = Error(
        "FUS1008", "Invalid BatchNorm setting", "Layer '{0}': BatchNorm {1} must be {2}, but is {3}", Shapes);

    public static readonly DiagnosticDescriptor SpatialLayerOnFlatInput = Error(
        "FUS1009", "Spatial layer after a flat one",
        "Layer '{0}' ([{1}]) needs a C×H×W input, but '{2}' produces a flat vector of {3} features", Shapes);

    public static readonly DiagnosticDescriptor InvalidActivation = Error(
        "FUS1010", "Invalid activation parameter", "Layer '{0}': {1}", Shapes);

    public static readonly DiagnosticDescriptor RedundantConvBias = Warning(
        "FUS2001", "Convolution bias before BatchNorm is redundant",
        "Layer '{0}' has a bias followed by BatchNorm, whose mean subtraction cancels it; set Bias = false (as torchvision does)", Folklore);

    public static readonly DiagnosticDescriptor KerasMomentum = Warning(
        "FUS2002", "BatchNorm momentum looks like a Keras value",
        "Layer '{0}': Momentum = {1} follows PyTorch's convention, where it is the weight of the NEW batch; Keras' {1} corresponds to PyTorch's {2}", Folklore);

    public static readonly DiagnosticDescriptor UntrackedBatchNorm = new(
        "FUS3001", "BatchNorm with batch statistics runs unfused",
        "Layer '{0}': BatchNorm with TrackRunningStats = false normalises with the batch's own statistics even at inference (PyTorch semantics), which cannot be folded into the weights; it runs as separate passes after the layer",
        Limits, DiagnosticSeverity.Info, isEnabledByDefault: true, helpLinkUri: HelpLink("FUS3001"));

    public static readonly DiagnosticDescriptor UnsupportedModelClass = Error(
        "FUS3002", "Unsupported model class",
        "Model '{0}' cannot be generated: {1}", Limits);

    public static readonly DiagnosticDescriptor UnsafeNotAllowed = Error(
        "FUS3003", "Generated kernels need unsafe code",
        "Model '{0}' needs <AllowUnsafeBlocks>true</AllowUnsafeBlocks> in the project: its generated kernels use pointers (the Fusion package sets it; a project reference does not)", Limits);

    private static DiagnosticDescriptor Error(string id, string title, string message, string category)
        => new(id, title, message, category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLink(id));

    private static DiagnosticDescriptor Warning(string id, string title, string message, string category)
        => new(id, title, message, category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpLink(id));

    private static string HelpLink(string id) => "https://github.com/fusion-dotnet/fusion/blob/main/docs/diagnostics.md#" + id.ToLowerInvariant();

    public static readonly DiagnosticDescriptor[] All =
    [
        ModelNotPartial, LayerNotPartial, MissingInputShape, DuplicateLayerName, WrongLayerType, PostOpWithoutLayer,
        UnsupportedCombination, NoLayers, InvalidHyperparameter, GroupsDoNotDivide, EmptyOutput, ResidualSourceMissing,
        ResidualShapeMismatch, InputSourceMissing, ChannelMismatch, InvalidBatchNorm, SpatialLayerOnFlatInput,
        InvalidActivation, RedundantConvBias, KerasMomentum, UntrackedBatchNorm, UnsupportedModelClass, UnsafeNotAllowed,
    ];

    public static DiagnosticDescriptor? Find(string id)
    {
        foreach (DiagnosticDescriptor descriptor in All)
        {
            if (descriptor.Id == id)
            {
                return descriptor;
            }
        }

        return null;
    }
}
