using System;
using System.Linq;
using System.Threading.Tasks;
using Fusion.Samples;
using Fusion.Tests.Cases;
using Xunit;

namespace Fusion.Tests;

/// <summary>What users rely on from a generated model's surface: constants, names, checks, folding, threads, allocation.</summary>
public sealed class ModelApiTests
{
    [Fact]
    public void Constants_give_per_sample_lengths()
    {
        Assert.Equal(3 * 32 * 32, TinyNetForTests.InputLength);
        Assert.Equal(10, TinyNetForTests.OutputLength);
        IFusedModel model = new ProjectionShortcut();
        Assert.Equal(16 * 14 * 14, model.InputLength);
        Assert.Equal(32 * 7 * 7, model.OutputLength);
    }

    [Fact]
    public void State_dict_uses_PyTorch_names_and_shapes()
    {
        var model = new TinyNetForTests();
        string[] names = model.StateDict().Select(t => t.Name).ToArray();
        Assert.Equal(
            new[]
            {
                "stem.conv.weight", "stem.bn.weight", "stem.bn.bias", "stem.bn.running_mean", "stem.bn.running_var",
                "down1.conv.weight", "down1.bn.weight", "down1.bn.bias", "down1.bn.running_mean", "down1.bn.running_var",
            },
            names.Take(10));
        Assert.Equal(new[] { "head.linear.weight", "head.linear.bias" }, names.TakeLast(2));
        Assert.Equal(new[] { 32, 16, 3, 3 }, model.GetTensor("down1.conv.weight").Shape.ToArray());
        Assert.Equal(new[] { 10, 128 }, model.GetTensor("head.linear.weight").Shape.ToArray());
        Assert.Same(model.Stem.Conv.Weight, model.GetTensor("stem.conv.weight"));
    }

    [Fact]
    public void Unknown_tensor_name_lists_the_names_that_exist()
    {
        var error = Assert.Throws<System.Collections.Generic.KeyNotFoundException>(() => new ResidualBlock().GetTensor("a.conv.bias"));
        Assert.Contains("'a.conv.bias'", error.Message);
        Assert.Contains("a.conv.weight", error.Message);
    }

    [Fact]
    public void BatchNorm_starts_like_PyTorch()
    {
        var bn = new TinyNetForTests().Stem.BatchNorm!;
        Assert.All(bn.Weight!.Data.ToArray(), v => Assert.Equal(1f, v));
        Assert.All(bn.Bias!.Data.ToArray(), v => Assert.Equal(0f, v));
        Assert.All(bn.RunningMean!.Data.ToArray(), v => Assert.Equal(0f, v));
        Assert.All(bn.RunningVar!.Data.ToArray(), v => Assert.Equal(1f, v));
        Assert.Equal(0, bn.NumBatchesTracked);
        Assert.Equal(1e-5f, bn.Epsilon);
        Assert.Equal(0.1f, bn.Momentum);
    }

    [Fact]
    public void Weights_are_Kaiming_uniform_and_seeded()
    {
        var a = new TinyNetForTests(seed: 3);
        var b = new TinyNetForTests(seed: 3);
        var c = new TinyNetForTests(seed: 4);
        float[] wa = a.Down1.Conv.Weight.Data.ToArray();
        Assert.Equal(wa, b.Down1.Conv.Weight.Data.ToArray());
        Assert.NotEqual(wa, c.Down1.Conv.Weight.Data.ToArray());

        float bound = 1f / MathF.Sqrt(16 * 3 * 3); // PyTorch: kaiming_uniform_(a=√5) → U(±1/√fan_in)
        Assert.All(wa, v => Assert.InRange(v, -bound, bound));
        Assert.True(wa.Max() > 0.9f * bound && wa.Min() < -0.9f * bound, "the weights should fill the interval");
        double mean = wa.Average(v => (double)v), variance = wa.Average(v => (v - mean) * (v - mean));
        Assert.InRange(variance, bound * bound / 3 * 0.85, bound * bound / 3 * 1.15); // U(±b) has variance b²/3
    }

    [Fact]
    public void Wrong_input_length_names_expected_and_actual()
    {
        var model = new TinyNetForTests();
        var error = Assert.Throws<ArgumentException>(() => model.Forward(new float[3071], new float[10], 1));
        Assert.Equal("input", error.ParamName);
        Assert.Contains("3072", error.Message);
        Assert.Contains("3071", error.Message);
    }

    [Fact]
    public void Wrong_output_length_names_expected_and_actual()
    {
        var model = new TinyNetForTests();
        var error = Assert.Throws<ArgumentException>(() => model.Forward(new float[2 * 3072], new float[10], 2));
        Assert.Equal("output", error.ParamName);
        Assert.Contains("20", error.Message);
        Assert.Contains("holds 10", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Batch_must_be_positive(int batch)
    {
        var model = new TinyNetForTests();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(Array.Empty<float>(), Array.Empty<float>(), batch));
        Assert.Equal("batch", error.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.ForwardUnfused(Array.Empty<float>(), Array.Empty<float>(), batch));
    }

    [Fact]
    public void Parameter_of_wrong_length_is_refused_and_left_unchanged()
    {
        var model = new TinyNetForTests();
        Parameter weight = model.Head.Linear.Weight;
        float[] before = weight.Data.ToArray();
        var error = Assert.Throws<ArgumentException>(() => weight.CopyFrom(new float[5]));
        Assert.Contains("head.linear.weight", error.Message);
        Assert.Contains("1280", error.Message);
        Assert.Equal(before, weight.Data.ToArray());
    }

    [Fact]
    public void Folded_weights_follow_parameter_changes()
    {
        IFusedModel model = ModelHarness.Create(typeof(ResidualBlock));
        float[] input = ModelHarness.RandomInput(model, 2, seed: 1);
        float[] before = new float[2 * model.OutputLength];
        model.Forward(input, before, 2);

        // Change a BatchNorm statistic and a conv weight: the next Forward must use both.
        model.GetTensor("b.bn.running_var").Update(v => v[3] = 4f);
        model.GetTensor("a.conv.weight").Update(v => v[0] += 0.5f);
        float[] after = new float[2 * model.OutputLength];
        model.Forward(input, after, 2);

        Assert.NotEqual(before, after);
        ModelHarness.AssertMatchesReference(model, input, after, 2, "after a parameter change");
    }

    [Fact]
    public void Concurrent_forward_calls_on_distinct_buffers_agree_with_sequential_ones()
    {
        IFusedModel model = ModelHarness.Create(typeof(TinyNetForTests));
        const int Calls = 16;
        float[][] inputs = Enumerable.Range(0, Calls).Select(i => ModelHarness.RandomInput(model, 1 + i % 3, seed: (ulong)i)).ToArray();
        float[][] sequential = inputs.Select(x => new float[x.Length / model.InputLength * model.OutputLength]).ToArray();
        for (int i = 0; i < Calls; i++)
        {
            model.Forward(inputs[i], sequential[i], inputs[i].Length / model.InputLength);
        }

        for (int round = 0; round < 20; round++)
        {
            float[][] concurrent = inputs.Select(x => new float[x.Length / model.InputLength * model.OutputLength]).ToArray();
            Parallel.For(0, Calls, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => model.Forward(inputs[i], concurrent[i], inputs[i].Length / model.InputLength));
            for (int i = 0; i < Calls; i++)
            {
                Assert.Equal(sequential[i], concurrent[i]);
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)] // batches split by image, one image by rows: the calling thread allocates nothing either way
    public void Forward_allocates_nothing_after_the_first_call(int threads)
    {
        var model = new TinyNetForTests { Threads = threads };
        float[] input = new float[4 * TinyNetForTests.InputLength];
        float[] output = new float[4 * TinyNetForTests.OutputLength];
        ModelHarness.WarmUp(() =>
        {
            model.Forward(input, output, 4);
            model.Forward(input.AsSpan(0, TinyNetForTests.InputLength), output.AsSpan(0, 10), 1);
        });

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++)
        {
            model.Forward(input, output, 4);
            model.Forward(input.AsSpan(0, TinyNetForTests.InputLength), output.AsSpan(0, 10), 1);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Layer_objects_are_the_declared_members()
    {
        var model = new PoolingHead();
        Assert.Equal(new Layer[] { model.Stem, model.MaxPool, model.AvgPool, model.Flat, model.Hidden, model.Logits }, model.Layers);
        Assert.Equal(PoolKind.Max, model.MaxPool.Kind);
        Assert.Equal(2, model.MaxPool.Stride);
        Assert.Equal(2, model.AvgPool.Stride); // defaults to the window, like PyTorch
        Assert.Null(model.Logits.BatchNorm);
        Assert.NotNull(model.Hidden.BatchNorm);
        Assert.Equal(37, model.Hidden.BatchNorm!.Features);
    }
}

/// <summary>Splitting a batch across threads changes the speed, never the result.</summary>
public sealed class ThreadingTests
{
    [Theory]
    [InlineData(2, 1)]
    [InlineData(3, 1)]
    [InlineData(2, 2)]
    [InlineData(2, 5)]
    [InlineData(3, 7)]
    [InlineData(4, 2)]
    public void Threads_give_bit_identical_outputs(int threads, int batch)
    {
        // One image splits its large convolutions by rows, or by channel tiles where rows are few (ChannelTileThreads), and
        // C64to32K3LargeInput its padded copy by channels; batches split by image.
        foreach (Type type in new[] { typeof(TinyNetForTests), typeof(PoolingHead), typeof(ProjectionShortcut), typeof(C64to64K3S1P1), typeof(C64to32K3LargeInput), typeof(ChannelTileThreads) })
        {
            IFusedModel model = ModelHarness.Create(type);
            float[] input = ModelHarness.RandomInput(model, batch, seed: 3);
            float[] single = new float[batch * model.OutputLength], parallel = new float[batch * model.OutputLength];
            model.Forward(input, single, batch);
            model.Threads = threads;
            parallel.AsSpan().Fill(float.NaN);
            model.Forward(input, parallel, batch);
            Assert.Equal(single, parallel);
        }
    }

    [Fact]
    public void Threads_must_be_positive()
        => Assert.Throws<ArgumentOutOfRangeException>(() => new TinyNetForTests().Threads = 0);

    [Fact]
    public void Concurrent_callers_with_threads_each_get_the_one_thread_result()
    {
        // More callers than workers: some get a worker, the others run every part themselves.
        var model = ModelHarness.Create(typeof(TinyNetForTests));
        const int Callers = 4, Batch = 3;
        float[][] inputs = Enumerable.Range(0, Callers).Select(i => ModelHarness.RandomInput(model, Batch, seed: (ulong)(20 + i))).ToArray();
        float[][] expected = inputs.Select(input =>
        {
            float[] output = new float[Batch * model.OutputLength];
            model.Forward(input, output, Batch);
            return output;
        }).ToArray();

        model.Threads = 2;
        Parallel.For(0, Callers, new ParallelOptions { MaxDegreeOfParallelism = Callers }, caller =>
        {
            float[] output = new float[Batch * model.OutputLength];
            for (int round = 0; round < 25; round++)
            {
                model.Forward(inputs[caller], output, Batch);
                Assert.Equal(expected[caller], output);
                model.Forward(inputs[caller].AsSpan(0, model.InputLength), output.AsSpan(0, model.OutputLength), 1);
                Assert.Equal(expected[caller].AsSpan(0, model.OutputLength).ToArray(), output.AsSpan(0, model.OutputLength).ToArray());
            }
        });
    }

    [Theory]
    [InlineData(2, 28, 1)]
    [InlineData(2, 8, 4)]
    [InlineData(2, 11, 3)]
    [InlineData(3, 56, 2)]
    [InlineData(2, 1, 1)]
    [InlineData(4, 5, 8)]
    public void Row_split_runs_every_row_once_in_whole_granules(int threads, int rows, int granule)
    {
        for (int round = 0; round < 20; round++)
        {
            RunRowsAndCheck(threads, rows, granule, stallAtRow0: false);
        }
    }

    [Theory]
    [InlineData(2, 40, 1)]
    [InlineData(3, 30, 2)]
    [InlineData(2, 7, 1)]
    public void Rows_run_exactly_once_when_a_thread_stalls_and_the_others_take_its_chunks(int threads, int rows, int granule)
    {
        // The chunk at row 0 (the calling thread's first) stalls, so a worker that finishes its own run first takes
        // chunks from the back of the caller's run while the caller still holds its front.
        for (int round = 0; round < 5; round++)
        {
            RunRowsAndCheck(threads, rows, granule, stallAtRow0: true);
        }
    }

    /// <summary>Splits <paramref name="rows"/> rows; asserts each ran once, in chunks of whole granules (the last may be short).</summary>
    private static void RunRowsAndCheck(int threads, int rows, int granule, bool stallAtRow0)
    {
        int[] runs = new int[rows];
        var chunks = new System.Collections.Concurrent.ConcurrentBag<(int Start, int End)>();
        Fusion.Kernels.RowParallel.Run(threads, rows, (i, o, w, b, r, start, end) =>
        {
            if (stallAtRow0 && start == 0)
            {
                System.Threading.Thread.Sleep(5);
            }

            chunks.Add((start, end));
            for (int row = start; row < end; row++)
            {
                System.Threading.Interlocked.Increment(ref runs[row]);
            }
        }, 0, 0, 0, 0, 0, granule);

        Assert.All(runs, count => Assert.Equal(1, count));
        Assert.All(chunks, chunk =>
        {
            Assert.Equal(0, chunk.Start % granule);
            Assert.True(chunk.End > chunk.Start && ((chunk.End - chunk.Start) % granule == 0 || chunk.End == rows), $"chunk {chunk.Start}..{chunk.End}");
        });
    }

    [Fact]
    public unsafe void A_failing_part_on_a_worker_is_rethrown_to_the_caller_and_the_workers_stay_usable()
    {
        int[] ran = new int[1];
        InvalidOperationException? error = null;
        fixed (int* p = ran)
        {
            try
            {
                Fusion.Kernels.Workers.Run(2, &FailOnPartOne, null, (nint)p);
            }
            catch (InvalidOperationException exception)
            {
                error = exception;
            }
        }

        Assert.Equal("part 1 of 2", error?.Message);
        Assert.Equal(2, ran[0]); // the caller's part ran to the end too

        int[] seen = new int[3];
        fixed (int* p = seen)
        {
            Fusion.Kernels.Workers.Run(3, &Record, null, (nint)p);
        }

        Assert.Equal([1, 1, 1], seen);
    }

    [Theory]
    [InlineData(2, 5)]
    [InlineData(3, 2)]
    [InlineData(4, 1)]
    public unsafe void Padded_copy_split_by_channels_writes_what_one_thread_writes(int threads, int channels)
    {
        const int Height = 7, Width = 9, PadHeight = 2, PadWidth = 1;
        float[] source = new float[channels * Height * Width];
        new SeededRandom(6).Fill(source, -1f, 1f);
        int padded = channels * (Height + 2 * PadHeight) * (Width + 2 * PadWidth);
        float[] one = new float[padded], split = new float[padded];
        one.AsSpan().Fill(float.NaN);
        split.AsSpan().Fill(float.NaN);
        fixed (float* s = source, a = one, b = split)
        {
            Fusion.Kernels.Padding.Copy(s, a, channels, Height, Width, PadHeight, PadWidth);
            Fusion.Kernels.Padding.Copy(threads, s, b, channels, Height, Width, PadHeight, PadWidth);
        }

        Assert.Equal(one, split);
        Assert.DoesNotContain(split, float.IsNaN);
    }

    private static unsafe void FailOnPartOne(object? target, nint state, int part, int parts)
    {
        System.Threading.Interlocked.Increment(ref *(int*)state);
        if (part == 1)
        {
            throw new InvalidOperationException($"part {part} of {parts}");
        }
    }

    private static unsafe void Record(object? target, nint state, int part, int parts)
        => System.Threading.Interlocked.Increment(ref ((int*)state)[part]);
}
