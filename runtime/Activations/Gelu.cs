using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Fusion.Activations;

/// <summary>Exact GELU: <c>f(x) = x·Φ(x) = ½x(1 + erf(x/√2))</c>.</summary>
public readonly struct Gelu : IActivation
{
    private const float InvSqrt2 = 0.70710678118654752f;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float x) => 0.5f * x * (1f + VectorMath.Erf(x * InvSqrt2));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x)
        => Vector256.Create(0.5f) * x * (Vector256<float>.One + VectorMath.Erf(x * Vector256.Create(InvSqrt2)));

    /// <inheritdoc/>
    public float Derivative(float x) => GeluDerivative(x);

    // d/dx x·Φ(x) = Φ(x) + x·φ(x)
    private static float GeluDerivative(float x)
    {
        double cdf = 0.5 * (1 + VectorMath.Erf(x * InvSqrt2));
        double pdf = Math.Exp(-0.5 * (double)x * x) / Math.Sqrt(2 * Math.PI);
        return (float)(cdf + x * pdf);
    }
}
