using System;

namespace Fusion;

/// <summary>How <see cref="GeluAttribute"/> evaluates GELU.</summary>
public enum GeluApproximation
{
    /// <summary>Exact: <c>x·Φ(x) = ½x(1 + erf(x/√2))</c> (PyTorch <c>approximate='none'</c>).</summary>
    None = 0,

    /// <summary><c>½x(1 + tanh(√(2/π)(x + 0.044715x³)))</c> (PyTorch <c>approximate='tanh'</c>).</summary>
    Tanh = 1,
}

/// <summary>No activation: <c>f(x) = x</c>. Useful to make "no activation" explicit.</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class IdentityAttribute : Attribute;

/// <summary><c>f(x) = max(x, 0)</c>.</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class ReluAttribute : Attribute;

/// <summary><c>f(x) = x ≥ 0 ? x : slope·x</c>.</summary>
/// <param name="negativeSlope">Slope for negative inputs (PyTorch default 0.01).</param>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class LeakyReluAttribute(float negativeSlope = 0.01f) : Attribute
{
    /// <summary>Slope for negative inputs.</summary>
    public float NegativeSlope { get; } = negativeSlope;
}

/// <summary><c>f(x) = min(max(x, 0), 6)</c>.</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class Relu6Attribute : Attribute;

/// <summary><c>f(x) = min(max(x, min), max)</c> (PyTorch <c>Hardtanh</c> / ONNX <c>Clip</c>).</summary>
/// <param name="min">Lower bound.</param>
/// <param name="max">Upper bound, not below <paramref name="min"/>.</param>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class ClampAttribute(float min, float max) : Attribute
{
    /// <summary>Lower bound.</summary>
    public float Min { get; } = min;

    /// <summary>Upper bound.</summary>
    public float Max { get; } = max;
}

/// <summary><c>f(x) = 1 / (1 + e^−x)</c>.</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class SigmoidAttribute : Attribute;

/// <summary><c>f(x) = tanh(x)</c>.</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class TanhAttribute : Attribute;

/// <summary>SiLU / swish: <c>f(x) = x·σ(x)</c>.</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class SiluAttribute : Attribute;

/// <summary>GELU, exact (erf) by default or with the tanh approximation.</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class GeluAttribute : Attribute
{
    /// <summary>Which form to evaluate (default <see cref="GeluApproximation.None"/>, PyTorch's default).</summary>
    public GeluApproximation Approximate { get; set; }
}

/// <summary><c>f(x) = x·relu6(x + 3)/6</c>.</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class HardSwishAttribute : Attribute;

/// <summary><c>f(x) = relu6(x + 3)/6</c> (PyTorch's definition).</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class HardSigmoidAttribute : Attribute;

/// <summary><c>f(x) = x &gt; 0 ? x : α(e^x − 1)</c>.</summary>
/// <param name="alpha">α (PyTorch default 1).</param>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class EluAttribute(float alpha = 1f) : Attribute
{
    /// <summary>α.</summary>
    public float Alpha { get; } = alpha;
}

/// <summary><c>f(x) = x·tanh(softplus(x)) = x·tanh(ln(1 + e^x))</c>.</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class MishAttribute : Attribute;
