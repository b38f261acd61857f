using System.Collections.Generic;
using System.Linq;

namespace Fusion;

/// <summary>A convolution with its fused post-ops: <c>conv</c>, then optionally <c>bn</c> (names as in a PyTorch <c>state_dict</c>).</summary>
/// <param name="name">The <c>state_dict</c> prefix.</param>
/// <param name="conv">The convolution (<c>{name}.conv.*</c>).</param>
/// <param name="batchNorm">The BatchNorm (<c>{name}.bn.*</c>), if declared.</param>
public sealed class ConvBlock(string name, Conv2d conv, BatchNorm? batchNorm) : Layer(name)
{
    /// <summary>The convolution.</summary>
    public Conv2d Conv { get; } = conv;

    /// <summary>The BatchNorm, if declared.</summary>
    public BatchNorm? BatchNorm { get; } = batchNorm;

    /// <inheritdoc/>
    public override IEnumerable<Parameter> Tensors => BatchNorm is null ? Conv.Tensors : Conv.Tensors.Concat(BatchNorm.Tensors);
}

/// <summary>A fully connected layer with its fused post-ops: <c>linear</c>, then optionally <c>bn</c> (BatchNorm1d).</summary>
/// <param name="name">The <c>state_dict</c> prefix.</param>
/// <param name="linear">The layer (<c>{name}.linear.*</c>).</param>
/// <param name="batchNorm">The BatchNorm1d (<c>{name}.bn.*</c>), if declared.</param>
public sealed class LinearBlock(string name, Linear linear, BatchNorm? batchNorm) : Layer(name)
{
    /// <summary>The fully connected layer.</summary>
    public Linear Linear { get; } = linear;

    /// <summary>The BatchNorm1d, if declared.</summary>
    public BatchNorm? BatchNorm { get; } = batchNorm;

    /// <inheritdoc/>
    public override IEnumerable<Parameter> Tensors => BatchNorm is null ? Linear.Tensors : Linear.Tensors.Concat(BatchNorm.Tensors);
}
