using System;
using System.Runtime.Intrinsics;
using Fusion.Kernels;
using Fusion.Training;
using Xunit;

namespace Fusion.Tests;

/// <summary>
/// <see cref="TrainingKernels.ConvolutionBackward(ReadOnlySpan{float}, ReadOnlySpan{float}, Conv2d, Span{float}, int, int, int, KernelVariant)"/>
/// element by element against the definition evaluated in double, for both register-tile variants, over shapes
/// chosen to hit every remainder: channel counts that are not multiples of 8 or of a tile, tap counts that are not
/// multiples of the tap tile, widths that are not multiples of the pixel tile, strides, dilation, asymmetric
/// padding, rows and columns the convolution never reads, and groups (the im2col path).
/// </summary>
public sealed class ConvolutionGradientTests
{
    public static TheoryData<int[], bool, string> Shapes() => new()
    {
        // [cin, cout, kh, kw, stride, padH, padW, dilation, groups, height, width], bias, variant
        { [3, 16, 3, 3, 1, 1, 1, 1, 1, 11, 13], false, "Wide" },
        { [3, 16, 3, 3, 1, 1, 1, 1, 1, 11, 13], false, "Narrow" },
        { [16, 32, 3, 3, 2, 1, 1, 1, 1, 12, 12], false, "Wide" },
        { [16, 32, 3, 3, 2, 1, 1, 1, 1, 12, 12], false, "Narrow" },
        { [5, 9, 3, 3, 1, 1, 1, 1, 1, 7, 9], true, "Wide" },
        { [5, 9, 3, 3, 1, 1, 1, 1, 1, 7, 9], true, "Narrow" },
        { [17, 40, 1, 1, 1, 0, 0, 1, 1, 8, 8], true, "Wide" },
        { [17, 40, 1, 1, 1, 0, 0, 1, 1, 8, 8], true, "Narrow" },
        { [64, 72, 1, 1, 2, 0, 0, 1, 1, 9, 7], false, "Wide" },
        { [8, 24, 3, 3, 1, 2, 2, 2, 1, 10, 10], false, "Wide" },
        { [8, 24, 3, 3, 1, 2, 2, 2, 1, 10, 10], false, "Narrow" },
        { [6, 9, 3, 1, 1, 1, 0, 1, 1, 9, 6], true, "Wide" },
        { [4, 12, 1, 3, 2, 0, 1, 1, 1, 9, 14], false, "Narrow" },
        { [3, 8, 7, 7, 2, 3, 3, 1, 1, 17, 15], false, "Wide" },
        { [2, 33, 5, 5, 3, 0, 0, 1, 1, 12, 13], true, "Wide" },
        { [2, 33, 5, 5, 3, 0, 0, 1, 1, 12, 13], true, "Narrow" },
        { [1, 1, 2, 2, 2, 0, 0, 1, 1, 5, 5], true, "Wide" },
        { [16, 32, 3, 3, 1, 1, 1, 1, 4, 8, 8], true, "Wide" },
        { [17, 17, 3, 3, 1, 1, 1, 1, 17, 9, 9], false, "Wide" },
        // 3-channel 3×3 layers (an RGB stem): kernel rows of 9 taps, one tile of 9 with 1 or 2 pairs of vectors (wide)
        { [3, 32, 3, 3, 1, 1, 1, 1, 1, 10, 14], false, "Wide" },
        { [3, 32, 3, 3, 1, 1, 1, 1, 1, 10, 14], false, "Narrow" },
        { [3, 16, 3, 3, 2, 1, 1, 1, 1, 9, 12], false, "Wide" },
        { [3, 24, 3, 3, 1, 2, 2, 2, 1, 9, 9], false, "Wide" },
        { [3, 48, 3, 3, 1, 1, 1, 1, 1, 6, 7], false, "Wide" },
        // 3×3 stride-1 layers of 16 channels or more: ∂X and ∂W by Winograd's transforms (F(2×2, 3×3), F(3×3, 2×2)) —
        // even and odd planes (a last tile of one row or column), channels that pad to a vector of 8 but not 16, more
        // than 64 input channels (two runs of channel vectors), planes smaller than a tile, both variants' tiles
        { [16, 16, 3, 3, 1, 1, 1, 1, 1, 8, 8], false, "Wide" },
        { [32, 24, 3, 3, 1, 1, 1, 1, 1, 7, 9], true, "Wide" },
        { [32, 24, 3, 3, 1, 1, 1, 1, 1, 7, 9], true, "Narrow" },
        { [20, 72, 3, 3, 1, 1, 1, 1, 1, 5, 6], false, "Wide" },
        { [72, 17, 3, 3, 1, 1, 1, 1, 1, 6, 5], false, "Wide" },
        { [72, 17, 3, 3, 1, 1, 1, 1, 1, 6, 5], false, "Narrow" },
        { [16, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1], false, "Wide" },
        { [24, 16, 3, 3, 1, 1, 1, 1, 1, 2, 3], false, "Wide" },
        // ∂W's blocks of 64 tiles spanning images (30 tiles each); ∂X in blocks of 16 of an image's 25 tiles
        { [48, 48, 3, 3, 1, 1, 1, 1, 1, 10, 12], false, "Wide" },
        { [192, 192, 3, 3, 1, 1, 1, 1, 1, 9, 9], false, "Wide" },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Gradients_match_the_definition(int[] shape, bool bias, string variant) => Check(shape, bias, variant, accumulate: true);

    /// <summary>The same gradients when the caller passes the input already zero-padded (as the training forward keeps it).</summary>
    [Theory]
    [MemberData(nameof(Shapes))]
    public void Gradients_match_the_definition_from_a_padded_input(int[] shape, bool bias, string variant) => Check(shape, bias, variant, accumulate: true, padded: true);

    [Fact]
    public void A_padded_input_of_the_wrong_length_is_refused()
    {
        var conv = new Conv2d("c", 4, 8, 3, 3, 1, 1, 1, 1, 1, false, new ChangeCounter(), new SeededRandom(5));
        float[] x = new float[2 * 4 * 6 * 6], dz = new float[2 * 8 * 6 * 6];
        var error = Assert.Throws<ArgumentException>(() => TrainingKernels.ConvolutionBackward(x, dz, conv, default, 2, 6, 6, paddedInput: new float[2 * 4 * 6 * 6]));
        Assert.Contains("holds 512 floats; got 288", error.Message);
    }

    /// <summary>
    /// A layer's first contribution to ∂L/∂x is written over whatever the buffer held (NaN here, so any value read from it
    /// shows): the direct path's transposes in both variants, a 1×1 stride-2 layer whose rows and columns are never read
    /// (they must become zero), and the grouped (col2im) path.
    /// </summary>
    [Theory]
    [InlineData(new[] { 5, 9, 3, 3, 1, 1, 1, 1, 1, 7, 9 }, true, "Wide")]
    [InlineData(new[] { 5, 9, 3, 3, 1, 1, 1, 1, 1, 7, 9 }, true, "Narrow")]
    [InlineData(new[] { 64, 72, 1, 1, 2, 0, 0, 1, 1, 9, 7 }, false, "Wide")]
    [InlineData(new[] { 16, 32, 3, 3, 1, 1, 1, 1, 4, 8, 8 }, true, "Wide")]
    [InlineData(new[] { 32, 24, 3, 3, 1, 1, 1, 1, 1, 7, 9 }, false, "Wide")]
    public void Input_gradient_is_written_over_when_not_accumulating(int[] shape, bool bias, string variant) => Check(shape, bias, variant, accumulate: false);

    private static void Check(int[] shape, bool bias, string variant, bool accumulate, bool padded = false)
    {
        (int cin, int cout, int kh, int kw, int stride, int padH, int padW, int dilation, int groups, int height, int width) =
            (shape[0], shape[1], shape[2], shape[3], shape[4], shape[5], shape[6], shape[7], shape[8], shape[9], shape[10]);
        const int Batch = 3;
        var conv = new Conv2d("c", cin, cout, kh, kw, stride, padH, padW, dilation, groups, bias, new ChangeCounter(), new SeededRandom(5));
        int outHeight = (height + 2 * padH - dilation * (kh - 1) - 1) / stride + 1, outWidth = (width + 2 * padW - dilation * (kw - 1) - 1) / stride + 1;
        float[] x = new float[Batch * cin * height * width], dz = new float[Batch * cout * outHeight * outWidth];
        new SeededRandom(6).Fill(x, -1f, 1f);
        new SeededRandom(7).Fill(dz, -1f, 1f);

        // Gradients accumulate: start from non-zero values and expect them kept.
        float[] dx = new float[x.Length];
        new SeededRandom(8).Fill(dx, -1f, 1f);
        float[] dxBefore = (float[])dx.Clone();
        if (!accumulate)
        {
            Array.Fill(dx, float.NaN);
            Array.Clear(dxBefore);
        }

        new SeededRandom(9).Fill(conv.Weight.Gradient, -1f, 1f);
        float[] dwBefore = conv.Weight.Gradient.ToArray();
        float[] dbBefore = new float[cout];
        if (conv.Bias is not null)
        {
            new SeededRandom(10).Fill(conv.Bias.Gradient, -1f, 1f);
            dbBefore = conv.Bias.Gradient.ToArray();
        }

        float[] xPadded = [];
        if (padded)
        {
            // The image inside its zero border, image after image, as the training forward pass writes it.
            int paddedHeight = height + 2 * padH, paddedWidth = width + 2 * padW;
            xPadded = new float[Batch * cin * paddedHeight * paddedWidth];
            for (int p = 0; p < Batch * cin; p++)
            {
                for (int h = 0; h < paddedHeight; h++)
                {
                    for (int w0 = 0; w0 < paddedWidth; w0++)
                    {
                        int ih = h - padH, iw = w0 - padW;
                        bool inside = ih >= 0 && ih < height && iw >= 0 && iw < width;
                        xPadded[(p * paddedHeight + h) * paddedWidth + w0] = inside ? x[(p * height + ih) * width + iw] : 0f;
                    }
                }
            }
        }

        TrainingKernels.ConvolutionBackward(x, dz, conv, dx, Batch, height, width, Enum.Parse<KernelVariant>(variant), accumulate, xPadded);

        int inPerGroup = cin / groups, outPerGroup = cout / groups;
        var dwExact = new double[conv.Weight.Length];
        var dwMagnitude = new double[conv.Weight.Length];
        var dxExact = new double[x.Length];
        var dxMagnitude = new double[x.Length];
        var dbExact = new double[cout];
        var dbMagnitude = new double[cout];
        ReadOnlySpan<float> w = conv.Weight.Data;
        for (int n = 0; n < Batch; n++)
        {
            for (int o = 0; o < cout; o++)
            {
                int g = o / outPerGroup;
                for (int oh = 0; oh < outHeight; oh++)
                {
                    for (int ow = 0; ow < outWidth; ow++)
                    {
                        double gradient = dz[((n * cout + o) * outHeight + oh) * outWidth + ow];
                        dbExact[o] += gradient;
                        dbMagnitude[o] += Math.Abs(gradient);
                        for (int c = 0; c < inPerGroup; c++)
                        {
                            for (int i = 0; i < kh; i++)
                            {
                                for (int j = 0; j < kw; j++)
                                {
                                    int ih = oh * stride - padH + i * dilation, iw = ow * stride - padW + j * dilation;
                                    if (ih < 0 || ih >= height || iw < 0 || iw >= width)
                                    {
                                        continue;
                                    }

                                    int xi = ((n * cin + g * inPerGroup + c) * height + ih) * width + iw;
                                    int wi = ((o * inPerGroup + c) * kh + i) * kw + j;
                                    dwExact[wi] += gradient * x[xi];
                                    dwMagnitude[wi] += Math.Abs(gradient * x[xi]);
                                    dxExact[xi] += gradient * w[wi];
                                    dxMagnitude[xi] += Math.Abs(gradient * w[wi]);
                                }
                            }
                        }
                    }
                }
            }
        }

        // float32 sums of K terms: error ≤ (K + 2)·u·Σ|terms| (u = 2⁻²⁴), plus the rounding of the value added to.
        const double U = 1.0 / (1 << 24);
        int termsPerWeight = Batch * outHeight * outWidth + 2, termsPerInput = cout * kh * kw + 2;
        bool winograd = Vector256.IsHardwareAccelerated && groups == 1 && kh == 3 && kw == 3 && stride == 1 && dilation == 1
            && padH == 1 && padW == 1 && cin >= 16 && cout >= 16;
        if (winograd)
        {
            // Winograd F(3×3, 2×2): Σ over every tile of the batch and 16 points, with transforms of depth ≤ 4 on
            // either side, the product, the output transform's 4 and the final add.
            AssertClose("weight gradient", conv.Weight.Gradient.ToArray(), dwBefore, dwExact, WinogradWeightMagnitude(x, dz, Batch, cin, cout, height, width),
                (Batch * ((height + 1) / 2) * ((width + 1) / 2) + 12) * U);
        }
        else
        {
            AssertClose("weight gradient", conv.Weight.Gradient.ToArray(), dwBefore, dwExact, dwMagnitude, termsPerWeight * U);
        }

        if (winograd)
        {
            // Winograd F(2×2, 3×3): each value is Σ over 16 points of transformed products, computed in at most
            // Cout + 12 rounded steps (transforms of depth ≤ 6, the product, the reduction over Cout, the output
            // transform's 4 and the final add); its error bound runs over the same expression in absolute values.
            dxMagnitude = WinogradMagnitude(dz, w, Batch, cin, cout, height, width);
            termsPerInput = cout + 12;
        }

        AssertClose("input gradient", dx, dxBefore, dxExact, dxMagnitude, termsPerInput * U);
        if (conv.Bias is not null)
        {
            AssertClose("bias gradient", conv.Bias.Gradient.ToArray(), dbBefore, dbExact, dbMagnitude, termsPerWeight * U);
        }
    }

    /// <summary>
    /// Σ_o Σ_ξ |Aᵀ|·(|Bᵀ|·|D|·|B|)_ξ·(|G|·|K|·|Gᵀ|)_ξ·|A| per input pixel: the Winograd F(2×2, 3×3) expression of ∂X with
    /// every matrix and operand in absolute value (D the 4×4 patch of ∂Z from row and column −1 of the pixel's tile,
    /// K[c, o, i, j] = W[o, c, 2 − i, 2 − j]). At least Σ|terms| of the direct sum, since each term appears in it.
    /// </summary>
    private static double[] WinogradMagnitude(float[] dz, ReadOnlySpan<float> w, int batch, int cin, int cout, int height, int width)
    {
        double[,] bt = { { 1, 0, 1, 0 }, { 0, 1, 1, 0 }, { 0, 1, 1, 0 }, { 0, 1, 0, 1 } };
        double[,] g = { { 1, 0, 0 }, { 0.5, 0.5, 0.5 }, { 0.5, 0.5, 0.5 }, { 0, 0, 1 } };
        double[,] at = { { 1, 1, 1, 0 }, { 0, 1, 1, 1 } };
        var u = new double[cin, cout, 16];
        for (int c = 0; c < cin; c++)
        {
            for (int o = 0; o < cout; o++)
            {
                for (int xi = 0; xi < 16; xi++)
                {
                    for (int i = 0; i < 3; i++)
                    {
                        for (int j = 0; j < 3; j++)
                        {
                            u[c, o, xi] += g[xi / 4, i] * g[xi % 4, j] * Math.Abs(w[((o * cin + c) * 3 + 2 - i) * 3 + 2 - j]);
                        }
                    }
                }
            }
        }

        var magnitude = new double[batch * cin * height * width];
        var v = new double[cout, 16];
        for (int n = 0; n < batch; n++)
        {
            for (int ty = 0; ty < (height + 1) / 2; ty++)
            {
                for (int tx = 0; tx < (width + 1) / 2; tx++)
                {
                    Array.Clear(v);
                    for (int o = 0; o < cout; o++)
                    {
                        for (int i = 0; i < 4; i++)
                        {
                            for (int j = 0; j < 4; j++)
                            {
                                int y = 2 * ty - 1 + i, x = 2 * tx - 1 + j;
                                double d = y < 0 || y >= height || x < 0 || x >= width ? 0 : Math.Abs(dz[((n * cout + o) * height + y) * width + x]);
                                for (int xi = 0; xi < 16; xi++)
                                {
                                    v[o, xi] += bt[xi / 4, i] * bt[xi % 4, j] * d;
                                }
                            }
                        }
                    }

                    for (int a = 0; a < 2 && 2 * ty + a < height; a++)
                    {
                        for (int b = 0; b < 2 && 2 * tx + b < width; b++)
                        {
                            for (int c = 0; c < cin; c++)
                            {
                                double sum = 0;
                                for (int o = 0; o < cout; o++)
                                {
                                    for (int xi = 0; xi < 16; xi++)
                                    {
                                        sum += at[a, xi / 4] * at[b, xi % 4] * v[o, xi] * u[c, o, xi];
                                    }
                                }

                                magnitude[((n * cin + c) * height + 2 * ty + a) * width + 2 * tx + b] = sum;
                            }
                        }
                    }
                }
            }
        }

        return magnitude;
    }

    /// <summary>
    /// Σ_n Σ_tiles Σ_ξ |Aᵀ|·(|G|·|F|·|Gᵀ|)_ξ·(|Bᵀ|·|D|·|B|)_ξ·|A| per weight: the Winograd F(3×3, 2×2) expression of ∂W in
    /// absolute values (F a 2×2 tile of ∂Z, D the 4×4 patch of the zero-bordered input under it, from the tile's
    /// corner). At least Σ|terms| of the direct sum.
    /// </summary>
    private static double[] WinogradWeightMagnitude(float[] x, float[] dz, int batch, int cin, int cout, int height, int width)
    {
        double[,] bt = { { 1, 0, 1, 0 }, { 0, 1, 1, 0 }, { 0, 1, 1, 0 }, { 0, 1, 0, 1 } };
        double[,] g = { { 1, 0 }, { 0.5, 0.5 }, { 0.5, 0.5 }, { 0, 1 } };
        double[,] at = { { 1, 1, 1, 0 }, { 0, 1, 1, 0 }, { 0, 1, 1, 1 } };
        var sums = new double[cout, cin, 16];
        var q = new double[cin, 16];
        var p = new double[cout, 16];
        for (int n = 0; n < batch; n++)
        {
            for (int ty = 0; ty < (height + 1) / 2; ty++)
            {
                for (int tx = 0; tx < (width + 1) / 2; tx++)
                {
                    Array.Clear(q);
                    Array.Clear(p);
                    for (int c = 0; c < cin; c++)
                    {
                        for (int i = 0; i < 4; i++)
                        {
                            for (int j = 0; j < 4; j++)
                            {
                                int y = 2 * ty - 1 + i, xx = 2 * tx - 1 + j; // the padded input's row 2ty + i is the image's 2ty + i − 1
                                double d = y < 0 || y >= height || xx < 0 || xx >= width ? 0 : Math.Abs(x[((n * cin + c) * height + y) * width + xx]);
                                for (int xi = 0; xi < 16; xi++)
                                {
                                    q[c, xi] += bt[xi / 4, i] * bt[xi % 4, j] * d;
                                }
                            }
                        }
                    }

                    for (int o = 0; o < cout; o++)
                    {
                        for (int a = 0; a < 2; a++)
                        {
                            for (int b = 0; b < 2; b++)
                            {
                                int y = 2 * ty + a, xx = 2 * tx + b;
                                double f = y >= height || xx >= width ? 0 : Math.Abs(dz[((n * cout + o) * height + y) * width + xx]);
                                for (int xi = 0; xi < 16; xi++)
                                {
                                    p[o, xi] += g[xi / 4, a] * g[xi % 4, b] * f;
                                }
                            }
                        }
                    }

                    for (int o = 0; o < cout; o++)
                    {
                        for (int c = 0; c < cin; c++)
                        {
                            for (int xi = 0; xi < 16; xi++)
                            {
                                sums[o, c, xi] += p[o, xi] * q[c, xi];
                            }
                        }
                    }
                }
            }
        }

        var magnitude = new double[cout * cin * 9];
        for (int o = 0; o < cout; o++)
        {
            for (int c = 0; c < cin; c++)
            {
                for (int i = 0; i < 3; i++)
                {
                    for (int j = 0; j < 3; j++)
                    {
                        double sum = 0;
                        for (int xi = 0; xi < 16; xi++)
                        {
                            sum += at[i, xi / 4] * at[j, xi % 4] * sums[o, c, xi];
                        }

                        magnitude[((o * cin + c) * 3 + i) * 3 + j] = sum;
                    }
                }
            }
        }

        return magnitude;
    }

    private static void AssertClose(string what, float[] actual, float[] before, double[] exact, double[] magnitude, double relative)
    {
        for (int i = 0; i < actual.Length; i++)
        {
            double expected = before[i] + exact[i];
            double bound = relative * (magnitude[i] + Math.Abs(before[i])) + 2 * Math.Abs(expected) / (1 << 24);
            Assert.True(Math.Abs(actual[i] - expected) <= bound,
                $"{what}[{i}] = {actual[i]:R}, expected {expected:R} (bound {bound:G3})");
        }
    }
}
