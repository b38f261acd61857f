using System;
using System.Linq;
using Fusion.Normalization;
using Fusion.Tests.Cases;
using Xunit;

namespace Fusion.Tests;

/// <summary>BatchNorm's training semantics against BATCHNORM.md §1–§2 and §6.</summary>
public sealed class BatchNormTrainingTests
{
    private static ChannelStatistics Of(params double[] values)
    {
        var statistics = new ChannelStatistics();
        foreach (double value in values)
        {
            statistics.Add(value);
        }

        return statistics;
    }

    private static BatchNorm Make(float? momentum, int features = 3) => new("bn", features, 1e-5f, momentum, affine: true, trackRunningStats: true, new ChangeCounter());

    [Fact]
    public void Momentum_one_stores_the_unbiased_variance()
    {
        // BATCHNORM.md §2: m = 3, biased batch variances [0.889, 0.667, 1.556] are stored as [1.333, 1.0, 2.333].
        BatchNorm bn = Make(1f);
        ChannelStatistics[] batch = [Of(0, 0, 2), Of(1, 2, 3), Of(0, 1, 3)];
        double[] biased = batch.Select(s => s.BiasedVariance).ToArray();
        Assert.Equal(0.889, biased[0], 3);
        Assert.Equal(0.667, biased[1], 3);
        Assert.Equal(1.556, biased[2], 3);

        RunningStatisticsUpdate result = bn.UpdateRunningStatistics(batch);

        Assert.True(result.Committed);
        Assert.Equal(new[] { 1.333f, 1.0f, 2.333f }, bn.RunningVar!.Data.ToArray().Select(v => MathF.Round(v, 3)));
        Assert.Equal(batch.Select(s => (float)s.Mean), bn.RunningMean!.Data.ToArray());
        Assert.Equal(1, bn.NumBatchesTracked);
    }

    [Fact]
    public void Default_momentum_blends_a_tenth_of_the_batch()
    {
        BatchNorm bn = Make(0.1f, features: 1);
        bn.UpdateRunningStatistics([Of(2, 4, 6, 8)]);   // mean 5, unbiased var 20/3
        Assert.Equal(0.9 * 0 + 0.1 * 5, bn.RunningMean!.Data[0], 6);
        Assert.Equal(0.9 * 1 + 0.1 * 20.0 / 3, bn.RunningVar!.Data[0], 5);
    }

    [Fact]
    public void Null_momentum_is_the_cumulative_average()
    {
        BatchNorm bn = Make(null, features: 1);
        bn.UpdateRunningStatistics([Of(1, 3)]);      // mean 2, var 2
        bn.UpdateRunningStatistics([Of(5, 7)]);      // mean 6, var 2
        bn.UpdateRunningStatistics([Of(10, 14)]);    // mean 12, var 8
        Assert.Equal((2 + 6 + 12) / 3.0, bn.RunningMean!.Data[0], 5);
        Assert.Equal((2 + 2 + 8) / 3.0, bn.RunningVar!.Data[0], 5);
        Assert.Equal(3, bn.NumBatchesTracked);
    }

    [Fact]
    public void Momentum_zero_never_updates_but_counts()
    {
        BatchNorm bn = Make(0f, features: 1);
        bn.UpdateRunningStatistics([Of(4, 8)]);
        Assert.Equal(0f, bn.RunningMean!.Data[0]);
        Assert.Equal(1f, bn.RunningVar!.Data[0]);
        Assert.Equal(1, bn.NumBatchesTracked);
    }

    [Fact]
    public void Keras_convention_keeps_momentum_and_stores_the_biased_variance()
    {
        BatchNorm bn = Make(0.99f, features: 1);
        bn.Convention = BatchNormConvention.Keras;
        bn.UpdateRunningStatistics([Of(2, 4, 6, 8)]);  // mean 5, biased var 5
        Assert.Equal(0.99 * 0 + 0.01 * 5, bn.RunningMean!.Data[0], 6);
        Assert.Equal(0.99 * 1 + 0.01 * 5, bn.RunningVar!.Data[0], 6);
    }

    [Fact]
    public void Non_finite_batch_is_not_committed_and_is_reported()
    {
        BatchNorm bn = Make(0.1f, features: 2);
        float[] meanBefore = bn.RunningMean!.Data.ToArray(), varBefore = bn.RunningVar!.Data.ToArray();
        NonFiniteBatchEventArgs? seen = null;
        bn.NonFiniteBatch += (_, e) => seen = e;

        RunningStatisticsUpdate result = bn.UpdateRunningStatistics([Of(1, 2), Of(double.NaN, 1)]);

        Assert.False(result.Committed);
        Assert.Equal(1, seen!.Channel);
        Assert.Equal(meanBefore, bn.RunningMean.Data.ToArray());
        Assert.Equal(varBefore, bn.RunningVar.Data.ToArray());
        Assert.Equal(0, bn.NumBatchesTracked);

        bn.ThrowOnNonFiniteBatch = true;
        Assert.Throws<NonFiniteBatchException>(() => bn.UpdateRunningStatistics([Of(1, 2), Of(double.PositiveInfinity, 1)]));
        Assert.Equal(meanBefore, bn.RunningMean.Data.ToArray());
    }

    [Fact]
    public void One_value_per_channel_in_training_is_a_clear_error()
    {
        BatchNorm bn = Make(0.1f, features: 1);
        var error = Assert.Throws<ArgumentException>(() => bn.UpdateRunningStatistics([Of(3)]));
        Assert.Contains("more than 1 value per channel", error.Message);

        IFusedModel model = new UntrackedBatchNorm1d();
        model.Train();
        Assert.ThrowsAny<ArgumentException>(() => model.Forward(new float[model.InputLength], new float[model.OutputLength], 1));
    }

    [Fact]
    public void Chan_combination_equals_one_pass_over_all_values()
    {
        var random = new SeededRandom(3);
        float[] values = new float[1000];
        random.Fill(values, -5f, 5f);
        var whole = new ChannelStatistics();
        var parts = new ChannelStatistics();
        foreach (float v in values) { whole.Add(v); }
        for (int i = 0; i < values.Length; i += 37) { parts.AddRun(values.AsSpan(i, Math.Min(37, values.Length - i))); }
        double mean = values.Average(v => (double)v), m2 = values.Sum(v => (v - mean) * (v - mean));
        // Add is Welford in double: exact to double rounding. AddRun sums each run's shifted values in float
        // vectors (37 at a time here), so it agrees to float precision: 1e-6 relative.
        Assert.Equal(mean, whole.Mean, 12);
        Assert.Equal(m2, whole.M2, 8);
        Assert.True(Math.Abs(parts.Mean - mean) <= 1e-6 * Math.Abs(values.Average(v => Math.Abs((double)v))), $"{parts.Mean} vs {mean}");
        Assert.True(Math.Abs(parts.M2 - m2) <= 1e-6 * m2, $"{parts.M2} vs {m2}");
        Assert.Equal(values.Length, parts.Count);
    }

    [Theory]
    [InlineData(1023)]
    [InlineData(1024)]
    [InlineData(3136)] // a 56×56 plane: the runs the training kernels add, split into chunks of 1024
    [InlineData(12544)]
    public void A_whole_plane_run_keeps_float_precision_with_a_large_mean(int length)
    {
        var random = new SeededRandom(5);
        float[] values = new float[length];
        random.Fill(values, 1e4f - 1.7f, 1e4f + 1.7f);
        var run = new ChannelStatistics();
        run.AddRun(values);
        double mean = values.Average(v => (double)v), m2 = values.Sum(v => (v - mean) * (v - mean));
        Assert.Equal(length, run.Count);
        Assert.True(Math.Abs(run.Mean - mean) <= 1e-6 * mean, $"{run.Mean} vs {mean}");
        Assert.True(Math.Abs(run.M2 - m2) <= 1e-5 * m2, $"{run.M2} vs {m2}");
    }

    /// <summary>
    /// A channel's plane in each image of a batch, as the training path measures small planes after the batch: runs
    /// gathered into chunks of up to 1024 values (8×8 planes: 16 per chunk), a run longer than half a chunk alone, and
    /// NaN between the runs, so a read outside them shows.
    /// </summary>
    [Theory]
    [InlineData(1, 8)]
    [InlineData(7, 17)]
    [InlineData(64, 8)]
    [InlineData(64, 40)] // 2560 values: three chunks
    [InlineData(100, 11)]
    [InlineData(300, 5)]
    [InlineData(513, 3)]
    public void Strided_runs_keep_float_precision_with_a_large_mean(int length, int runs)
    {
        const int Gap = 5, First = 3;
        int stride = length + Gap;
        float[] data = new float[First + runs * stride];
        Array.Fill(data, float.NaN);
        var random = new SeededRandom(6);
        var values = new System.Collections.Generic.List<double>();
        for (int r = 0; r < runs; r++)
        {
            for (int i = 0; i < length; i++)
            {
                float v = 1e4f + random.NextSingle(-1.7f, 1.7f);
                data[First + r * stride + i] = v;
                values.Add(v);
            }
        }

        var statistics = new ChannelStatistics();
        statistics.AddRuns(data, First, stride, runs, length);
        double mean = values.Average(), m2 = values.Sum(v => (v - mean) * (v - mean));
        Assert.Equal(values.Count, statistics.Count);
        Assert.True(Math.Abs(statistics.Mean - mean) <= 1e-6 * mean, $"{statistics.Mean} vs {mean}");
        Assert.True(Math.Abs(statistics.M2 - m2) <= 1e-5 * m2, $"{statistics.M2} vs {m2}");
    }

    [Fact]
    public void A_padded_copy_of_the_wrong_size_is_refused_before_anything_is_written()
    {
        var bn = new BatchNorm("bn", 2, 1e-5f, 0.1f, affine: true, trackRunningStats: true, new ChangeCounter());
        float[] z = new float[2 * 2 * 12], y = new float[z.Length], mean = new float[2], inverseStd = new float[2];
        new SeededRandom(8).Fill(z, -1f, 1f);
        ChannelStatistics[] statistics = [Of(0, 1, 2), Of(1, 2, 3)];
        var error = Assert.Throws<ArgumentException>(() => Fusion.Training.TrainingKernels.NormalizeAddActivate(
            z, y, default, bn, statistics, mean, inverseStd, true, 2, 2, 12, default(Fusion.Activations.Relu), paddedCopy: new float[100], width: 4, padHeight: 1, padWidth: 1));
        Assert.Contains("2 × 2 planes of (3 + 2·1) × (4 + 2·1)", error.Message);
        Assert.Contains("got 100 floats", error.Message);
        Assert.All(y, v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData(4, 3, false, true)]
    [InlineData(5, 2, true, true)]
    [InlineData(13, 3, true, false)]
    [InlineData(16, 2, false, false)]
    [InlineData(20, 1, true, true)]
    public void The_padded_copy_holds_the_output_in_its_interior_with_or_without_the_output_span(int width, int height, bool residual, bool keepOutput)
    {
        const int Batch = 2, Channels = 3, Pad = 1;
        int plane = width * height, paddedWidth = width + 2 * Pad, paddedPlane = (height + 2 * Pad) * paddedWidth;
        var bn = new BatchNorm("bn", Channels, 1e-5f, 0.1f, affine: true, trackRunningStats: true, new ChangeCounter());
        bn.Weight!.Update(w => new SeededRandom(3).Fill(w, 0.5f, 1.5f));
        bn.Bias!.Update(b => new SeededRandom(4).Fill(b, -0.5f, 0.5f));
        float[] z = new float[Batch * Channels * plane], r = residual ? new float[z.Length] : [];
        new SeededRandom(5).Fill(z, -2f, 2f);
        new SeededRandom(6).Fill(r, -1f, 1f);
        ChannelStatistics[] statistics = [Of(0, 1, 2), Of(1, 2, 3), Of(-1, 0.5, 4)];

        // The plain pass (y only) is the reference.
        float[] expected = new float[z.Length], mean = new float[Channels], inverseStd = new float[Channels];
        Fusion.Training.TrainingKernels.NormalizeAddActivate(z, expected, r, bn, statistics, mean, inverseStd, true, Batch, Channels, plane, default(Fusion.Activations.Relu));

        float[] y = keepOutput ? Enumerable.Repeat(float.NaN, z.Length).ToArray() : [];
        float[] padded = Enumerable.Repeat(float.NaN, Batch * Channels * paddedPlane).ToArray(); // borders the pass must not touch
        Fusion.Training.TrainingKernels.NormalizeAddActivate(z, y, r, bn, statistics, mean, inverseStd, true, Batch, Channels, plane, default(Fusion.Activations.Relu),
            paddedCopy: padded, width: width, padHeight: Pad, padWidth: Pad);

        if (keepOutput)
        {
            Assert.Equal(expected, y);
        }

        for (int p = 0; p < Batch * Channels; p++)
        {
            for (int row = 0; row < height + 2 * Pad; row++)
            {
                for (int column = 0; column < paddedWidth; column++)
                {
                    float value = padded[p * paddedPlane + row * paddedWidth + column];
                    bool interior = row >= Pad && row < height + Pad && column >= Pad && column < width + Pad;
                    if (interior)
                    {
                        Assert.Equal(expected[p * plane + (row - Pad) * width + column - Pad], value);
                    }
                    else
                    {
                        Assert.True(float.IsNaN(value), $"border ({row}, {column}) of plane {p} was written: {value}");
                    }
                }
            }
        }
    }

    [Fact]
    public void A_pass_with_neither_an_output_nor_a_padded_copy_is_refused()
    {
        var bn = new BatchNorm("bn", 2, 1e-5f, 0.1f, affine: true, trackRunningStats: true, new ChangeCounter());
        float[] z = new float[2 * 2 * 12], mean = new float[2], inverseStd = new float[2];
        ChannelStatistics[] statistics = [Of(0, 1, 2), Of(1, 2, 3)];
        var error = Assert.Throws<ArgumentException>(() => Fusion.Training.TrainingKernels.NormalizeAddActivate(
            z, default, default, bn, statistics, mean, inverseStd, true, 2, 2, 12, default(Fusion.Activations.Relu)));
        Assert.Contains("needs an output span or a padded copy", error.Message);
        Assert.Equal([0f, 0f], mean);
    }

    [Fact]
    public void Strided_runs_outside_the_span_are_refused()
    {
        var statistics = new ChannelStatistics();
        var error = Assert.Throws<ArgumentException>(() => statistics.AddRuns(new float[100], 10, 30, 4, 20));
        Assert.Contains("4 runs of 20 values 30 apart from 10 inside 100 values", error.Message);
        Assert.Equal(0, statistics.Count);
    }

    [Fact]
    public void Variance_survives_a_mean_ten_thousand_times_the_spread()
    {
        // Through the real training path: inputs 1e4 ± 1.7 (σ ≈ 1), a 1×1 identity convolution, BatchNorm with
        // momentum 1 so that running_var is exactly this batch's unbiased variance, measured in the kernel's epilogue.
        var model = new StableStatistics();
        model.Conv.Conv.Weight.Fill(1f);
        var random = new SeededRandom(4);
        float[] input = new float[4 * StableStatistics.InputLength];
        for (int i = 0; i < input.Length; i++) { input[i] = 1e4f + random.NextSingle(-1.7f, 1.7f); }

        model.Train();
        model.Forward(input, new float[input.Length], 4);

        double mean = input.Average(v => (double)v);
        double unbiased = input.Sum(v => (v - mean) * (v - mean)) / (input.Length - 1);
        Assert.InRange(model.Conv.BatchNorm!.RunningVar!.Data[0], unbiased * (1 - 1e-3), unbiased * (1 + 1e-3));
        Assert.Equal(mean, model.Conv.BatchNorm.RunningMean!.Data[0], 2);

        // The cancelling float formula Σx²/m − μ² is off by far more here: the test would catch a regression to it.
        float sumSquares = 0f, sum = 0f;
        foreach (float v in input) { sumSquares += v * v; sum += v; }
        double naive = sumSquares / input.Length - (double)(sum / input.Length) * (sum / input.Length);
        Assert.True(Math.Abs(naive - unbiased) > 0.1 * unbiased, $"naive {naive} vs exact {unbiased}");
    }

    [Fact]
    public void After_precise_reestimation_on_a_fixed_batch_eval_equals_train()
    {
        IFusedModel model = ModelHarness.Create(typeof(ResidualBlock));
        float[] batch = ModelHarness.RandomInput(model, 8, seed: 21);
        BatchNorm[] layers = model.BatchNorms().ToArray();
        double before = PreciseBatchNorm.Gap(model, layers, batch, 8);

        ReestimationReport report = PreciseBatchNorm.Reestimate(model, Enumerable.Repeat((batch, 8), 3), batch, 8);

        Assert.Equal(3, report.Batches);
        Assert.Equal(2, report.Layers.Count);
        Assert.Equal(before, report.GapBefore, 6);
        Assert.True(report.GapBefore > 0.05, $"the perturbed statistics should give a visible gap, got {report.GapBefore}");
        // Eval normalises by the unbiased variance, training by the biased one: they differ by √(m/(m−1)),
        // m = 8·10·10, a relative 6e-4 of the normalised value, which is at most a few units here.
        // A bound from that factor: 2 layers × |x̂| ≤ 4 × γ ≤ 1.5 × 6e-4 ≈ 7e-3, with room for the residual path.
        Assert.True(report.GapAfter < 0.015 && report.GapAfter < report.GapBefore / 10, $"gap {report.GapBefore} before, {report.GapAfter} after re-estimation");
        Assert.All(report.Layers, l => Assert.True(l.MaxMeanShift > 0));
        Assert.False(model.IsTraining);
    }

    [Fact]
    public void Frozen_BatchNorm_uses_and_keeps_its_running_statistics_in_training()
    {
        IFusedModel model = ModelHarness.Create(typeof(ResidualBlock));
        foreach (BatchNorm bn in model.BatchNorms()) { bn.Frozen = true; }
        float[] input = ModelHarness.RandomInput(model, 2, seed: 4);
        float[] eval = new float[2 * model.OutputLength], train = new float[2 * model.OutputLength];
        float[] runningVar = model.GetTensor("a.bn.running_var").Data.ToArray();

        model.Forward(input, eval, 2);
        model.Train();
        model.Forward(input, train, 2);

        // eval folds BatchNorm into the weights, training applies it after the convolution: float rounding apart, equal
        for (int i = 0; i < eval.Length; i++) { Assert.Equal(eval[i], train[i], 2e-5f * (1 + Math.Abs(eval[i]))); }
        Assert.Equal(runningVar, model.GetTensor("a.bn.running_var").Data.ToArray());
        Assert.All(model.BatchNorms(), bn => Assert.Equal(0, bn.NumBatchesTracked));
    }
}

[FusedModel(InputChannels = 1, InputHeight = 8, InputWidth = 8)]
public partial class StableStatistics { [Conv2d(1, Kernel = 1, Bias = false), BatchNorm(Momentum = 1f)] public partial ConvBlock Conv { get; } }
