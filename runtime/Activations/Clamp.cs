using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Fusion.Activations;

/// <summary><c>f(x) = min(max(x, min), max)</c>; ReLU6 is <c>Clamp(0, 6)</c>.</summary>
/// <param name="min">Lower bound.</param>
/// <param name="max">Upper bound.</param>
public readonly struct Clamp(float min, float max) : IActivation
{
    /// <summary>Lower bound.</summary>
    public float Min { get; } = min;

    /// <summary>Upper bound.</summary>
    public float Max { get; } = max;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float x) => x < Min ? Min : x > Max ? Max : x;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.Min(Vector256.Max(x, Vector256.Create(Min)), Vector256.Create(Max));

    /// <inheritdoc/>
    public float Derivative(float x) => x > Min && x < Max ? 1f : 0f;
}
