using System;
using System.IO;
using System.Linq;
using System.Text;
using Fusion.IO;
using Fusion.Samples;
using Fusion.Tests.Cases;
using Xunit;

namespace Fusion.Tests;

/// <summary>safetensors checkpoints: PyTorch names, bit-exact round trips, atomic saves, and loads that change nothing on error.</summary>
public sealed class CheckpointTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fusion-checkpoints-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static float[][] Snapshot(IFusedModel model) => model.StateDict().Select(t => t.Data.ToArray()).ToArray();

    [Fact]
    public void Round_trip_is_bit_exact_and_keeps_num_batches_tracked()
    {
        IFusedModel source = ModelHarness.Create(typeof(TinyNetForTests), seed: 3);
        source.BatchNorms().First().NumBatchesTracked = 1234;
        string path = Path.Combine(_folder, "tiny.safetensors");
        Checkpoint.Save(source, path);

        IFusedModel target = new TinyNetForTests(seed: 99);
        Checkpoint.Load(target, path);

        Assert.Equal(Snapshot(source).SelectMany(t => t).Select(BitConverter.SingleToInt32Bits), Snapshot(target).SelectMany(t => t).Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(1234, target.BatchNorms().First().NumBatchesTracked);
        float[] input = ModelHarness.RandomInput(source, 2, seed: 1);
        float[] a = new float[20], b = new float[20];
        source.Forward(input, a, 2);
        target.Forward(input, b, 2);
        Assert.Equal(a, b);
    }


    [Fact]
    public void File_has_PyTorch_names_dtypes_and_shapes()
    {
        IFusedModel model = new ResidualBlock();
        string path = Path.Combine(_folder, "names.safetensors");
        Checkpoint.Save(model, path);
        var tensors = SafeTensorsFile.Read(File.ReadAllBytes(path)).ToDictionary(t => t.Name);
        Assert.Equal("F32", tensors["a.conv.weight"].DType);
        Assert.Equal(new long[] { 24, 8, 3, 3 }, tensors["a.conv.weight"].Shape);
        Assert.Equal("I64", tensors["a.bn.num_batches_tracked"].DType);
        Assert.Empty(tensors["a.bn.num_batches_tracked"].Shape);
        Assert.Equal(
            new[] { "a.conv.weight", "a.bn.weight", "a.bn.bias", "a.bn.running_mean", "a.bn.running_var", "a.bn.num_batches_tracked", "b.conv.weight" },
            tensors.Keys.Take(7));
    }

    [Fact]
    public void A_file_written_by_hand_to_the_specification_loads()
    {
        // What safetensors.torch.save_file writes for {"w": tensor([[1., 2.]]), "n": tensor(7)}: built byte by byte here.
        string header = "{\"n\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]},\"w\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[8,16]}}";
        byte[] headerBytes = Encoding.UTF8.GetBytes(header);
        byte[] file = [.. BitConverter.GetBytes((ulong)headerBytes.Length), .. headerBytes, .. BitConverter.GetBytes(7L), .. BitConverter.GetBytes(1f), .. BitConverter.GetBytes(2f)];
        var tensors = SafeTensorsFile.Read(file).ToDictionary(t => t.Name);
        Assert.Equal(7L, BitConverter.ToInt64(tensors["n"].Data));
        Assert.Equal(new[] { 1f, 2f }, new[] { BitConverter.ToSingle(tensors["w"].Data, 0), BitConverter.ToSingle(tensors["w"].Data, 4) });
    }

    [Fact]
    public void Truncated_file_is_a_named_error_and_changes_nothing()
    {
        IFusedModel model = ModelHarness.Create(typeof(ResidualBlock), seed: 5);
        string path = Path.Combine(_folder, "truncated.safetensors");
        Checkpoint.Save(new ResidualBlock(seed: 6), path);
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^10]);
        float[][] before = Snapshot(model);

        var error = Assert.Throws<CheckpointException>(() => Checkpoint.Load(model, path));

        Assert.Contains("truncated", error.Message);
        Assert.Contains("nothing was changed", error.Message);
        Assert.Equal(before, Snapshot(model));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(8)]
    [InlineData(12)]
    public void Corrupted_header_is_a_named_error_and_changes_nothing(int at)
    {
        IFusedModel model = ModelHarness.Create(typeof(ResidualBlock), seed: 5);
        string path = Path.Combine(_folder, "corrupt.safetensors");
        Checkpoint.Save(new ResidualBlock(seed: 6), path);
        byte[] bytes = File.ReadAllBytes(path);
        bytes[at] ^= 0x5A;
        File.WriteAllBytes(path, bytes);
        float[][] before = Snapshot(model);

        var error = Assert.Throws<CheckpointException>(() => Checkpoint.Load(model, path));

        Assert.Contains("not a valid safetensors file", error.Message);
        Assert.Equal(before, Snapshot(model));
    }

    [Fact]
    public void Every_name_and_shape_mismatch_is_reported_at_once()
    {
        string path = Path.Combine(_folder, "other.safetensors");
        Checkpoint.Save(new ProjectionShortcut(), path);
        IFusedModel model = ModelHarness.Create(typeof(ResidualBlock), seed: 5);
        float[][] before = Snapshot(model);

        var error = Assert.Throws<CheckpointException>(() => Checkpoint.Load(model, path));

        Assert.Contains(error.Problems, p => p.StartsWith("missing 'a.conv.weight'", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("unexpected 'conv1.conv.weight'", StringComparison.Ordinal));
        Assert.True(error.Problems.Count >= 10);
        Assert.Equal(before, Snapshot(model));

        // Same names, other shapes: ActIdentity and ActSilu share names and shapes, C1to1 differs in shape.
        string shapes = Path.Combine(_folder, "shapes.safetensors");
        Checkpoint.Save(new C1to1K3S1P0(), shapes);
        var shapeError = Assert.Throws<CheckpointException>(() => Checkpoint.Load(new C6to9K3x1(), shapes));
        Assert.Contains(shapeError.Problems, p => p.Contains("'conv.conv.weight' has shape [1, 1, 3, 3], expected [9, 6, 3, 1]", StringComparison.Ordinal));
    }

    [Fact]
    public void Saving_over_a_checkpoint_replaces_it_whole_and_leaves_no_temporary_file()
    {
        string path = Path.Combine(_folder, "model.safetensors");
        Checkpoint.Save(new ResidualBlock(seed: 1), path);
        Checkpoint.Save(new ResidualBlock(seed: 2), path);
        Assert.Single(Directory.GetFiles(_folder));
        var model = new ResidualBlock(seed: 3);
        Checkpoint.Load(model, path);
        Assert.Equal(new ResidualBlock(seed: 2).A.Conv.Weight.Data.ToArray(), model.A.Conv.Weight.Data.ToArray());
    }

    [Fact]
    public void Missing_file_is_a_file_not_found_error()
        => Assert.Throws<FileNotFoundException>(() => Checkpoint.Load(new ResidualBlock(), Path.Combine(_folder, "absent.safetensors")));
}
