using System.Runtime.Intrinsics;

namespace Fusion.Activations;

/// <summary>
/// An element-wise activation as an operator struct. Generated kernels call <see cref="Invoke(Vector256{float})"/>
/// on accumulators still in registers; the JIT inlines it because the struct type is known at every call site.
/// Parameterised activations carry their constants as fields of a <see langword="readonly"/> struct.
/// </summary>
public interface IActivation
{
    /// <summary>The activation of one value.</summary>
    float Invoke(float x);

    /// <summary>The activation of eight values at once; agrees with <see cref="Invoke(float)"/> to float rounding.</summary>
    Vector256<float> Invoke(Vector256<float> x);

    /// <summary>f′(x), the derivative at the pre-activation value x (at a kink, the right-hand PyTorch convention: ReLU′(0) = 0).</summary>
    float Derivative(float x);
}
