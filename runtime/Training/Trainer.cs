using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;

namespace Fusion.Training;

/// <summary>Samples and their class labels: <see cref="Inputs"/> holds <c>Count·SampleLength</c> floats, NCHW per sample.</summary>
public sealed class LabeledData
{
    /// <summary>Wraps the arrays after checking that they agree.</summary>
    /// <exception cref="ArgumentException">The arrays do not hold the same number of samples.</exception>
    public LabeledData(float[] inputs, int[] labels, int sampleLength)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleLength);
        if ((long)labels.Length * sampleLength != inputs.Length)
        {
            throw new ArgumentException($"{labels.Length} labels need {(long)labels.Length * sampleLength} input floats ({sampleLength} per sample); got {inputs.Length}.", nameof(inputs));
        }

        Inputs = inputs;
        Labels = labels;
        SampleLength = sampleLength;
    }

    /// <summary>The samples, back to back.</summary>
    public float[] Inputs { get; }

    /// <summary>The class of each sample.</summary>
    public int[] Labels { get; }

    /// <summary>Floats per sample.</summary>
    public int SampleLength { get; }

    /// <summary>Samples.</summary>
    public int Count => Labels.Length;
}

/// <summary>One report of training progress, after a batch.</summary>
/// <param name="Epoch">0-based epoch.</param>
/// <param name="Epochs">Epochs in the run.</param>
/// <param name="Batch">Batches done in this epoch.</param>
/// <param name="Batches">Batches per epoch.</param>
/// <param name="Loss">Mean loss over the epoch so far.</param>
/// <param name="Accuracy">Training accuracy over the epoch so far.</param>
/// <param name="SamplesPerSecond">Throughput over the epoch so far.</param>
/// <param name="LearningRate">The epoch's learning rate.</param>
public readonly record struct TrainingProgress(int Epoch, int Epochs, int Batch, int Batches, float Loss, float Accuracy, double SamplesPerSecond, float LearningRate);

/// <summary>What one epoch achieved.</summary>
public sealed record EpochResult(int Epoch, float Loss, float Accuracy, double SamplesPerSecond);

/// <summary>
/// Supervised classification training: epochs of seeded shuffled mini-batches through <c>Train()</c>-mode
/// <c>Forward</c>, softmax cross-entropy, <c>Backward</c> and an optimiser step. Deterministic for a seed: the
/// shuffles come from <see cref="SeededRandom"/> and every kernel runs on one thread in a fixed order.
/// </summary>
public static class Trainer
{
    /// <summary>
    /// Trains <paramref name="model"/> on <paramref name="data"/>; the model's output is taken as class logits. A last
    /// batch of a single sample is skipped (BatchNorm cannot normalise one value per channel); any other partial batch runs.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (between batches).</exception>
    public static IReadOnlyList<EpochResult> Fit(
        IFusedModel model, LabeledData data, IOptimizer optimizer, int epochs, int batchSize, ulong seed,
        ILearningRateSchedule? schedule = null, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(epochs);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 2); // BatchNorm needs two samples to have a spread
        if (data.SampleLength != model.InputLength)
        {
            throw new ArgumentException($"The model takes {model.InputLength} floats per sample; the data has {data.SampleLength}.", nameof(data));
        }

        int classes = model.OutputLength;
        var random = new SeededRandom(seed);
        int[] order = new int[data.Count];
        for (int i = 0; i < order.Length; i++) { order[i] = i; }

        float[] input = new float[batchSize * model.InputLength];
        int[] labels = new int[batchSize];
        float[] logits = new float[batchSize * classes];
        float[] gradient = new float[batchSize * classes];
        int batches = data.Count / batchSize + (data.Count % batchSize >= 2 ? 1 : 0); // a last batch of 1 is dropped
        var results = new List<EpochResult>();
        model.Train();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            if (schedule is not null)
            {
                optimizer.LearningRate = schedule.At(epoch);
            }

            for (int i = order.Length - 1; i > 0; i--)
            {
                int j = (int)(random.NextUInt64() % (ulong)(i + 1));
                (order[i], order[j]) = (order[j], order[i]);
            }

            double lossSum = 0;
            int correct = 0, seen = 0;
            long start = Stopwatch.GetTimestamp();
            for (int b = 0; b < batches; b++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int count = Math.Min(batchSize, data.Count - b * batchSize);
                for (int k = 0; k < count; k++)
                {
                    int sample = order[b * batchSize + k];
                    data.Inputs.AsSpan(sample * data.SampleLength, data.SampleLength).CopyTo(input.AsSpan(k * data.SampleLength));
                    labels[k] = data.Labels[sample];
                }

                Span<float> batchLogits = logits.AsSpan(0, count * classes), batchGradient = gradient.AsSpan(0, count * classes);
                optimizer.ZeroGrad();
                model.Forward(input.AsSpan(0, count * data.SampleLength), batchLogits, count);
                float loss = SoftmaxCrossEntropy.Compute(batchLogits, labels.AsSpan(0, count), classes, batchGradient);
                model.Backward(batchGradient);
                optimizer.Step();

                lossSum += (double)loss * count;
                correct += SoftmaxCrossEntropy.CountCorrect(batchLogits, labels.AsSpan(0, count), classes);
                seen += count;
                double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                progress?.Report(new TrainingProgress(epoch, epochs, b + 1, batches, (float)(lossSum / seen), (float)correct / seen, seen / Math.Max(seconds, 1e-9), optimizer.LearningRate));
            }

            results.Add(new EpochResult(epoch, (float)(lossSum / seen), (float)correct / seen, seen / Math.Max(Stopwatch.GetElapsedTime(start).TotalSeconds, 1e-9)));
        }

        return results;
    }

    /// <summary>Accuracy of the model's eval-mode predictions on <paramref name="data"/>; leaves the model in eval mode.</summary>
    public static float Evaluate(IFusedModel model, LabeledData data, int batchSize = 64)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        model.Eval();
        int classes = model.OutputLength, correct = 0;
        float[] logits = new float[batchSize * classes];
        for (int start = 0; start < data.Count; start += batchSize)
        {
            int count = Math.Min(batchSize, data.Count - start);
            model.Forward(data.Inputs.AsSpan(start * data.SampleLength, count * data.SampleLength), logits.AsSpan(0, count * classes), count);
            correct += SoftmaxCrossEntropy.CountCorrect(logits.AsSpan(0, count * classes), data.Labels.AsSpan(start, count), classes);
        }

        return (float)correct / data.Count;
    }
}
