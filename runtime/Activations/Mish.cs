using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Fusion.Activations;

/// <summary>
/// <c>f(x) = x·tanh(softplus(x))</c>, evaluated as <c>x·n(n + 2)/(n(n + 2) + 2)</c> with <c>n = e^x</c>
/// (tanh(ln(1 + n)) = ((1+n)² − 1)/((1+n)² + 1)); above x = 20 the ratio is 1 to float precision, so f(x) = x.
/// </summary>
public readonly struct Mish : IActivation
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float x)
    {
        if (x > 20f)
        {
            return x;
        }

        float n = MathF.Exp(x);
        float q = n * (n + 2f);
        return x * q / (q + 2f);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x)
    {
        Vector256<float> n = Vector256.Exp(Vector256.Min(x, Vector256.Create(20f)));
        Vector256<float> q = n * (n + Vector256.Create(2f));
        Vector256<float> y = x * q / (q + Vector256.Create(2f));
        return Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(20f)), x, y);
    }

    /// <inheritdoc/>
    public float Derivative(float x) => MishDerivative(x);

    // d/dx x·tanh(sp(x)) = tanh(sp) + x·(1 − tanh²(sp))·σ(x), sp = ln(1 + eˣ)
    private static float MishDerivative(float x)
    {
        double sp = x > 20 ? x : Math.Log(1 + Math.Exp(x));
        double t = Math.Tanh(sp);
        double s = 1 / (1 + Math.Exp(-(double)x));
        return (float)(t + x * (1 - t * t) * s);
    }
}
