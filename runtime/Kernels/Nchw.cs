using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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
}
