using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Fusion.Activations;

/// <summary>SiLU / swish: <c>f(x) = x·σ(x) = x / (1 + e^−x)</c>.</summary>
public readonly struct Silu : IActivation
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float x) => x / (1f + MathF.Exp(-x));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => x * VectorMath.Sigmoid(x);

    /// <inheritdoc/>
    public float Derivative(float x) => SiluDerivative(x);

    // d/dx x·σ(x) = σ(x)·(1 + x·(1 − σ(x)))
    private static float SiluDerivative(float x)
    {
        double s = 1 / (1 + Math.Exp(-(double)x));
        return (float)(s * (1 + x * (1 - s)));
    }
}
