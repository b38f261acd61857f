using System;

namespace Fusion.Training;

/// <summary>Softmax cross-entropy over logits, averaged over the batch (PyTorch's <c>F.cross_entropy</c>).</summary>
public static class SoftmaxCrossEntropy
{
    /// <summary>
    /// The mean loss <c>−(1/N)·Σ log softmax(z_n)[y_n]</c>, and its gradient <c>(softmax(z_n) − onehot(y_n))/N</c>
    /// written to <paramref name="gradient"/>. Log-sum-exp is shifted by each row's maximum, so large logits cannot overflow.
    /// </summary>
    /// <exception cref="ArgumentException">Spans of the wrong length, or a label outside [0, classes).</exception>
    public static float Compute(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classes, Span<float> gradient)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        int batch = labels.Length;
        if (batch == 0 || logits.Length != batch * classes || gradient.Length != logits.Length)
        {
            throw new ArgumentException($"Expected {batch} labels with {batch * classes} logits and gradients ({classes} classes); got {logits.Length} logits and {gradient.Length} gradients.");
        }

        double total = 0;
        for (int n = 0; n < batch; n++)
        {
            int label = labels[n];
            if ((uint)label >= (uint)classes)
            {
                throw new ArgumentException($"Label {label} of sample {n} is outside [0, {classes}).", nameof(labels));
            }

            ReadOnlySpan<float> row = logits.Slice(n * classes, classes);
            Span<float> g = gradient.Slice(n * classes, classes);
            float max = float.NegativeInfinity;
            foreach (float value in row)
            {
                max = MathF.Max(max, value);
            }

            double sum = 0;
            for (int k = 0; k < classes; k++)
            {
                sum += Math.Exp(row[k] - max);
            }

            double logSum = Math.Log(sum) + max;
            total += logSum - row[label];
            for (int k = 0; k < classes; k++)
            {
                g[k] = (float)((Math.Exp(row[k] - logSum) - (k == label ? 1 : 0)) / batch);
            }
        }

        return (float)(total / batch);
    }

    /// <summary>How many rows' largest logit is at their label.</summary>
    public static int CountCorrect(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classes)
    {
        int correct = 0;
        for (int n = 0; n < labels.Length; n++)
        {
            ReadOnlySpan<float> row = logits.Slice(n * classes, classes);
            int best = 0;
            for (int k = 1; k < classes; k++)
            {
                if (row[k] > row[best])
                {
                    best = k;
                }
            }

            correct += best == labels[n] ? 1 : 0;
        }

        return correct;
    }
}

/// <summary>Mean squared error, averaged over every element (PyTorch's <c>F.mse_loss</c>).</summary>
public static class MeanSquaredError
{
    /// <summary>The loss <c>(1/M)·Σ (p − t)²</c> and its gradient <c>2(p − t)/M</c>.</summary>
    /// <exception cref="ArgumentException">The spans differ in length or are empty.</exception>
    public static float Compute(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> gradient)
    {
        if (predictions.IsEmpty || predictions.Length != targets.Length || gradient.Length != predictions.Length)
        {
            throw new ArgumentException($"Expected equal, non-empty spans; got {predictions.Length} predictions, {targets.Length} targets and {gradient.Length} gradients.");
        }

        double total = 0;
        for (int i = 0; i < predictions.Length; i++)
        {
            double d = (double)predictions[i] - targets[i];
            total += d * d;
            gradient[i] = (float)(2 * d / predictions.Length);
        }

        return (float)(total / predictions.Length);
    }
}
