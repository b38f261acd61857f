using System;
using Fusion.Kernels;
using Xunit;

namespace Fusion.Tests;

/// <summary>
/// Windowed pooling (the kernel both the fused and the unfused paths run) against the definition in double over
/// shapes that clip windows at every edge, produce runs of output columns longer and shorter than a vector, and
/// average with and without the padding counted (PyTorch's count_include_pad).
/// </summary>
public sealed class PoolingTests
{
    public static TheoryData<string, int, int, int, bool, int, int> Shapes() => new()
    {
        // kind, kernel, stride, padding, countIncludePad, height, width
        { "Max", 3, 2, 1, true, 17, 19 },
        { "Max", 3, 2, 1, true, 112, 112 },
        { "Max", 2, 2, 0, true, 16, 16 },
        { "Max", 3, 1, 1, true, 9, 20 },
        { "Max", 5, 3, 2, true, 13, 11 },
        // stride 2 (its own path): outputs fewer than a vector, odd widths, even kernels, no padding, a window past the right edge
        { "Max", 3, 2, 1, true, 5, 3 },
        { "Max", 3, 2, 1, true, 9, 33 },
        { "Max", 2, 2, 0, true, 7, 9 },
        { "Max", 4, 2, 1, true, 10, 23 },
        { "Max", 5, 2, 2, true, 6, 40 },
        { "Max", 3, 2, 0, true, 3, 18 },
        { "Max", 1, 1, 0, true, 5, 9 },
        { "Average", 3, 2, 1, true, 17, 19 },
        { "Average", 3, 2, 1, false, 17, 19 },
        { "Average", 5, 3, 2, true, 13, 26 },
        { "Average", 5, 3, 2, false, 13, 26 },
        { "Average", 2, 2, 0, true, 8, 7 },
        { "Average", 3, 1, 1, false, 9, 20 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Windowed_pooling_matches_the_definition(string kind, int kernel, int stride, int padding, bool countIncludePad, int height, int width)
    {
        const int Planes = 3;
        var pool = new PoolLayer("pool", Enum.Parse<PoolKind>(kind), kernel, stride, padding, countIncludePad);
        int outHeight = (height + 2 * padding - kernel) / stride + 1, outWidth = (width + 2 * padding - kernel) / stride + 1;
        float[] input = new float[Planes * height * width];
        new SeededRandom(4).Fill(input, -3f, 3f);
        float[] output = new float[Planes * outHeight * outWidth];
        output.AsSpan().Fill(float.NaN);

        UnfusedKernels.Pool(input, pool, output, 1, Planes, height, width);

        for (int plane = 0; plane < Planes; plane++)
        {
            for (int oh = 0; oh < outHeight; oh++)
            {
                for (int ow = 0; ow < outWidth; ow++)
                {
                    double max = double.NegativeInfinity, sum = 0;
                    int inside = 0;
                    for (int i = 0; i < kernel; i++)
                    {
                        for (int j = 0; j < kernel; j++)
                        {
                            int ih = oh * stride - padding + i, iw = ow * stride - padding + j;
                            if (ih >= 0 && ih < height && iw >= 0 && iw < width)
                            {
                                double value = input[(plane * height + ih) * width + iw];
                                max = Math.Max(max, value);
                                sum += value;
                                inside++;
                            }
                        }
                    }

                    // PyTorch: with count_include_pad the divisor counts the window clipped to the padded image.
                    int rows = Math.Min(oh * stride - padding + kernel, height + padding) - (oh * stride - padding);
                    int columns = Math.Min(ow * stride - padding + kernel, width + padding) - (ow * stride - padding);
                    double expected = pool.Kind == PoolKind.Max ? max : sum / (countIncludePad ? rows * columns : inside);
                    float actual = output[(plane * outHeight + oh) * outWidth + ow];
                    Assert.True(Math.Abs(actual - expected) <= 1e-6 * (1 + Math.Abs(expected)) * kernel * kernel,
                        $"{kind} k{kernel} s{stride} p{padding} at ({plane}, {oh}, {ow}): {actual:R}, expected {expected:R}");
                }
            }
        }
    }

    [Fact]
    public void Max_pooling_propagates_NaN_like_PyTorch()
    {
        var pool = new PoolLayer("pool", PoolKind.Max, 3, 2, 1, true);
        float[] input = new float[20 * 20];
        new SeededRandom(5).Fill(input, -1f, 1f);
        input[5 * 20 + 9] = float.NaN; // inside the windows of output rows 2-3 and columns 4-5
        float[] output = new float[10 * 10];

        UnfusedKernels.Pool(input, pool, output, 1, 1, 20, 20);

        for (int oh = 0; oh < 10; oh++)
        {
            for (int ow = 0; ow < 10; ow++)
            {
                bool covers = oh * 2 - 1 <= 5 && 5 <= oh * 2 + 1 && ow * 2 - 1 <= 9 && 9 <= ow * 2 + 1;
                Assert.Equal(covers, float.IsNaN(output[oh * 10 + ow]));
            }
        }
    }
}
