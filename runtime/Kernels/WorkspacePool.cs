using System;
using System.Runtime.CompilerServices;
using System.Threading;

namespace Fusion.Kernels;

/// <summary>
/// A few reusable, pinned scratch arrays for the intermediate activations of concurrent <c>Forward</c> calls.
/// Each call takes a slot's array with one atomic exchange and gives it back afterwards, so a steady stream of
/// calls allocates nothing, and concurrent calls never share an array.
/// </summary>
public sealed class WorkspacePool
{
    private readonly float[]?[] _slots = new float[]?[Math.Max(4, 2 * Environment.ProcessorCount)];

    /// <summary>An array of at least <paramref name="length"/> floats that no other caller holds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public float[] Rent(int length)
    {
        for (int i = 0; i < _slots.Length; i++)
        {
            float[]? array = Interlocked.Exchange(ref _slots[i], null);
            if (array is not null && array.Length >= length)
            {
                return array;
            }
        }

        // Pinned on the POH so that generated kernels may keep raw pointers into it across calls' lifetimes.
        return GC.AllocateUninitializedArray<float>(Math.Max(length, 1), pinned: true);
    }

    /// <summary>Gives an array back for later calls.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Return(float[] array)
    {
        for (int i = 0; i < _slots.Length; i++)
        {
            if (Interlocked.CompareExchange(ref _slots[i], array, null) is null)
            {
                return;
            }
        }
    }
}
