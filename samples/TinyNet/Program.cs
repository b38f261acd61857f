using System;
using System.Diagnostics;
using Fusion;
using Fusion.Samples;

// Fusion's first sample: build TinyNet from a seed, give its BatchNorm layers non-trivial running statistics (as a
// trained network has), run fused inference on a batch, check it against the unfused three-pass computation
// (conv, then BatchNorm, then activation), and time both.
const int Batch = 8;
var model = new TinyNet(seed: 42);
var random = new SeededRandom(7);
foreach (Parameter tensor in model.StateDict())
{
    if (tensor.Name.EndsWith(".running_mean", StringComparison.Ordinal)) { tensor.Update(v => random.Fill(v, -0.2f, 0.2f)); }
    else if (tensor.Name.EndsWith(".running_var", StringComparison.Ordinal)) { tensor.Update(v => random.Fill(v, 0.5f, 2f)); }
    else if (tensor.Name.EndsWith(".bn.weight", StringComparison.Ordinal)) { tensor.Update(v => random.Fill(v, 0.5f, 1.5f)); }
    else if (tensor.Name.EndsWith(".bn.bias", StringComparison.Ordinal)) { tensor.Update(v => random.Fill(v, -0.1f, 0.1f)); }
}

float[] input = new float[Batch * TinyNet.InputLength];
random.Fill(input, -1f, 1f);
float[] fused = new float[Batch * TinyNet.OutputLength];
float[] unfused = new float[Batch * TinyNet.OutputLength];

model.Forward(input, fused, Batch);
model.ForwardUnfused(input, unfused, Batch);

double maxError = 0, maxMagnitude = 0;
for (int i = 0; i < fused.Length; i++)
{
    maxError = Math.Max(maxError, Math.Abs(fused[i] - unfused[i]));
    maxMagnitude = Math.Max(maxMagnitude, Math.Abs(unfused[i]));
}

Console.WriteLine($"TinyNet: {TinyNet.InputLength} floats in, {TinyNet.OutputLength} out per sample; batch {Batch}; {CountParameters(model):N0} parameters");
foreach (Layer layer in model.Layers)
{
    Console.WriteLine($"  {layer.Name,-8} {string.Join(", ", System.Linq.Enumerable.Select(layer.Tensors, t => t.ToString()))}");
}

Console.WriteLine($"fused vs unfused: max |difference| = {maxError:E2} (largest output {maxMagnitude:F3})");
Console.WriteLine($"sample 0 logits: {string.Join(" ", System.Linq.Enumerable.Select(fused[..10], v => v.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)))}");

double fusedMs = Time(() => model.Forward(input, fused, Batch));
double unfusedMs = Time(() => model.ForwardUnfused(input, unfused, Batch));
Console.WriteLine($"median per batch of {Batch}: fused {fusedMs:F3} ms, unfused {unfusedMs:F3} ms ({unfusedMs / fusedMs:F1}× slower)");
Console.WriteLine("(one thread, this machine, a quick median; the benchmark project is where speed is measured)");

bool ok = maxError <= 1e-4 * Math.Max(1, maxMagnitude);
Console.WriteLine(ok ? "OK: fused output matches the unfused computation" : "MISMATCH: fused output differs from the unfused computation");
return ok ? 0 : 1;

static double Time(Action action)
{
    for (int i = 0; i < 5; i++) { action(); }
    var samples = new double[31];
    for (int s = 0; s < samples.Length; s++)
    {
        long start = Stopwatch.GetTimestamp();
        action();
        samples[s] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    Array.Sort(samples);
    return samples[samples.Length / 2];
}

static long CountParameters(IFusedModel model)
{
    long count = 0;
    foreach (Parameter tensor in model.StateDict())
    {
        if (!tensor.Name.Contains("running_", StringComparison.Ordinal)) { count += tensor.Length; }
    }

    return count;
}
