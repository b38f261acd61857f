using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Fusion.Activations;

/// <summary><c>f(x) = relu6(x + 3)/6</c> (PyTorch's definition; Keras' older one uses slope 0.2).</summary>
public readonly struct HardSigmoid : IActivation
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float x) => default(Relu6).Invoke(x + 3f) * (1f / 6f);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => default(Relu6).Invoke(x + Vector256.Create(3f)) * Vector256.Create(1f / 6f);

    /// <inheritdoc/>
    public float Derivative(float x) => x > -3f && x < 3f ? 1f / 6f : 0f;
}
