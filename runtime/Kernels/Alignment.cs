using System;
using System.Runtime.CompilerServices;

namespace Fusion.Kernels;

/// <summary>
/// Cache-line alignment for the arrays generated kernels read through raw pointers. A .NET array's data starts 16 bytes
/// into the object, so a 512-bit load at a multiple of 16 floats would straddle two cache lines on every load;
/// generated models allocate their packed weights and workspaces 16 floats longer and start them on the first 64-byte
/// boundary. The arrays are pinned, so that boundary never moves.
/// </summary>
public static unsafe class Alignment
{
    /// <summary>Floats of slack an aligned region needs: one cache line.</summary>
    public const int Slack = 16;

    /// <summary>A pinned array with room for <paramref name="length"/> floats from its first 64-byte boundary.</summary>
    public static float[] NewPinned(int length) => GC.AllocateArray<float>(length + Slack, pinned: true);

    /// <summary>The index of the first element of <paramref name="pinned"/> on a 64-byte boundary (0 to 15).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Origin(float[] pinned)
    {
        fixed (float* p = pinned)
        {
            return (int)(Align(p) - p);
        }
    }

    /// <summary><paramref name="pointer"/> rounded up to the next 64-byte boundary.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float* Align(float* pointer) => (float*)(((nint)pointer + 63) & ~(nint)63);
}
