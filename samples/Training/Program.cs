using System;
using System.IO;
using System.Linq;
using Fusion;
using Fusion.IO;
using Fusion.Normalization;
using Fusion.Samples;
using Fusion.Training;
using Spectre.Console;

// Train a CNN declared with attributes on generated shapes (no download), measure the train/inference gap that
// BatchNorm's running statistics leave and close it with precise re-estimation, then save, reload and evaluate.
const int Epochs = 6, BatchSize = 32;
LabeledData train = ShapesDataset.Generate(3000, seed: 1);
LabeledData heldOut = ShapesDataset.Generate(1000, seed: 2);
AnsiConsole.MarkupLine($"[bold]Shapes[/]: {train.Count} training and {heldOut.Count} held-out images of 16×16, {ShapesDataset.Classes} classes ({string.Join(", ", ShapesDataset.Names)})");

var model = new ShapesCnn(seed: 7);
AnsiConsole.MarkupLine($"[bold]ShapesCnn[/]: {model.Parameters().Sum(p => p.Length):N0} parameters in {model.Layers.Count} layers");
var optimizer = new Sgd(model.Parameters(), 0.05f, momentum: 0.9f, nesterov: true, weightDecay: 5e-4f, scope: WeightDecayScope.NoDecayOnNormAndBias);

EpochResult[] history = [];
AnsiConsole.Progress()
    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
    .Start(context =>
    {
        var tasks = Enumerable.Range(0, Epochs).Select(e => context.AddTask($"epoch {e + 1}", autoStart: false, maxValue: 1)).ToArray();
        var progress = new InlineProgress<TrainingProgress>(p =>
        {
            ProgressTask task = tasks[p.Epoch];
            task.StartTask();
            task.Value = (double)p.Batch / p.Batches;
            task.Description = $"epoch {p.Epoch + 1}: loss {p.Loss:F3}, accuracy {p.Accuracy:P1}, {p.SamplesPerSecond:N0} samples/s, lr {p.LearningRate:F4}";
        });
        history = Trainer.Fit(model, train, optimizer, Epochs, BatchSize, seed: 3, new CosineSchedule(0.05f, Epochs), progress).ToArray();
    });

foreach (EpochResult epoch in history)
{
    Console.WriteLine($"epoch {epoch.Epoch + 1}: loss {epoch.Loss:F4}, training accuracy {epoch.Accuracy:P1}, {epoch.SamplesPerSecond:N0} samples/s");
}

float accuracy = Trainer.Evaluate(model, heldOut);
Console.WriteLine($"held-out accuracy (eval mode, folded kernels): {accuracy:P1}");

// Precise BatchNorm: running statistics gathered while the weights moved, against population statistics re-estimated with them frozen.
float[] probe = heldOut.Inputs[..(64 * heldOut.SampleLength)];
var batches = Enumerable.Range(0, 50).Select(b => (train.Inputs.AsSpan(b * BatchSize * train.SampleLength, BatchSize * train.SampleLength).ToArray(), BatchSize));
ReestimationReport report = PreciseBatchNorm.Reestimate(model, batches, probe, 64);
var table = new Table().AddColumns("BatchNorm", "max |Δ mean|", "max relative Δ var");
foreach (BatchNormShift shift in report.Layers)
{
    table.AddRow(shift.Layer, shift.MaxMeanShift.ToString("E2"), shift.MaxRelativeVarianceShift.ToString("P1"));
}

AnsiConsole.Write(table);
Console.WriteLine($"train/eval gap on 64 held-out images (max |logit difference|): {report.GapBefore:F4} before, {report.GapAfter:F4} after re-estimating over {report.Batches} batches");
float reestimated = Trainer.Evaluate(model, heldOut);
Console.WriteLine($"held-out accuracy after re-estimation: {reestimated:P1}");

// Checkpoint: safetensors with PyTorch names, saved atomically, reloaded into a fresh model.
string path = Path.Combine(Path.GetTempPath(), "fusion-shapes-cnn.safetensors");
Checkpoint.Save(model, path);
var reloaded = new ShapesCnn(seed: 99);
Checkpoint.Load(reloaded, path);
float reloadedAccuracy = Trainer.Evaluate(reloaded, heldOut);
Console.WriteLine($"checkpoint {path} ({new FileInfo(path).Length:N0} bytes) reloaded: held-out accuracy {reloadedAccuracy:P1}");

bool ok = accuracy >= 0.9f && reloadedAccuracy == reestimated && report.GapAfter < report.GapBefore;
Console.WriteLine(ok ? "OK" : "FAILED: the model did not learn, or the checkpoint did not reload the same model");
return ok ? 0 : 1;

/// <summary>Reports on the calling (training) thread, so that the progress bar sees every batch, in order.</summary>
internal sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
