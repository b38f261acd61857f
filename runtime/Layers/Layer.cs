using System.Collections.Generic;

namespace Fusion;

/// <summary>A layer of a generated model: its <c>state_dict</c> prefix and its tensors.</summary>
public abstract class Layer
{
    /// <summary>Creates a layer.</summary>
    /// <param name="name">The <c>state_dict</c> prefix (the member name in snake_case).</param>
    protected Layer(string name) => Name = name;

    /// <summary>The <c>state_dict</c> prefix, e.g. <c>stem</c>.</summary>
    public string Name { get; }

    /// <summary>Every tensor of the layer in <c>state_dict</c> order (learned parameters and BatchNorm buffers).</summary>
    public abstract IEnumerable<Parameter> Tensors { get; }

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>What a <see cref="PoolLayer"/> computes.</summary>
public enum PoolKind
{
    /// <summary>Maximum over the window.</summary>
    Max,

    /// <summary>Mean over the window.</summary>
    Average,

    /// <summary>Mean over the whole plane.</summary>
    GlobalAverage,
}

/// <summary>A pooling layer; it has no tensors.</summary>
/// <param name="name">The <c>state_dict</c> prefix.</param>
/// <param name="kind">What it computes.</param>
/// <param name="kernel">Window size (0 for global pooling).</param>
/// <param name="stride">Stride (0 for global pooling).</param>
/// <param name="padding">Padding on every side.</param>
/// <param name="countIncludePad">For average pooling: whether padded zeros count in the divisor.</param>
public sealed class PoolLayer(string name, PoolKind kind, int kernel, int stride, int padding, bool countIncludePad) : Layer(name)
{
    /// <summary>What it computes.</summary>
    public PoolKind Kind { get; } = kind;

    /// <summary>Window size.</summary>
    public int Kernel { get; } = kernel;

    /// <summary>Stride.</summary>
    public int Stride { get; } = stride;

    /// <summary>Padding on every side.</summary>
    public int Padding { get; } = padding;

    /// <summary>For average pooling: whether padded zeros count in the divisor.</summary>
    public bool CountIncludePad { get; } = countIncludePad;

    /// <inheritdoc/>
    public override IEnumerable<Parameter> Tensors => [];
}

/// <summary>Flattens each sample; it has no tensors and, in NCHW, costs nothing.</summary>
/// <param name="name">The <c>state_dict</c> prefix.</param>
public sealed class FlattenLayer(string name) : Layer(name)
{
    /// <inheritdoc/>
    public override IEnumerable<Parameter> Tensors => [];
}
