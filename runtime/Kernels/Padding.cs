using System;
using System.Runtime.CompilerServices;

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
        int paddedWidth = width + 2 * padWidth;
        int paddedPlane = (height + 2 * padHeight) * paddedWidth;
        for (int c = 0; c < channels; c++)
        {
            float* plane = destination + (long)c * paddedPlane;
            new Span<float>(plane, padHeight * paddedWidth).Clear();
            for (int h = 0; h < height; h++)
            {
                float* row = plane + (long)(padHeight + h) * paddedWidth;
                new Span<float>(row, padWidth).Clear();
                new ReadOnlySpan<float>(source + ((long)c * height + h) * width, width).CopyTo(new Span<float>(row + padWidth, width));
                new Span<float>(row + padWidth + width, padWidth).Clear();
            }

            new Span<float>(plane + (long)(padHeight + height) * paddedWidth, padHeight * paddedWidth).Clear();
        }
    }
}
