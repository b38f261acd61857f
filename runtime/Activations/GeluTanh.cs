using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Fusion.Activations;

/// <summary>GELU, tanh approximation: <c>f(x) = ½x(1 + tanh(√(2/π)(x + 0.044715x³)))</c>.</summary>
public readonly struct GeluTanh : IActivation
{
    private const float Sqrt2OverPi = 0.79788456080286536f;
    private const float Cubic = 0.044715f;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float x) => 0.5f * x * (1f + MathF.Tanh(Sqrt2OverPi * (x + Cubic * x * x * x)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x)
    {
        Vector256<float> inner = Vector256.Create(Sqrt2OverPi) * Vector256.FusedMultiplyAdd(Vector256.Create(Cubic) * x * x, x, x);
        return Vector256.Create(0.5f) * x * (Vector256<float>.One + VectorMath.Tanh(inner));
    }

    /// <inheritdoc/>
    public float Derivative(float x) => GeluTanhDerivative(x);

    // u = √(2/π)(x + 0.044715x³): d/dx ½x(1 + tanh u) = ½(1 + tanh u) + ½x(1 − tanh²u)·√(2/π)(1 + 3·0.044715x²)
    private static float GeluTanhDerivative(float x)
    {
        double u = Sqrt2OverPi * (x + Cubic * (double)x * x * x);
        double t = Math.Tanh(u);
        return (float)(0.5 * (1 + t) + 0.5 * x * (1 - t * t) * Sqrt2OverPi * (1 + 3 * Cubic * (double)x * x));
    }
}
