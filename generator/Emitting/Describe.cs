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

    public static string Epilogue(bool residual, ActivationSpec activation)
    {
        var steps = new List<string>();
        if (residual)
        {
            steps.Add("add the residual (8 channels gathered at stride H·W)");
        }

        if (activation.Kind != ActivationKind.Identity)
        {
            steps.Add(Activation(activation) + " in registers");
        }

        steps.Add("store each vector's lanes to its 8 NCHW planes");
        return string.Join(", then ", steps);
    }

    public static string ChannelRun(ConvKernelPlan k, ChannelRun run)
    {
        string lanes = run.LastLanes == 8 ? "all lanes stored" : $"its last vector stores {run.LastLanes} of 8 lanes (channels {k.OutPerGroup} per group)";
        return run.Count > 1
            ? $"{run.Count} channel tiles of {run.Vectors} vectors ({run.Vectors * 8} channels) from vector {run.FirstVector}, {lanes}"
            : $"one channel tile of {run.Vectors} vector{(run.Vectors > 1 ? "s" : "")} at vector {run.FirstVector}, {lanes}";
    }

    public static string ColumnRun(ConvKernelPlan k, ColumnRun run)
    {
        if (run.Interior)
        {
            return run.Count > 1
                ? $"interior: {run.Count} tiles of {run.Pixels} pixels at columns {run.Start}..{run.Start + run.Count * run.Pixels - 1}, no padding read, kw looped"
                : $"interior tile of {run.Pixels} pixel{(run.Pixels > 1 ? "s" : "")} at column {run.Start}, no padding read, kw looped";
        }

        return $"border tile of {run.Pixels} pixel{(run.Pixels > 1 ? "s" : "")} at column {run.Start}: kw unrolled, the {MissingTaps(k, run)} taps that read padding removed";
    }

    public static int MissingTaps(ConvKernelPlan k, ColumnRun run)
    {
        int missing = 0;
        for (int p = 0; p < run.Pixels; p++)
        {
            for (int kw = 0; kw < k.KernelWidth; kw++)
            {
                if (!TapInRange(k, run.Start, p, kw))
                {
                    missing++;
                }
            }
        }

        return missing;
    }

    public static bool TapInRange(ConvKernelPlan k, int start, int pixel, int kw)
    {
        int column = (start + pixel) * k.Stride - k.PaddingWidth + kw * k.Dilation;
        return column >= 0 && column < k.Width;
    }

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

    public static string Rows(ConvKernelPlan k)
        => k.PaddingHeight == 0
            ? "every output row reads kh = 0..kernel height − 1 (no vertical padding)"
            : $"kh clipped per output row to the taps inside the image (vertical padding {k.PaddingHeight})";

    public static string Columns(ConvKernelPlan k)
        => string.Join("; ", k.ColumnRuns.Select(r => r.Interior && r.Count > 1
            ? $"{r.Count}×{r.Pixels} interior at {r.Start}"
            : $"{(r.Interior ? "interior" : "border")} {r.Pixels} at {r.Start}"));
}
