using System;
using System.Collections.Generic;
using System.Linq;

namespace Fusion.Normalization;

/// <summary>How far one BatchNorm's running statistics were from the re-estimated population statistics.</summary>
/// <param name="Layer">The BatchNorm's <c>state_dict</c> prefix.</param>
/// <param name="MaxMeanShift">max over channels of |running_mean − re-estimated mean|.</param>
/// <param name="MaxRelativeVarianceShift">max over channels of |running_var − re-estimated var| / re-estimated var.</param>
public sealed record BatchNormShift(string Layer, double MaxMeanShift, double MaxRelativeVarianceShift);

/// <summary>What a re-estimation changed, including the train/inference gap on a probe batch before and after.</summary>
/// <param name="Batches">Batches the statistics were estimated over.</param>
/// <param name="Layers">Per BatchNorm, how far its running statistics were.</param>
/// <param name="GapBefore">max |eval output − train-mode output| on the probe batch, before.</param>
/// <param name="GapAfter">The same gap after re-estimation.</param>
public sealed record ReestimationReport(int Batches, IReadOnlyList<BatchNormShift> Layers, double GapBefore, double GapAfter);

/// <summary>
/// Precise BatchNorm (BATCHNORM.md §6): with the weights frozen, run K batches in training mode, and set each
/// running_mean to the mean of the batch means and each running_var to the mean of the unbiased batch variances: a
/// better estimate of the population statistics than the exponential running average gathered while the weights moved.
/// </summary>
public static class PreciseBatchNorm
{
    /// <summary>
    /// Re-estimates every tracked BatchNorm of <paramref name="model"/> over the batches <paramref name="batches"/>
    /// yields (inputs of <c>batch·InputLength</c> floats), and reports the shifts and the train/eval gap measured on
    /// <paramref name="probe"/> (one batch of <paramref name="probeBatch"/> samples). Parameters are not changed;
    /// the model is left in the mode it was in.
    /// </summary>
    public static ReestimationReport Reestimate(IFusedModel model, IEnumerable<(float[] Input, int Batch)> batches, float[] probe, int probeBatch)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batches);
        ArgumentNullException.ThrowIfNull(probe);
        bool wasTraining = model.IsTraining;
        BatchNorm[] layers = model.BatchNorms().Where(b => b.TrackRunningStats && !b.Frozen).ToArray();
        try
        {
            double gapBefore = Gap(model, layers, probe, probeBatch);
            var recorders = layers.Select(b => b.StartRecording()).ToArray();
            model.Train();
            int count = 0;
            foreach ((float[] input, int batch) in batches)
            {
                model.Forward(input, new float[batch * model.OutputLength], batch);
                count++;
            }

            foreach (BatchNorm layer in layers)
            {
                layer.StopRecording();
            }

            if (count == 0)
            {
                throw new ArgumentException("Re-estimation needs at least one batch.", nameof(batches));
            }

            var shifts = new List<BatchNormShift>();
            for (int i = 0; i < layers.Length; i++)
            {
                BatchNorm layer = layers[i];
                PopulationRecorder recorder = recorders[i];
                double meanShift = 0, varianceShift = 0;
                float[] mean = new float[layer.Features], variance = new float[layer.Features];
                for (int c = 0; c < layer.Features; c++)
                {
                    mean[c] = (float)recorder.Mean(c);
                    variance[c] = (float)recorder.Variance(c);
                    meanShift = Math.Max(meanShift, Math.Abs(layer.RunningMean!.Data[c] - recorder.Mean(c)));
                    varianceShift = Math.Max(varianceShift, Math.Abs(layer.RunningVar!.Data[c] - recorder.Variance(c)) / Math.Max(recorder.Variance(c), 1e-12));
                }

                layer.RunningMean!.CopyFrom(mean);
                layer.RunningVar!.CopyFrom(variance);
                shifts.Add(new BatchNormShift(layer.Prefix, meanShift, varianceShift));
            }

            double gapAfter = Gap(model, layers, probe, probeBatch);
            return new ReestimationReport(count, shifts, gapBefore, gapAfter);
        }
        finally
        {
            foreach (BatchNorm layer in layers)
            {
                layer.StopRecording();
            }

            if (wasTraining) { model.Train(); } else { model.Eval(); }
        }
    }

    /// <summary>max |eval output − train-mode output| on one batch, without touching the running statistics.</summary>
    public static double Gap(IFusedModel model, IReadOnlyList<BatchNorm> layers, float[] probe, int batch)
    {
        ArgumentNullException.ThrowIfNull(model);
        bool wasTraining = model.IsTraining;
        var eval = new float[batch * model.OutputLength];
        var train = new float[batch * model.OutputLength];
        model.Eval();
        model.Forward(probe, eval, batch);
        foreach (BatchNorm layer in layers)
        {
            layer.StartRecording(); // a recorded batch is not committed: the probe leaves no trace
        }

        try
        {
            model.Train();
            model.Forward(probe, train, batch);
        }
        finally
        {
            foreach (BatchNorm layer in layers)
            {
                layer.StopRecording();
            }

            if (wasTraining) { model.Train(); } else { model.Eval(); }
        }

        double gap = 0;
        for (int i = 0; i < eval.Length; i++)
        {
            gap = Math.Max(gap, Math.Abs(eval[i] - train[i]));
        }

        return gap;
    }
}
