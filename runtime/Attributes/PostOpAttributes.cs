using System;

namespace Fusion;

/// <summary>
/// Batch normalisation after a <see cref="Conv2dAttribute"/> (PyTorch <c>BatchNorm2d</c>) or a
/// <see cref="LinearAttribute"/> (<c>BatchNorm1d</c>). For inference it is folded into the layer's weights:
/// <c>W' = W·s</c>, <c>b' = (b − μ)·s + β</c>, <c>s = γ/√(σ² + ε)</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class BatchNormAttribute : Attribute
{
    /// <summary>ε added to the variance (default 1e-5, PyTorch's).</summary>
    public float Epsilon { get; set; } = 1e-5f;

    /// <summary>
    /// Weight of the new batch in the running statistics, PyTorch convention (default 0.1):
    /// <c>running = (1 − momentum)·running + momentum·batch</c>. Keras' 0.99 is PyTorch's 0.01.
    /// </summary>
    public float Momentum { get; set; } = 0.1f;

    /// <summary>PyTorch's <c>momentum=None</c>: a cumulative average over all batches seen. <see cref="Momentum"/> is then ignored.</summary>
    public bool CumulativeAverage { get; set; }

    /// <summary>Whether the layer has a learned scale γ and shift β (default <see langword="true"/>).</summary>
    public bool Affine { get; set; } = true;

    /// <summary>Whether running statistics are kept (default <see langword="true"/>).</summary>
    public bool TrackRunningStats { get; set; } = true;
}

/// <summary>
/// Adds the output of the named earlier layer to this layer's output, after BatchNorm and before the activation
/// (ResNet's <c>relu(bn(conv(x)) + skip)</c>), in the same pass. Use <c>nameof(Layer)</c>.
/// </summary>
/// <param name="from">The member name of an earlier layer whose output has the same shape.</param>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class ResidualAttribute(string from) : Attribute
{
    /// <summary>The member name of the layer whose output is added.</summary>
    public string From { get; } = from;
}

/// <summary>
/// Makes this layer read the output of the named earlier layer (or <see cref="ModelInput"/>) instead of the
/// previous layer's: how a second path, such as ResNet's projection shortcut, is declared.
/// </summary>
/// <param name="from">The member name of an earlier layer, or <see cref="ModelInput"/>.</param>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class InputAttribute(string from) : Attribute
{
    /// <summary>The name that stands for the model's own input.</summary>
    public const string ModelInput = "input";

    /// <summary>The member name of the layer whose output this layer reads.</summary>
    public string From { get; } = from;
}
