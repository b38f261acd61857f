namespace Fusion.Generator.Model;

/// <summary>What a declared layer is.</summary>
internal enum LayerKind
{
    Conv2d,
    Linear,
    MaxPool2d,
    AvgPool2d,
    GlobalAvgPool,
    Flatten,
}

/// <summary>The activations Fusion applies in registers; each maps to a runtime operator struct.</summary>
internal enum ActivationKind
{
    Identity,
    Relu,
    LeakyRelu,
    Relu6,
    Clamp,
    Sigmoid,
    Tanh,
    Silu,
    Gelu,
    GeluTanh,
    HardSwish,
    HardSigmoid,
    Elu,
    Mish,
}

/// <summary>An element-wise step fused after a layer, oneDNN-style: an ordered list, not a bag of flags.</summary>
internal enum PostOpKind
{
    BatchNorm,
    Residual,
    Activation,
}

/// <summary>An activation with its constants (<c>Parameter1</c>: slope, min or α; <c>Parameter2</c>: max).</summary>
internal sealed record ActivationSpec(ActivationKind Kind, float Parameter1, float Parameter2);

/// <summary>BatchNorm as declared.</summary>
internal sealed record BatchNormSpec(float Epsilon, float Momentum, bool CumulativeAverage, bool Affine, bool TrackRunningStats);

/// <summary>One post-op as declared; exactly one of the payloads is set, by <see cref="Kind"/>.</summary>
internal sealed record PostOpSpec(PostOpKind Kind, BatchNormSpec? BatchNorm, string? ResidualFrom, ActivationSpec? Activation, LocationInfo? Location);

/// <summary>
/// One layer as declared on a member, before any shape is known. Integers that the user did not write hold their
/// attribute defaults; <see cref="KernelHeight"/>/<see cref="KernelWidth"/>/<see cref="PaddingHeight"/>/<see cref="PaddingWidth"/>
/// are already resolved from the square forms.
/// </summary>
internal sealed record LayerSpec(
    string Name,
    string StateName,
    LayerKind Kind,
    string DeclaredType,
    string Accessibility,
    int OutChannels,
    int InChannels,
    int KernelHeight,
    int KernelWidth,
    int Stride,
    int PaddingHeight,
    int PaddingWidth,
    int Dilation,
    int Groups,
    bool Bias,
    bool BiasWritten,
    bool CountIncludePad,
    string? InputFrom,
    EquatableArray<PostOpSpec> PostOps,
    LocationInfo? Location,
    LocationInfo? LayerAttributeLocation,
    EquatableArray<ArgumentLocation> Arguments)
{
    /// <summary>Where an argument was written, else the layer attribute, else the member.</summary>
    public LocationInfo? LocationOf(string argument, string? attribute = null)
    {
        foreach (ArgumentLocation location in Arguments)
        {
            if (location.Argument == argument && (attribute is null || location.Attribute == attribute))
            {
                return location.Location;
            }
        }

        return LayerAttributeLocation ?? Location;
    }
}

/// <summary>A model class as declared.</summary>
internal sealed record ModelSpec(
    string? Namespace,
    string ClassName,
    string Accessibility,
    int InputChannels,
    int InputHeight,
    int InputWidth,
    EquatableArray<LayerSpec> Layers,
    LocationInfo? Location,
    EquatableArray<ArgumentLocation> Arguments);

/// <summary>A pipeline value with the diagnostics found while computing it (Mapperly's <c>Result</c>).</summary>
internal sealed record Result<T>(T? Value, EquatableArray<DiagnosticInfo> Diagnostics)
    where T : class;
