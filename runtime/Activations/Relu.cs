using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Fusion.Activations;

/// <summary><c>f(x) = max(x, 0)</c>.</summary>
public readonly struct Relu : IActivation
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float x) => x < 0f ? 0f : x; // NaN passes through, as in PyTorch

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.Max(x, Vector256<float>.Zero);

    /// <inheritdoc/>
    public float Derivative(float x) => x > 0f ? 1f : 0f;
}
