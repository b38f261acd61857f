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
}
