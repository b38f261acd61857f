using System.Linq;
using Fusion.Generator.Model;

namespace Fusion.Generator.Emitting;

/// <summary>
/// <see cref="ModelPlan"/> → the model's training members: <c>Train</c>/<c>Eval</c>, the training-mode forward
/// pass (generated convolutions that measure the batch in their epilogue, then one pass that normalises, adds the
/// residual and activates, keeping the convolution's output z and each channel's μ and 1/σ), and <c>Backward</c>, layer by layer in reverse with the constants of each.
/// </summary>
internal static class TrainingEmitter
{
    private static string Name(LayerSpec layer) => char.ToLowerInvariant(layer.Name[0]) + layer.Name.Substring(1);

    private static string Field(LayerSpec layer) => "_" + Name(layer);

    private static bool HasWeights(LayerPlan layer) => layer.Spec.Kind is LayerKind.Conv2d or LayerKind.Linear;

    public static void EmitFields(SourceWriter w, ModelPlan model)
    {
        w.Line();
        w.Line("// Training: the layers' own (unfolded) weights packed for the training kernels, and per-layer state.");
        w.Line($"private readonly float[] _trainPacked = global::Fusion.Kernels.Alignment.NewPinned({System.Math.Max(model.TrainPackedLength, 1)});");
        w.Line("private long _trainPackedAt = -1;");
        w.Line("private bool _training;");
        w.Line("private float[] _trainState = global::System.Array.Empty<float>(); // per layer: output, kept (the convolution's z), gradient, a padding convolution's padded input; batch × TrainPerSample");
        w.Line("private int _cachedBatch;");
        if (PaddedFeeds(model).Count > 0)
        {
            w.Line("private int _trainPaddedBatch; // the batch size whose padded inputs the layers before them fill (their borders are zero)");
        }

        w.Line($"private const int TrainPerSample = {model.TrainPerSample};");
        foreach (LayerPlan layer in model.Layers.Where(l => l.BatchNorm is not null))
        {
            w.Line($"private readonly global::Fusion.Normalization.ChannelStatistics[] {Field(layer.Spec)}Statistics = new global::Fusion.Normalization.ChannelStatistics[{layer.Output.Channels}];");
            w.Line($"private readonly float[] {Field(layer.Spec)}Mean = new float[{layer.Output.Channels}];");
            w.Line($"private readonly float[] {Field(layer.Spec)}InverseStd = new float[{layer.Output.Channels}];");
            w.Line($"private bool {Field(layer.Spec)}BatchStatistics;");
        }
    }

    public static void EmitModes(SourceWriter w)
    {
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line("public bool IsTraining => _training;");
        w.Line();
        w.Line("/// <summary>Training mode (PyTorch's <c>model.train()</c>): <see cref=\"Forward\"/> uses batch statistics, updates the running ones and keeps what <see cref=\"Backward\"/> needs.</summary>");
        w.Line("public void Train() => _training = true;");
        w.Line();
        w.Line("/// <summary>Inference mode (PyTorch's <c>model.eval()</c>): <see cref=\"Forward\"/> runs the folded, fused kernels.</summary>");
        w.Line("public void Eval() => _training = false;");
    }

    public static void EmitForwardTraining(SourceWriter w, ModelPlan model)
    {
        w.Line();
        w.Line("// The training-mode forward pass. Single-threaded by contract: it keeps this batch's activations for Backward.");
        using (w.Block("private unsafe void ForwardTraining(global::System.ReadOnlySpan<float> input, global::System.Span<float> output, int batch)"))
        {
            System.Collections.Generic.Dictionary<int, int> feeds = PaddedFeeds(model);
            w.Line("if (_trainState.Length < batch * TrainPerSample)");
            w.Line("{");
            w.Line("    _trainState = global::System.GC.AllocateArray<float>(batch * TrainPerSample, pinned: true);");
            if (feeds.Count > 0)
            {
                w.Line("    _trainPaddedBatch = 0;");
            }

            w.Line("}");
            w.Line();
            if (feeds.Count > 0)
            {
                w.Line("if (_trainPaddedBatch != batch)");
                w.Line("{");
                w.Line("    // Padded inputs that the layer before them writes (interiors only): their borders move with the batch size.");
                foreach (int consumer in feeds.Values.OrderBy(v => v))
                {
                    LayerPlan r = model.Layers[consumer];
                    w.Line($"    new global::System.Span<float>(_trainState, batch * {r.Training.PaddedInput}, batch * {r.Training.PaddedInputLength}).Clear();");
                }

                w.Line("    _trainPaddedBatch = batch;");
                w.Line("}");
                w.Line();
            }

            w.Line("long version = _changes.Value;");
            w.Line("if (_trainPackedAt != version)");
            w.Line("{");
            w.Line("    int origin = global::Fusion.Kernels.Alignment.Origin(_trainPacked);");
            foreach (LayerPlan layer in model.Layers.Where(HasWeights))
            {
                string weights = $"new global::System.Span<float>(_trainPacked, origin + {layer.TrainPackedWeightOffset}, {layer.PackedWeightLength})";
                string bias = $"new global::System.Span<float>(_trainPacked, origin + {layer.TrainPackedBiasOffset}, {layer.PackedBiasLength})";
                w.Line(layer.Spec.Kind == LayerKind.Conv2d
                    ? $"    global::Fusion.Kernels.Folding.PackConv({Field(layer.Spec)}, tileVectors: {ModelEmitter.TileVectors(layer)}, {weights}, {bias}, foldBatchNorm: false);"
                    : $"    global::Fusion.Kernels.Folding.FoldLinear({Field(layer.Spec)}, {weights}, {bias}, foldBatchNorm: false);");
            }

            w.Line("    _trainPackedAt = version;");
            w.Line("}");
            w.Line();
            w.Line("fixed (float* ts = _trainState)");
            w.Line("fixed (float* tpArray = _trainPacked)");
            using (w.Open())
            {
                w.Line("float* tp = global::Fusion.Kernels.Alignment.Align(tpArray);");
                w.Line($"float* x = ts + batch * {model.TrainInputOffset};");
                w.Line("input.CopyTo(new global::System.Span<float>(x, batch * InputLength));");
                for (int i = 0; i < model.Layers.Count; i++)
                {
                    EmitLayerForward(w, model, i, feeds);
                }

                LayerPlan last = model.Layers[model.Layers.Count - 1];
                w.Line();
                w.Line($"new global::System.ReadOnlySpan<float>(ts + batch * {last.Training.Output}, batch * OutputLength).CopyTo(output);");
            }

            w.Line("_cachedBatch = batch;");
        }
    }

    private static string Output(LayerPlan layer) => $"ts + batch * {layer.Training.Output}";

    private static string SourcePointer(ModelPlan model, LayerPlan layer) => layer.Source < 0 ? "x" : Output(model.Layers[layer.Source]);

    private static string Span(string pointer, string length) => $"new global::System.Span<float>({pointer}, {length})";

    /// <summary>
    /// Producer → consumer: a layer whose normalising pass also writes its output into the zero-padded input that a
    /// padding convolution reading it keeps (the first such reader), so that convolution copies nothing.
    /// </summary>
    private static System.Collections.Generic.Dictionary<int, int> PaddedFeeds(ModelPlan model)
    {
        var feeds = new System.Collections.Generic.Dictionary<int, int>();
        for (int i = 0; i < model.Layers.Count; i++)
        {
            LayerPlan reader = model.Layers[i];
            if (reader.Spec.Kind == LayerKind.Conv2d && reader.Training.PaddedInput >= 0 && reader.Source >= 0
                && HasWeights(model.Layers[reader.Source]) && !feeds.ContainsKey(reader.Source))
            {
                feeds[reader.Source] = i;
            }
        }

        return feeds;
    }

    /// <summary>
    /// True when the convolution fed the padded copy of a layer's output is all that reads it: no other layer takes it
    /// as input or residual and it is not the model's output (that convolution's backward reads the padded copy too).
    /// </summary>
    private static bool OnlyPaddedReader(ModelPlan model, int producer, int consumer)
    {
        if (producer == model.Layers.Count - 1)
        {
            return false;
        }

        for (int i = 0; i < model.Layers.Count; i++)
        {
            LayerPlan reader = model.Layers[i];
            if ((reader.Source == producer && i != consumer) || reader.ResidualSource == producer)
            {
                return false;
            }
        }

        return true;
    }

    private static void EmitLayerForward(SourceWriter w, ModelPlan model, int index, System.Collections.Generic.Dictionary<int, int> feeds)
    {
        LayerPlan layer = model.Layers[index];
        LayerSpec s = layer.Spec;
        int inLength = layer.Input.Length, outLength = layer.Output.Length, plane = layer.Output.Height * layer.Output.Width;
        string source = SourcePointer(model, layer);
        w.Line();
        w.Line($"// {index + 1}. {s.Name}: {ModelEmitter.LayerSummary(model, layer).Replace("BatchNorm (folded)", "BatchNorm (batch statistics)")}");
        using (w.Open())
        {
            w.Line($"float* y = {Output(layer)};");
            switch (s.Kind)
            {
                case LayerKind.Conv2d:
                case LayerKind.Linear:
                {
                    w.Line($"float* kept = ts + batch * {layer.Training.Kept};");
                    bool hasBatchNorm = layer.BatchNorm is not null;
                    if (hasBatchNorm)
                    {
                        w.Line($"global::System.Array.Clear({Field(s)}Statistics);");
                    }

                    if (s.Kind == LayerKind.Conv2d)
                    {
                        bool pad = s.PaddingHeight > 0 || s.PaddingWidth > 0;
                        bool narrowStatistics = layer.Narrow?.TrainKernelStatistics ?? layer.TrainKernelStatistics;
                        bool fed = pad && feeds.TryGetValue(layer.Source, out int reader) && reader == index;
                        if (pad)
                        {
                            w.Line(fed
                                ? $"float* padded = ts + batch * {layer.Training.PaddedInput}; // zero-padded by {model.Layers[layer.Source].Spec.Name}'s pass, kept for the weight gradient"
                                : $"float* padded = ts + batch * {layer.Training.PaddedInput}; // kept zero-padded for the weight gradient");
                        }

                        if (layer.TrainKernelStatistics || narrowStatistics)
                        {
                            w.Line($"fixed (global::Fusion.Normalization.ChannelStatistics* st = {Field(s)}Statistics)");
                        }

                        using (w.Block("for (int n = 0; n < batch; n++)"))
                        {
                            if (pad && !fed)
                            {
                                w.Line($"global::Fusion.Kernels.Padding.Copy({source} + n * {inLength}, padded + n * {layer.Training.PaddedInputLength}, {layer.Input.Channels}, {layer.Input.Height}, {layer.Input.Width}, {s.PaddingHeight}, {s.PaddingWidth});");
                            }

                            string arguments = $"({(pad ? $"padded + n * {layer.Training.PaddedInputLength}" : $"{source} + n * {inLength}")}, kept + n * {outLength}, tp + {layer.TrainPackedWeightOffset}, tp + {layer.TrainPackedBiasOffset}";
                            string rows = $", 0, {layer.Output.Height});";
                            ModelEmitter.VariantCall(w,
                                layer.TrainKernelName + arguments + (layer.TrainKernelStatistics ? ", st" : "") + rows,
                                layer.Narrow is null ? null : layer.Narrow.TrainKernelName + arguments + (narrowStatistics ? ", st" : "") + rows);
                        }

                        if (hasBatchNorm && layer.TrainKernelStatistics != narrowStatistics)
                        {
                            w.Line($"if ((_variant == global::Fusion.Kernels.KernelVariant.Wide) != {(layer.TrainKernelStatistics ? "true" : "false")})");
                            w.Line("{");
                            w.Line($"    global::Fusion.Kernels.BatchStatistics.Accumulate({Span("kept", $"batch * {outLength}")}, batch, {layer.Output.Channels}, {plane}, {Field(s)}Statistics);");
                            w.Line("}");
                        }
                    }
                    else
                    {
                        using (w.Block("for (int n = 0; n < batch; n++)"))
                        {
                            w.Line($"{layer.TrainKernelName}({source} + n * {inLength}, kept + n * {outLength}, tp + {layer.TrainPackedWeightOffset}, tp + {layer.TrainPackedBiasOffset});");
                        }
                    }

                    if (hasBatchNorm && !layer.TrainKernelStatistics && !(layer.Narrow?.TrainKernelStatistics ?? false))
                    {
                        w.Line($"global::Fusion.Kernels.BatchStatistics.Accumulate({Span("kept", $"batch * {outLength}")}, batch, {layer.Output.Channels}, {plane}, {Field(s)}Statistics);");
                    }

                    string residual = layer.ResidualSource >= 0 ? $"new global::System.ReadOnlySpan<float>({Output(model.Layers[layer.ResidualSource])}, batch * {outLength})" : "default";
                    string batchNorm = hasBatchNorm ? $"{Field(s)}.BatchNorm" : "null";
                    if (hasBatchNorm)
                    {
                        w.Line($"{Field(s)}BatchStatistics = !{Field(s)}.BatchNorm!.TrackRunningStats || !{Field(s)}.BatchNorm!.Frozen;");
                    }

                    string statisticsSpan = hasBatchNorm ? $"{Field(s)}Statistics" : "default";
                    string normalization = hasBatchNorm ? $"{Field(s)}Mean, {Field(s)}InverseStd" : "default, default";
                    string batchStatistics = hasBatchNorm ? $"{Field(s)}BatchStatistics" : "false";
                    string paddedCopy = "", output = Span("y", $"batch * {outLength}");
                    if (feeds.TryGetValue(index, out int consumer))
                    {
                        LayerPlan r = model.Layers[consumer];
                        paddedCopy = $", paddedCopy: {Span($"ts + batch * {r.Training.PaddedInput}", $"batch * {r.Training.PaddedInputLength}")}, width: {layer.Output.Width}, padHeight: {r.Spec.PaddingHeight}, padWidth: {r.Spec.PaddingWidth}";
                        if (OnlyPaddedReader(model, index, consumer))
                        {
                            output = "default";
                            w.Line($"// y is not written: {model.Layers[consumer].Spec.Name}'s zero-padded input, written here, is all that reads this output (forward and backward).");
                        }
                    }

                    w.Line($"global::Fusion.Training.TrainingKernels.NormalizeAddActivate({Span("kept", $"batch * {outLength}")}, {output}, {residual}, {batchNorm}, {statisticsSpan}, {normalization}, {batchStatistics}, batch, {layer.Output.Channels}, {plane}, {Describe.ActivationOperator(layer.Activation)}{paddedCopy});");
                    if (layer.BatchNorm is { TrackRunningStats: true })
                    {
                        w.Line($"if ({Field(s)}BatchStatistics)");
                        w.Line("{");
                        w.Line($"    {Field(s)}.BatchNorm!.CommitBatch({Field(s)}Statistics);");
                        w.Line("}");
                    }

                    break;
                }

                case LayerKind.Flatten:
                    w.Line($"new global::System.ReadOnlySpan<float>({source}, batch * {outLength}).CopyTo({Span("y", $"batch * {outLength}")});");
                    break;
                case LayerKind.GlobalAvgPool:
                    // The inference pass's generated kernel (vector sums of each plane), image by image.
                    using (w.Block("for (int n = 0; n < batch; n++)"))
                    {
                        w.Line($"{ModelEmitter.GlobalAveragePoolName(layer.Input)}({source} + n * {inLength}, y + n * {outLength});");
                    }

                    break;
                default:
                    w.Line($"global::Fusion.Kernels.UnfusedKernels.Pool(new global::System.ReadOnlySpan<float>({source}, batch * {inLength}), {Field(s)}, {Span("y", $"batch * {outLength}")}, batch, {layer.Input.Channels}, {layer.Input.Height}, {layer.Input.Width});");
                    break;
            }
        }
    }

    public static void EmitBackward(SourceWriter w, ModelPlan model)
    {
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Backpropagates ∂L/∂output through the last training-mode <see cref=\"Forward\"/>, adding each learned parameter's");
        w.Line("/// gradient to its <see cref=\"global::Fusion.Parameter.Gradient\"/> (zero them with an optimiser's <c>ZeroGrad</c>).");
        w.Line("/// </summary>");
        w.Line("/// <exception cref=\"global::System.InvalidOperationException\">No training-mode forward pass to go back through.</exception>");
        w.Line("/// <exception cref=\"global::System.ArgumentException\">The gradient does not hold that pass's batch of outputs.</exception>");
        using (w.Block("public unsafe void Backward(global::System.ReadOnlySpan<float> outputGradient)"))
        {
            w.Line("int batch = _cachedBatch;");
            w.Line("if (batch == 0)");
            w.Line("{");
            w.Line($"    throw new global::System.InvalidOperationException({Literals.String($"{model.ClassName}.Backward needs a training-mode Forward first: call Train(), then Forward.")});");
            w.Line("}");
            w.Line();
            w.Line("if (outputGradient.Length != batch * OutputLength)");
            w.Line("{");
            w.Line($"    throw new global::System.ArgumentException($\"{model.ClassName}.Backward expected {{batch * OutputLength}} gradients (batch {{batch}} × {{OutputLength}}), but the span holds {{outputGradient.Length}}.\", nameof(outputGradient));");
            w.Line("}");
            w.Line();
            w.Line("fixed (float* ts = _trainState)");
            using (w.Open())
            {
                w.Line($"float* x = ts + batch * {model.TrainInputOffset};");
                LayerPlan last = model.Layers[model.Layers.Count - 1];
                w.Line($"outputGradient.CopyTo({Span($"ts + batch * {last.Training.Gradient}", "batch * OutputLength")});");

                // Gradient buffers are not cleared up front: the first contribution to each (in this reverse order) is
                // written over it, later ones added; a buffer whose first writer can only add is cleared just before.
                var written = new System.Collections.Generic.HashSet<int> { model.Layers.Count - 1 };
                for (int i = model.Layers.Count - 1; i >= 0; i--)
                {
                    EmitLayerBackward(w, model, i, written);
                }
            }
        }
    }

    private static void EmitLayerBackward(SourceWriter w, ModelPlan model, int index, System.Collections.Generic.HashSet<int> written)
    {
        LayerPlan layer = model.Layers[index];
        LayerSpec s = layer.Spec;
        int inLength = layer.Input.Length, outLength = layer.Output.Length, plane = layer.Output.Height * layer.Output.Width;
        string source = $"new global::System.ReadOnlySpan<float>({SourcePointer(model, layer)}, batch * {inLength})";
        string sourceGradient = layer.Source < 0 ? "default" : Span($"ts + batch * {model.Layers[layer.Source].Training.Gradient}", $"batch * {inLength}");
        string gradient = Span($"ts + batch * {layer.Training.Gradient}", $"batch * {outLength}");
        w.Line();
        w.Line($"// {index + 1}. {s.Name}, backward");

        // True when this is the first contribution to layer j's gradient (so it may be written rather than added).
        bool First(int j) => j >= 0 && written.Add(j);
        if (First(index))
        {
            // No later layer reads this one's output: its gradient is zero.
            w.Line($"{gradient}.Clear();");
        }

        void ClearIfFirst(int j, string span)
        {
            if (First(j))
            {
                w.Line($"{span}.Clear();");
            }
        }

        switch (s.Kind)
        {
            case LayerKind.Conv2d:
            case LayerKind.Linear:
            {
                bool hasBatchNorm = layer.BatchNorm is not null;
                string residual = layer.ResidualSource >= 0 ? $"new global::System.ReadOnlySpan<float>({Output(model.Layers[layer.ResidualSource])}, batch * {outLength})" : "default";
                string residualGradient = layer.ResidualSource >= 0 ? Span($"ts + batch * {model.Layers[layer.ResidualSource].Training.Gradient}", $"batch * {outLength}") : "default";
                string storeResidual = First(layer.ResidualSource) ? ", accumulateResidualGradient: false" : "";
                w.Line($"global::Fusion.Training.TrainingKernels.NormalizeAddActivateBackward(new global::System.ReadOnlySpan<float>(ts + batch * {layer.Training.Kept}, batch * {outLength}), {gradient}, {residual}, {residualGradient}, {(hasBatchNorm ? $"{Field(s)}.BatchNorm" : "null")}, {(hasBatchNorm ? $"{Field(s)}Mean, {Field(s)}InverseStd" : "default, default")}, {(hasBatchNorm ? $"{Field(s)}BatchStatistics" : "false")}, batch, {layer.Output.Channels}, {plane}, {Describe.ActivationOperator(layer.Activation)}{storeResidual});");
                if (s.Kind == LayerKind.Conv2d)
                {
                    string storeInput = First(layer.Source) ? ", accumulate: false" : "";
                    string paddedInput = layer.Training.PaddedInput >= 0
                        ? $", paddedInput: new global::System.ReadOnlySpan<float>(ts + batch * {layer.Training.PaddedInput}, batch * {layer.Training.PaddedInputLength})"
                        : "";
                    w.Line($"global::Fusion.Training.TrainingKernels.ConvolutionBackward({source}, {gradient}, {Field(s)}.Conv, {sourceGradient}, batch, {layer.Input.Height}, {layer.Input.Width}{storeInput}{paddedInput});");
                }
                else
                {
                    ClearIfFirst(layer.Source, sourceGradient);
                    w.Line($"global::Fusion.Training.TrainingKernels.LinearBackward({source}, {gradient}, {Field(s)}.Linear, {sourceGradient}, batch);");
                }

                break;
            }

            case LayerKind.Flatten:
                if (layer.Source >= 0)
                {
                    w.Line(First(layer.Source)
                        ? $"{gradient}.CopyTo({sourceGradient});"
                        : $"global::Fusion.Kernels.UnfusedKernels.Add({sourceGradient}, {gradient});");
                }

                break;
            default:
                if (layer.Source >= 0)
                {
                    string storePool = First(layer.Source) ? ", accumulate: false" : "";
                    w.Line($"global::Fusion.Training.TrainingKernels.PoolBackward({source}, {gradient}, {Field(s)}, {sourceGradient}, batch, {layer.Input.Channels}, {layer.Input.Height}, {layer.Input.Width}{storePool});");
                }

                break;
        }
    }
}
