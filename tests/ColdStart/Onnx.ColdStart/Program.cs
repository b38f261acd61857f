using System;
using Microsoft.ML.OnnxRuntime;

// Cold start of the competitor: native library load, session creation from the exported TinyNet file, first run.
using var session = new InferenceSession(args[0], new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = 1 });
float[] input = new float[3 * 32 * 32];
for (int i = 0; i < input.Length; i++) { input[i] = i % 17 / 17f - 0.5f; } // the same input as the Fusion program
using OrtValue value = OrtValue.CreateTensorValueFromMemory(input, [1, 3, 32, 32]);
using var results = session.Run(new RunOptions(), ["input"], [value], ["output"]);
float first = results[0].GetTensorDataAsSpan<float>()[0];
Console.WriteLine($"onnx logit0 {first:F5}");
