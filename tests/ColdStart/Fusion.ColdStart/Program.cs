using System;
using Fusion;
using Fusion.Benchmarks.Shapes;

// Cold start: a whole process whose only work is TinyNet's first output at batch 1 (run.sh times it).
var model = new TinyNet(seed: 1);
float[] input = new float[TinyNet.InputLength];
for (int i = 0; i < input.Length; i++) { input[i] = i % 17 / 17f - 0.5f; } // the same input as the ONNX Runtime program
float[] output = new float[TinyNet.OutputLength];
model.Forward(input, output, 1);
Console.WriteLine($"fusion logit0 {output[0]:F5}");
