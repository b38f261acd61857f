using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Fusion.Activations;

/// <summary><c>f(x) = min(max(x, 0), 6)</c>.</summary>
public readonly struct Relu6 : IActivation
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float x) => x < 0f ? 0f : x > 6f ? 6f : x;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.Min(Vector256.Max(x, Vector256<float>.Zero), Vector256.Create(6f));

    /// <inheritdoc/>
    public float Derivative(float x) => x > 0f && x < 6f ? 1f : 0f;
}
