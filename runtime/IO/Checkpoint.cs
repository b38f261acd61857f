using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;

namespace Fusion.IO;

/// <summary>A checkpoint that cannot be loaded into a model; <see cref="Problems"/> names every mismatch found.</summary>
public sealed class CheckpointException(string path, IReadOnlyList<string> problems)
    : Exception($"Checkpoint '{path}' does not fit the model; nothing was changed. {problems.Count} problem{(problems.Count == 1 ? "" : "s")}:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", problems)}")
{
    /// <summary>The file.</summary>
    public string Path { get; } = path;

    /// <summary>Every problem, one line each.</summary>
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>
/// Saves and loads a model's <c>state_dict</c> as safetensors, with PyTorch's names, dtypes and shapes: float
/// tensors as <c>F32</c>, each BatchNorm's <c>num_batches_tracked</c> as a scalar <c>I64</c>. A file saved here opens
/// with <c>safetensors.torch.load_file</c>, and a PyTorch <c>state_dict</c> saved with <c>save_file</c> loads here.
/// </summary>
public static class Checkpoint
{
    /// <summary>
    /// Writes the model's state to <paramref name="path"/> atomically: to a temporary file beside it, flushed to
    /// disk, then renamed over the target, so that a crash mid-save leaves the previous checkpoint intact.
    /// </summary>
    public static void Save(IFusedModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = System.IO.Path.GetFullPath(path);
        string temporary = full + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                SafeTensorsFile.Write(stream, Tensors(model).ToArray(), new Dictionary<string, string> { ["format"] = "pt", ["producer"] = "Fusion" });
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    /// <summary>
    /// Loads <paramref name="path"/> into the model. Every name, dtype and shape is checked first and every
    /// mismatch reported together; the model is changed only when all of them fit.
    /// </summary>
    /// <exception cref="CheckpointException">The file is not valid safetensors, or does not fit the model.</exception>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    public static void Load(IFusedModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        byte[] bytes = File.ReadAllBytes(path);
        IReadOnlyList<SafeTensor> tensors;
        try
        {
            tensors = SafeTensorsFile.Read(bytes);
        }
        catch (SafeTensorsFormatException exception)
        {
            throw new CheckpointException(path, [$"not a valid safetensors file: {exception.Message}"]);
        }

        var byName = new Dictionary<string, SafeTensor>(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (SafeTensor tensor in tensors)
        {
            byName[tensor.Name] = tensor;
        }

        var expected = Tensors(model).ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (SafeTensor want in expected.Values)
        {
            if (!byName.TryGetValue(want.Name, out SafeTensor? have))
            {
                problems.Add($"missing '{want.Name}' ({want.DType} [{string.Join(", ", want.Shape)}])");
            }
            else if (have.DType != want.DType)
            {
                problems.Add($"'{want.Name}' is {have.DType}, expected {want.DType}");
            }
            else if (!have.Shape.SequenceEqual(want.Shape))
            {
                problems.Add($"'{want.Name}' has shape [{string.Join(", ", have.Shape)}], expected [{string.Join(", ", want.Shape)}]");
            }
        }

        foreach (string name in byName.Keys.Where(n => !expected.ContainsKey(n)).OrderBy(n => n, StringComparer.Ordinal))
        {
            problems.Add($"unexpected '{name}': the model has no tensor of that name");
        }

        if (problems.Count > 0)
        {
            throw new CheckpointException(path, problems);
        }

        // Everything fits: only now is the model changed.
        foreach (Parameter parameter in model.StateDict())
        {
            parameter.CopyFrom(MemoryMarshal.Cast<byte, float>(byName[parameter.Name].Data));
        }

        foreach (BatchNorm batchNorm in BatchNorms(model))
        {
            batchNorm.NumBatchesTracked = BitConverter.ToInt64(byName[batchNorm.Prefix + ".num_batches_tracked"].Data);
        }
    }

    /// <summary>The model's state as safetensors tensors, in <c>state_dict</c> order.</summary>
    public static IEnumerable<SafeTensor> Tensors(IFusedModel model)
    {
        var tracked = BatchNorms(model).ToDictionary(b => b.Prefix + ".running_var", b => b);
        foreach (Parameter parameter in model.StateDict())
        {
            byte[] data = MemoryMarshal.AsBytes(parameter.Data).ToArray();
            yield return new SafeTensor(parameter.Name, "F32", parameter.Shape.ToArray().Select(d => (long)d).ToArray(), data);
            if (tracked.TryGetValue(parameter.Name, out BatchNorm? batchNorm))
            {
                yield return new SafeTensor(batchNorm.Prefix + ".num_batches_tracked", "I64", [], BitConverter.GetBytes(batchNorm.NumBatchesTracked));
            }
        }
    }

    private static IEnumerable<BatchNorm> BatchNorms(IFusedModel model) => model.BatchNorms().Where(b => b.TrackRunningStats);
}
