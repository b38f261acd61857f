using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Fusion.Activations;

/// <summary><c>f(x) = 1 / (1 + e^−x)</c>.</summary>
public readonly struct Sigmoid : IActivation
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float x) => 1f / (1f + MathF.Exp(-x));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => VectorMath.Sigmoid(x);

    /// <inheritdoc/>
    public float Derivative(float x) => SigmoidDerivative(x);

    private static float SigmoidDerivative(float x)
    {
        double s = 1 / (1 + Math.Exp(-(double)x));
        return (float)(s * (1 - s));
    }
}
