using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Fusion.Kernels;

/// <summary>
/// Moves a vector of 8 consecutive channels at one pixel to and from an NCHW plane stack, where those channels
/// sit <c>stride = H·W</c> floats apart. Generated kernels call these in their epilogue with constant
/// <c>lanes</c>, so the JIT drops the unused lanes' code.
/// </summary>
public static unsafe class Nchw
{
    /// <summary>Writes the first <paramref name="lanes"/> elements of <paramref name="value"/> to <c>destination[i·stride]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> value, float* destination, nint stride, int lanes = 8)
    {
        Vector128<float> low = value.GetLower();
        destination[0] = low.ToScalar();
        if (lanes > 1) { destination[stride] = low.GetElement(1); }
        if (lanes > 2) { destination[2 * stride] = low.GetElement(2); }
        if (lanes > 3) { destination[3 * stride] = low.GetElement(3); }
        if (lanes > 4)
        {
            Vector128<float> high = value.GetUpper();
            destination[4 * stride] = high.ToScalar();
            if (lanes > 5) { destination[5 * stride] = high.GetElement(1); }
            if (lanes > 6) { destination[6 * stride] = high.GetElement(2); }
            if (lanes > 7) { destination[7 * stride] = high.GetElement(3); }
        }
    }

    /// <summary>Reads <c>source[i·stride]</c> for the first <paramref name="lanes"/> elements; the others are 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(float* source, nint stride, int lanes = 8)
        => Vector256.Create(
            source[0],
            lanes > 1 ? source[stride] : 0f,
            lanes > 2 ? source[2 * stride] : 0f,
            lanes > 3 ? source[3 * stride] : 0f,
            lanes > 4 ? source[4 * stride] : 0f,
            lanes > 5 ? source[5 * stride] : 0f,
            lanes > 6 ? source[6 * stride] : 0f,
            lanes > 7 ? source[7 * stride] : 0f);

    /// <summary>
    /// Asks for the cache lines of <paramref name="rows"/> rows of <paramref name="width"/> floats,
    /// <paramref name="stride"/> floats apart, to be brought into L2 (a hint: nothing is read, nothing can fault). A
    /// channel-tiled kernel calls it for the output (and residual) rows of a tile row before computing them: its
    /// epilogue then writes whole rows of lines that are in cache instead of stalling on each line's fetch from memory.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void PrefetchRows(float* row, nint stride, int rows, int width)
    {
        if (!Sse.IsSupported)
        {
            return;
        }

        for (int r = 0; r < rows; r++, row += stride)
        {
            for (int i = 0; i < width; i += 16)
            {
                Sse.Prefetch1(row + i);
            }

            Sse.Prefetch1(row + width - 1); // the last line, when the row does not start on a line
        }
    }

    /// <summary>
    /// Writes four vectors of 8 channels (pixels p..p+3) as 8 channel rows of 4 consecutive pixels:
    /// <c>destination[c·stride + p] = pixel_p[c]</c>. A 4×8 transpose in registers (4 unpacks, 4 shuffles) and 8
    /// 128-bit stores, instead of 32 scalar stores.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store4x8(Vector256<float> p0, Vector256<float> p1, Vector256<float> p2, Vector256<float> p3, float* destination, nint stride)
    {
        if (Avx.IsSupported)
        {
            Vector256<float> t0 = Avx.UnpackLow(p0, p1);   // p0c0 p1c0 p0c1 p1c1 | p0c4 p1c4 p0c5 p1c5
            Vector256<float> t1 = Avx.UnpackHigh(p0, p1);  // p0c2 p1c2 p0c3 p1c3 | p0c6 p1c6 p0c7 p1c7
            Vector256<float> t2 = Avx.UnpackLow(p2, p3);
            Vector256<float> t3 = Avx.UnpackHigh(p2, p3);
            Vector256<float> c04 = Avx.Shuffle(t0, t2, 0x44); // p0..p3 of channel 0 | of channel 4
            Vector256<float> c15 = Avx.Shuffle(t0, t2, 0xEE);
            Vector256<float> c26 = Avx.Shuffle(t1, t3, 0x44);
            Vector256<float> c37 = Avx.Shuffle(t1, t3, 0xEE);
            c04.GetLower().Store(destination);
            c15.GetLower().Store(destination + stride);
            c26.GetLower().Store(destination + 2 * stride);
            c37.GetLower().Store(destination + 3 * stride);
            c04.GetUpper().Store(destination + 4 * stride);
            c15.GetUpper().Store(destination + 5 * stride);
            c26.GetUpper().Store(destination + 6 * stride);
            c37.GetUpper().Store(destination + 7 * stride);
            return;
        }

        Store(p0, destination, stride);
        Store(p1, destination + 1, stride);
        Store(p2, destination + 2, stride);
        Store(p3, destination + 3, stride);
    }

    /// <summary>
    /// Transposes an 8×8 block: row r of the result (<c>destination + r·destinationStride</c>) is column r of the source
    /// rows (<c>source + q·sourceStride</c>), optionally added to what the destination holds. Moves 8 channels × 8 pixels
    /// between NCHW planes and pixel-major rows with 8 loads, 24 shuffles and 8 stores.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Transpose8x8(float* source, nint sourceStride, float* destination, nint destinationStride, bool accumulate)
    {
        Vector256<float> r0 = Vector256.Load(source), r1 = Vector256.Load(source + sourceStride);
        Vector256<float> r2 = Vector256.Load(source + 2 * sourceStride), r3 = Vector256.Load(source + 3 * sourceStride);
        Vector256<float> r4 = Vector256.Load(source + 4 * sourceStride), r5 = Vector256.Load(source + 5 * sourceStride);
        Vector256<float> r6 = Vector256.Load(source + 6 * sourceStride), r7 = Vector256.Load(source + 7 * sourceStride);
        if (Avx.IsSupported)
        {
            Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
            Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
            Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE), u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
            Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE), u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
            r0 = Avx.Permute2x128(u0, u4, 0x20); r1 = Avx.Permute2x128(u1, u5, 0x20); r2 = Avx.Permute2x128(u2, u6, 0x20); r3 = Avx.Permute2x128(u3, u7, 0x20);
            r4 = Avx.Permute2x128(u0, u4, 0x31); r5 = Avx.Permute2x128(u1, u5, 0x31); r6 = Avx.Permute2x128(u2, u6, 0x31); r7 = Avx.Permute2x128(u3, u7, 0x31);
        }
        else
        {
            float* block = stackalloc float[64];
            r0.Store(block); r1.Store(block + 8); r2.Store(block + 16); r3.Store(block + 24);
            r4.Store(block + 32); r5.Store(block + 40); r6.Store(block + 48); r7.Store(block + 56);
            r0 = Load(block, 8); r1 = Load(block + 1, 8); r2 = Load(block + 2, 8); r3 = Load(block + 3, 8);
            r4 = Load(block + 4, 8); r5 = Load(block + 5, 8); r6 = Load(block + 6, 8); r7 = Load(block + 7, 8);
        }

        if (accumulate)
        {
            r0 += Vector256.Load(destination); r1 += Vector256.Load(destination + destinationStride);
            r2 += Vector256.Load(destination + 2 * destinationStride); r3 += Vector256.Load(destination + 3 * destinationStride);
            r4 += Vector256.Load(destination + 4 * destinationStride); r5 += Vector256.Load(destination + 5 * destinationStride);
            r6 += Vector256.Load(destination + 6 * destinationStride); r7 += Vector256.Load(destination + 7 * destinationStride);
        }

        r0.Store(destination); r1.Store(destination + destinationStride);
        r2.Store(destination + 2 * destinationStride); r3.Store(destination + 3 * destinationStride);
        r4.Store(destination + 4 * destinationStride); r5.Store(destination + 5 * destinationStride);
        r6.Store(destination + 6 * destinationStride); r7.Store(destination + 7 * destinationStride);
    }
}
