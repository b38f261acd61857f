using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Fusion.Activations;

/// <summary><c>f(x) = x ≥ 0 ? x : slope·x</c>.</summary>
/// <param name="negativeSlope">Slope applied to negative inputs.</param>
public readonly struct LeakyRelu(float negativeSlope) : IActivation
{
    /// <summary>Slope applied to negative inputs.</summary>
    public float NegativeSlope { get; } = negativeSlope;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float x) => x >= 0f ? x : NegativeSlope * x;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x)
        => Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, Vector256<float>.Zero), x, x * Vector256.Create(NegativeSlope));

    /// <inheritdoc/>
    public float Derivative(float x) => x >= 0f ? 1f : NegativeSlope;
}
