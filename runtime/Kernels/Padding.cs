using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Fusion.Kernels;

/// <summary>
/// Copies one image into a zero-padded buffer, so that a convolution kernel reads every tap in range and needs no
/// border code. One pass over the input, written as whole padded rows.
/// </summary>
public static unsafe class Padding
{
    /// <summary>
    /// Writes <paramref name="channels"/> planes of (<paramref name="height"/> + 2·<paramref name="padHeight"/>) ×
    /// (<paramref name="width"/> + 2·<paramref name="padWidth"/>) floats to <paramref name="destination"/>: the image
    /// in the middle, zeros around it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Copy(float* source, float* destination, int channels, int height, int width, int padHeight, int padWidth)
    {
        // Rows are short (8 to 56 floats in most networks): inline vector loops, not a library call per row and border.
        int paddedWidth = width + 2 * padWidth;
        int paddedPlane = (height + 2 * padHeight) * paddedWidth;
        int edge = padHeight * paddedWidth;
        for (int c = 0; c < channels; c++)
        {
            float* plane = destination + (long)c * paddedPlane;
            Zero(plane, edge);
            float* input = source + (long)c * height * width;
            for (int h = 0; h < height; h++)
            {
                float* row = plane + (long)(padHeight + h) * paddedWidth;
                for (int i = 0; i < padWidth; i++)
                {
                    row[i] = 0f;
                    row[padWidth + width + i] = 0f;
                }

                CopyRow(input + (long)h * width, row + padWidth, width);
            }

            Zero(plane + (long)(padHeight + height) * paddedWidth, edge);
        }
    }

    /// <summary>
    /// <see cref="Copy(float*, float*, int, int, int, int, int)"/> split by channels across <paramref name="threads"/>
    /// threads (<see cref="Workers"/>): for a single image whose convolution is split by rows, so that the copy does
    /// not stay serial in front of it.
    /// </summary>
    public static void Copy(int threads, float* source, float* destination, int channels, int height, int width, int padHeight, int padWidth)
    {
        if (threads <= 1 || channels < 2)
        {
            Copy(source, destination, channels, height, width, padHeight, padWidth);
            return;
        }

        var arguments = new CopyArguments
        {
            Source = source, Destination = destination, Channels = channels, Height = height, Width = width, PadHeight = padHeight, PadWidth = padWidth,
        };
        Workers.Run(Math.Min(threads, channels), &CopyPart, null, (nint)(&arguments));
    }

    private static void CopyPart(object? unused, nint state, int part, int parts)
    {
        CopyArguments* a = (CopyArguments*)state;
        int first = (int)((long)a->Channels * part / parts), last = (int)((long)a->Channels * (part + 1) / parts);
        long paddedPlane = (long)(a->Height + 2 * a->PadHeight) * (a->Width + 2 * a->PadWidth);
        Copy(a->Source + (long)first * a->Height * a->Width, a->Destination + first * paddedPlane, last - first, a->Height, a->Width, a->PadHeight, a->PadWidth);
    }

    private struct CopyArguments
    {
        public float* Source, Destination;
        public int Channels, Height, Width, PadHeight, PadWidth;
    }

    /// <summary>
    /// Zeroes the borders of one zero-bordered image (<paramref name="channels"/> planes of
    /// (<paramref name="height"/> + 2·<paramref name="padHeight"/>) × (<paramref name="width"/> + 2·<paramref name="padWidth"/>)
    /// floats), before a kernel writes its interior (which this may partly clear): a kernel writes the interior of such a
    /// buffer so that the next convolution reads it as its padded input without a copy.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ZeroBorders(float* destination, int channels, int height, int width, int padHeight, int padWidth)
    {
        int paddedWidth = width + 2 * padWidth;
        int paddedPlane = (height + 2 * padHeight) * paddedWidth;
        int edge = padHeight * paddedWidth;
        for (int c = 0; c < channels; c++)
        {
            float* plane = destination + (long)c * paddedPlane;
            Zero(plane, edge + padWidth);
            for (int h = 1; h < height; h++)
            {
                // The right border of row h − 1 and the left border of row h are neighbours: one vector of zeros covers both
                // (and the start of row h's interior, which the kernel writes afterwards).
                long at = (long)(padHeight + h) * paddedWidth - padWidth;
                float* between = plane + at;
                if (2 * padWidth <= 8 && at + 8 <= paddedPlane)
                {
                    Vector256.Store(Vector256<float>.Zero, between);
                }
                else
                {
                    Zero(between, 2 * padWidth);
                }
            }

            Zero(plane + (long)(padHeight + height) * paddedWidth - padWidth, edge + padWidth);
        }
    }

    /// <summary>
    /// Copies one short row (8 to 56 floats in most networks) with an inline vector loop, not a library call: a row of at
    /// least 8 floats ends with one vector that may overlap the previous one (the same floats, written twice).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void CopyRow(float* from, float* to, int width)
    {
        if (width < 8)
        {
            for (int j = 0; j < width; j++)
            {
                to[j] = from[j];
            }

            return;
        }

        for (int j = 0; j < width - 8; j += 8)
        {
            Vector256.Store(Vector256.Load(from + j), to + j);
        }

        Vector256.Store(Vector256.Load(from + width - 8), to + width - 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Zero(float* destination, int count)
    {
        int i = 0;
        for (; i + 8 <= count; i += 8)
        {
            Vector256.Store(Vector256<float>.Zero, destination + i);
        }

        for (; i < count; i++)
        {
            destination[i] = 0f;
        }
    }
}
