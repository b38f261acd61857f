using System;
using Fusion.Tests.Cases;
using Xunit;

namespace Fusion.Tests;

/// <summary>Runs alone: it counts the bytes every thread of the process allocates.</summary>
[CollectionDefinition(nameof(ProcessWideAllocationTests), DisableParallelization = true)]
public sealed class ProcessWideAllocationCollection;

/// <summary>
/// Forward allocates nothing on any thread of the call, across full collections (after which shared pools may have
/// trimmed their caches): the worker threads of a batch split in parts run pooling and every other layer too. The
/// count is process-wide, so the test runner's own threads (reporting, logging) can add a few bytes to a round now and
/// then: each round is one collection and one call, and the test asserts that some round allocated nothing — an
/// allocation made by every call, or by the first call after every collection, shows in all of them.
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

        long[] rounds = new long[5];
        for (int i = 0; i < rounds.Length; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            long before = GC.GetTotalAllocatedBytes(precise: true);
            model.Forward(input, output, 4);
            rounds[i] = GC.GetTotalAllocatedBytes(precise: true) - before;
        }

        Assert.True(Array.IndexOf(rounds, 0L) >= 0, $"Every round allocated: {string.Join(", ", rounds)} bytes.");
    }
}
