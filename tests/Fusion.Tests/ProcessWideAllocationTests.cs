using System;
using Fusion.Tests.Cases;
using Xunit;

namespace Fusion.Tests;

/// <summary>Runs alone: it counts the bytes every thread of the process allocates.</summary>
[CollectionDefinition(nameof(ProcessWideAllocationTests), DisableParallelization = true)]
public sealed class ProcessWideAllocationCollection;

/// <summary>
/// Forward allocates nothing on any thread of the call, across full collections (after which shared pools may have
/// trimmed their caches): the worker threads of a batch split in parts run pooling and every other layer too.
/// </summary>
[Collection(nameof(ProcessWideAllocationTests))]
public sealed class ProcessWideAllocationTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Forward_allocates_nothing_on_any_thread_across_collections(int threads)
    {
        var model = new PoolingHead { Threads = threads };
        float[] input = new float[4 * PoolingHead.InputLength];
        float[] output = new float[4 * PoolingHead.OutputLength];
        ModelHarness.WarmUp(() => model.Forward(input, output, 4));

        long allocated = 0;
        for (int i = 0; i < 5; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            long before = GC.GetTotalAllocatedBytes(precise: true);
            model.Forward(input, output, 4);
            allocated += GC.GetTotalAllocatedBytes(precise: true) - before;
        }

        Assert.Equal(0, allocated);
    }
}
