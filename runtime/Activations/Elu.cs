using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Fusion.Activations;

/// <summary><c>f(x) = x &gt; 0 ? x : α(e^x − 1)</c>.</summary>
/// <param name="alpha">α.</param>
public readonly struct Elu(float alpha) : IActivation
{
    /// <summary>α.</summary>
    public float Alpha { get; } = alpha;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float x) => x > 0f ? x : Alpha * (MathF.Exp(x) - 1f);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x)
    {
        // exp of the clamped input: positive lanes are not selected, and must not overflow to ∞·0 noise.
        Vector256<float> negative = Vector256.Create(Alpha) * (Vector256.Exp(Vector256.Min(x, Vector256<float>.Zero)) - Vector256<float>.One);
        return Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x, negative);
    }

    /// <inheritdoc/>
    public float Derivative(float x) => x > 0f ? 1f : Alpha * MathF.Exp(x);
}
