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
}
