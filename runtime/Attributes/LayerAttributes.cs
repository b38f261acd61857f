using System;

namespace Fusion;

/// <summary>
/// A 2-D convolution, PyTorch <c>nn.Conv2d</c> semantics, NCHW. The input channels are inferred from the layer
/// that feeds this one; set <see cref="InChannels"/> to have the generator check them. Post-ops written after it
/// on the same member (<see cref="BatchNormAttribute"/>, <see cref="ResidualAttribute"/>, an activation) are fused
/// into the same kernel.
/// </summary>
/// <param name="outChannels">Output channels (PyTorch <c>out_channels</c>).</param>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class Conv2dAttribute(int outChannels) : Attribute
{
    /// <summary>Output channels.</summary>
    public int OutChannels { get; } = outChannels;

    /// <summary>Expected input channels; inferred when not set, checked when set.</summary>
    public int InChannels { get; set; }

    /// <summary>Square kernel size; <see cref="KernelHeight"/>/<see cref="KernelWidth"/> override one side.</summary>
    public int Kernel { get; set; }

    /// <summary>Kernel height, when the kernel is not square.</summary>
    public int KernelHeight { get; set; }

    /// <summary>Kernel width, when the kernel is not square.</summary>
    public int KernelWidth { get; set; }

    /// <summary>Stride in both directions (default 1).</summary>
    public int Stride { get; set; } = 1;

    /// <summary>Zero padding on every side (default 0); <see cref="PaddingHeight"/>/<see cref="PaddingWidth"/> override one axis.</summary>
    public int Padding { get; set; }

    /// <summary>Zero padding above and below, when it differs from <see cref="Padding"/>.</summary>
    public int PaddingHeight { get; set; }

    /// <summary>Zero padding left and right, when it differs from <see cref="Padding"/>.</summary>
    public int PaddingWidth { get; set; }

    /// <summary>Spacing between kernel taps (default 1).</summary>
    public int Dilation { get; set; } = 1;

    /// <summary>Channel groups (default 1; equal to the input channels for a depthwise convolution).</summary>
    public int Groups { get; set; } = 1;

    /// <summary>Whether the convolution has a bias (default <see langword="true"/>, like PyTorch).</summary>
    public bool Bias { get; set; } = true;
}

/// <summary>A fully connected layer, PyTorch <c>nn.Linear</c>; its input is the previous layer's output flattened per sample.</summary>
/// <param name="outFeatures">Output features.</param>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class LinearAttribute(int outFeatures) : Attribute
{
    /// <summary>Output features.</summary>
    public int OutFeatures { get; } = outFeatures;

    /// <summary>Expected input features; inferred when not set, checked when set.</summary>
    public int InFeatures { get; set; }

    /// <summary>Whether the layer has a bias (default <see langword="true"/>).</summary>
    public bool Bias { get; set; } = true;
}

/// <summary>Max pooling, PyTorch <c>nn.MaxPool2d</c> (padding counts as −∞).</summary>
/// <param name="kernel">Square window size.</param>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class MaxPool2dAttribute(int kernel) : Attribute
{
    /// <summary>Window size.</summary>
    public int Kernel { get; } = kernel;

    /// <summary>Stride; defaults to the window size, like PyTorch.</summary>
    public int Stride { get; set; }

    /// <summary>Implicit padding on every side, at most half the window.</summary>
    public int Padding { get; set; }
}

/// <summary>Average pooling, PyTorch <c>nn.AvgPool2d</c>.</summary>
/// <param name="kernel">Square window size.</param>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class AvgPool2dAttribute(int kernel) : Attribute
{
    /// <summary>Window size.</summary>
    public int Kernel { get; } = kernel;

    /// <summary>Stride; defaults to the window size, like PyTorch.</summary>
    public int Stride { get; set; }

    /// <summary>Implicit zero padding on every side, at most half the window.</summary>
    public int Padding { get; set; }

    /// <summary>Whether padded zeros count in the divisor (default <see langword="true"/>, like PyTorch).</summary>
    public bool CountIncludePad { get; set; } = true;
}

/// <summary>Global average pooling: C×H×W → C×1×1 (PyTorch <c>nn.AdaptiveAvgPool2d(1)</c>).</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class GlobalAvgPoolAttribute : Attribute;

/// <summary>Flattens each sample to a vector of C·H·W features (free: NCHW is already contiguous).</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class FlattenAttribute : Attribute;
