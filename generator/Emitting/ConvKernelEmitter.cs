using System;
using System.Collections.Generic;
using System.Linq;
using Fusion.Generator.Model;

namespace Fusion.Generator.Emitting;

/// <summary>
/// <see cref="ConvKernelPlan"/> → one direct-convolution kernel for one image, in one of three shapes the planner chose:
/// channel tiles (P pixels along an output row × V vectors of output channels, broadcast inputs, rows staged and
/// transposed to NCHW), pointwise tiles (1×1 stride 1: channels × vectors of pixels of the contiguous plane) or row
/// tiles (stride 1: channels × rows × vectors of pixels, each tap's inputs loaded as whole vectors of the padded row).
/// Accumulators start at the folded bias; kh, kw and blocks of 8 input channels are loops, the channels of a block
/// unrolled. The input arrives zero-padded, so every tile is an interior tile. The epilogue adds the residual, applies
/// the activation and stores, so each output is written once.
/// Vectors are loaded and stored by dereferencing pointers (<c>*(Vec16*)p</c>), not through <c>Vector512.Load</c>: those
/// are calls the JIT must inline, and in a large kernel it stops inlining once its budget is spent (measured: a
/// 20 → 36-channel 3×3 kernel with eight tile bodies kept 56 load calls in its inner loops and ran 2.8× slower).
/// </summary>
internal static class ConvKernelEmitter
{
    public static void Emit(SourceWriter w, ConvKernelPlan k)
    {
        EmitDocumentation(w, k);
        w.Line("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]");
        string residualParameter = (k.Residual ? ", float* residual" : "") + (k.Statistics ? ", global::Fusion.Normalization.ChannelStatistics* statistics" : "");
        string tileParameters = k.SplitsChannelTiles ? ", int tileStart, int tileEnd" : "";
        using (w.Block($"private static unsafe void {k.Name}(float* input, float* output, float* weights, float* bias{residualParameter}, int rowStart, int rowEnd{tileParameters})"))
        {
            // The body first: the constants line declares only the strides it uses.
            SourceWriter body = w.Nested();
            if (k.Activation.Kind != ActivationKind.Identity)
            {
                body.Line($"var activation = {Describe.ActivationOperator(k.Activation)};");
            }

            if (k.Pointwise)
            {
                EmitPointwise(body, k);
            }
            else if (k.RowTiled)
            {
                EmitRowTiled(body, k);
            }
            else
            {
                EmitChannelTiled(body, k);
            }

            if (k.Statistics)
            {
                body.Line();
                body.Line("// The batch statistics of each channel grow by the rows just written, while they are still in L2: one run per");
                body.Line("// channel (contiguous in NCHW), combined with Chan's formula in double.");
                using (body.Block($"for (int c = 0; c < {k.OutChannels}; c++)"))
                {
                    body.Line("statistics[c].AddRun(new global::System.ReadOnlySpan<float>(output + c * OutPlane + rowStart * OutWidth, (rowEnd - rowStart) * OutWidth));");
                }
            }

            string text = System.Text.RegularExpressions.Regex.Replace(body.ToString(), "//.*", "");
            bool Uses(string name) => System.Text.RegularExpressions.Regex.IsMatch(text, $@"\b{name}\b");
            string Constants(params (string Name, int Value)[] constants)
                => string.Join(", ", constants.Where(c => Uses(c.Name)).Select(c => $"{c.Name} = {c.Value}"));
            string strides = Constants(("InPlane", k.InputPlane), ("InWidth", k.InputRow), ("OutPlane", k.OutHeight * k.OutWidth), ("OutWidth", k.OutWidth));
            if (strides.Length > 0)
            {
                w.Line($"const int {strides};");
            }

            if (k.PaddedOutput)
            {
                w.Line($"const int {Constants(("YPlane", k.YPlane), ("YRow", k.YRow))}; // the output buffer's planes and rows: zero borders for the next layer's padding");
            }

            if (k.PaddedResidual)
            {
                w.Line($"const int {Constants(("RPlane", k.RPlane), ("RRow", k.RRow))}; // the residual buffer's planes and rows (zero-bordered)");
            }

            w.Append(body);
        }
    }

    /// <summary>
    /// <paramref name="count"/> steps of <paramref name="variable"/> from <paramref name="start"/> by
    /// <paramref name="step"/>: a loop when there are several, a block with the variable a constant when there is one.
    /// </summary>
    private static void EmitSteps(SourceWriter w, string variable, int start, int count, int step, Action body)
    {
        if (count > 1)
        {
            using (w.Block($"for (int {variable} = {start}; {variable} < {start + count * step}; {variable} += {step})"))
            {
                body();
            }
        }
        else if (count == 1)
        {
            using (w.Open())
            {
                w.Line($"const int {variable} = {start};");
                body();
            }
        }
    }

    /// <summary>
    /// Every channel tile of the packing (v0, in vectors of 8 channels) and, within it, sub-tiles of
    /// <paramref name="subTile"/> output channels (j0), then one narrower sub-tile: the loops the pointwise and row-tiled
    /// kernels share. <paramref name="tile"/> emits one sub-tile from its channel count and the packing's lanes.
    /// </summary>
    private static void EmitChannelSubTiles(SourceWriter w, ConvKernelPlan k, int weightsPerLane, int subTile, string outputBase, string outputPlane, string? residualBase, string residualPlane, Action<int, int> tile,
        string weightsBase = "weights", string biasBase = "bias")
    {
        foreach (ChannelRun run in k.ChannelRuns)
        {
            int channels = (run.Vectors - 1) * 8 + run.LastLanes, lanes = run.Vectors * 8;
            EmitSteps(w, "v0", run.FirstVector, run.Count, run.Vectors, () =>
            {
                w.Line($"float* wt = {weightsBase} + v0 * {8 * weightsPerLane};");
                w.Line($"float* bt = {biasBase} + v0 * 8;");
                w.Line($"float* yt = {outputBase} + v0 * 8 * {outputPlane};");
                if (residualBase is not null)
                {
                    w.Line($"float* rt = {residualBase} + v0 * 8 * {residualPlane};");
                }

                int full = channels / subTile, rest = channels % subTile;
                EmitSteps(w, "j0", 0, full, subTile, () => tile(subTile, lanes));
                EmitSteps(w, "j0", full * subTile, rest > 0 ? 1 : 0, 0, () => tile(rest, lanes));
            });
        }
    }

    /// <summary>Pixels × vectors of 8 output channels per tile, per group, rows staged when they fit the stack.</summary>
    private static void EmitChannelTiled(SourceWriter w, ConvKernelPlan k)
    {
        if (k.StagedRows)
        {
            w.Line($"float* stage = stackalloc float[{k.StageLength}]; // one output row of one channel tile: [channel][pixel]");
        }

        EmitGroups(w, k, group =>
        {
            EmitGroupPointers(w, k, group);
            EmitChannelRuns(w, k);
        });
    }

    /// <summary>The loop over the groups around <paramref name="body"/> (given the group variable), or the body alone for one group.</summary>
    private static void EmitGroups(SourceWriter w, ConvKernelPlan k, Action<string?> body)
    {
        if (k.Groups == 1)
        {
            body(null);
            return;
        }

        w.Line($"// {k.Groups} groups of {k.InPerGroup} → {k.OutPerGroup} channel{(k.OutPerGroup > 1 ? "s" : "")}; each group reads only its own input planes.");
        using (w.Block($"for (int g = 0; g < {k.Groups}; g++)"))
        {
            body("g");
        }
    }

    /// <summary>A group's input and output planes, residual, packed weights and bias: x, y, r, wg and bg.</summary>
    private static void EmitGroupPointers(SourceWriter w, ConvKernelPlan k, string? group)
    {
        string G(int stride) => group is null ? "" : $" + {group} * {stride}";
        w.Line($"float* x = input{G(k.InPerGroup * k.InputPlane)};");
        w.Line($"float* y = output{G(k.OutPerGroup * k.YPlane)};");
        if (k.Residual)
        {
            w.Line($"float* r = residual{G(k.OutPerGroup * k.RPlane)};");
        }

        w.Line($"float* wg = weights{G(k.VectorsPerGroup * 8 * k.InPerGroup * k.Taps)};");
        w.Line($"float* bg = bias{G(k.VectorsPerGroup * 8)};");
    }

    // The output's and the residual's strides by name: plain NCHW (OutPlane, OutWidth) or a zero-bordered layout.
    private static string YPlane(ConvKernelPlan k) => k.PaddedOutput ? "YPlane" : "OutPlane";

    private static string YRow(ConvKernelPlan k) => k.PaddedOutput ? "YRow" : "OutWidth";

    private static string RPlane(ConvKernelPlan k) => k.PaddedResidual ? "RPlane" : "OutPlane";

    private static string RRow(ConvKernelPlan k) => k.PaddedResidual ? "RRow" : "OutWidth";

    /// <summary>
    /// A pointwise kernel: the output rows rowStart..rowEnd − 1 are one contiguous run of pixels in every plane, taken
    /// in tiles of 8·PointwiseVectors pixels (then single vectors, then single pixels); within a pixel tile, every
    /// channel tile of the packing in turn, in sub-tiles of PointwiseChannels output channels.
    /// </summary>
    private static void EmitPointwise(SourceWriter w, ConvKernelPlan k)
    {
        int width = k.Wide512 ? 16 : 8, tile = k.PointwiseVectors * width;
        w.Line("int p = rowStart * OutWidth, end = rowEnd * OutWidth;");
        w.Line($"// tiles of {tile} pixels: {k.PointwiseChannels} channels × {k.PointwiseVectors} vectors of {width} pixels");
        using (w.Block($"for (; p + {tile} <= end; p += {tile})"))
        {
            EmitPointwiseChannels(w, k, k.PointwiseVectors, width);
        }

        if (width == 16)
        {
            w.Line("// the last whole 512-bit vectors of pixels, one at a time");
            using (w.Block("for (; p + 16 <= end; p += 16)"))
            {
                EmitPointwiseChannels(w, k, 1, 16);
            }
        }

        if (k.PointwiseVectors > 1 || width == 16)
        {
            w.Line("// the last full vectors of 8 pixels, one at a time");
            using (w.Block("for (; p + 8 <= end; p += 8)"))
            {
                EmitPointwiseChannels(w, k, 1, 8);
            }
        }

        w.Line("// the last pixels (fewer than 8), one at a time");
        using (w.Block("for (; p < end; p++)"))
        {
            EmitPointwiseChannels(w, k, 0, 1);
        }
    }

    /// <param name="vectors">Vectors of 8 pixels per sub-tile; 0 for a single pixel in scalar code.</param>
    /// <param name="width">Pixels per vector: 16 (512-bit), 8, or 1 with <paramref name="vectors"/> 0 (scalar code).</param>
    private static void EmitPointwiseChannels(SourceWriter w, ConvKernelPlan k, int vectors, int width)
    {
        w.Line("float* xp = input + p;");
        w.Line("float* yp = output + p;");
        if (k.Residual)
        {
            w.Line("float* rp = residual + p;");
        }

        EmitChannelSubTiles(w, k, k.InChannels, k.PointwiseChannels, "yp", "OutPlane", k.Residual ? "rp" : null, "OutPlane",
            (channels, lanes) => EmitPointwiseTile(w, k, channels, vectors, width, lanes));
    }

    /// <summary>
    /// <paramref name="channels"/> output channels (from j0 in the channel tile) × <paramref name="vectors"/> vectors of 8
    /// pixels: accumulators start at the folded bias, each input channel adds its broadcast weight times its pixels.
    /// </summary>
    private static void EmitPointwiseTile(SourceWriter w, ConvKernelPlan k, int channels, int vectors, int width, int lanes)
    {
        string vec = width == 16 ? "Vec16" : "Vec8", api = width == 16 ? "V512" : "V256";
        bool scalar = vectors == 0;
        for (int j = 0; j < channels; j++)
        {
            w.Line(scalar
                ? $"float acc{j} = bt[j0 + {j}];"
                : $"{vec} {string.Join(", ", Enumerable.Range(0, vectors).Select(v => $"acc{j}_{v}" + (v == 0 ? $" = {api}.Create(bt[j0 + {j}])" : $" = acc{j}_0")))};");
        }

        w.Line("float* xc = xp;");
        w.Line("float* wc = wt + j0;");
        using (w.Block($"for (int c = 0; c < {k.InChannels}; c++, xc += InPlane, wc += {lanes})"))
        {
            if (scalar)
            {
                w.Line("float x0 = xc[0];");
                w.Line(string.Join(" ", Enumerable.Range(0, channels).Select(j => $"acc{j} = global::System.MathF.FusedMultiplyAdd(wc[{j}], x0, acc{j});")));
            }
            else
            {
                w.Line($"{vec} {string.Join(", ", Enumerable.Range(0, vectors).Select(v => $"x{v} = *({vec}*)(xc + {v * width})"))};");
                for (int j = 0; j < channels; j++)
                {
                    w.Line($"{vec} w{j} = {api}.Create(wc[{j}]);");
                    w.Line(string.Join(" ", Enumerable.Range(0, vectors).Select(v => $"acc{j}_{v} = {api}.FusedMultiplyAdd(w{j}, x{v}, acc{j}_{v});")));
                }
            }
        }

        for (int j = 0; j < channels; j++)
        {
            string plane = $"(j0 + {j}) * OutPlane";
            if (scalar)
            {
                string value = k.Residual ? $"acc{j} + rt[{plane}]" : $"acc{j}";
                w.Line($"yt[{plane}] = {(k.Activation.Kind == ActivationKind.Identity ? value : $"activation.Invoke({value})")};");
                continue;
            }

            // 512-bit accumulators leave as their two 256-bit halves (the activations work on 8 lanes)
            var halves = width == 16
                ? Enumerable.Range(0, vectors).SelectMany(v => new[] { ($"V512.GetLower(acc{j}_{v})", v * 16), ($"V512.GetUpper(acc{j}_{v})", v * 16 + 8) })
                : Enumerable.Range(0, vectors).Select(v => ($"acc{j}_{v}", v * 8));
            foreach ((string accumulator, int offset) in halves)
            {
                string value = k.Residual ? $"{accumulator} + *(Vec8*)(rt + {plane} + {offset})" : accumulator;
                w.Line($"*(Vec8*)(yt + {plane} + {offset}) = {(k.Activation.Kind == ActivationKind.Identity ? value : $"activation.Invoke({value})")};");
            }
        }
    }

    /// <summary>
    /// A row-tiled kernel: bands of RowTileRows output rows (then single rows); in each band, every channel tile of the
    /// packing in sub-tiles of RowTileChannels output channels, each across the row in tiles of RowTileVectors vectors of
    /// 8 pixels. Stride 1 makes the 8 inputs of a tap for 8 neighbouring outputs 8 neighbouring floats of the padded row;
    /// stride 2, every other float of 16 (Kernels.Strided).
    /// </summary>
    private static void EmitRowTiled(SourceWriter w, ConvKernelPlan k)
    {
        EmitGroups(w, k, group =>
        {
            EmitGroupPointers(w, k, group);
            EmitRowBands(w, k);
        });
    }

    private static void EmitRowBands(SourceWriter w, ConvKernelPlan k)
    {
        w.Line("int oh = rowStart;");
        if (k.RowTileRows > 1)
        {
            w.Line($"// bands of {k.RowTileRows} rows");
            using (w.Block($"for (; oh + {k.RowTileRows} <= rowEnd; oh += {k.RowTileRows})"))
            {
                EmitRowBand(w, k, k.RowTileRows);
            }

            w.Line("// the last rows, one at a time");
        }

        using (w.Block("for (; oh < rowEnd; oh++)"))
        {
            EmitRowBand(w, k, 1);
        }
    }

    private static void EmitRowBand(SourceWriter w, ConvKernelPlan k, int rows)
    {
        w.Line(k.Stride == 1
            ? "float* xr = x + oh * InWidth; // padded row oh holds the top taps of output row oh"
            : $"float* xr = x + oh * {k.Stride} * InWidth; // padded row {k.Stride}·oh holds the top taps of output row oh");
        w.Line($"float* yr = y + oh * {YRow(k)};");
        if (k.Residual)
        {
            w.Line($"float* rr = r + oh * {RRow(k)};");
        }

        EmitChannelSubTiles(w, k, k.InPerGroup * k.Taps, k.RowTileChannels, "yr", YPlane(k), k.Residual ? "rr" : null, RPlane(k),
            (channels, lanes) => EmitRowColumns(w, k, channels, rows, lanes), "wg", "bg");
    }

    private static void EmitRowColumns(SourceWriter w, ConvKernelPlan k, int channels, int rows, int lanes)
    {
        int px = k.VectorPixels, rowVectors = k.OutWidth / px, full = rowVectors / k.RowTileVectors, rest = rowVectors % k.RowTileVectors;
        EmitSteps(w, "ow", 0, full, k.RowTileVectors * px, () => EmitRowTile(w, k, channels, rows, k.RowTileVectors, lanes));
        EmitSteps(w, "ow", full * k.RowTileVectors * px, rest > 0 ? 1 : 0, 0, () => EmitRowTile(w, k, channels, rows, rest, lanes));
        if (k.OutWidth % px != 0)
        {
            w.Line($"// the last {k.OutWidth % px} pixels: one vector ending at the row's end, over pixels the tiles before it also wrote (the same values again)");
            EmitSteps(w, "ow", k.OutWidth - px, 1, 0, () => EmitRowTile(w, k, channels, rows, 1, lanes));
        }
    }

    /// <summary>
    /// <paramref name="channels"/> output channels (from j0) × <paramref name="rows"/> rows × <paramref name="vectors"/>
    /// vectors of 8 pixels (from column ow): accumulators start at the folded bias; per input channel and tap, the
    /// channels' weights are broadcast once and each input vector feeds every channel.
    /// </summary>
    private static void EmitRowTile(SourceWriter w, ConvKernelPlan k, int channels, int rows, int vectors, int lanes)
    {
        var cells = (from r in Enumerable.Range(0, rows) from v in Enumerable.Range(0, vectors) select (r, v)).ToList();
        (string vec, string api, int px) = k.Wide512 ? ("Vec16", "V512", 16) : ("Vec8", "V256", 8);
        for (int j = 0; j < channels; j++)
        {
            w.Line($"{vec} {string.Join(", ", cells.Select(c => $"acc{j}_{c.r}_{c.v}" + (c.r == 0 && c.v == 0 ? $" = {api}.Create(bt[j0 + {j}])" : $" = acc{j}_0_0")))};");
        }

        w.Line(k.Stride == 1 ? "float* xc = xr + ow;" : $"float* xc = xr + {k.Stride} * ow;");
        w.Line("float* wc = wt + j0;");
        int fullBlocks = k.InPerGroup / 8, tail = k.InPerGroup % 8;
        if (fullBlocks > 1)
        {
            using (w.Block($"for (int cb = 0; cb < {fullBlocks}; cb++)"))
            {
                w.Line("float* xb = xc + cb * 8 * InPlane;");
                w.Line($"float* wb = wc + cb * {8 * k.Taps * lanes};");
                EmitRowBlock(w, k, channels, cells, lanes, 8);
            }
        }
        else if (fullBlocks == 1)
        {
            using (w.Open())
            {
                w.Line("float* xb = xc;");
                w.Line("float* wb = wc;");
                EmitRowBlock(w, k, channels, cells, lanes, 8);
            }
        }

        if (tail > 0)
        {
            w.Line($"// input channel tail: {tail} channel{(tail > 1 ? "s" : "")}");
            using (w.Open())
            {
                w.Line(fullBlocks == 0 ? "float* xb = xc;" : $"float* xb = xc + {fullBlocks * 8} * InPlane;");
                w.Line(fullBlocks == 0 ? "float* wb = wc;" : $"float* wb = wc + {fullBlocks * 8 * k.Taps * lanes};");
                EmitRowBlock(w, k, channels, cells, lanes, tail);
            }
        }

        w.Line($"// {(k.Residual ? "add the residual, " : "")}{(k.Activation.Kind == ActivationKind.Identity ? "" : Describe.Activation(k.Activation) + ", ")}store whole vectors of 8 pixels{(k.Wide512 ? " (each 512-bit accumulator as its two halves)" : "")}");
        for (int j = 0; j < channels; j++)
        {
            foreach ((int r, int v) in cells)
            {
                var halves = k.Wide512
                    ? new[] { ($"V512.GetLower(acc{j}_{r}_{v})", v * 16), ($"V512.GetUpper(acc{j}_{r}_{v})", v * 16 + 8) }
                    : new[] { ($"acc{j}_{r}_{v}", v * 8) };
                foreach ((string accumulator, int column) in halves)
                {
                    string At(string plane, int row) => $"(j0 + {j}) * {plane}" + (r * row + column == 0 ? "" : $" + {r * row + column}");
                    string value = k.Residual ? $"{accumulator} + *(Vec8*)(rt + ow + {At(RPlane(k), k.RRow)})" : accumulator;
                    w.Line($"*(Vec8*)(yt + ow + {At(YPlane(k), k.YRow)}) = {(k.Activation.Kind == ActivationKind.Identity ? value : $"activation.Invoke({value})")};");
                }
            }
        }
    }

    /// <summary>
    /// One block of input channels of a row tile: kh and kw loops, then the channels unrolled. With stride 2 (dilation
    /// 1), kw is unrolled in pairs of taps instead: taps j and j + 1 read the even and the odd floats of one run, so each
    /// pair shares its two loads (the last tap of an odd kernel width reads the evens alone).
    /// </summary>
    private static void EmitRowBlock(SourceWriter w, ConvKernelPlan k, int channels, List<(int r, int v)> cells, int lanes, int blockChannels)
    {
        (string vec, string api, int px) = k.Wide512 ? ("Vec16", "V512", 16) : ("Vec8", "V256", 8);

        // The input of channel c, row r, vector v for the tap at xp; the FMAs of one input into every channel's accumulator.
        string InputAt(int c, int r, int v)
        {
            string offset = string.Join(" + ", new[] { c == 0 ? null : $"{c} * InPlane", r == 0 ? null : $"{r * k.Stride} * InWidth", v == 0 ? null : $"{v * px * k.Stride}" }.Where(t => t is not null));
            return $"xp{(offset.Length > 0 ? " + " + offset : "")}";
        }

        string Fmas(string weight, string input, int r, int v)
            => string.Join(" ", Enumerable.Range(0, channels).Select(j => $"acc{j}_{r}_{v} = {api}.FusedMultiplyAdd({weight}{j}, {input}, acc{j}_{r}_{v});"));

        void Weights(string name, int offset)
            => w.Line($"{vec} {string.Join(", ", Enumerable.Range(0, channels).Select(j => $"{name}{j} = {api}.Create(wp[{offset + j}])"))};");

        using (w.Block($"for (int kh = 0; kh < {k.KernelHeight}; kh++)"))
        {
            w.Line($"float* xk = xb + kh * {k.Dilation} * InWidth;");
            w.Line($"float* wk = wb + kh * {k.KernelWidth * blockChannels * lanes};");
            void Channels()
            {
                for (int c = 0; c < blockChannels; c++)
                {
                    using (w.Open())
                    {
                        Weights("w", c * lanes);
                        foreach ((int r, int v) in cells)
                        {
                            w.Line(k.Stride == 1
                                ? $"{vec} x{r}_{v} = *({vec}*)({InputAt(c, r, v)});"
                                : $"{vec} x{r}_{v} = global::Fusion.Kernels.Strided.Evens{px}({InputAt(c, r, v)});");
                            w.Line(Fmas("w", $"x{r}_{v}", r, v));
                        }
                    }
                }
            }

            if (k.Stride == 2 && k.Dilation == 1 && k.KernelWidth > 1)
            {
                for (int j = 0; j < k.KernelWidth; j += 2)
                {
                    using (w.Open())
                    {
                        w.Line(j == 0 ? "float* xp = xk;" : $"float* xp = xk + {j};");
                        w.Line(j == 0 ? "float* wp = wk;" : $"float* wp = wk + {j * blockChannels * lanes};");
                        if (j + 1 == k.KernelWidth)
                        {
                            Channels();
                            continue;
                        }

                        for (int c = 0; c < blockChannels; c++)
                        {
                            using (w.Open())
                            {
                                Weights("w", c * lanes);
                                Weights("wn", blockChannels * lanes + c * lanes); // tap j + 1
                                foreach ((int r, int v) in cells)
                                {
                                    w.Line($"global::Fusion.Kernels.Strided.EvensOdds{px}({InputAt(c, r, v)}, out {vec} x{r}_{v}, out {vec} y{r}_{v});");
                                    w.Line(Fmas("w", $"x{r}_{v}", r, v) + " " + Fmas("wn", $"y{r}_{v}", r, v));
                                }
                            }
                        }
                    }
                }
            }
            else if (k.KernelWidth > 1)
            {
                using (w.Block($"for (int kw = 0; kw < {k.KernelWidth}; kw++)"))
                {
                    w.Line($"float* xp = xk + kw * {k.Dilation};");
                    w.Line($"float* wp = wk + kw * {blockChannels * lanes};");
                    Channels();
                }
            }
            else
            {
                w.Line("float* xp = xk;");
                w.Line("float* wp = wk;");
                Channels();
            }
        }
    }

    private static void EmitDocumentation(SourceWriter w, ConvKernelPlan k)
    {
        w.Line("/// <summary>");
        w.Line($"/// {Describe.ConvOperation(k)}, BatchNorm folded into the weights{(k.Residual ? ", plus the residual" : "")}, then {Describe.Activation(k.Activation)}. {(k.BatchRows ? "The images of a call, rows of all of them in each channel tile" : "One image")}.");
        w.Line("/// </summary>");
        w.Line("/// <remarks>");
        w.Line("/// <code>");
        w.Line($"/// layout     {Describe.Layout(k)}; weights packed [group][channel tile][input block of 8][kh][kw][channel in block][tile lanes]");
        w.Line("/// folding    W' = W·s, b' = (b − μ)·s + β, s = γ/√(σ² + ε), done when the parameters change, not here");
        w.Line($"/// padding    {Describe.Padding(k)}");
        if (k.Pointwise)
        {
            w.Line($"/// tile       {k.PointwiseChannels} output channels × {k.PointwiseVectors} vectors of {(k.Wide512 ? "16 pixels (512-bit)" : "8 pixels")} = {k.PointwiseChannels * k.PointwiseVectors} accumulators, started at the folded bias");
            w.Line("/// pixels     1×1, stride 1: each plane is one run of pixels, taken in whole tiles, then single vectors, then single pixels");
            foreach (ChannelRun run in k.ChannelRuns)
            {
                w.Line($"/// channels   {Describe.ChannelRun(k, run)}, in sub-tiles of {k.PointwiseChannels}");
            }

            w.Line("/// input      every input channel in turn: one vector load per 8 pixels, one broadcast weight per output channel");
            w.Line($"/// epilogue   {Describe.VectorEpilogue(k)}");
            w.Line($"/// FLOPs      2·{k.OutChannels}·{k.OutHeight}·{k.OutWidth}·{k.InPerGroup} = {Literals.Thousands(k.Flops)} per image");
            w.Line("/// </code>");
            w.Line($"/// Computes output rows rowStart..rowEnd − 1 of the {k.OutHeight} (all of them, or one thread's band).");
            w.Line("/// Registers: acc{j}_{v} accumulates output channel j0 + j for vector v of 8 pixels; x{v} holds the pixels of the");
            w.Line("/// current input channel; w{j} is output channel j0 + j's weight for it, broadcast.");
            w.Line("/// </remarks>");
            return;
        }

        if (k.RowTiled)
        {
            w.Line($"/// tile       {k.RowTileChannels} output channels × {k.RowTileRows} row{(k.RowTileRows > 1 ? "s" : "")} × {k.RowTileVectors} vector{(k.RowTileVectors > 1 ? "s" : "")} of {(k.Wide512 ? "16 pixels (512-bit)" : "8 pixels")} = {k.RowTileAccumulators} accumulators, started at the folded bias");
            string rowVectors = k.OutWidth % k.VectorPixels == 0 ? $"{k.OutWidth / k.VectorPixels} vectors" : $"{k.OutWidth / k.VectorPixels} vectors and {k.OutWidth % k.VectorPixels} pixels";
            w.Line($"/// rows       stride {k.Stride}, rows of {k.OutWidth} = {rowVectors}: {Describe.RowBands(k)}");
            foreach (ChannelRun run in k.ChannelRuns)
            {
                w.Line($"/// channels   {Describe.ChannelRun(k, run)}, in sub-tiles of {k.RowTileChannels}");
            }

            w.Line($"/// input      {Describe.InputBlocks(k)}; per channel and tap: {k.RowTileChannels} broadcast weight{(k.RowTileChannels > 1 ? "s" : "")}, "
                + (k.Stride == 1 ? "one unaligned vector load per 8 pixels"
                    : k.Dilation == 1 && k.KernelWidth > 1 ? $"every other input float per vector of {k.VectorPixels} pixels, taps in pairs: one run's even and odd floats from two loads and two permutes"
                    : $"every other input float per vector of {k.VectorPixels} pixels (two overlapping loads, one permute)"));
            w.Line(k.Stride == 2 && k.Dilation == 1 && k.KernelWidth > 1
                ? "/// unrolled   the tile, the channels of an input block and kw (in pairs of taps); kh and input blocks are loops"
                : "/// unrolled   the tile and the channels of an input block; kh, kw and input blocks are loops");
            w.Line($"/// epilogue   {Describe.VectorEpilogue(k)}");
            w.Line($"/// FLOPs      2·{k.OutChannels}·{k.OutHeight}·{k.OutWidth}·{k.InPerGroup}·{k.Taps} = {Literals.Thousands(k.Flops)} per image");
            w.Line("/// </code>");
            w.Line($"/// Computes output rows rowStart..rowEnd − 1 of the {k.OutHeight} (all of them, or one thread's band).");
            int px = k.VectorPixels;
            w.Line($"/// Registers: acc{{j}}_{{r}}_{{v}} accumulates output channel j0 + j at row oh + r, pixels ow + {px}v..ow + {px}v + {px - 1}; w{{j}} is");
            w.Line($"/// that channel's weight for the current input channel and tap, broadcast; x{{r}}_{{v}} the matching {px} input pixels.");
            w.Line("/// </remarks>");
            return;
        }

        w.Line(k.Wide512
            ? $"/// tile       {k.TilePixels} pixels × {k.TileVectors * 8} output channels in 512-bit vectors of 16 (an odd last 8 in a 256-bit one) = {k.TilePixels * ((k.TileVectors + 1) / 2)} accumulators, started at the folded bias"
            : $"/// tile       {k.TilePixels} pixels × {k.TileVectors} vectors of 8 output channels = {k.TilePixels * k.TileVectors} accumulators, started at the folded bias");
        foreach (ChannelRun run in k.ChannelRuns)
        {
            w.Line($"/// channels   {Describe.ChannelRun(k, run)}");
        }

        foreach (ColumnRun run in k.ColumnRuns)
        {
            w.Line($"/// columns    {Describe.ColumnRun(run)}");
        }

        w.Line($"/// input      {Describe.InputBlocks(k)}");
        w.Line(k.SkipsPaddingColumns
            ? "/// unrolled   the register tile, the channels of an input block and kw (the row's one tile, each tap without the pixels over the padding); kh and input blocks are loops"
            : "/// unrolled   the register tile and the channels of an input block; kh, kw and input blocks are loops (unrolled taps spill)");
        w.Line($"/// epilogue   {Describe.Epilogue(k)}");
        if (k.PrefetchRows)
        {
            w.Line($"/// prefetch   each tile row's output lines{(k.Residual ? " and residual lines" : "")} asked into L2 before its tiles compute");
        }

        if (k.BatchRows)
        {
            w.Line($"/// batch      rows run over every image of the call (images {k.InputImage} floats apart in, {k.OutputImage} out), each channel tile over all of them: its {Literals.Thousands(4L * k.TileVectors * 8 * k.InPerGroup * k.Taps)} bytes of weights are read once per call, not once per image");
        }

        if (k.SplitsChannelTiles)
        {
            w.Line($"/// threads    share the {k.ChannelTiles} channel tiles of a single image, each over all {k.OutHeight} rows: shares of so few rows would be uneven, and each would read every tile's weights again");
        }

        w.Line($"/// FLOPs      2·{k.OutChannels}·{k.OutHeight}·{k.OutWidth}·{k.InPerGroup}·{k.Taps} = {Literals.Thousands(k.Flops)} per image");
        w.Line("/// </code>");
        w.Line(k.SplitsChannelTiles
            ? $"/// Computes channel tiles tileStart..tileEnd − 1 of the {k.ChannelTiles} (all of them, or one thread's share) over rows rowStart..rowEnd − 1 of the images' {k.OutHeight}-row outputs stacked (row r: image r / {k.OutHeight}, row r mod {k.OutHeight})."
            : k.BatchRows
            ? $"/// Computes rows rowStart..rowEnd − 1 of the images' {k.OutHeight}-row outputs stacked (row r: image r / {k.OutHeight}, row r mod {k.OutHeight}): all of them, or one thread's band."
            : $"/// Computes output rows rowStart..rowEnd − 1 of the {k.OutHeight} (all of them, or one thread's band).");
        if (k.Wide512)
        {
            w.Line("/// Registers: z{p}_{u} accumulates tile pixel p for the tile's 16 output channels 16u..16u + 15; x{p} is the broadcast");
            w.Line("/// input value of pixel p; w{u} holds those channels' weights for the current input channel and tap. The epilogue");
            w.Line("/// splits z{p}_{u} into its 8-channel halves acc{p}_{2u} and acc{p}_{2u + 1}; an odd last vector v accumulates in acc{p}_{v}.");
        }
        else
        {
            w.Line("/// Registers: acc{p}_{v} accumulates tile pixel p for the tile's vector v of 8 output channels; x{p} is the broadcast");
            w.Line("/// input value of pixel p; w{v} holds vector v's 8 weights for the current input channel and tap.");
        }
        w.Line("/// </remarks>");
    }

    private static void EmitChannelRuns(SourceWriter w, ConvKernelPlan k)
    {
        int firstTile = 0;
        foreach (ChannelRun run in k.ChannelRuns)
        {
            w.Line();
            w.Line($"// {Describe.ChannelRun(k, run)}");
            if (k.SplitsChannelTiles)
            {
                // Tiles firstTile..firstTile + Count − 1 of the kernel's, those in tileStart..tileEnd − 1.
                string from = firstTile == 0 ? "tileStart" : $"global::System.Math.Max(tileStart, {firstTile})";
                using (w.Block($"for (int tile = {from}, tileStop = global::System.Math.Min(tileEnd, {firstTile + run.Count}); tile < tileStop; tile++)"))
                {
                    string index = firstTile == 0 ? "tile" : $"(tile - {firstTile})";
                    string offset = run.Vectors == 1 ? index : $"{index} * {run.Vectors}";
                    w.Line($"int v0 = {(run.FirstVector == 0 ? offset : $"{run.FirstVector} + {offset}")}; // the tile's first vector of 8 channels");
                    EmitChannelTile(w, k, run, "v0");
                }
            }
            else
            {
                EmitSteps(w, "v0", run.FirstVector, run.Count, run.Vectors, () => EmitChannelTile(w, k, run, "v0"));
            }

            firstTile += run.Count;
        }
    }

    private static void EmitChannelTile(SourceWriter w, ConvKernelPlan k, ChannelRun run, string v0)
    {
        int lanes = run.Vectors * 8;
        w.Line($"float* wt = wg + {v0} * {8 * k.InPerGroup * k.Taps};");
        w.Line($"float* bt = bg + {v0} * 8;");
        w.Line($"float* yt = y + {v0} * 8 * {YPlane(k)};");
        if (k.Residual)
        {
            w.Line($"float* rt = r + {v0} * 8 * {RPlane(k)};");
        }

        if (k.BatchRows)
        {
            // Rows of every image of the call: this tile's weights serve them all while they are in cache.
            using (w.Block(k.SkipsPaddingRows ? "for (int step = rowStart; step < rowEnd; step++)" : "for (int row = rowStart; row < rowEnd; row++)"))
            {
                EmitInteriorRowFirst(w, k, "row");
                w.Line($"int n = row / {k.OutHeight}, oh = row - n * {k.OutHeight};");
                EmitTapRows(w, k);
                w.Line($"float* xr = x + n * {k.InputImage} + oh * {k.Stride} * InWidth;");
                w.Line($"float* yr = yt + n * {k.OutputImage} + oh * {YRow(k)};");
                if (k.Residual)
                {
                    w.Line($"float* rr = rt + n * {k.ResidualImage} + oh * {RRow(k)};");
                }

                EmitRowTiles(w, k, run, lanes);
            }

            return;
        }

        using (w.Block(k.SkipsPaddingRows ? "for (int step = rowStart; step < rowEnd; step++)" : "for (int oh = rowStart; oh < rowEnd; oh++)"))
        {
            EmitInteriorRowFirst(w, k, "oh");
            EmitTapRows(w, k);
            w.Line($"float* xr = x + oh * {k.Stride} * InWidth;");
            w.Line($"float* yr = yt + oh * {YRow(k)};");
            if (k.Residual)
            {
                w.Line($"float* rr = rt + oh * {RRow(k)};");
            }

            EmitRowTiles(w, k, run, lanes);
        }
    }

    /// <summary>One output row of a channel tile: its column tiles, then the staged row's epilogue.</summary>
    private static void EmitRowTiles(SourceWriter w, ConvKernelPlan k, ChannelRun run, int lanes)
    {
        if (k.PrefetchRows)
        {
            int channels = (run.Vectors - 1) * 8 + run.LastLanes;
            w.Line($"Nchw.PrefetchRows(yr, {YPlane(k)}, {channels}, OutWidth); // into L2 while the tiles compute: the epilogue's stores find their lines");
            if (k.Residual)
            {
                w.Line($"Nchw.PrefetchRows(rr, {RPlane(k)}, {channels}, OutWidth);");
            }
        }

        foreach (ColumnRun column in k.ColumnRuns)
        {
            w.Line($"// {Describe.ColumnRun(column)}");
            EmitSteps(w, "ow", column.Start, column.Count, column.Pixels, () => EmitTile(w, k, run, column, lanes));
        }

        if (k.StagedRows)
        {
            EmitRowEpilogue(w, k, run);
        }
    }

    private static void EmitTile(SourceWriter w, ConvKernelPlan k, ChannelRun run, ColumnRun column, int lanes)
    {
        int pixels = column.Pixels, vectors = run.Vectors;
        // With Wide512, pairs of the tile's vectors are one 512-bit accumulator each (z{p}_{u}); an odd last vector stays
        // 256-bit (acc{p}_{v}).
        int pairs = k.Wide512 ? vectors / 2 : 0;
        for (int u = 0; u < pairs; u++)
        {
            w.Line($"Vec16 z0_{u} = *(Vec16*)(bt + {u * 16});");
        }

        for (int v = 2 * pairs; v < vectors; v++)
        {
            w.Line($"Vec8 acc0_{v} = *(Vec8*)(bt + {v * 8});");
        }

        for (int p = 1; p < pixels; p++)
        {
            w.Line(string.Join(" ", new[]
            {
                pairs > 0 ? $"Vec16 {string.Join(", ", Enumerable.Range(0, pairs).Select(u => $"z{p}_{u} = z0_{u}"))};" : null,
                vectors > 2 * pairs ? $"Vec8 {string.Join(", ", Enumerable.Range(2 * pairs, vectors - 2 * pairs).Select(v => $"acc{p}_{v} = acc0_{v}"))};" : null,
            }.Where(t => t is not null)));
        }

        w.Line($"float* xc = xr + ow * {k.Stride};");
        int fullBlocks = k.InPerGroup / 8, tail = k.InPerGroup % 8;
        if (fullBlocks > 1)
        {
            using (w.Block($"for (int cb = 0; cb < {fullBlocks}; cb++)"))
            {
                w.Line("float* xb = xc + cb * 8 * InPlane;");
                w.Line($"float* wb = wt + cb * {8 * k.Taps * lanes};");
                EmitBlock(w, k, column, vectors, lanes, 8);
            }
        }
        else if (fullBlocks == 1)
        {
            using (w.Open())
            {
                w.Line("float* xb = xc;");
                w.Line("float* wb = wt;");
                EmitBlock(w, k, column, vectors, lanes, 8);
            }
        }

        if (tail > 0)
        {
            w.Line($"// input channel tail: {tail} channel{(tail > 1 ? "s" : "")}");
            using (w.Open())
            {
                w.Line($"float* xb = xc + {fullBlocks * 8} * InPlane;");
                w.Line($"float* wb = wt + {fullBlocks * 8 * k.Taps * lanes};");
                EmitBlock(w, k, column, vectors, lanes, tail);
            }
        }

        if (pairs > 0)
        {
            w.Line("// each 512-bit accumulator in its two 8-channel halves");
            for (int p = 0; p < pixels; p++)
            {
                w.Line($"Vec8 {string.Join(", ", Enumerable.Range(0, pairs).Select(u => $"acc{p}_{2 * u} = V512.GetLower(z{p}_{u}), acc{p}_{2 * u + 1} = V512.GetUpper(z{p}_{u})"))};");
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
                    value = $"{value} + Nchw.Load(rr + ow + {p + v * 8 * k.RPlane}, {RPlane(k)}{laneArgument})";
                }

                if (k.Activation.Kind != ActivationKind.Identity)
                {
                    value = $"activation.Invoke({value})";
                }

                w.Line($"Nchw.Store({value}, yr + ow + {p + v * 8 * k.YPlane}, {YPlane(k)}{laneArgument});");
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
            w.Line($"float* d = yr + c * {YPlane(k)};");
            if (k.Residual)
            {
                w.Line($"float* q = rr + c * {RPlane(k)};");
            }

            string Value(string load, string residualLoad) =>
                k.Activation.Kind == ActivationKind.Identity
                    ? (k.Residual ? $"{load} + {residualLoad}" : load)
                    : $"activation.Invoke({(k.Residual ? $"{load} + {residualLoad}" : load)})";

            if (vectorEnd > 0)
            {
                using (w.Block($"for (int i = 0; i < {vectorEnd}; i += 8)"))
                {
                    w.Line($"*(Vec8*)(d + i) = {Value("*(Vec8*)(s + i)", "*(Vec8*)(q + i)")};");
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

    /// <summary>
    /// With padding rows skipped, a band's first row (a top row: fewer kernel rows) would read only part of each input
    /// block's weights, and the next row the rest, both from memory where the weights outgrow the caches (ResNet-18's
    /// 512-channel layers at batch 1 ran 10–15 % slower so). The band's second row goes first instead: it reads them all,
    /// in order, while its products hide the stream.
    /// </summary>
    private static void EmitInteriorRowFirst(SourceWriter w, ConvKernelPlan k, string row)
    {
        if (k.SkipsPaddingRows)
        {
            w.Line($"int {row} = rowEnd - rowStart > 1 && step <= rowStart + 1 ? 2 * rowStart + 1 - step : step; // the band's second row first: it reads every kernel row's weights");
        }
    }

    /// <summary>The kernel rows khStart..khEnd − 1 whose taps read the image for output row oh (see <see cref="ConvKernelPlan.SkipsPaddingRows"/>).</summary>
    private static void EmitTapRows(SourceWriter w, ConvKernelPlan k)
    {
        if (!k.SkipsPaddingRows)
        {
            return;
        }

        int s = k.Stride, p = k.PaddingHeight, d = k.Dilation;
        string Times(string name, int factor) => factor == 1 ? name : $"{name} * {factor}";
        if (d == 1)
        {
            w.Line($"int khStart = global::System.Math.Max(0, {p} - {Times("oh", s)}), khEnd = global::System.Math.Min({k.KernelHeight}, {k.Height + p} - {Times("oh", s)}); // kernel rows over the image, not its zero padding");
        }
        else
        {
            w.Line($"int top = {p} - {Times("oh", s)}, bottom = {k.Height - 1 + p} - {Times("oh", s)}; // the image's first and last rows, from the window's first");
            w.Line($"int khStart = top > 0 ? (top + {d - 1}) / {d} : 0, khEnd = bottom < 0 ? 0 : global::System.Math.Min({k.KernelHeight}, bottom / {d} + 1); // kernel rows over the image");
        }
    }

    /// <summary>
    /// Whether output column <paramref name="ow"/>'s tap <paramref name="kw"/> reads the image, not the zero padding to its
    /// left or right.
    /// </summary>
    private static bool ReadsImage(ConvKernelPlan k, int ow, int kw)
    {
        int column = ow * k.Stride + kw * k.Dilation - k.PaddingWidth;
        return column >= 0 && column < k.Width;
    }

    /// <summary>One block of input channels: kh and kw loops, then the channels unrolled.</summary>
    private static void EmitBlock(SourceWriter w, ConvKernelPlan k, ColumnRun column, int vectors, int lanes, int channels)
    {
        int pixels = column.Pixels;
        // A whole-row tile takes kw unrolled, each tap without the pixels that would read the zero padding.
        bool border = k.SkipsPaddingColumns
            && Enumerable.Range(0, k.KernelWidth).Any(kw => Enumerable.Range(column.Start, pixels).Any(ow => !ReadsImage(k, ow, kw)));
        using (w.Block(k.SkipsPaddingRows ? "for (int kh = khStart; kh < khEnd; kh++)" : $"for (int kh = 0; kh < {k.KernelHeight}; kh++)"))
        {
            w.Line($"float* xk = xb + kh * {k.Dilation} * InWidth;");
            w.Line($"float* wk = wb + kh * {k.KernelWidth * channels * lanes};");
            if (border)
            {
                for (int kw = 0; kw < k.KernelWidth; kw++)
                {
                    var image = Enumerable.Range(0, pixels).Where(p => ReadsImage(k, column.Start + p, kw)).ToList();
                    if (image.Count == 0)
                    {
                        continue;
                    }

                    w.Line($"// tap kw = {kw}: {(image.Count == pixels ? "every pixel" : $"pixels {string.Join(", ", image)}; the others read the padding")}");
                    using (w.Open())
                    {
                        w.Line($"float* xp = xk + {kw * k.Dilation};");
                        w.Line($"float* wp = wk + {kw * channels * lanes};");
                        EmitChannels(w, k, pixels, vectors, lanes, channels, image);
                    }
                }
            }
            else if (k.KernelWidth > 1)
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

    /// <param name="image">The tile's pixels that take this tap (null: all of them).</param>
    private static void EmitChannels(SourceWriter w, ConvKernelPlan k, int pixels, int vectors, int lanes, int channels, IReadOnlyList<int>? image = null)
    {
        int pairs = k.Wide512 ? vectors / 2 : 0;
        for (int c = 0; c < channels; c++)
        {
            using (w.Open())
            {
                if (pairs > 0)
                {
                    w.Line($"Vec16 {string.Join(", ", Enumerable.Range(0, pairs).Select(u => $"w{u} = *(Vec16*)(wp + {c * lanes + u * 16})"))};");
                }

                if (vectors > 2 * pairs)
                {
                    w.Line($"Vec8 {string.Join(", ", Enumerable.Range(2 * pairs, vectors - 2 * pairs).Select(v => $"w{v} = *(Vec8*)(wp + {c * lanes + v * 8})"))};");
                }

                foreach (int p in image ?? Enumerable.Range(0, pixels))
                {
                    string offset = c == 0 ? $"{p * k.Stride}" : $"{c} * InPlane + {p * k.Stride}";
                    if (pairs == 0)
                    {
                        w.Line($"Vec8 x{p} = V256.Create(xp[{offset}]);");
                        w.Line(string.Join(" ", Enumerable.Range(0, vectors).Select(v => $"acc{p}_{v} = V256.FusedMultiplyAdd(x{p}, w{v}, acc{p}_{v});")));
                        continue;
                    }

                    w.Line($"Vec16 x{p} = V512.Create(xp[{offset}]);");
                    w.Line(string.Join(" ", Enumerable.Range(0, pairs).Select(u => $"z{p}_{u} = V512.FusedMultiplyAdd(x{p}, w{u}, z{p}_{u});")
                        .Concat(Enumerable.Range(2 * pairs, vectors - 2 * pairs).Select(v => $"acc{p}_{v} = V256.FusedMultiplyAdd(V512.GetLower(x{p}), w{v}, acc{p}_{v});"))));
                }
            }
        }
    }
}
