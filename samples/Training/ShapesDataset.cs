using System;
using Fusion.Training;

namespace Fusion.Samples;

/// <summary>
/// Ten classes of procedurally drawn shapes on noisy 16×16 grey images: bars (horizontal, vertical, two diagonals),
/// a hollow and a filled square, a plus, an X, a ring and a pair of dots, each at a random position, size and
/// intensity, with Gaussian-like noise and a few bright clutter pixels. Position varies, so a linear model over
/// pixels does much worse than a convolutional one. Nothing is downloaded: the same seed gives the same data.
/// </summary>
public static class ShapesDataset
{
    public const int Size = 16;
    public const int Classes = 10;

    public static readonly string[] Names = ["horizontal", "vertical", "diagonal \\", "diagonal /", "hollow square", "filled square", "plus", "cross", "ring", "two dots"];

    public static LabeledData Generate(int count, ulong seed)
    {
        var random = new SeededRandom(seed);
        float[] images = new float[count * Size * Size];
        int[] labels = new int[count];
        for (int n = 0; n < count; n++)
        {
            int label = n % Classes;
            labels[n] = label;
            Draw(images, n * Size * Size, label, random);
            Span<float> image = images.AsSpan(n * Size * Size, Size * Size);
            for (int i = 0; i < image.Length; i++)
            {
                // noise: the sum of three uniforms, roughly Gaussian with σ ≈ 0.12
                float noise = (random.NextSingle() + random.NextSingle() + random.NextSingle() - 1.5f) * 0.24f;
                image[i] += noise;
            }

            int clutter = 2 + (int)(random.NextUInt64() % 3);
            for (int c = 0; c < clutter; c++)
            {
                image[(int)(random.NextUInt64() % (ulong)image.Length)] += 0.8f;
            }
        }

        return new LabeledData(images, labels, Size * Size);
    }

    private static void Draw(float[] images, int offset, int label, SeededRandom random)
    {
        int extent = 5 + (int)(random.NextUInt64() % 4);              // 5..8 pixels across
        int cx = 3 + (int)(random.NextUInt64() % (ulong)(Size - 6));   // centre anywhere with a margin
        int cy = 3 + (int)(random.NextUInt64() % (ulong)(Size - 6));
        float ink = random.NextSingle(0.6f, 1f);
        int half = extent / 2;
        void Put(int x, int y)
        {
            if ((uint)x < Size && (uint)y < Size) { images[offset + y * Size + x] = ink; }
        }

        for (int t = -half; t <= half; t++)
        {
            switch (label)
            {
                case 0: Put(cx + t, cy); break;
                case 1: Put(cx, cy + t); break;
                case 2: Put(cx + t, cy + t); break;
                case 3: Put(cx + t, cy - t); break;
                case 4: Put(cx + t, cy - half); Put(cx + t, cy + half); Put(cx - half, cy + t); Put(cx + half, cy + t); break;
                case 5: for (int u = -half; u <= half; u++) { Put(cx + t, cy + u); } break;
                case 6: Put(cx + t, cy); Put(cx, cy + t); break;
                case 7: Put(cx + t, cy + t); Put(cx + t, cy - t); break;
                case 8:
                    double angle = Math.PI * (t + half) / half;
                    for (int k = 0; k < 4; k++)
                    {
                        double a = angle + k * Math.PI / (2 * half);
                        Put(cx + (int)Math.Round(half * Math.Cos(a)), cy + (int)Math.Round(half * Math.Sin(a)));
                    }

                    break;
                default:
                    if (Math.Abs(t) <= 1) { Put(cx - half + t, cy); Put(cx - half, cy + t); Put(cx + half + t, cy); Put(cx + half, cy + t); }
                    break;
            }
        }
    }
}
