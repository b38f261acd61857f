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
