namespace Fusion.Normalization;

/// <summary>How a BatchNorm layer's momentum and running variance are to be read. Chosen explicitly, never guessed.</summary>
public enum BatchNormConvention
{
    /// <summary>
    /// PyTorch (the default): <c>running = (1 − momentum)·running + momentum·batch</c>, momentum 0.1 by default,
    /// <see langword="null"/> momentum meaning a cumulative average, and the UNBIASED batch variance stored.
    /// </summary>
    PyTorch = 0,

    /// <summary>
    /// Keras: <c>moving = momentum·moving + (1 − momentum)·batch</c>, momentum the KEPT fraction (0.99 by default),
    /// and the biased batch variance stored. For weights imported from Keras.
    /// </summary>
    Keras = 1,
}
