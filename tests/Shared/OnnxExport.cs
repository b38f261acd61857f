using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using Google.Protobuf;

namespace Fusion.Comparison;

/// <summary>
/// Writes a declared Fusion model, with its current weights, as an ONNX model (opset 17) for ONNX Runtime — the
/// competitor the benchmarks and comparison tests run side by side. BatchNorm is written as its own
/// <c>BatchNormalization</c> node, as a PyTorch export would, so ONNX Runtime does its own folding and fusion.
/// Test and benchmark support only: Fusion itself never loads ONNX. Messages are encoded with Google.Protobuf's
/// <see cref="CodedOutputStream"/> and the field numbers of onnx.proto.
/// </summary>
public static class OnnxExport
{
    public static byte[] Export(IFusedModel model)
    {
        var attribute = model.GetType().GetCustomAttribute<FusedModelAttribute>()!;
        var nodes = new List<byte[]>();
        var initializers = new List<byte[]>();
        var outputs = new Dictionary<string, string>();
        string previous = "input";
        var layers = model.GetType().GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
            .Where(p => p.GetCustomAttributes().Any(IsLayer)).OrderBy(p => p.MetadataToken);
        foreach (PropertyInfo property in layers)
        {
            string name = property.Name;
            string source = property.GetCustomAttribute<InputAttribute>() is { } from
                ? from.From == InputAttribute.ModelInput ? "input" : outputs[from.From]
                : previous;
            object layer = property.GetValue(model)!;
            string current = source;
            switch (layer)
            {
                case ConvBlock block:
                {
                    Conv2d conv = block.Conv;
                    var inputs = new List<string> { current, Initializer(initializers, name + ".conv.weight", conv.Weight) };
                    if (conv.Bias is not null) { inputs.Add(Initializer(initializers, name + ".conv.bias", conv.Bias)); }
                    current = name + ".conv";
                    nodes.Add(Node("Conv", inputs, current,
                        Ints("kernel_shape", conv.KernelHeight, conv.KernelWidth), Ints("strides", conv.Stride, conv.Stride),
                        Ints("pads", conv.PaddingHeight, conv.PaddingWidth, conv.PaddingHeight, conv.PaddingWidth),
                        Ints("dilations", conv.Dilation, conv.Dilation), Int("group", conv.Groups)));
                    current = BatchNorm(nodes, initializers, name, current, block.BatchNorm);
                    break;
                }

                case LinearBlock block:
                {
                    string flat = name + ".flatten";
                    nodes.Add(Node("Flatten", [current], flat, Int("axis", 1)));
                    var inputs = new List<string> { flat, Initializer(initializers, name + ".linear.weight", block.Linear.Weight) };
                    if (block.Linear.Bias is not null) { inputs.Add(Initializer(initializers, name + ".linear.bias", block.Linear.Bias)); }
                    current = name + ".linear";
                    nodes.Add(Node("Gemm", inputs, current, Int("transB", 1)));
                    current = BatchNorm(nodes, initializers, name, current, block.BatchNorm);
                    break;
                }

                case PoolLayer { Kind: PoolKind.GlobalAverage }:
                    current = name;
                    nodes.Add(Node("GlobalAveragePool", [source], current));
                    break;
                case PoolLayer pool:
                    current = name;
                    nodes.Add(Node(pool.Kind == PoolKind.Max ? "MaxPool" : "AveragePool", [source], current,
                        Ints("kernel_shape", pool.Kernel, pool.Kernel), Ints("strides", pool.Stride, pool.Stride),
                        Ints("pads", pool.Padding, pool.Padding, pool.Padding, pool.Padding)));
                    break;
                case FlattenLayer:
                    current = name;
                    nodes.Add(Node("Flatten", [source], current, Int("axis", 1)));
                    break;
            }

            if (property.GetCustomAttribute<ResidualAttribute>() is { } residual)
            {
                nodes.Add(Node("Add", [current, outputs[residual.From]], name + ".add"));
                current = name + ".add";
            }

            string? activation = property.GetCustomAttributes().Select(a => a switch
            {
                ReluAttribute => "Relu",
                SigmoidAttribute => "Sigmoid",
                TanhAttribute => "Tanh",
                IdentityAttribute => null,
                Conv2dAttribute or LinearAttribute or BatchNormAttribute or ResidualAttribute or InputAttribute or MaxPool2dAttribute
                    or AvgPool2dAttribute or GlobalAvgPoolAttribute or FlattenAttribute => null,
                _ => throw new NotSupportedException($"{a.GetType().Name} is not exported to ONNX by this helper"),
            }).FirstOrDefault(a => a is not null);
            if (activation is not null)
            {
                nodes.Add(Node(activation, [current], name + "." + activation.ToLowerInvariant()));
                current = name + "." + activation.ToLowerInvariant();
            }

            outputs[name] = current;
            previous = current;
        }

        nodes.Add(Node("Identity", [previous], "output"));
        byte[] graph = Message(s =>
        {
            foreach (byte[] node in nodes) { Field(s, 1, node); }
            s.WriteTag(2, WireFormat.WireType.LengthDelimited);
            s.WriteString(model.GetType().Name);
            foreach (byte[] initializer in initializers) { Field(s, 5, initializer); }
            Field(s, 11, ValueInfo("input", [attribute.InputChannels, attribute.InputHeight, attribute.InputWidth]));
            Field(s, 12, ValueInfo("output", null)); // ONNX Runtime infers the output's shape
        });
        return Message(s =>
        {
            s.WriteTag(1, WireFormat.WireType.Varint);
            s.WriteInt64(8); // ir_version
            s.WriteTag(2, WireFormat.WireType.LengthDelimited);
            s.WriteString("Fusion.Comparison");
            Field(s, 7, graph);
            Field(s, 8, Message(o =>
            {
                o.WriteTag(1, WireFormat.WireType.LengthDelimited);
                o.WriteString("");
                o.WriteTag(2, WireFormat.WireType.Varint);
                o.WriteInt64(17);
            }));
        });
    }

    private static bool IsLayer(Attribute a) => a is Conv2dAttribute or LinearAttribute or MaxPool2dAttribute or AvgPool2dAttribute or GlobalAvgPoolAttribute or FlattenAttribute;

    private static string BatchNorm(List<byte[]> nodes, List<byte[]> initializers, string name, string input, BatchNorm? bn)
    {
        if (bn is null)
        {
            return input;
        }

        int c = bn.Features;
        string scale = bn.Weight is null ? Constant(initializers, name + ".bn.weight", Enumerable.Repeat(1f, c).ToArray()) : Initializer(initializers, name + ".bn.weight", bn.Weight);
        string bias = bn.Bias is null ? Constant(initializers, name + ".bn.bias", new float[c]) : Initializer(initializers, name + ".bn.bias", bn.Bias);
        string output = name + ".bn";
        nodes.Add(Node("BatchNormalization",
            [input, scale, bias, Initializer(initializers, name + ".bn.running_mean", bn.RunningMean!), Initializer(initializers, name + ".bn.running_var", bn.RunningVar!)],
            output, Float("epsilon", bn.Epsilon)));
        return output;
    }

    private static string Initializer(List<byte[]> initializers, string name, Parameter parameter)
        => Tensor(initializers, name, parameter.Shape.ToArray(), parameter.Data.ToArray());

    private static string Constant(List<byte[]> initializers, string name, float[] values) => Tensor(initializers, name, [values.Length], values);

    private static string Tensor(List<byte[]> initializers, string name, int[] dims, float[] values)
    {
        initializers.Add(Message(s =>
        {
            foreach (int d in dims) { s.WriteTag(1, WireFormat.WireType.Varint); s.WriteInt64(d); }
            s.WriteTag(2, WireFormat.WireType.Varint);
            s.WriteInt32(1); // FLOAT
            s.WriteTag(8, WireFormat.WireType.LengthDelimited);
            s.WriteString(name);
            byte[] raw = new byte[values.Length * 4];
            Buffer.BlockCopy(values, 0, raw, 0, raw.Length);
            s.WriteTag(9, WireFormat.WireType.LengthDelimited);
            s.WriteBytes(ByteString.CopyFrom(raw));
        }));
        return name;
    }

    private static byte[] ValueInfo(string name, int[]? dims) => Message(s =>
    {
        s.WriteTag(1, WireFormat.WireType.LengthDelimited);
        s.WriteString(name);
        Field(s, 2, Message(type => Field(type, 1, Message(tensor =>
        {
            tensor.WriteTag(1, WireFormat.WireType.Varint);
            tensor.WriteInt32(1); // FLOAT
            if (dims is null)
            {
                return;
            }

            Field(tensor, 2, Message(shape =>
            {
                Field(shape, 1, Message(d => { d.WriteTag(2, WireFormat.WireType.LengthDelimited); d.WriteString("N"); }));
                foreach (int dim in dims)
                {
                    Field(shape, 1, Message(d => { d.WriteTag(1, WireFormat.WireType.Varint); d.WriteInt64(dim); }));
                }
            }));
        }))));
    });

    private static byte[] Node(string op, IEnumerable<string> inputs, string output, params byte[][] attributes) => Message(s =>
    {
        foreach (string input in inputs) { s.WriteTag(1, WireFormat.WireType.LengthDelimited); s.WriteString(input); }
        s.WriteTag(2, WireFormat.WireType.LengthDelimited);
        s.WriteString(output);
        s.WriteTag(3, WireFormat.WireType.LengthDelimited);
        s.WriteString(output + "_node");
        s.WriteTag(4, WireFormat.WireType.LengthDelimited);
        s.WriteString(op);
        foreach (byte[] attribute in attributes) { Field(s, 5, attribute); }
    });

    private static byte[] Ints(string name, params int[] values) => Message(s =>
    {
        s.WriteTag(1, WireFormat.WireType.LengthDelimited);
        s.WriteString(name);
        foreach (int v in values) { s.WriteTag(8, WireFormat.WireType.Varint); s.WriteInt64(v); }
        s.WriteTag(20, WireFormat.WireType.Varint);
        s.WriteInt32(7); // INTS
    });

    private static byte[] Int(string name, int value) => Message(s =>
    {
        s.WriteTag(1, WireFormat.WireType.LengthDelimited);
        s.WriteString(name);
        s.WriteTag(3, WireFormat.WireType.Varint);
        s.WriteInt64(value);
        s.WriteTag(20, WireFormat.WireType.Varint);
        s.WriteInt32(2); // INT
    });

    private static byte[] Float(string name, float value) => Message(s =>
    {
        s.WriteTag(1, WireFormat.WireType.LengthDelimited);
        s.WriteString(name);
        s.WriteTag(2, WireFormat.WireType.Fixed32);
        s.WriteFloat(value);
        s.WriteTag(20, WireFormat.WireType.Varint);
        s.WriteInt32(1); // FLOAT
    });

    private static void Field(CodedOutputStream stream, int number, byte[] message)
    {
        stream.WriteTag(number, WireFormat.WireType.LengthDelimited);
        stream.WriteBytes(ByteString.CopyFrom(message));
    }

    private static byte[] Message(Action<CodedOutputStream> write)
    {
        using var memory = new MemoryStream();
        using (var stream = new CodedOutputStream(memory, leaveOpen: true))
        {
            write(stream);
        }

        return memory.ToArray();
    }
}
