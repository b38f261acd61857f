using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;

namespace Fusion.Tests;

/// <summary>
/// The specification the generated kernels are checked against: a naive interpreter of a model's attribute
/// declaration, in double, one operation at a time (conv, then eval-mode BatchNorm, then residual add, then
/// activation), with the textbook formulas. It reads the attributes by reflection and the parameters from the
/// model's layer objects; it shares no code with the generator or the kernels.
/// </summary>
/// <remarks>
/// Alongside each value it tracks a magnitude: the sum of the absolute values of every term that was added to
/// produce it (Σ|s·w·x| + |bias| + |residual|). A float32 computation of a K-term dot product, in any order, with
/// or without FMA, is within (K + 2)·u·Σ|terms| of the exact value (u = 2⁻²⁴; Higham, "Accuracy and Stability of
/// Numerical Algorithms", §3.1), which is what <see cref="Tolerance"/> builds on.
/// </remarks>
internal static class Reference
{
    public sealed record Tensor(double[] Values, double[] Magnitudes, int Channels, int Height, int Width, int Terms);

    /// <summary>Runs the model's declaration on a batch; returns one tensor per sample.</summary>
    public static Tensor[] Run(IFusedModel model, ReadOnlySpan<float> batchInput, int batch, int channels, int height, int width, bool training = false)
    {
        var input = new Tensor[batch];
        for (int n = 0; n < batch; n++)
        {
            float[] sample = batchInput.Slice(n * model.InputLength, model.InputLength).ToArray();
            input[n] = new Tensor(sample.Select(v => (double)v).ToArray(), sample.Select(v => Math.Abs((double)v)).ToArray(), channels, height, width, 1);
        }

        var outputs = new Dictionary<string, Tensor[]>();
        Tensor[] previous = input;
        foreach (PropertyInfo property in LayerProperties(model.GetType()))
        {
            Tensor[] source = property.GetCustomAttribute<InputAttribute>() is { } from
                ? from.From == InputAttribute.ModelInput ? input : outputs[from.From]
                : previous;
            object layer = property.GetValue(model)!;
            Tensor[] result = property.GetCustomAttributes().FirstOrDefault(IsLayerAttribute) switch
            {
                Conv2dAttribute conv => WithBatchNorm(((ConvBlock)layer).BatchNorm, training, ((ConvBlock)layer).Conv.OutChannels, source, (x, s, t) => Conv((ConvBlock)layer, conv, x, s, t)),
                LinearAttribute => WithBatchNorm(((LinearBlock)layer).BatchNorm, training, ((LinearBlock)layer).Linear.OutFeatures, source, (x, s, t) => Linear((LinearBlock)layer, x, s, t)),
                MaxPool2dAttribute pool => source.Select(x => Pool(x, pool.Kernel, pool.Stride == 0 ? pool.Kernel : pool.Stride, pool.Padding, max: true, countIncludePad: true)).ToArray(),
                AvgPool2dAttribute pool => source.Select(x => Pool(x, pool.Kernel, pool.Stride == 0 ? pool.Kernel : pool.Stride, pool.Padding, max: false, pool.CountIncludePad)).ToArray(),
                GlobalAvgPoolAttribute => source.Select(GlobalAverage).ToArray(),
                FlattenAttribute => source.Select(x => x with { Channels = x.Channels * x.Height * x.Width, Height = 1, Width = 1 }).ToArray(),
                _ => throw new InvalidOperationException($"{property.Name} has no layer attribute"),
            };

            if (property.GetCustomAttribute<ResidualAttribute>() is { } residual)
            {
                Tensor[] skip = outputs[residual.From];
                result = result.Zip(skip, (r, k) => r with
                {
                    Values = r.Values.Zip(k.Values, (a, b) => a + b).ToArray(),
                    Magnitudes = r.Magnitudes.Zip(k.Magnitudes, (a, b) => a + b).ToArray(),
                    Terms = Math.Max(r.Terms, k.Terms) + 1,
                }).ToArray();
            }

            Func<double, double>? activation = Activation(property);
            if (activation is not null)
            {
                result = result.Select(r =>
                {
                    double[] activated = r.Values.Select(activation).ToArray();
                    return r with { Values = activated, Magnitudes = r.Magnitudes.Zip(activated, (m, v) => Math.Max(m, Math.Abs(v))).ToArray() };
                }).ToArray();
            }

            outputs[property.Name] = result;
            previous = result;
        }

        return previous;
    }

    /// <summary>
    /// A conv or linear layer followed by its BatchNorm: eval-mode with running statistics,
    /// or, without them, normalised by the batch's own mean and biased variance over N·H·W (PyTorch semantics).
    /// </summary>
    private static Tensor[] WithBatchNorm(BatchNorm? bn, bool training, int channels, Tensor[] source, Func<Tensor, double[], double[], Tensor> layer)
    {
        // Running statistics in eval mode and for frozen layers; the batch's own in training and without running statistics.
        if (bn is null || (bn.TrackRunningStats && (!training || bn.Frozen)))
        {
            var (scale, shift) = BatchNormAffine(bn, channels);
            return source.Select(x => layer(x, scale, shift)).ToArray();
        }

        var ones = Enumerable.Repeat(1.0, channels).ToArray();
        Tensor[] raw = source.Select(x => layer(x, ones, new double[channels])).ToArray();
        int plane = raw[0].Height * raw[0].Width;
        var batchScale = new double[channels];
        var batchShift = new double[channels];
        for (int c = 0; c < channels; c++)
        {
            double[] values = raw.SelectMany(r => r.Values.Skip(c * plane).Take(plane)).ToArray();
            double mean = values.Average(), variance = values.Average(v => (v - mean) * (v - mean));
            batchScale[c] = (bn.Weight?.Data[c] ?? 1.0) / Math.Sqrt(variance + bn.Epsilon);
            batchShift[c] = (bn.Bias?.Data[c] ?? 0.0) - mean * batchScale[c];
        }

        return source.Select(x => layer(x, batchScale, batchShift)).ToArray();
    }

    /// <summary>Layer members in declaration order (metadata order is source order for one partial declaration).</summary>
    public static IEnumerable<PropertyInfo> LayerProperties(Type type)
        => type.GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
            .Where(p => p.GetCustomAttributes().Any(IsLayerAttribute))
            .OrderBy(p => p.MetadataToken);

    private static bool IsLayerAttribute(Attribute a)
        => a is Conv2dAttribute or LinearAttribute or MaxPool2dAttribute or AvgPool2dAttribute or GlobalAvgPoolAttribute or FlattenAttribute;

    private static Tensor Conv(ConvBlock block, Conv2dAttribute a, Tensor x, double[] scale, double[] shift)
    {
        int kh = a.KernelHeight != 0 ? a.KernelHeight : a.Kernel, kw = a.KernelWidth != 0 ? a.KernelWidth : a.Kernel;
        int ph = a.PaddingHeight != 0 ? a.PaddingHeight : a.Padding, pw = a.PaddingWidth != 0 ? a.PaddingWidth : a.Padding;
        int s = a.Stride, d = a.Dilation, g = a.Groups;
        int outC = a.OutChannels, inPerGroup = x.Channels / g, outPerGroup = outC / g;
        int outH = (x.Height + 2 * ph - d * (kh - 1) - 1) / s + 1, outW = (x.Width + 2 * pw - d * (kw - 1) - 1) / s + 1;
        float[] weight = block.Conv.Weight.Data.ToArray();
        float[]? bias = block.Conv.Bias?.Data.ToArray();
        var values = new double[outC * outH * outW];
        var magnitudes = new double[values.Length];
        for (int oc = 0; oc < outC; oc++)
        {
            int group = oc / outPerGroup;
            for (int oh = 0; oh < outH; oh++)
            {
                for (int ow = 0; ow < outW; ow++)
                {
                    double sum = bias is null ? 0 : bias[oc], magnitude = 0;
                    for (int ic = 0; ic < inPerGroup; ic++)
                    {
                        for (int i = 0; i < kh; i++)
                        {
                            for (int j = 0; j < kw; j++)
                            {
                                int ih = oh * s - ph + i * d, iw = ow * s - pw + j * d;
                                if (ih < 0 || ih >= x.Height || iw < 0 || iw >= x.Width)
                                {
                                    continue; // zero padding
                                }

                                int at = ((group * inPerGroup + ic) * x.Height + ih) * x.Width + iw;
                                double w = weight[((oc * inPerGroup + ic) * kh + i) * kw + j];
                                sum += w * x.Values[at];
                                magnitude += Math.Abs(w * scale[oc]) * x.Magnitudes[at];
                            }
                        }
                    }

                    // eval-mode BatchNorm: y = γ·(x − μ)/√(σ² + ε) + β, written as s·x + t
                    double y = scale[oc] * sum + shift[oc];
                    int o = (oc * outH + oh) * outW + ow;
                    values[o] = y;
                    magnitudes[o] = magnitude + Math.Abs(scale[oc] * (bias is null ? 0 : bias[oc]) + shift[oc]);
                }
            }
        }

        return new Tensor(values, magnitudes, outC, outH, outW, x.Terms + inPerGroup * kh * kw + 6);
    }

    private static Tensor Linear(LinearBlock block, Tensor x, double[] scale, double[] shift)
    {
        int inFeatures = x.Values.Length, outFeatures = block.Linear.OutFeatures;
        float[] weight = block.Linear.Weight.Data.ToArray();
        float[]? bias = block.Linear.Bias?.Data.ToArray();
        var values = new double[outFeatures];
        var magnitudes = new double[outFeatures];
        for (int o = 0; o < outFeatures; o++)
        {
            double sum = bias is null ? 0 : bias[o], magnitude = 0;
            for (int i = 0; i < inFeatures; i++)
            {
                sum += weight[o * inFeatures + i] * x.Values[i];
                magnitude += Math.Abs(weight[o * inFeatures + i] * scale[o]) * x.Magnitudes[i];
            }

            values[o] = scale[o] * sum + shift[o];
            magnitudes[o] = magnitude + Math.Abs(scale[o] * (bias is null ? 0 : bias[o]) + shift[o]);
        }

        return new Tensor(values, magnitudes, outFeatures, 1, 1, x.Terms + inFeatures + 6);
    }

    private static Tensor Pool(Tensor x, int k, int s, int p, bool max, bool countIncludePad)
    {
        int outH = (x.Height + 2 * p - k) / s + 1, outW = (x.Width + 2 * p - k) / s + 1;
        var values = new double[x.Channels * outH * outW];
        var magnitudes = new double[values.Length];
        for (int c = 0; c < x.Channels; c++)
        {
            for (int oh = 0; oh < outH; oh++)
            {
                for (int ow = 0; ow < outW; ow++)
                {
                    double best = double.NegativeInfinity, sum = 0, magnitude = 0;
                    int inside = 0, window = 0;
                    for (int i = 0; i < k; i++)
                    {
                        for (int j = 0; j < k; j++)
                        {
                            int ih = oh * s - p + i, iw = ow * s - p + j;
                            bool inPadded = ih < x.Height + p && iw < x.Width + p;
                            if (inPadded)
                            {
                                window++; // PyTorch counts padding, but not positions past it, in the divisor
                            }

                            if (ih < 0 || ih >= x.Height || iw < 0 || iw >= x.Width)
                            {
                                continue;
                            }

                            int at = (c * x.Height + ih) * x.Width + iw;
                            best = Math.Max(best, x.Values[at]);
                            sum += x.Values[at];
                            magnitude = Math.Max(magnitude, x.Magnitudes[at]);
                            inside++;
                        }
                    }

                    int o = (c * outH + oh) * outW + ow;
                    values[o] = max ? best : sum / (countIncludePad ? window : inside);
                    magnitudes[o] = magnitude;
                }
            }
        }

        return new Tensor(values, magnitudes, x.Channels, outH, outW, x.Terms + k * k);
    }

    private static Tensor GlobalAverage(Tensor x)
    {
        int plane = x.Height * x.Width;
        double[] values = Enumerable.Range(0, x.Channels).Select(c => x.Values.Skip(c * plane).Take(plane).Average()).ToArray();
        double[] magnitudes = Enumerable.Range(0, x.Channels).Select(c => x.Magnitudes.Skip(c * plane).Take(plane).Max()).ToArray();
        return new Tensor(values, magnitudes, x.Channels, 1, 1, x.Terms + plane);
    }

    private static (double[] Scale, double[] Shift) BatchNormAffine(BatchNorm? bn, int channels)
    {
        var scale = Enumerable.Repeat(1.0, channels).ToArray();
        var shift = new double[channels];
        if (bn is null)
        {
            return (scale, shift);
        }

        for (int c = 0; c < channels; c++)
        {
            double gamma = bn.Weight?.Data[c] ?? 1.0, beta = bn.Bias?.Data[c] ?? 0.0;
            double mean = bn.RunningMean!.Data[c], variance = bn.RunningVar!.Data[c];
            scale[c] = gamma / Math.Sqrt(variance + bn.Epsilon);
            shift[c] = beta - mean * scale[c];
        }

        return (scale, shift);
    }

    /// <summary>The activation declared on a member, in double, from its textbook definition.</summary>
    public static Func<double, double>? Activation(PropertyInfo property)
    {
        foreach (Attribute a in property.GetCustomAttributes())
        {
            Func<double, double>? f = a switch
            {
                IdentityAttribute => x => x,
                ReluAttribute => x => Math.Max(x, 0),
                LeakyReluAttribute l => x => x >= 0 ? x : l.NegativeSlope * x,
                Relu6Attribute => x => Math.Min(Math.Max(x, 0), 6),
                ClampAttribute c => x => Math.Min(Math.Max(x, c.Min), c.Max),
                SigmoidAttribute => x => 1 / (1 + Math.Exp(-x)),
                TanhAttribute => Math.Tanh,
                SiluAttribute => x => x / (1 + Math.Exp(-x)),
                GeluAttribute { Approximate: GeluApproximation.Tanh } => x => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))),
                GeluAttribute => x => 0.5 * x * (1 + Erf(x / Math.Sqrt(2))),
                HardSwishAttribute => x => x * Math.Min(Math.Max(x + 3, 0), 6) / 6,
                HardSigmoidAttribute => x => Math.Min(Math.Max(x + 3, 0), 6) / 6,
                EluAttribute e => x => x > 0 ? x : e.Alpha * (Math.Exp(x) - 1),
                MishAttribute => x => x * Math.Tanh(Math.Log(1 + Math.Exp(x))),
                _ => null,
            };
            if (f is not null)
            {
                return f;
            }
        }

        return null;
    }

    /// <summary>erf in double: its Maclaurin series below |x| = 3, the asymptotic series of erfc above (both far below float precision).</summary>
    public static double Erf(double x)
    {
        double a = Math.Abs(x);
        if (a < 3)
        {
            double term = a, sum = a;
            for (int n = 1; n < 100; n++)
            {
                term *= -a * a / n;
                sum += term / (2 * n + 1);
            }

            return Math.CopySign(2 / Math.Sqrt(Math.PI) * sum, x);
        }

        double inv = 1 / (2 * a * a);
        double series = 1 - inv + 3 * inv * inv - 15 * inv * inv * inv + 105 * inv * inv * inv * inv;
        return Math.CopySign(1 - Math.Exp(-a * a) / (a * Math.Sqrt(Math.PI)) * series, x);
    }

    /// <summary>
    /// What a float32 kernel may differ from this reference by, for one output: the dot-product bound
    /// (K + 2)·u·Σ|terms|, with K the terms of the reductions along the path to this output plus 6 per layer for the
    /// folded weight and bias roundings (errors of earlier layers reach this one through the same weights), scaled by
    /// 1.5 for the steepest activation slope (HardSwish's, at x = 3), plus the activation's own float rounding
    /// (a few ulps, 3e-6 relative for the exp-based ones, and the 1.5e-7 absolute of the erf approximation).
    /// </summary>
    public static double Tolerance(Tensor reference, int index)
    {
        const double u = 1.0 / (1 << 24);
        return 1.5 * reference.Terms * u * reference.Magnitudes[index] + 3e-6 * Math.Abs(reference.Values[index]) + 5e-7;
    }
}
