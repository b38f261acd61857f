using System.Collections.Generic;
using System.Linq;
using Fusion.Generator.Model;

namespace Fusion.Generator.Emitting;

/// <summary>
/// <see cref="ConvKernelPlan"/> → one direct-convolution kernel for one image. Register tile of P pixels (along an
/// output row) × V vectors of 8 output channels, started at the folded bias; per input channel and tap, P broadcasts
/// and V weight loads feed P·V FMAs, with kh, kw and blocks of 8 input channels as loops and the 8 channels of a
/// block unrolled. The input arrives zero-padded, so every tile is an interior tile. The epilogue adds the residual,
/// applies the activation and stores, so each output is written once.
/// </summary>
internal static class ConvKernelEmitter
{
    public static void Emit(SourceWriter w, ConvKernelPlan k)
    {
        EmitDocumentation(w, k);
        w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]");
        string residualParameter = (k.Residual ? ", float* residual" : "") + (k.Statistics ? ", global::Fusion.Normalization.ChannelStatistics* statistics" : "");
        using (w.Block($"private static unsafe void {k.Name}(float* input, float* output, float* weights, float* bias{residualParameter}, int rowStart, int rowEnd)"))
        {
            w.Line($"const int InPlane = {k.PaddedHeight * k.PaddedWidth}, InWidth = {k.PaddedWidth}, OutPlane = {k.OutHeight * k.OutWidth}, OutWidth = {k.OutWidth};");
            if (k.Activation.Kind != ActivationKind.Identity)
            {
                w.Line($"var activation = {Describe.ActivationOperator(k.Activation)};");
            }

            if (k.StagedRows)
            {
                w.Line($"float* stage = stackalloc float[{k.StageLength}]; // one output row of one channel tile: [channel][pixel]");
            }

            if (k.Groups > 1)
            {
                w.Line($"// {k.Groups} groups of {k.InPerGroup} → {k.OutPerGroup} channels; each group reads only its own input planes.");
                using (w.Block($"for (int g = 0; g < {k.Groups}; g++)"))
                {
                    EmitGroup(w, k, "g");
                }
            }
            else
            {
                EmitGroup(w, k, null);
            }

            if (k.Statistics)
            {
                w.Line();
                w.Line("// The batch statistics of each channel grow by the rows just written, while they are still in L2: one run per");
                w.Line("// channel (contiguous in NCHW), combined with Chan's formula in double.");
                using (w.Block($"for (int c = 0; c < {k.OutChannels}; c++)"))
                {
                    w.Line("statistics[c].AddRun(new global::System.ReadOnlySpan<float>(output + c * OutPlane + rowStart * OutWidth, (rowEnd - rowStart) * OutWidth));");
                }
            }
        }
    }

    private static void EmitDocumentation(SourceWriter w, ConvKernelPlan k)
    {
        w.Line("/// <summary>");
        w.Line($"/// {Describe.ConvOperation(k)}, BatchNorm folded into the weights{(k.Residual ? ", plus the residual" : "")}, then {Describe.Activation(k.Activation)}. One image.");
        w.Line("/// </summary>");
        w.Line("/// <remarks>");
        w.Line("/// <code>");
        w.Line("/// layout     NCHW in, NCHW out; weights packed [group][channel tile][input block of 8][kh][kw][channel in block][tile lanes]");
        w.Line("/// folding    W' = W·s, b' = (b − μ)·s + β, s = γ/√(σ² + ε), done when the parameters change, not here");
        w.Line($"/// padding    {Describe.Padding(k)}");
        w.Line($"/// tile       {k.TilePixels} pixels × {k.TileVectors} vectors of 8 output channels = {k.TilePixels * k.TileVectors} accumulators, started at the folded bias");
        foreach (ChannelRun run in k.ChannelRuns)
        {
            w.Line($"/// channels   {Describe.ChannelRun(k, run)}");
        }

        foreach (ColumnRun run in k.ColumnRuns)
        {
            w.Line($"/// columns    {Describe.ColumnRun(run)}");
        }

        w.Line($"/// input      {Describe.InputBlocks(k)}");
        w.Line("/// unrolled   the register tile and the channels of an input block; kh, kw and input blocks are loops (unrolled taps spill)");
        w.Line($"/// epilogue   {Describe.Epilogue(k)}");
        w.Line($"/// FLOPs      2·{k.OutChannels}·{k.OutHeight}·{k.OutWidth}·{k.InPerGroup}·{k.Taps} = {Literals.Thousands(k.Flops)} per image");
        w.Line("/// </code>");
        w.Line($"/// Computes output rows rowStart..rowEnd − 1 of the {k.OutHeight} (all of them, or one thread's band).");
        w.Line("/// Registers: acc{p}_{v} accumulates tile pixel p for the tile's vector v of 8 output channels; x{p} is the broadcast");
        w.Line("/// input value of pixel p; w{v} holds vector v's 8 weights for the current input channel and tap.");
        w.Line("/// </remarks>");
    }

    private static void EmitGroup(SourceWriter w, ConvKernelPlan k, string? group)
    {
        string G(int stride) => group is null ? "" : $" + {group} * {stride}";
        w.Line($"float* x = input{G(k.InPerGroup * k.PaddedHeight * k.PaddedWidth)};");
        w.Line($"float* y = output{G(k.OutPerGroup * k.OutHeight * k.OutWidth)};");
        if (k.Residual)
        {
            w.Line($"float* r = residual{G(k.OutPerGroup * k.OutHeight * k.OutWidth)};");
        }

        w.Line($"float* wg = weights{G(k.VectorsPerGroup * 8 * k.InPerGroup * k.Taps)};");
        w.Line($"float* bg = bias{G(k.VectorsPerGroup * 8)};");

        foreach (ChannelRun run in k.ChannelRuns)
        {
            w.Line();
            w.Line($"// {Describe.ChannelRun(k, run)}");
            if (run.Count > 1)
            {
                using (w.Block($"for (int v0 = {run.FirstVector}; v0 < {run.FirstVector + run.Count * run.Vectors}; v0 += {run.Vectors})"))
                {
                    EmitChannelTile(w, k, run, "v0");
                }
            }
            else
            {
                using (w.Open())
                {
                    w.Line($"const int v0 = {run.FirstVector};");
                    EmitChannelTile(w, k, run, "v0");
                }
            }
        }
    }

    private static void EmitChannelTile(SourceWriter w, ConvKernelPlan k, ChannelRun run, string v0)
    {
        int lanes = run.Vectors * 8;
        w.Line($"float* wt = wg + {v0} * {8 * k.InPerGroup * k.Taps};");
        w.Line($"float* bt = bg + {v0} * 8;");
        w.Line($"float* yt = y + {v0} * 8 * OutPlane;");
        if (k.Residual)
        {
            w.Line($"float* rt = r + {v0} * 8 * OutPlane;");
        }

        using (w.Block("for (int oh = rowStart; oh < rowEnd; oh++)"))
        {
            w.Line($"float* xr = x + oh * {k.Stride} * InWidth;");
            w.Line("float* yr = yt + oh * OutWidth;");
            if (k.Residual)
            {
                w.Line("float* rr = rt + oh * OutWidth;");
            }

            foreach (ColumnRun column in k.ColumnRuns)
            {
                w.Line($"// {Describe.ColumnRun(column)}");
                if (column.Count > 1)
                {
                    using (w.Block($"for (int ow = {column.Start}; ow < {column.Start + column.Count * column.Pixels}; ow += {column.Pixels})"))
                    {
                        EmitTile(w, k, run, column, lanes);
                    }
                }
                else
                {
                    using (w.Open())
                    {
                        w.Line($"const int ow = {column.Start};");
                        EmitTile(w, k, run, column, lanes);
                    }
                }
            }

            if (k.StagedRows)
            {
                EmitRowEpilogue(w, k, run);
            }
        }
    }

    private static void EmitTile(SourceWriter w, ConvKernelPlan k, ChannelRun run, ColumnRun column, int lanes)
    {
        int pixels = column.Pixels, vectors = run.Vectors;
        for (int v = 0; v < vectors; v++)
        {
            w.Line($"Vec8 acc0_{v} = V256.Load(bt + {v * 8});");
        }

        for (int p = 1; p < pixels; p++)
        {
            w.Line($"Vec8 {string.Join(", ", Enumerable.Range(0, vectors).Select(v => $"acc{p}_{v} = acc0_{v}"))};");
        }

        w.Line($"float* xc = xr + ow * {k.Stride};");
        int fullBlocks = k.InPerGroup / 8, tail = k.InPerGroup % 8;
        if (fullBlocks > 1)
        {
            using (w.Block($"for (int cb = 0; cb < {fullBlocks}; cb++)"))
            {
                w.Line("float* xb = xc + cb * 8 * InPlane;");
                w.Line($"float* wb = wt + cb * {8 * k.Taps * lanes};");
                EmitBlock(w, k, column.Pixels, vectors, lanes, 8);
            }
        }
        else if (fullBlocks == 1)
        {
            using (w.Open())
            {
                w.Line("float* xb = xc;");
                w.Line("float* wb = wt;");
                EmitBlock(w, k, column.Pixels, vectors, lanes, 8);
            }
        }

        if (tail > 0)
        {
            w.Line($"// input channel tail: {tail} channel{(tail > 1 ? "s" : "")}");
            using (w.Open())
            {
                w.Line($"float* xb = xc + {fullBlocks * 8} * InPlane;");
                w.Line($"float* wb = wt + {fullBlocks * 8 * k.Taps * lanes};");
                EmitBlock(w, k, column.Pixels, vectors, lanes, tail);
            }
        }

        if (k.StagedRows)
        {
            w.Line("// park the tile in the row stage (channel rows of OutWidth floats): groups of 4 pixels transposed in registers");
            int grouped = pixels / 4 * 4;
            for (int p = 0; p < grouped; p += 4)
            {
                for (int v = 0; v < vectors; v++)
                {
                    w.Line($"Nchw.Store4x8(acc{p}_{v}, acc{p + 1}_{v}, acc{p + 2}_{v}, acc{p + 3}_{v}, stage + ow + {v * 8 * k.OutWidth + p}, OutWidth);");
                }
            }

            for (int p = grouped; p < pixels; p++)
            {
                w.Line(string.Join(" ", Enumerable.Range(0, vectors).Select(v => $"Nchw.Store(acc{p}_{v}, stage + ow + {v * 8 * k.OutWidth + p}, OutWidth);")));
            }

            return;
        }

        w.Line($"// {Describe.Epilogue(k)}");
        for (int p = 0; p < pixels; p++)
        {
            for (int v = 0; v < vectors; v++)
            {
                string laneArgument = v == vectors - 1 && run.LastLanes < 8 ? $", {run.LastLanes}" : "";
                string value = $"acc{p}_{v}";
                if (k.Residual)
                {
                    value = $"{value} + Nchw.Load(rr + ow + {p + v * 8 * k.OutHeight * k.OutWidth}, OutPlane{laneArgument})";
                }

                if (k.Activation.Kind != ActivationKind.Identity)
                {
                    value = $"activation.Invoke({value})";
                }

                w.Line($"Nchw.Store({value}, yr + ow + {p + v * 8 * k.OutHeight * k.OutWidth}, OutPlane{laneArgument});");
            }
        }
    }

    /// <summary>The row epilogue: each staged channel row leaves through registers, 8 pixels at a time, to its output line.</summary>
    private static void EmitRowEpilogue(SourceWriter w, ConvKernelPlan k, ChannelRun run)
    {
        int channels = (run.Vectors - 1) * 8 + run.LastLanes;
        int vectorEnd = k.OutWidth / 8 * 8;
        w.Line($"// {Describe.Epilogue(k)}");
        using (w.Block($"for (int c = 0; c < {channels}; c++)"))
        {
            w.Line("float* s = stage + c * OutWidth;");
            w.Line("float* d = yr + c * OutPlane;");
            if (k.Residual)
            {
                w.Line("float* q = rr + c * OutPlane;");
            }

            string Value(string load, string residualLoad) =>
                k.Activation.Kind == ActivationKind.Identity
                    ? (k.Residual ? $"{load} + {residualLoad}" : load)
                    : $"activation.Invoke({(k.Residual ? $"{load} + {residualLoad}" : load)})";

            if (vectorEnd > 0)
            {
                using (w.Block($"for (int i = 0; i < {vectorEnd}; i += 8)"))
                {
                    w.Line($"V256.Store({Value("V256.Load(s + i)", "V256.Load(q + i)")}, d + i);");
                }
            }

            if (vectorEnd < k.OutWidth)
            {
                w.Line($"// {k.OutWidth - vectorEnd} pixel{(k.OutWidth - vectorEnd > 1 ? "s" : "")} of row tail, one at a time");
                using (w.Block($"for (int i = {vectorEnd}; i < {k.OutWidth}; i++)"))
                {
                    w.Line($"d[i] = {Value("s[i]", "q[i]")};");
                }
            }
        }
    }

    /// <summary>One block of input channels: kh and kw loops, then the channels unrolled.</summary>
    private static void EmitBlock(SourceWriter w, ConvKernelPlan k, int pixels, int vectors, int lanes, int channels)
    {
        using (w.Block($"for (int kh = 0; kh < {k.KernelHeight}; kh++)"))
        {
            w.Line($"float* xk = xb + kh * {k.Dilation} * InWidth;");
            w.Line($"float* wk = wb + kh * {k.KernelWidth * channels * lanes};");
            if (k.KernelWidth > 1)
            {
                using (w.Block($"for (int kw = 0; kw < {k.KernelWidth}; kw++)"))
                {
                    w.Line($"float* xp = xk + kw * {k.Dilation};");
                    w.Line($"float* wp = wk + kw * {channels * lanes};");
                    EmitChannels(w, k, pixels, vectors, lanes, channels);
                }
            }
            else
            {
                w.Line("float* xp = xk;");
                w.Line("float* wp = wk;");
                EmitChannels(w, k, pixels, vectors, lanes, channels);
            }
        }
    }

    private static void EmitChannels(SourceWriter w, ConvKernelPlan k, int pixels, int vectors, int lanes, int channels)
    {
        for (int c = 0; c < channels; c++)
        {
            using (w.Open())
            {
                w.Line($"Vec8 {string.Join(", ", Enumerable.Range(0, vectors).Select(v => $"w{v} = V256.Load(wp + {c * lanes + v * 8})"))};");
                for (int p = 0; p < pixels; p++)
                {
                    string offset = c == 0 ? $"{p * k.Stride}" : $"{c} * InPlane + {p * k.Stride}";
                    w.Line($"Vec8 x{p} = V256.Create(xp[{offset}]);");
                    w.Line(string.Join(" ", Enumerable.Range(0, vectors).Select(v => $"acc{p}_{v} = V256.FusedMultiplyAdd(x{p}, w{v}, acc{p}_{v});")));
                }
            }
        }
    }
}
