using System;
using System.Collections.Generic;

namespace Fusion;

/// <summary>
/// The parameters of a 2-D convolution, PyTorch layout: <c>weight</c> is [C_out, C_in/groups, kH, kW],
/// <c>bias</c> is [C_out]. Initialised like PyTorch's <c>nn.Conv2d</c>: Kaiming-uniform with a = √5, which gives
/// weights and bias uniform in ±1/√fan_in, fan_in = C_in/groups·kH·kW.
/// </summary>
public sealed class Conv2d
{
    /// <summary>Creates and initialises the parameters. Called by generated model code.</summary>
    public Conv2d(
        string prefix, int inChannels, int outChannels, int kernelHeight, int kernelWidth,
        int stride, int paddingHeight, int paddingWidth, int dilation, int groups, bool bias,
        ChangeCounter changes, SeededRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelHeight = kernelHeight;
        KernelWidth = kernelWidth;
        Stride = stride;
        PaddingHeight = paddingHeight;
        PaddingWidth = paddingWidth;
        Dilation = dilation;
        Groups = groups;
        Weight = new Parameter(prefix + ".weight", [outChannels, inChannels / groups, kernelHeight, kernelWidth], changes);
        float bound = 1f / MathF.Sqrt(inChannels / groups * kernelHeight * kernelWidth);
        Weight.Update(w => random.Fill(w, -bound, bound));
        if (bias)
        {
            Bias = new Parameter(prefix + ".bias", [outChannels], changes);
            Bias.Update(b => random.Fill(b, -bound, bound));
        }
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Kernel height.</summary>
    public int KernelHeight { get; }

    /// <summary>Kernel width.</summary>
    public int KernelWidth { get; }

    /// <summary>Stride (both axes).</summary>
    public int Stride { get; }

    /// <summary>Zero padding above and below.</summary>
    public int PaddingHeight { get; }

    /// <summary>Zero padding left and right.</summary>
    public int PaddingWidth { get; }

    /// <summary>Dilation (both axes).</summary>
    public int Dilation { get; }

    /// <summary>Channel groups.</summary>
    public int Groups { get; }

    /// <summary>[C_out, C_in/groups, kH, kW].</summary>
    public Parameter Weight { get; }

    /// <summary>[C_out], or <see langword="null"/> when the convolution has no bias.</summary>
    public Parameter? Bias { get; }

    /// <summary>The tensors in <c>state_dict</c> order.</summary>
    public IEnumerable<Parameter> Tensors
    {
        get
        {
            yield return Weight;
            if (Bias is not null) { yield return Bias; }
        }
    }
}

/// <summary>
/// The parameters of a fully connected layer, PyTorch layout: <c>weight</c> is [out, in], <c>bias</c> is [out];
/// initialised uniform in ±1/√in like <c>nn.Linear</c>.
/// </summary>
public sealed class Linear
{
    /// <summary>Creates and initialises the parameters. Called by generated model code.</summary>
    public Linear(string prefix, int inFeatures, int outFeatures, bool bias, ChangeCounter changes, SeededRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = new Parameter(prefix + ".weight", [outFeatures, inFeatures], changes);
        float bound = 1f / MathF.Sqrt(inFeatures);
        Weight.Update(w => random.Fill(w, -bound, bound));
        if (bias)
        {
            Bias = new Parameter(prefix + ".bias", [outFeatures], changes);
            Bias.Update(b => random.Fill(b, -bound, bound));
        }
    }

    /// <summary>Input features.</summary>
    public int InFeatures { get; }

    /// <summary>Output features.</summary>
    public int OutFeatures { get; }

    /// <summary>[out, in].</summary>
    public Parameter Weight { get; }

    /// <summary>[out], or <see langword="null"/>.</summary>
    public Parameter? Bias { get; }

    /// <summary>The tensors in <c>state_dict</c> order.</summary>
    public IEnumerable<Parameter> Tensors
    {
        get
        {
            yield return Weight;
            if (Bias is not null) { yield return Bias; }
        }
    }
}
