using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Fusion.Training;

/// <summary>Updates learned parameters from their gradients.</summary>
public interface IOptimizer
{
    /// <summary>The learning rate of the next step (a schedule sets it).</summary>
    float LearningRate { get; set; }

    /// <summary>One update of every parameter from its current gradient.</summary>
    void Step();

    /// <summary>Sets every gradient to zero.</summary>
    void ZeroGrad();
}

/// <summary>Which parameters an optimiser leaves out of weight decay.</summary>
public enum WeightDecayScope
{
    /// <summary>Every learned parameter decays (PyTorch's default).</summary>
    All,

    /// <summary>BatchNorm γ/β and all biases do not decay (the usual recipe for CNNs).</summary>
    NoDecayOnNormAndBias,
}

/// <summary>Shared bookkeeping: the learned parameters and whether each decays.</summary>
public abstract class Optimizer : IOptimizer
{
    private protected readonly Parameter[] Parameters;
    private protected readonly bool[] Decays;

    private protected Optimizer(IEnumerable<Parameter> parameters, float learningRate, WeightDecayScope scope)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentOutOfRangeException.ThrowIfNegative(learningRate);
        Parameters = parameters.Where(p => p.Learnable).ToArray();
        Decays = Parameters.Select(p => scope == WeightDecayScope.All || !(p.Name.EndsWith(".bias", StringComparison.Ordinal) || p.Name.Contains(".bn.", StringComparison.Ordinal))).ToArray();
        LearningRate = learningRate;
    }

    /// <inheritdoc/>
    public float LearningRate { get; set; }

    /// <inheritdoc/>
    public abstract void Step();

    /// <inheritdoc/>
    public void ZeroGrad()
    {
        foreach (Parameter parameter in Parameters)
        {
            parameter.Gradient.Clear();
        }
    }
}

/// <summary>
/// Stochastic gradient descent, PyTorch's <c>torch.optim.SGD</c>: <c>g = ∇ + λ·p</c>; with momentum μ,
/// <c>b = μ·b + g</c> (b = g on the first step) and <c>g = b</c>, or <c>g = g + μ·b</c> with Nesterov; <c>p −= lr·g</c>.
/// </summary>
public sealed class Sgd : Optimizer
{
    private readonly float[][] _momentumBuffers;
    private bool _started;

    /// <summary>Creates the optimiser over the learned parameters among <paramref name="parameters"/>.</summary>
    public Sgd(IEnumerable<Parameter> parameters, float learningRate, float momentum = 0f, bool nesterov = false, float weightDecay = 0f, WeightDecayScope scope = WeightDecayScope.All)
        : base(parameters, learningRate, scope)
    {
        if (nesterov && momentum <= 0f)
        {
            throw new ArgumentException("Nesterov momentum needs a positive momentum.", nameof(nesterov));
        }

        Momentum = momentum;
        Nesterov = nesterov;
        WeightDecay = weightDecay;
        _momentumBuffers = Parameters.Select(p => new float[p.Length]).ToArray();
    }

    /// <summary>μ.</summary>
    public float Momentum { get; }

    /// <summary>Whether the Nesterov form is used.</summary>
    public bool Nesterov { get; }

    /// <summary>λ, the L2 penalty added to the gradient.</summary>
    public float WeightDecay { get; }

    /// <inheritdoc/>
    public override void Step()
    {
        for (int i = 0; i < Parameters.Length; i++)
        {
            Span<float> p = Parameters[i].Values;
            Span<float> gradient = Parameters[i].Gradient;
            Span<float> buffer = _momentumBuffers[i];
            Update(p, gradient, buffer, Decays[i] ? WeightDecay : 0f, Momentum, Nesterov, _started, LearningRate);
            Parameters[i].MarkChanged();
        }

        _started = true;
    }

    /// <summary>One tensor's update, eight at a time (separate multiplies and adds: the same roundings as one at a time).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Update(Span<float> p, ReadOnlySpan<float> gradient, Span<float> buffer, float decay, float momentum, bool nesterov, bool started, float learningRate)
    {
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> vDecay = Vector256.Create(decay), vMomentum = Vector256.Create(momentum), vRate = Vector256.Create(learningRate);
            ref float ps = ref MemoryMarshal.GetReference(p);
            ref float gs = ref MemoryMarshal.GetReference(gradient);
            ref float bs = ref MemoryMarshal.GetReference(buffer);
            for (; j + 8 <= p.Length; j += 8)
            {
                Vector256<float> w = Vector256.LoadUnsafe(ref ps, (nuint)j);
                Vector256<float> g = Vector256.LoadUnsafe(ref gs, (nuint)j) + vDecay * w;
                if (momentum != 0f)
                {
                    Vector256<float> b = started ? vMomentum * Vector256.LoadUnsafe(ref bs, (nuint)j) + g : g;
                    b.StoreUnsafe(ref bs, (nuint)j);
                    g = nesterov ? g + vMomentum * b : b;
                }

                (w - vRate * g).StoreUnsafe(ref ps, (nuint)j);
            }
        }

        for (; j < p.Length; j++)
        {
            float g = gradient[j] + decay * p[j];
            if (momentum != 0f)
            {
                buffer[j] = started ? momentum * buffer[j] + g : g;
                g = nesterov ? g + momentum * buffer[j] : buffer[j];
            }

            p[j] -= learningRate * g;
        }
    }
}

/// <summary>
/// AdamW, PyTorch's <c>torch.optim.AdamW</c>: decoupled decay <c>p −= lr·λ·p</c>, then <c>m = β₁m + (1 − β₁)g</c>,
/// <c>v = β₂v + (1 − β₂)g²</c>, <c>p −= lr·m̂/(√v̂ + ε)</c> with bias-corrected m̂, v̂.
/// </summary>
public sealed class AdamW : Optimizer
{
    private readonly float[][] _m, _v;
    private int _step;

    /// <summary>Creates the optimiser over the learned parameters among <paramref name="parameters"/>.</summary>
    public AdamW(IEnumerable<Parameter> parameters, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 1e-2f, WeightDecayScope scope = WeightDecayScope.All)
        : base(parameters, learningRate, scope)
    {
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
        _m = Parameters.Select(p => new float[p.Length]).ToArray();
        _v = Parameters.Select(p => new float[p.Length]).ToArray();
    }

    /// <summary>β₁.</summary>
    public float Beta1 { get; }

    /// <summary>β₂.</summary>
    public float Beta2 { get; }

    /// <summary>ε.</summary>
    public float Epsilon { get; }

    /// <summary>λ, the decoupled decay.</summary>
    public float WeightDecay { get; }

    /// <inheritdoc/>
    public override void Step()
    {
        _step++;
        double correction1 = 1 - Math.Pow(Beta1, _step), correction2 = 1 - Math.Pow(Beta2, _step);
        for (int i = 0; i < Parameters.Length; i++)
        {
            Span<float> p = Parameters[i].Values;
            Span<float> gradient = Parameters[i].Gradient;
            Span<float> m = _m[i], v = _v[i];
            float decay = Decays[i] ? WeightDecay : 0f;
            for (int j = 0; j < p.Length; j++)
            {
                float g = gradient[j];
                p[j] -= LearningRate * decay * p[j];
                m[j] = Beta1 * m[j] + (1 - Beta1) * g;
                v[j] = Beta2 * v[j] + (1 - Beta2) * g * g;
                double mHat = m[j] / correction1, vHat = v[j] / correction2;
                p[j] -= (float)(LearningRate * mHat / (Math.Sqrt(vHat) + Epsilon));
            }

            Parameters[i].MarkChanged();
        }
    }
}
