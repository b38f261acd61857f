using System.Collections.Generic;
using System.Linq;
using Fusion.Generator.Model;

namespace Fusion.Generator.Emitting;

/// <summary>
/// One English sentence per stage of a plan. The kernel's plan comment and the comments that open each stage of
/// its body come from here, so the explanation and the code are produced from the same plan and cannot drift.
/// </summary>
internal static class Describe
{
    public static string Activation(ActivationSpec a) => a.Kind switch
    {
        ActivationKind.Identity => "no activation",
        ActivationKind.Relu => "ReLU",
        ActivationKind.LeakyRelu => $"LeakyReLU (slope {Literals.Float(a.Parameter1)})",
        ActivationKind.Relu6 => "ReLU6",
        ActivationKind.Clamp => $"Clamp to [{Literals.Float(a.Parameter1)}, {Literals.Float(a.Parameter2)}]",
        ActivationKind.Sigmoid => "sigmoid",
        ActivationKind.Tanh => "tanh",
        ActivationKind.Silu => "SiLU",
        ActivationKind.Gelu => "GELU (erf)",
        ActivationKind.GeluTanh => "GELU (tanh approximation)",
        ActivationKind.HardSwish => "HardSwish",
        ActivationKind.HardSigmoid => "HardSigmoid",
        ActivationKind.Elu => $"ELU (alpha {Literals.Float(a.Parameter1)})",
        ActivationKind.Mish => "Mish",
        _ => a.Kind.ToString(),
    };

    /// <summary>The runtime operator struct that computes the activation, as an expression.</summary>
    public static string ActivationOperator(ActivationSpec a) => a.Kind switch
    {
        ActivationKind.LeakyRelu => $"new global::Fusion.Activations.LeakyRelu({Literals.Float(a.Parameter1)})",
        ActivationKind.Elu => $"new global::Fusion.Activations.Elu({Literals.Float(a.Parameter1)})",
        ActivationKind.Clamp => $"new global::Fusion.Activations.Clamp({Literals.Float(a.Parameter1)}, {Literals.Float(a.Parameter2)})",
        _ => $"default(global::Fusion.Activations.{a.Kind})",
    };

    public static string ConvOperation(ConvKernelPlan k)
    {
        string kernel = k.KernelHeight == k.KernelWidth ? $"{k.KernelHeight}×{k.KernelHeight}" : $"{k.KernelHeight}×{k.KernelWidth}";
        string padding = k.PaddingHeight == k.PaddingWidth ? $"{k.PaddingHeight}" : $"{k.PaddingHeight}×{k.PaddingWidth}";
        var parts = new List<string> { $"Conv {kernel}", $"stride {k.Stride}", $"padding {padding}" };
        if (k.Dilation != 1)
        {
            parts.Add($"dilation {k.Dilation}");
        }

        if (k.Groups != 1)
        {
            parts.Add(k.Groups == k.InChannels && k.Groups == k.OutChannels ? "depthwise" : $"{k.Groups} groups");
        }

        return string.Join(", ", parts) + $" over {k.InChannels}×{k.Height}×{k.Width} → {k.OutChannels}×{k.OutHeight}×{k.OutWidth}";
    }

    public static string Epilogue(ConvKernelPlan k)
    {
        var steps = new List<string>();
        if (k.Residual)
        {
            steps.Add("add the residual");
        }

        if (k.Activation.Kind != ActivationKind.Identity)
        {
            steps.Add(Activation(k.Activation));
        }

        steps.Add("store");
        string chain = string.Join(", ", steps);
        string statistics = k.Statistics ? "; after the last row, each channel's rows are added to its batch statistics" : "";
        return k.StagedRows
            ? $"tiles park their accumulators in a stack row of {k.TileVectors * 8} channels × {k.OutWidth} pixels; then per channel, 8 pixels at a time in registers: {chain}, so each output line is written whole, once{statistics}"
            : $"per accumulator, in registers: {chain} (8 channels at stride H·W){statistics}";
    }

    public static string ChannelRun(ConvKernelPlan k, ChannelRun run)
    {
        string lanes = run.LastLanes == 8 ? "all lanes stored" : $"its last vector stores {run.LastLanes} of 8 lanes ({k.OutPerGroup} channels per group)";
        return run.Count > 1
            ? $"{run.Count} channel tiles of {run.Vectors} vectors ({run.Vectors * 8} channels) from vector {run.FirstVector}, {lanes}"
            : $"one channel tile of {run.Vectors} vector{(run.Vectors > 1 ? "s" : "")} at vector {run.FirstVector}, {lanes}";
    }

    /// <summary>The epilogue of the kernels vectorised along pixels (pointwise and row tiles).</summary>
    public static string VectorEpilogue(ConvKernelPlan k)
        => "in registers: " + (k.Residual ? "add the residual, " : "") + (k.Activation.Kind == ActivationKind.Identity ? "" : Activation(k.Activation) + ", ")
            + "store whole vectors of 8 pixels (NCHW, no transposes)";

    /// <summary>Where the kernel reads and writes: plain NCHW, or the interior of zero-bordered buffers.</summary>
    public static string Layout(ConvKernelPlan k)
    {
        string output = k.PaddedOutput
            ? $"NCHW out into the interior of a buffer with {k.OutputPadHeight}×{k.OutputPadWidth} zero borders (the next layer's padding: it needs no copy)"
            : "NCHW out";
        string residual = k.PaddedResidual ? $", the residual read from such a buffer ({k.ResidualPadHeight}×{k.ResidualPadWidth} borders)" : "";
        string input = k.BorderedInput
            ? $"NCHW in from the interior of a buffer with {k.InputBorderHeight}×{k.InputBorderWidth} zero borders (another reader's padding: rows of {k.InputRow}, planes of {k.InputPlane} floats)"
            : "NCHW in";
        return $"{input}, {output}{residual}";
    }

    public static string RowBands(ConvKernelPlan k)
    {
        int rowVectors = k.OutWidth / k.VectorPixels, full = rowVectors / k.RowTileVectors, rest = rowVectors % k.RowTileVectors;
        string across = full switch
        {
            1 => $"one tile of {k.RowTileVectors} vectors across",
            _ => $"{full} tiles of {k.RowTileVectors} vectors across",
        } + (rest > 0 ? $", then one of {rest}" : "") + (k.OutWidth % k.VectorPixels != 0 ? ", then one vector ending at the row's end (overlapping the one before)" : "");
        return k.RowTileRows > 1
            ? $"bands of {k.RowTileRows} rows (the last rows of a band that does not fill, one at a time), {across}"
            : $"one row at a time, {across}";
    }

    public static string ColumnRun(ColumnRun run)
        => run.Count > 1
            ? $"{run.Count} tiles of {run.Pixels} pixels at columns {run.Start}..{run.Start + run.Count * run.Pixels - 1}"
            : $"tail tile of {run.Pixels} pixel{(run.Pixels > 1 ? "s" : "")} at column {run.Start}";

    public static string Padding(ConvKernelPlan k)
        => k.PaddedInput
            ? $"the caller copies the input zero-padded to {k.InChannels}×{k.PaddedHeight}×{k.PaddedWidth}, so no tap is out of range: no border code, no clipping"
                + (k.SkipsPaddingRows ? "; per output row, the kernel rows over the top or bottom padding are skipped (khStart..khEnd − 1)" : "")
                + (k.SkipsPaddingColumns ? "; the row's one tile takes each kw tap without the pixels it would read from the left or right padding" : "")
            : "none";

    public static string InputBlocks(ConvKernelPlan k)
    {
        int full = k.InPerGroup / 8, tail = k.InPerGroup % 8;
        string blocks = full switch
        {
            0 => "no full block of 8",
            1 => "1 block of 8",
            _ => $"{full} blocks of 8 (looped)",
        };
        return $"{k.InPerGroup} input channels per group: {blocks}, tail: {(tail == 0 ? "none" : $"{tail} channels, unrolled")}";
    }
}
