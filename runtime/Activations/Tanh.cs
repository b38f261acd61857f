using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Fusion.Activations;

/// <summary><c>f(x) = tanh(x)</c>.</summary>
public readonly struct Tanh : IActivation
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float x) => MathF.Tanh(x);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => VectorMath.Tanh(x);

    /// <inheritdoc/>
    public float Derivative(float x) => TanhDerivative(x);

    private static float TanhDerivative(float x)
    {
        double t = Math.Tanh(x);
        return (float)(1 - t * t);
    }
}
