using System;
using System.Runtime.CompilerServices;
using System.Threading;

namespace Fusion.Kernels;

/// <summary>
/// A few reusable, pinned scratch arrays for the intermediate activations of concurrent <c>Forward</c> calls.
/// Each call takes a slot's workspace with one atomic exchange and gives it back afterwards, so a steady stream of
/// calls allocates nothing, and concurrent calls never share an array.
/// </summary>
public sealed class WorkspacePool
{
    private readonly Workspace?[] _slots = new Workspace?[Math.Max(4, 2 * Environment.ProcessorCount)];

    /// <summary>A workspace of at least <paramref name="length"/> floats that no other caller holds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public Workspace Rent(int length)
    {
        for (int i = 0; i < _slots.Length; i++)
        {
            Workspace? workspace = Interlocked.Exchange(ref _slots[i], null);
            if (workspace is not null && workspace.Array.Length >= length)
            {
                return workspace;
            }
        }

        // Pinned on the POH so that generated kernels may keep raw pointers into it across calls' lifetimes.
        return new Workspace(GC.AllocateUninitializedArray<float>(Math.Max(length, 1), pinned: true));
    }

    /// <summary>Gives a workspace back for later calls.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Return(Workspace workspace)
    {
        for (int i = 0; i < _slots.Length; i++)
        {
            if (Interlocked.CompareExchange(ref _slots[i], workspace, null) is null)
            {
                return;
            }
        }
    }
}

/// <summary>
/// One scratch array of a <see cref="WorkspacePool"/>, and what it is known to hold between calls.
/// </summary>
public sealed class Workspace
{
    internal Workspace(float[] array) => Array = array;

    /// <summary>The floats (pinned).</summary>
    public float[] Array { get; }

    /// <summary>
    /// The batch size of the fused <c>Forward</c> whose zero-bordered activation buffers this array holds with their
    /// borders zero, or 0 when that is not known (a new array, or one another path has written plain tensors over).
    /// A fused <c>Forward</c> of that batch size finds the borders as it needs them and skips clearing them; every
    /// other user of the array sets it to 0 before writing.
    /// </summary>
    public int BorderedBatch { get; set; }
}
