using System;

namespace Fusion.Normalization;

/// <summary>What became of one batch's statistics offered to a BatchNorm layer's running statistics.</summary>
/// <param name="Committed">Whether the running statistics now include the batch.</param>
/// <param name="Reason">Why not, when <paramref name="Committed"/> is false.</param>
public readonly record struct RunningStatisticsUpdate(bool Committed, string? Reason)
{
    /// <summary>The batch was committed.</summary>
    public static RunningStatisticsUpdate Accepted => new(true, null);
}

/// <summary>Raised when a batch's statistics are not finite and were kept out of the running statistics.</summary>
public sealed class NonFiniteBatchEventArgs(string layer, int channel, double mean, double variance) : EventArgs
{
    /// <summary>The BatchNorm's <c>state_dict</c> prefix.</summary>
    public string Layer { get; } = layer;

    /// <summary>The first channel whose statistics are not finite.</summary>
    public int Channel { get; } = channel;

    /// <summary>That channel's batch mean.</summary>
    public double Mean { get; } = mean;

    /// <summary>That channel's batch variance.</summary>
    public double Variance { get; } = variance;
}

/// <summary>Thrown, when asked for, instead of silently skipping a batch whose statistics are not finite.</summary>
public sealed class NonFiniteBatchException(NonFiniteBatchEventArgs details)
    : InvalidOperationException($"BatchNorm '{details.Layer}': the batch statistics of channel {details.Channel} are not finite (mean {details.Mean}, variance {details.Variance}); the running statistics were left unchanged.")
{
    /// <summary>What was rejected.</summary>
    public NonFiniteBatchEventArgs Details { get; } = details;
}
