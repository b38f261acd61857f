using System;

namespace Fusion;

/// <summary>
/// SplitMix64: a small, fast generator whose sequence for a seed is fixed forever (unlike <see cref="Random"/>,
/// whose algorithm may change between .NET versions), so a seeded model is the same model everywhere.
/// </summary>
/// <param name="seed">The seed.</param>
public sealed class SeededRandom(ulong seed)
{
    private ulong _state = seed;

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A float uniform in [0, 1), from the top 24 bits.</summary>
    public float NextSingle() => (NextUInt64() >> 40) * (1f / (1 << 24));

    /// <summary>A float uniform in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    public float NextSingle(float low, float high) => low + (high - low) * NextSingle();

    /// <summary>Fills <paramref name="destination"/> with values uniform in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    public void Fill(Span<float> destination, float low, float high)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = NextSingle(low, high);
        }
    }
}
