using System.Collections.Generic;
using System.Linq;
using Fusion.Generator.Diagnostics;
using Fusion.Generator.Model;

namespace Fusion.Generator.Planning;

/// <summary>
/// <see cref="ModelSpec"/> → <see cref="ModelPlan"/>: infers every layer's shapes, validates the declaration
/// against them (FUS1xxx–FUS3xxx), and places each layer's packed weights and output buffer. Pure: no symbols, no text.
/// </summary>
internal static class ModelPlanner
{
    public static Result<ModelPlan> Plan(ModelSpec model)
    {
        var diagnostics = new List<DiagnosticInfo>();
        if (model.InputChannels <= 0 || model.InputHeight <= 0 || model.InputWidth <= 0 || model.Layers.Count == 0)
        {
            return new Result<ModelPlan>(null, EquatableArray<DiagnosticInfo>.Empty); // reported by the parser
        }

        var input = new TensorShape(model.InputChannels, model.InputHeight, model.InputWidth, Flat: false);
        var layers = new List<LayerPlan?>();
        var convKernels = new List<ConvKernelPlan>();
        var linearKernels = new List<LinearKernelPlan>();
        var byName = new Dictionary<string, int>();
        var byStateName = new Dictionary<string, string>();
        int packed = 0, workspace = 0, scratch = 0, trainPacked = 0, train = 0;
        int trainInput = 0;
        train += Align(input.Length);
        bool failed = false;

        for (int index = 0; index < model.Layers.Count; index++)
        {
            LayerSpec layer = model.Layers[index];
            int errorsBefore = diagnostics.Count;

            if (byStateName.TryGetValue(layer.StateName, out string? other))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateLayerName, layer.Location, other, layer.Name, layer.StateName));
            }
            else
            {
                byStateName[layer.StateName] = layer.Name;
            }

            int source = index - 1;
            if (layer.InputFrom is { } from)
            {
                if (from == "input")
                {
                    source = -1;
                }
                else if (!byName.TryGetValue(from, out source))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InputSourceMissing, layer.LocationOf("From", "Input"), layer.Name, from));
                    failed = true;
                    byName[layer.Name] = index;
                    layers.Add(null);
                    continue;
                }
            }

            if (source >= 0 && layers[source] is null)
            {
                failed = true; // an earlier layer failed, so this one's input shape is unknown
                byName[layer.Name] = index;
                layers.Add(null);
                continue;
            }

            TensorShape inputShape = source < 0 ? input : layers[source]!.Output;
            string sourceName = source < 0 ? "the model input" : model.Layers[source].Name;
            (BatchNormSpec? batchNorm, string? residualFrom, ActivationSpec activation) = CheckPostOps(layer, diagnostics);
            TensorShape? outputShape = InferShape(layer, inputShape, sourceName, diagnostics);

            if (outputShape is not null && (long)outputShape.Channels * outputShape.Height * outputShape.Width > MaxFloatsPerSample)
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.InvalidHyperparameter, layer.LayerAttributeLocation, layer.Name, "the output of one sample",
                    $"at most {MaxFloatsPerSample} floats", (long)outputShape.Channels * outputShape.Height * outputShape.Width));
                outputShape = null;
            }

            long weights = layer.Kind switch
            {
                LayerKind.Conv2d when outputShape is not null => (long)layer.OutChannels * (inputShape.Channels / layer.Groups) * layer.KernelHeight * layer.KernelWidth,
                LayerKind.Linear when outputShape is not null => (long)inputShape.Length * layer.OutChannels,
                _ => 0,
            };
            if (weights > MaxFloatsPerSample)
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.InvalidHyperparameter, layer.LayerAttributeLocation, layer.Name, "the weight count", $"at most {MaxFloatsPerSample}", weights));
                outputShape = null;
            }

            int residual = -1;
            if (residualFrom is not null && outputShape is not null)
            {
                if (!byName.TryGetValue(residualFrom, out residual))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ResidualSourceMissing, layer.LocationOf("From", "Residual"), layer.Name, residualFrom));
                }
                else if (layers[residual] is { } residualLayer && residualLayer.Output != outputShape)
                {
                    diagnostics.Add(DiagnosticInfo.Create(
                        DiagnosticDescriptors.ResidualShapeMismatch, layer.LocationOf("From", "Residual"), layer.Name, outputShape, residualFrom, residualLayer.Output));
                }
            }

            if (diagnostics.Skip(errorsBefore).Any(d => DiagnosticDescriptors.Find(d.Id)?.DefaultSeverity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error)
                || outputShape is null || failed)
            {
                failed = true;
                byName[layer.Name] = index;
                if (outputShape is not null)
                {
                    layers.Add(new LayerPlan(layer, inputShape, outputShape, source, residual, batchNorm, activation, null, 0, 0, 0, 0, 0, 0, null, false, null, 0, 0, new TrainingLayout(-1, -1, -1)));
                }
                else
                {
                    layers.Add(null);
                }

                continue;
            }

            string? kernelName = null, trainKernelName = null;
            bool trainStatistics = false;
            ConvVariant? narrow = null;
            int weightLength = 0, biasLength = 0, tileVectors = 0;
            if (layer.Kind == LayerKind.Conv2d)
            {
                // Batch statistics cannot be folded: the kernel then computes the convolution alone, the rest follows unfused.
                bool fused = batchNorm is not { TrackRunningStats: false };
                ConvKernelPlan kernel = ConvKernelPlanner.Plan(layer, inputShape, outputShape, fused && residual >= 0, fused ? activation : Identity);
                kernelName = kernel.Name;
                weightLength = kernel.PackedWeightLength;
                biasLength = kernel.PackedBiasLength;
                tileVectors = kernel.TileVectors;
                scratch = System.Math.Max(scratch, kernel.PaddedInput ? Align(kernel.PaddedLength) : 0);
                if (!convKernels.Any(k => k.Name == kernel.Name))
                {
                    convKernels.Add(kernel);
                }

                // Training runs the convolution alone, with the layer's own weights; with BatchNorm its epilogue measures the batch.
                ConvKernelPlan trainKernel = ConvKernelPlanner.Plan(layer, inputShape, outputShape, residual: false, Identity, statistics: batchNorm is not null);
                trainKernelName = trainKernel.Name;
                trainStatistics = trainKernel.Statistics;
                if (!convKernels.Any(k => k.Name == trainKernel.Name))
                {
                    convKernels.Add(trainKernel);
                }

                // The same two kernels planned for 16 vector registers; the model picks a variant at run time.
                ConvKernelPlan narrowKernel = ConvKernelPlanner.Plan(layer, inputShape, outputShape, fused && residual >= 0, fused ? activation : Identity, narrow: true);
                ConvKernelPlan narrowTrainKernel = ConvKernelPlanner.Plan(layer, inputShape, outputShape, residual: false, Identity, statistics: batchNorm is not null, narrow: true);
                if (narrowKernel.Name != kernel.Name || narrowTrainKernel.Name != trainKernel.Name)
                {
                    narrow = new ConvVariant(narrowKernel.Name, narrowKernel.TileVectors, narrowTrainKernel.Name, narrowTrainKernel.Statistics);
                    foreach (ConvKernelPlan extra in new[] { narrowKernel, narrowTrainKernel })
                    {
                        if (!convKernels.Any(k => k.Name == extra.Name))
                        {
                            convKernels.Add(extra);
                        }
                    }
                }
            }
            else if (layer.Kind == LayerKind.Linear)
            {
                ActivationSpec kernelActivation = batchNorm is { TrackRunningStats: false } ? Identity : activation;
                var kernel = new LinearKernelPlan($"Linear_{inputShape.Length}to{outputShape.Length}_{ConvKernelPlanner.ActivationName(kernelActivation)}_V256", inputShape.Length, outputShape.Length, kernelActivation);
                kernelName = kernel.Name;
                weightLength = kernel.InFeatures * kernel.OutFeatures;
                biasLength = kernel.OutFeatures;
                if (!linearKernels.Any(k => k.Name == kernel.Name))
                {
                    linearKernels.Add(kernel);
                }

                var trainKernel = new LinearKernelPlan($"Linear_{inputShape.Length}to{outputShape.Length}_Identity_V256", inputShape.Length, outputShape.Length, Identity);
                trainKernelName = trainKernel.Name;
                if (!linearKernels.Any(k => k.Name == trainKernel.Name))
                {
                    linearKernels.Add(trainKernel);
                }
            }

            // Flatten reuses its source's buffer: in NCHW a flattened sample is the same floats.
            int workspaceOffset = layer.Kind == LayerKind.Flatten && source >= 0 ? -1 : workspace;
            if (workspaceOffset >= 0)
            {
                workspace += Align(outputShape.Length);
            }

            bool hasWeights = layer.Kind is LayerKind.Conv2d or LayerKind.Linear;
            var trainingLayout = new TrainingLayout(train, hasWeights ? train + Align(outputShape.Length) : -1, train + (hasWeights ? 2 : 1) * Align(outputShape.Length));
            train += (hasWeights ? 3 : 2) * Align(outputShape.Length);
            if (layer.Kind == LayerKind.Conv2d && (layer.PaddingHeight > 0 || layer.PaddingWidth > 0))
            {
                int paddedLength = inputShape.Channels * (inputShape.Height + 2 * layer.PaddingHeight) * (inputShape.Width + 2 * layer.PaddingWidth);
                trainingLayout = trainingLayout with { PaddedInput = train, PaddedInputLength = paddedLength };
                train += Align(paddedLength);
            }
            layers.Add(new LayerPlan(
                layer, inputShape, outputShape, source, residual, batchNorm, activation, kernelName,
                packed, weightLength, packed + Align(weightLength), biasLength, workspaceOffset, tileVectors,
                trainKernelName, trainStatistics, narrow, trainPacked, trainPacked + Align(weightLength), trainingLayout));
            packed += Align(weightLength) + Align(biasLength);
            trainPacked += Align(weightLength) + Align(biasLength);
            byName[layer.Name] = index;
        }

        if (failed || diagnostics.Any(d => DiagnosticDescriptors.Find(d.Id)?.DefaultSeverity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error))
        {
            return new Result<ModelPlan>(null, diagnostics.ToEquatableArray());
        }

        var placed = layers.Select(l => l!).ToList();
        workspace = PadActivations(placed, convKernels, workspace);
        BatchRows(placed, convKernels);

        var plan = new ModelPlan(
            model.Location,
            model.Namespace,
            model.ClassName,
            model.Accessibility,
            input,
            placed[placed.Count - 1].Output,
            placed.ToEquatableArray(),
            convKernels.ToEquatableArray(),
            linearKernels.ToEquatableArray(),
            packed,
            workspace,
            scratch,
            trainPacked,
            train,
            trainInput);
        return new Result<ModelPlan>(plan, diagnostics.ToEquatableArray());
    }

    /// <summary>
    /// Zero-bordered activations for <c>Forward</c>: a convolution whose output only convolutions read — as their input,
    /// all with the same padding (or none, through a channel-tiled kernel that reads the interior), or as their
    /// residual — writes it straight into that padded layout, so its readers need no padded copy. Pointwise kernels address whole planes as one run of pixels and neither write nor read such a
    /// buffer; the model's output and layers normalised with batch statistics stay plain. Re-plans the kernels whose
    /// layout changed and lays the workspace out again. Returns the workspace's floats per sample.
    /// </summary>
    private static int PadActivations(List<LayerPlan> layers, List<ConvKernelPlan> convKernels, int workspace)
    {
        ConvKernelPlan Kernel(string name) => convKernels.First(k => k.Name == name);
        bool Pointwise(LayerPlan layer) => Kernel(layer.KernelName!).Pointwise || (layer.Narrow is not null && Kernel(layer.Narrow.KernelName).Pointwise);
        bool RowTiled(LayerPlan layer) => Kernel(layer.KernelName!).RowTiled || (layer.Narrow is not null && Kernel(layer.Narrow.KernelName).RowTiled);
        bool Unpadded(LayerPlan layer) => layer.Spec.PaddingHeight == 0 && layer.Spec.PaddingWidth == 0;

        var pads = new (int Height, int Width)[layers.Count];
        for (int i = 0; i < layers.Count - 1; i++)
        {
            LayerPlan producer = layers[i];
            var readers = layers.Where(l => l.Source == i || l.ResidualSource == i).ToList();
            var inputReaders = readers.Where(l => l.Source == i).ToList();
            // Convolutions and windowed pooling write zero-bordered outputs (the pooling through UnfusedKernels.PoolBordered).
            bool windowedPool = producer.Spec.Kind is LayerKind.MaxPool2d or LayerKind.AvgPool2d;
            if ((producer.Spec.Kind != LayerKind.Conv2d && !windowedPool) || producer.BatchStatistics || inputReaders.Count == 0
                || readers.Any(l => l.Spec.Kind != LayerKind.Conv2d || l.BatchStatistics))
            {
                continue;
            }

            // Readers that pad nothing may read the interior of a buffer bordered for the others (ResNet's 1×1 stride-2
            // shortcut next to its 3×3 convolution), if their kernels are channel-tiled: those take any row and plane stride.
            var padded = inputReaders.Where(l => !Unpadded(l)).ToList();
            (int Height, int Width) pad = padded.Count > 0 ? (padded[0].Spec.PaddingHeight, padded[0].Spec.PaddingWidth) : default;
            if (pad == default || padded.Any(l => (l.Spec.PaddingHeight, l.Spec.PaddingWidth) != pad)
                || inputReaders.Any(l => Unpadded(l) && (Pointwise(l) || RowTiled(l)))
                || (!windowedPool && Pointwise(producer)) || readers.Any(l => l.ResidualSource == i && Pointwise(l)))
            {
                continue;
            }

            pads[i] = pad;
        }

        if (pads.All(p => p == default))
        {
            return workspace;
        }

        workspace = 0;
        for (int i = 0; i < layers.Count; i++)
        {
            LayerPlan layer = layers[i];
            (int Height, int Width) outputPad = pads[i], residualPad = layer.ResidualSource >= 0 ? pads[layer.ResidualSource] : default;
            (int Height, int Width) inputBorder = layer.Source >= 0 && Unpadded(layer) ? pads[layer.Source] : default;
            if (layer.Spec.Kind == LayerKind.Conv2d && (outputPad != default || residualPad != default || inputBorder != default))
            {
                (ConvKernelPlan wide, ConvKernelPlan narrow) = Replan(layer, convKernels, outputPad, residualPad, inputBorder, batchRows: false);
                layer = WithKernels(layer, wide, narrow);
            }

            if (outputPad != default)
            {
                layer = layer with { OutputPadHeight = outputPad.Height, OutputPadWidth = outputPad.Width };
            }

            if (layer.WorkspaceOffset >= 0)
            {
                layer = layer with { WorkspaceOffset = workspace };
                workspace += Align(layer.OutputLength);
            }

            layers[i] = layer;
        }

        RemoveUnusedKernels(layers, convKernels); // the plain kernels the padded ones replaced
        return workspace;
    }

    /// <summary>
    /// Runs the rows of every image of a call through one kernel call where a layer's weights outweigh one image's
    /// input (the late layers of a ResNet: 9.4 MB of weights over 7×7 planes). Images one at a time would read every
    /// channel tile's weights again per image, from L3 or memory; with the rows of all images inside each channel tile
    /// they are read once per call while the inputs, small, stay in cache. Only channel-tiled kernels whose input needs
    /// no per-image copy (no padding, or a zero-bordered source) qualify: the other kernel kinds already sweep a
    /// channel's weights once per image over whole planes.
    /// </summary>
    private static void BatchRows(List<LayerPlan> layers, List<ConvKernelPlan> convKernels)
    {
        ConvKernelPlan Kernel(string name) => convKernels.First(k => k.Name == name);
        for (int i = 0; i < layers.Count; i++)
        {
            LayerPlan layer = layers[i];
            if (layer.Spec.Kind != LayerKind.Conv2d || layer.BatchStatistics || layer.KernelName is null)
            {
                continue;
            }

            ConvKernelPlan current = Kernel(layer.KernelName);
            (int Height, int Width) pad = (layer.Spec.PaddingHeight, layer.Spec.PaddingWidth);
            bool sourceReady = pad == default
                || (layer.Source >= 0 && (layers[layer.Source].OutputPadHeight, layers[layer.Source].OutputPadWidth) == pad);
            if (!sourceReady || current.Pointwise || current.RowTiled || (long)current.PackedWeightLength <= current.InputImage)
            {
                continue;
            }

            (int, int) residualPad = layer.ResidualSource >= 0 ? (layers[layer.ResidualSource].OutputPadHeight, layers[layer.ResidualSource].OutputPadWidth) : default;
            (ConvKernelPlan wide, ConvKernelPlan narrow) = Replan(layer, convKernels, (layer.OutputPadHeight, layer.OutputPadWidth), residualPad,
                (current.InputBorderHeight, current.InputBorderWidth), batchRows: true);
            if (wide.BatchRows && narrow.BatchRows)
            {
                layers[i] = WithKernels(layer, wide, narrow);
            }
        }

        RemoveUnusedKernels(layers, convKernels); // the one-image kernels the batched ones replaced
    }

    /// <summary>
    /// Plans a convolution's two kernel variants again for another buffer layout (or batched rows) and adds those not
    /// planned yet.
    /// </summary>
    private static (ConvKernelPlan Wide, ConvKernelPlan Narrow) Replan(LayerPlan layer, List<ConvKernelPlan> convKernels,
        (int Height, int Width) outputPad, (int Height, int Width) residualPad, (int Height, int Width) inputBorder, bool batchRows)
    {
        bool residual = layer.ResidualSource >= 0;
        ConvKernelPlan wide = ConvKernelPlanner.Plan(layer.Spec, layer.Input, layer.Output, residual, layer.Activation,
            outputPad: outputPad, residualPad: residualPad, batchRows: batchRows, inputBorder: inputBorder);
        ConvKernelPlan narrow = ConvKernelPlanner.Plan(layer.Spec, layer.Input, layer.Output, residual, layer.Activation, narrow: true,
            outputPad: outputPad, residualPad: residualPad, batchRows: batchRows, inputBorder: inputBorder);
        foreach (ConvKernelPlan kernel in new[] { wide, narrow })
        {
            if (!convKernels.Any(k => k.Name == kernel.Name))
            {
                convKernels.Add(kernel);
            }
        }

        return (wide, narrow);
    }

    private static LayerPlan WithKernels(LayerPlan layer, ConvKernelPlan wide, ConvKernelPlan narrow)
        => layer with { KernelName = wide.Name, Narrow = layer.Narrow is null ? null : layer.Narrow with { KernelName = narrow.Name } };

    /// <summary>Drops the kernels no layer runs any more (inference or training, either variant).</summary>
    private static void RemoveUnusedKernels(List<LayerPlan> layers, List<ConvKernelPlan> convKernels)
    {
        var used = new HashSet<string>(layers.SelectMany(l => new[] { l.KernelName, l.TrainKernelName, l.Narrow?.KernelName, l.Narrow?.TrainKernelName }).Where(n => n is not null)!);
        convKernels.RemoveAll(k => !used.Contains(k.Name));
    }

    /// <summary>
    /// The largest tensor (per sample) and weight count Fusion plans for: 2²⁶ floats, 256 MiB. Far above any real
    /// layer, and low enough that every offset the generated code computes fits an <see cref="int"/>.
    /// </summary>
    public const int MaxFloatsPerSample = 1 << 26;

    private static readonly ActivationSpec Identity = new(ActivationKind.Identity, 0f, 0f);

    /// <summary>Rounds up to 16 floats (64 bytes) so that every buffer starts on its own cache line.</summary>
    private static int Align(int length) => (length + 15) & ~15;

    private static (BatchNormSpec?, string?, ActivationSpec) CheckPostOps(LayerSpec layer, List<DiagnosticInfo> diagnostics)
    {
        BatchNormSpec? batchNorm = null;
        string? residual = null;
        ActivationSpec? activation = null;
        bool producesValues = layer.Kind is LayerKind.Conv2d or LayerKind.Linear;
        foreach (PostOpSpec op in layer.PostOps)
        {
            if (!producesValues)
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.UnsupportedCombination, op.Location, layer.Name,
                    $"[{layer.Kind}] takes no post-ops; put BatchNorm, residual adds and activations on a [Conv2d] or [Linear] member"));
                continue;
            }

            switch (op.Kind)
            {
                case PostOpKind.BatchNorm:
                    if (residual is not null || activation is not null)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(
                            DiagnosticDescriptors.UnsupportedCombination, op.Location, layer.Name,
                            "BatchNorm must come first among the post-ops (right after the layer), so that it can be folded into the weights"));
                    }

                    batchNorm = op.BatchNorm;
                    CheckBatchNorm(layer, op, diagnostics);
                    break;
                case PostOpKind.Residual:
                    if (activation is not null)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(
                            DiagnosticDescriptors.UnsupportedCombination, op.Location, layer.Name,
                            $"the residual add is written after [{activation.Kind}]; Fusion adds the residual before the activation, as ResNet does: write [Residual] first"));
                    }

                    if (layer.Kind != LayerKind.Conv2d)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(
                            DiagnosticDescriptors.UnsupportedCombination, op.Location, layer.Name, "residual adds are fused into convolutions only"));
                    }

                    residual = op.ResidualFrom;
                    break;
                case PostOpKind.Activation:
                    if (activation is not null)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(
                            DiagnosticDescriptors.UnsupportedCombination, op.Location, layer.Name,
                            $"one activation per layer, but [{activation.Kind}] and [{op.Activation!.Kind}] are both declared"));
                    }

                    activation = op.Activation;
                    CheckActivation(layer, op, diagnostics);
                    break;
            }
        }

        if (batchNorm is not null && layer.Bias)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.RedundantConvBias, layer.LocationOf("Bias"), layer.Name));
        }

        return (batchNorm, residual, activation ?? new ActivationSpec(ActivationKind.Identity, 0f, 0f));
    }

    private static void CheckBatchNorm(LayerSpec layer, PostOpSpec op, List<DiagnosticInfo> diagnostics)
    {
        BatchNormSpec bn = op.BatchNorm!;
        if (!(bn.Epsilon > 0f) || float.IsInfinity(bn.Epsilon))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidBatchNorm, layer.LocationOf("Epsilon", "BatchNorm") ?? op.Location, layer.Name, "Epsilon", "positive and finite", Literal(bn.Epsilon)));
        }

        if (!bn.CumulativeAverage)
        {
            if (!(bn.Momentum >= 0f && bn.Momentum <= 1f))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidBatchNorm, layer.LocationOf("Momentum", "BatchNorm") ?? op.Location, layer.Name, "Momentum", "between 0 and 1", Literal(bn.Momentum)));
            }
            else if (bn.Momentum >= 0.9f && bn.Momentum < 1f)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.KerasMomentum, layer.LocationOf("Momentum", "BatchNorm") ?? op.Location, layer.Name, Literal(bn.Momentum), Literal((float)System.Math.Round(1.0 - bn.Momentum, 6))));
            }
        }

        if (!bn.TrackRunningStats)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UntrackedBatchNorm, layer.LocationOf("TrackRunningStats", "BatchNorm") ?? op.Location, layer.Name));
        }
    }

    private static void CheckActivation(LayerSpec layer, PostOpSpec op, List<DiagnosticInfo> diagnostics)
    {
        ActivationSpec a = op.Activation!;
        string? problem = a.Kind switch
        {
            ActivationKind.Clamp when !(a.Parameter1 <= a.Parameter2) => $"Clamp needs min ≤ max, but min = {Literal(a.Parameter1)} and max = {Literal(a.Parameter2)}",
            ActivationKind.LeakyRelu when float.IsNaN(a.Parameter1) || float.IsInfinity(a.Parameter1) => $"LeakyRelu's negative slope must be finite, but is {Literal(a.Parameter1)}",
            ActivationKind.Elu when float.IsNaN(a.Parameter1) || float.IsInfinity(a.Parameter1) => $"Elu's alpha must be finite, but is {Literal(a.Parameter1)}",
            _ => null,
        };
        if (problem is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidActivation, op.Location, layer.Name, problem));
        }
    }

    private static TensorShape? InferShape(LayerSpec layer, TensorShape input, string sourceName, List<DiagnosticInfo> diagnostics)
    {
        switch (layer.Kind)
        {
            case LayerKind.Conv2d:
            {
                if (input.Flat)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SpatialLayerOnFlatInput, layer.LayerAttributeLocation, layer.Name, "Conv2d", sourceName, input.Channels));
                    return null;
                }

                int before = diagnostics.Count;
                Positive(layer, "OutChannels", layer.OutChannels, diagnostics);
                Positive(layer, layer.KernelHeight == layer.KernelWidth ? "Kernel" : "KernelHeight", layer.KernelHeight, diagnostics);
                if (layer.KernelWidth != layer.KernelHeight)
                {
                    Positive(layer, "KernelWidth", layer.KernelWidth, diagnostics);
                }

                Positive(layer, "Stride", layer.Stride, diagnostics);
                Positive(layer, "Dilation", layer.Dilation, diagnostics);
                Positive(layer, "Groups", layer.Groups, diagnostics);
                NonNegative(layer, layer.PaddingHeight == layer.PaddingWidth ? "Padding" : "PaddingHeight", layer.PaddingHeight, diagnostics);
                if (layer.PaddingWidth != layer.PaddingHeight)
                {
                    NonNegative(layer, "PaddingWidth", layer.PaddingWidth, diagnostics);
                }

                if (diagnostics.Count > before)
                {
                    return null;
                }

                if (layer.InChannels != 0 && layer.InChannels != input.Channels)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ChannelMismatch, layer.LocationOf("InChannels"), layer.Name, layer.InChannels, "channels", sourceName, input.Channels));
                    return null;
                }

                if (input.Channels % layer.Groups != 0 || layer.OutChannels % layer.Groups != 0)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GroupsDoNotDivide, layer.LocationOf("Groups"), layer.Name, layer.Groups, input.Channels, layer.OutChannels));
                    return null;
                }

                int height = OutputSize(input.Height, layer.KernelHeight, layer.Stride, layer.PaddingHeight, layer.Dilation);
                int width = OutputSize(input.Width, layer.KernelWidth, layer.Stride, layer.PaddingWidth, layer.Dilation);
                var output = new TensorShape(layer.OutChannels, height, width, Flat: false);
                if (height <= 0 || width <= 0)
                {
                    string kernel = layer.KernelHeight == layer.KernelWidth ? $"{layer.KernelHeight}" : $"{layer.KernelHeight}×{layer.KernelWidth}";
                    if (layer.Dilation != 1)
                    {
                        kernel += $" (dilation {layer.Dilation})";
                    }

                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.EmptyOutput, layer.LayerAttributeLocation, layer.Name, input, $"{layer.OutChannels}×{height}×{width}", kernel, layer.Stride, layer.PaddingHeight == layer.PaddingWidth ? $"{layer.PaddingHeight}" : $"{layer.PaddingHeight}×{layer.PaddingWidth}"));
                    return null;
                }

                return output;
            }

            case LayerKind.Linear:
            {
                if (!Positive(layer, "OutFeatures", layer.OutChannels, diagnostics))
                {
                    return null;
                }

                if (layer.InChannels != 0 && layer.InChannels != input.Length)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ChannelMismatch, layer.LocationOf("InFeatures"), layer.Name, layer.InChannels, "features", sourceName, input.Length));
                    return null;
                }

                return new TensorShape(layer.OutChannels, 1, 1, Flat: true);
            }

            case LayerKind.MaxPool2d:
            case LayerKind.AvgPool2d:
            {
                string attribute = layer.Kind == LayerKind.MaxPool2d ? "MaxPool2d" : "AvgPool2d";
                if (input.Flat)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SpatialLayerOnFlatInput, layer.LayerAttributeLocation, layer.Name, attribute, sourceName, input.Channels));
                    return null;
                }

                int before = diagnostics.Count;
                Positive(layer, "Kernel", layer.KernelHeight, diagnostics);
                Positive(layer, "Stride", layer.Stride, diagnostics);
                NonNegative(layer, "Padding", layer.PaddingHeight, diagnostics);
                if (diagnostics.Count > before)
                {
                    return null;
                }

                if (layer.PaddingHeight * 2 > layer.KernelHeight)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidHyperparameter, layer.LocationOf("Padding"), layer.Name, "Padding", $"at most half the kernel ({layer.KernelHeight / 2})", layer.PaddingHeight));
                    return null;
                }

                int height = OutputSize(input.Height, layer.KernelHeight, layer.Stride, layer.PaddingHeight, 1);
                int width = OutputSize(input.Width, layer.KernelWidth, layer.Stride, layer.PaddingWidth, 1);
                if (height <= 0 || width <= 0)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.EmptyOutput, layer.LayerAttributeLocation, layer.Name, input, $"{input.Channels}×{height}×{width}", layer.KernelHeight, layer.Stride, layer.PaddingHeight));
                    return null;
                }

                return new TensorShape(input.Channels, height, width, Flat: false);
            }

            case LayerKind.GlobalAvgPool:
                if (input.Flat)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SpatialLayerOnFlatInput, layer.LayerAttributeLocation, layer.Name, "GlobalAvgPool", sourceName, input.Channels));
                    return null;
                }

                return new TensorShape(input.Channels, 1, 1, Flat: false);

            default:
                return new TensorShape(input.Length, 1, 1, Flat: true);
        }
    }

    /// <summary>PyTorch's ⌊(in + 2p − d(k − 1) − 1)/s⌋ + 1, as a floor also for negative numerators.</summary>
    public static int OutputSize(int input, int kernel, int stride, int padding, int dilation)
    {
        long numerator = input + 2L * padding - (long)dilation * (kernel - 1) - 1;
        return numerator < 0 ? 0 : (int)System.Math.Min(numerator / stride + 1, int.MaxValue);
    }

    private static bool Positive(LayerSpec layer, string argument, int value, List<DiagnosticInfo> diagnostics)
    {
        if (value > 0)
        {
            return true;
        }

        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidHyperparameter, layer.LocationOf(argument), layer.Name, argument, "positive", value));
        return false;
    }

    private static void NonNegative(LayerSpec layer, string argument, int value, List<DiagnosticInfo> diagnostics)
    {
        if (value < 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidHyperparameter, layer.LocationOf(argument), layer.Name, argument, "zero or positive", value));
        }
    }

    private static string Literal(float value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
