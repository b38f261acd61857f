using System;

namespace Fusion;

/// <summary>
/// Marks a <c>partial</c> class as a Fusion model. Every <c>partial</c> property of the class that carries a
/// layer attribute (<see cref="Conv2dAttribute"/>, <see cref="LinearAttribute"/>, <see cref="MaxPool2dAttribute"/>,
/// …) is a layer; layers run in declaration order. At build time the Fusion generator infers every shape,
/// reports mistakes as <c>FUS</c> diagnostics and emits kernels specialised for exactly these shapes.
/// </summary>
/// <remarks>The input of the model is one NCHW tensor of <c>batch × InputChannels × InputHeight × InputWidth</c> floats.</remarks>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class FusedModelAttribute : Attribute
{
    /// <summary>Channels of one input sample (C of NCHW).</summary>
    public int InputChannels { get; set; }

    /// <summary>Height of one input sample (H of NCHW).</summary>
    public int InputHeight { get; set; }

    /// <summary>Width of one input sample (W of NCHW).</summary>
    public int InputWidth { get; set; }
}
