using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Fusion.Activations;

/// <summary><c>f(x) = x·relu6(x + 3)/6</c>.</summary>
public readonly struct HardSwish : IActivation
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float x) => x * default(HardSigmoid).Invoke(x);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => x * default(HardSigmoid).Invoke(x);

    /// <inheritdoc/>
    public float Derivative(float x) => x < -3f ? 0f : x > 3f ? 1f : (2f * x + 3f) / 6f;
}
