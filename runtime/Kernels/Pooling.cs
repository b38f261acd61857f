using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Fusion.Kernels;

/// <summary>
/// Windowed max and average pooling, separably: each input row is first reduced along its k columns (from a copy
/// padded with −∞ for max, 0 for average), then each output row is reduced over its k row results, eight output
/// columns at a time. k + k operations per output instead of k², no bounds tests in the loops, and only the vertical
/// pass (the one that touches k rows) vectorised for any stride. Max pooling with stride 2 (with AVX2) goes the other
/// way round, every step in vectors (<see cref="MaxStride2"/>).
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
        if (max && s == 2 && Avx2.IsSupported)
        {
            MaxStride2(input, k, p, output, planes, height, width, outHeight, outWidth, outputRow, outputPlane);
            return;
        }

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

    /// <summary>
    /// Max pooling with stride 2 (ResNet's 3×3 after its stem), vertically first: each output row's window rows are
    /// reduced into one padded row with whole vectors, that row is split into its even and odd columns (two shuffles
    /// per 16 floats), and output column ow is then the max of the k values evens[ow], odds[ow], evens[ow + 1], … —
    /// every step whole vectors, where the separable path keeps every other start of every input row one float at a
    /// time. Max is exact in any order, so both paths give the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxStride2(float* input, int k, int p, float* output, int planes, int height, int width, int outHeight, int outWidth, int outputRow, int outputPlane)
    {
        // Evens and odds: whole vectors covering every tap of the last vector of outputs; the padded row (p borders,
        // the width, −∞ after it) as long as the two of them.
        int halves = (outWidth + (k - 1) / 2 + 15) & ~7, rowLength = Math.Max(2 * halves, width + p);
        int length = rowLength + 2 * halves;
        float[] scratch = t_scratch is { } cached && cached.Length >= length ? cached : (t_scratch = GC.AllocateUninitializedArray<float>(length));
        fixed (float* pScratch = scratch)
        {
            float* row = pScratch, evens = row + rowLength, odds = evens + halves;
            new Span<float>(row, rowLength).Fill(float.NegativeInfinity);
            for (int plane = 0; plane < planes; plane++)
            {
                float* x = input + (nint)plane * height * width;
                float* y = output + (nint)plane * outputPlane;
                for (int oh = 0; oh < outHeight; oh++)
                {
                    int first = Math.Max(oh * 2 - p, 0), last = Math.Min(oh * 2 - p + k, height);
                    float* column = row + p;
                    int j = 0;
                    for (; j + 8 <= width; j += 8)
                    {
                        Vector256<float> value = Vector256.Load(x + first * width + j);
                        for (int ih = first + 1; ih < last; ih++)
                        {
                            value = Vector256.Max(value, Vector256.Load(x + ih * width + j));
                        }

                        value.Store(column + j);
                    }

                    for (; j < width; j++)
                    {
                        float value = x[first * width + j];
                        for (int ih = first + 1; ih < last; ih++)
                        {
                            value = MathF.Max(value, x[ih * width + j]);
                        }

                        column[j] = value;
                    }

                    // evens[i] = row[2i], odds[i] = row[2i + 1]: Shuffle picks lanes 0, 2 (or 1, 3) of each 128-bit half of
                    // both sources, Permute4x64 puts the halves back in order.
                    for (int i = 0; i < halves; i += 8)
                    {
                        Vector256<float> a = Vector256.Load(row + 2 * i), b = Vector256.Load(row + 2 * i + 8);
                        Avx2.Permute4x64(Avx.Shuffle(a, b, 0b10_00_10_00).AsDouble(), 0b11_01_10_00).AsSingle().Store(evens + i);
                        Avx2.Permute4x64(Avx.Shuffle(a, b, 0b11_01_11_01).AsDouble(), 0b11_01_10_00).AsSingle().Store(odds + i);
                    }

                    // Tap kw of output column ow is row[2·ow + kw]: evens[ow + kw/2] for even kw, odds[ow + kw/2] for odd.
                    float* target = y + oh * outputRow;
                    int ow = 0;
                    for (; ow + 8 <= outWidth; ow += 8)
                    {
                        Vector256<float> value = Vector256.Load(evens + ow);
                        for (int kw = 1; kw < k; kw++)
                        {
                            value = Vector256.Max(value, Vector256.Load((kw % 2 == 0 ? evens : odds) + ow + kw / 2));
                        }

                        value.Store(target + ow);
                    }

                    for (; ow < outWidth; ow++)
                    {
                        float value = evens[ow];
                        for (int kw = 1; kw < k; kw++)
                        {
                            value = MathF.Max(value, (kw % 2 == 0 ? evens : odds)[ow + kw / 2]);
                        }

                        target[ow] = value;
                    }
                }
            }
        }
    }

    [ThreadStatic]
    private static float[]? t_scratch;
}
