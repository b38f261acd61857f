using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Fusion.Activations;

/// <summary>Vector forms of the few transcendental functions the activations need, built on <see cref="Vector256.Exp(Vector256{float})"/>.</summary>
internal static class VectorMath
{
    /// <summary>σ(x) = 1/(1 + e^−x); e^−x overflows to +∞ for x &lt; −88, which gives the correct 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sigmoid(Vector256<float> x)
        => Vector256<float>.One / (Vector256<float>.One + Vector256.Exp(-x));

    /// <summary>
    /// tanh(x) = sign(x)·(1 − 2/(e^{2|x|} + 1)). Below |x| = 0.0625 that form loses relative precision to
    /// cancellation, so the odd Taylor polynomial x − x³/3 + 2x⁵/15 − 17x⁷/315 (error &lt; 1e-10 there) is used instead.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x)
    {
        Vector256<float> a = Vector256.Abs(x);
        Vector256<float> e = Vector256.Exp(Vector256.Min(a + a, Vector256.Create(88f)));
        Vector256<float> large = Vector256<float>.One - Vector256.Create(2f) / (e + Vector256<float>.One);
        large = Vector256.CopySign(large, x);

        Vector256<float> x2 = x * x;
        Vector256<float> poly = Vector256.Create(-17f / 315f);
        poly = Vector256.FusedMultiplyAdd(poly, x2, Vector256.Create(2f / 15f));
        poly = Vector256.FusedMultiplyAdd(poly, x2, Vector256.Create(-1f / 3f));
        poly = Vector256.FusedMultiplyAdd(poly, x2, Vector256<float>.One);
        Vector256<float> small = poly * x;
        return Vector256.ConditionalSelect(Vector256.LessThan(a, Vector256.Create(0.0625f)), small, large);
    }

    /// <summary>
    /// erf(x) by Abramowitz &amp; Stegun 7.1.26 (absolute error ≤ 1.5e-7 in exact arithmetic), made odd by
    /// evaluating on |x| and copying the sign back.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Erf(Vector256<float> x)
    {
        Vector256<float> a = Vector256.Abs(x);
        Vector256<float> t = Vector256<float>.One / Vector256.FusedMultiplyAdd(Vector256.Create(0.3275911f), a, Vector256<float>.One);
        Vector256<float> p = Vector256.Create(1.061405429f);
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(-1.453152027f));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(1.421413741f));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(-0.284496736f));
        p = Vector256.FusedMultiplyAdd(p, t, Vector256.Create(0.254829592f));
        p *= t;
        Vector256<float> y = Vector256<float>.One - p * Vector256.Exp(-(a * a));
        return Vector256.CopySign(y, x);
    }

    /// <summary>Scalar twin of <see cref="Erf(Vector256{float})"/> (.NET has no <c>MathF.Erf</c>).</summary>
    public static float Erf(float x)
    {
        float a = MathF.Abs(x);
        float t = 1f / MathF.FusedMultiplyAdd(0.3275911f, a, 1f);
        float p = 1.061405429f;
        p = MathF.FusedMultiplyAdd(p, t, -1.453152027f);
        p = MathF.FusedMultiplyAdd(p, t, 1.421413741f);
        p = MathF.FusedMultiplyAdd(p, t, -0.284496736f);
        p = MathF.FusedMultiplyAdd(p, t, 0.254829592f);
        p *= t;
        return MathF.CopySign(1f - p * MathF.Exp(-(a * a)), x);
    }
}
