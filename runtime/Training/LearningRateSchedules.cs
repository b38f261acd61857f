using System;

namespace Fusion.Training;

/// <summary>A learning rate as a function of the epoch (0-based), set on the optimiser before each epoch.</summary>
public interface ILearningRateSchedule
{
    /// <summary>The learning rate for <paramref name="epoch"/>.</summary>
    float At(int epoch);
}

/// <summary>PyTorch's <c>StepLR</c>: <c>lr = base·γ^⌊epoch/stepSize⌋</c>.</summary>
/// <param name="baseRate">The initial learning rate.</param>
/// <param name="stepSize">Epochs between decays.</param>
/// <param name="gamma">The factor applied at each decay.</param>
public sealed class StepSchedule(float baseRate, int stepSize, float gamma = 0.1f) : ILearningRateSchedule
{
    /// <inheritdoc/>
    public float At(int epoch) => (float)(baseRate * Math.Pow(gamma, epoch / Math.Max(1, stepSize)));
}

/// <summary>PyTorch's <c>CosineAnnealingLR</c>: <c>lr = min + (base − min)·(1 + cos(π·epoch/T))/2</c>.</summary>
/// <param name="baseRate">The initial learning rate.</param>
/// <param name="epochs">T, the epochs to anneal over.</param>
/// <param name="minimumRate">The rate reached at epoch T.</param>
public sealed class CosineSchedule(float baseRate, int epochs, float minimumRate = 0f) : ILearningRateSchedule
{
    /// <inheritdoc/>
    public float At(int epoch)
        => (float)(minimumRate + (baseRate - minimumRate) * (1 + Math.Cos(Math.PI * Math.Min(epoch, epochs) / Math.Max(1, epochs))) / 2);
}
