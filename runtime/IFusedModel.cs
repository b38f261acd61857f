using System;
using System.Collections.Generic;

namespace Fusion;

/// <summary>What every generated model offers, for code that handles models generically (tests, tools, trainers).</summary>
public interface IFusedModel
{
    /// <summary>Floats in one input sample (C·H·W of the declared input).</summary>
    int InputLength { get; }

    /// <summary>Floats in one output sample.</summary>
    int OutputLength { get; }

    /// <summary>The layers in execution order.</summary>
    IReadOnlyList<Layer> Layers { get; }

    /// <summary>
    /// Inference with the fused, shape-specialised kernels (BatchNorm folded into the weights).
    /// <paramref name="input"/> holds <c>batch·InputLength</c> floats in NCHW, <paramref name="output"/> receives
    /// <c>batch·OutputLength</c>. Allocation-free after the first call for a given batch size; safe to call
    /// concurrently on distinct buffers.
    /// </summary>
    void Forward(ReadOnlySpan<float> input, Span<float> output, int batch);

    /// <summary>
    /// The same inference, unfused: each convolution, each BatchNorm, each residual add and each activation as its
    /// own pass over memory through shape-agnostic runtime kernels. A baseline that shows what fusion saves.
    /// </summary>
    void ForwardUnfused(ReadOnlySpan<float> input, Span<float> output, int batch);

    /// <summary>
    /// The same inference, fused but not specialised: each convolution with its BatchNorm folded, residual and
    /// activation in one pass, through Fusion's register-tiled runtime kernel with every shape a runtime argument.
    /// A baseline that shows what generating kernels for this model's shapes saves.
    /// </summary>
    void ForwardGeneric(ReadOnlySpan<float> input, Span<float> output, int batch);

    /// <summary>The register tiles the convolutions use (see <see cref="Kernels.KernelVariant"/>); defaults to what the machine has.</summary>
    Kernels.KernelVariant KernelVariant { get; set; }

    /// <summary>How many threads inference may split a batch across (default 1).</summary>
    int Threads { get; set; }

    /// <summary>Whether <see cref="Forward"/> runs in training mode (batch statistics, running-statistic updates, kept activations).</summary>
    bool IsTraining { get; }

    /// <summary>Training mode, like PyTorch's <c>model.train()</c>.</summary>
    void Train();

    /// <summary>Inference mode, like PyTorch's <c>model.eval()</c>: <see cref="Forward"/> runs the folded, fused kernels.</summary>
    void Eval();

    /// <summary>
    /// Backpropagates <paramref name="outputGradient"/> (∂L/∂output, <c>batch·OutputLength</c> floats) through the
    /// last training-mode <see cref="Forward"/>, adding every learned parameter's gradient to <see cref="Parameter.Gradient"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">No training-mode forward pass to go back through.</exception>
    /// <exception cref="ArgumentException">The gradient does not match that pass's batch.</exception>
    void Backward(ReadOnlySpan<float> outputGradient);
}

/// <summary>Helpers over <see cref="IFusedModel"/>.</summary>
public static class FusedModelExtensions
{
    /// <summary>Every tensor in PyTorch <c>state_dict</c> order.</summary>
    public static IEnumerable<Parameter> StateDict(this IFusedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach (Layer layer in model.Layers)
        {
            foreach (Parameter tensor in layer.Tensors)
            {
                yield return tensor;
            }
        }
    }

    /// <summary>The learned parameters (weights, biases, γ, β), in <c>state_dict</c> order: what an optimiser updates.</summary>
    public static IEnumerable<Parameter> Parameters(this IFusedModel model)
    {
        foreach (Parameter tensor in model.StateDict())
        {
            if (tensor.Learnable)
            {
                yield return tensor;
            }
        }
    }

    /// <summary>Every BatchNorm of the model, in layer order.</summary>
    public static IEnumerable<BatchNorm> BatchNorms(this IFusedModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach (Layer layer in model.Layers)
        {
            BatchNorm? batchNorm = layer switch { ConvBlock c => c.BatchNorm, LinearBlock l => l.BatchNorm, _ => null };
            if (batchNorm is not null)
            {
                yield return batchNorm;
            }
        }
    }

    /// <summary>The tensor with the given <c>state_dict</c> name.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name; the message lists the names that exist.</exception>
    public static Parameter GetTensor(this IFusedModel model, string name)
    {
        var names = new List<string>();
        foreach (Parameter tensor in model.StateDict())
        {
            if (tensor.Name == name)
            {
                return tensor;
            }

            names.Add(tensor.Name);
        }

        throw new KeyNotFoundException($"The model has no tensor named '{name}'. Its tensors are: {string.Join(", ", names)}.");
    }
}
