using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Fusion.Kernels;

/// <summary>
/// Windowed max and average pooling, separably: each input row is first reduced along its k columns (from a copy
/// padded with −∞ for max, 0 for average), then each output row is reduced over its k row results, eight output
/// columns at a time. k + k operations per output instead of k², no bounds tests in the loops, and only the vertical
/// pass (the one that touches k rows) vectorised for any stride.
/// </summary>
internal static unsafe class Pooling
{
    /// <summary>
    /// Pools <paramref name="planes"/> planes of <paramref name="height"/> × <paramref name="width"/> floats from
    /// <paramref name="input"/> with <paramref name="pool"/>'s window into <paramref name="output"/>: plain planes, or with
    /// <paramref name="outputRow"/> and <paramref name="outputPlane"/> (0: plain) the strides of a zero-bordered buffer
    /// whose first interior float <paramref name="output"/> points at.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Window(float* input, PoolLayer pool, float* output, int planes, int height, int width, int outputRow = 0, int outputPlane = 0)
    {
        int k = pool.Kernel, s = pool.Stride, p = pool.Padding;
        int outHeight = (height + 2 * p - k) / s + 1, outWidth = (width + 2 * p - k) / s + 1;
        outputRow = outputRow > 0 ? outputRow : outWidth;
        outputPlane = outputPlane > 0 ? outputPlane : outHeight * outWidth;
        bool max = pool.Kind == PoolKind.Max;
        float border = max ? float.NegativeInfinity : 0f;
        int paddedWidth = width + 2 * p;
        // Every window start of a row, stride 1 (then every s-th is kept): vectors read up to 7 + k − 1 floats past it.
        int starts = (outWidth - 1) * s + 1, rowLength = Math.Max(paddedWidth, starts + k + 7);
        // Per-thread scratch, kept: ArrayPool.Shared drops its arrays at a gen-2 collection, so renting from it showed as
        // kilobytes allocated per Forward on the worker threads of a batch split in parts.
        int length = rowLength + starts + 8 + height * outWidth + outWidth;
        float[] scratch = t_scratch is { } cached && cached.Length >= length ? cached : (t_scratch = GC.AllocateUninitializedArray<float>(length));
        fixed (float* pScratch = scratch)
        {
            float* row = pScratch, windows = row + rowLength, columns = windows + starts + 8, divisors = columns + height * outWidth;
            new Span<float>(row, rowLength).Fill(border); // the borders; each row's interior is copied in below

            for (int plane = 0; plane < planes; plane++)
            {
                float* x = input + (nint)plane * height * width;
                float* y = output + (nint)plane * outputPlane;

                // Horizontal: columns[ih, ow] = reduce over kw of padded row ih at ow·s + kw.
                for (int ih = 0; ih < height; ih++)
                {
                    new ReadOnlySpan<float>(x + ih * width, width).CopyTo(new Span<float>(row + p, width));
                    float* target = columns + ih * outWidth;
                    // Every start at once, 8 at a time (the same order of operations as one window alone), then every s-th.
                    float* reduced = s == 1 ? target : windows;
                    for (int i = 0; i < starts; i += 8)
                    {
                        Vector256<float> value = Vector256.Load(row + i);
                        for (int kw = 1; kw < k; kw++)
                        {
                            Vector256<float> next = Vector256.Load(row + i + kw);
                            value = max ? Vector256.Max(value, next) : value + next;
                        }

                        if (i + 8 <= starts || s != 1)
                        {
                            value.Store(reduced + i);
                        }
                        else
                        {
                            for (int j = i; j < starts; j++)
                            {
                                reduced[j] = value.GetElement(j - i);
                            }
                        }
                    }

                    if (s != 1)
                    {
                        for (int ow = 0; ow < outWidth; ow++)
                        {
                            target[ow] = windows[ow * s];
                        }
                    }
                }

                // Vertical: y[oh, ow] = reduce over the window's rows that lie inside the image.
                for (int oh = 0; oh < outHeight; oh++)
                {
                    int first = Math.Max(oh * s - p, 0), last = Math.Min(oh * s - p + k, height);
                    float* target = y + oh * outputRow;
                    if (!max)
                    {
                        for (int ow = 0; ow < outWidth; ow++)
                        {
                            int inside = (last - first) * (Math.Min(ow * s - p + k, width) - Math.Max(ow * s - p, 0));
                            divisors[ow] = UnfusedKernels.AverageDivisor(pool, oh, ow, height, width, inside);
                        }
                    }

                    int j = 0;
                    for (; j + 8 <= outWidth; j += 8)
                    {
                        Vector256<float> value = Vector256.Load(columns + first * outWidth + j);
                        for (int ih = first + 1; ih < last; ih++)
                        {
                            Vector256<float> next = Vector256.Load(columns + ih * outWidth + j);
                            value = max ? Vector256.Max(value, next) : value + next;
                        }

                        (max ? value : value / Vector256.Load(divisors + j)).Store(target + j);
                    }

                    for (; j < outWidth; j++)
                    {
                        float value = columns[first * outWidth + j];
                        for (int ih = first + 1; ih < last; ih++)
                        {
                            value = max ? MathF.Max(value, columns[ih * outWidth + j]) : value + columns[ih * outWidth + j];
                        }

                        target[j] = max ? value : value / divisors[j];
                    }
                }
            }
        }
    }

    [ThreadStatic]
    private static float[]? t_scratch;
}
