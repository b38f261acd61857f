using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;

namespace Fusion.IO;

/// <summary>One tensor of a safetensors file: its name, dtype (<c>F32</c>, <c>I64</c>, …), shape and raw little-endian bytes.</summary>
public sealed record SafeTensor(string Name, string DType, long[] Shape, byte[] Data)
{
    /// <summary>Elements in the tensor (1 for a scalar).</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>A file that is not a well-formed safetensors file; the message says what is wrong and where.</summary>
public sealed class SafeTensorsFormatException(string message) : FormatException(message);

/// <summary>
/// The safetensors format (the Hugging Face specification PyTorch users save <c>state_dict</c>s in): an 8-byte
/// little-endian header length, a JSON header mapping each name to its dtype, shape and byte range, then one
/// contiguous data buffer that the ranges cover exactly, with no holes and no overlaps.
/// </summary>
public static class SafeTensorsFile
{
    private static readonly Dictionary<string, int> ElementSizes = new(StringComparer.Ordinal)
    {
        ["F64"] = 8, ["F32"] = 4, ["F16"] = 2, ["BF16"] = 2, ["I64"] = 8, ["I32"] = 4, ["I16"] = 2, ["I8"] = 1, ["U8"] = 1, ["BOOL"] = 1,
    };

    /// <summary>The largest header accepted (the reference implementation's limit), so that a corrupt length cannot ask for gigabytes.</summary>
    public const long MaxHeaderLength = 100_000_000;

    /// <summary>Writes the tensors, in the order given, and optional string metadata.</summary>
    public static void Write(Stream stream, IReadOnlyList<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensors);
        var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (KeyValuePair<string, string> entry in metadata)
                {
                    json.WriteString(entry.Key, entry.Value);
                }

                json.WriteEndObject();
            }

            long offset = 0;
            foreach (SafeTensor tensor in tensors)
            {
                if (!ElementSizes.TryGetValue(tensor.DType, out int size) || tensor.ElementCount * size != tensor.Data.Length)
                {
                    throw new ArgumentException($"Tensor '{tensor.Name}': {tensor.Data.Length} bytes do not hold a {tensor.DType} tensor of shape [{string.Join(", ", tensor.Shape)}].", nameof(tensors));
                }

                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", tensor.DType);
                json.WriteStartArray("shape");
                foreach (long dimension in tensor.Shape)
                {
                    json.WriteNumberValue(dimension);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + tensor.Data.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += tensor.Data.Length;
            }

            json.WriteEndObject();
        }

        // The data buffer starts 8-byte aligned: the header is padded with spaces, as the specification allows.
        while (header.Length % 8 != 0)
        {
            header.WriteByte((byte)' ');
        }

        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        header.Position = 0;
        header.CopyTo(stream);
        foreach (SafeTensor tensor in tensors)
        {
            stream.Write(tensor.Data);
        }
    }

    /// <summary>Reads and validates a whole file: every problem found is named in the exception.</summary>
    /// <exception cref="SafeTensorsFormatException">The bytes are not a well-formed safetensors file.</exception>
    public static IReadOnlyList<SafeTensor> Read(ReadOnlySpan<byte> file)
    {
        if (file.Length < 8)
        {
            throw new SafeTensorsFormatException($"The file is {file.Length} bytes long; a safetensors file starts with an 8-byte header length.");
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (headerLength > MaxHeaderLength || headerLength > (ulong)(file.Length - 8))
        {
            throw new SafeTensorsFormatException($"The header claims {headerLength} bytes, but the file has {file.Length - 8} after the length field (truncated or not safetensors).");
        }

        ReadOnlySpan<byte> headerBytes = file.Slice(8, (int)headerLength);
        ReadOnlySpan<byte> data = file.Slice(8 + (int)headerLength);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(headerBytes.ToArray());
        }
        catch (JsonException exception)
        {
            throw new SafeTensorsFormatException($"The header is not valid JSON: {exception.Message}");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new SafeTensorsFormatException("The header must be a JSON object mapping tensor names to their descriptions.");
            }

            var tensors = new List<(SafeTensor Tensor, long Begin, long End)>();
            foreach (JsonProperty entry in document.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__")
                {
                    continue;
                }

                tensors.Add(ReadEntry(entry, data));
            }

            // The ranges must tile the data buffer exactly.
            long expected = 0;
            foreach (var (tensor, begin, end) in tensors.OrderBy(t => t.Begin))
            {
                if (begin != expected)
                {
                    throw new SafeTensorsFormatException($"Tensor '{tensor.Name}' starts at byte {begin} of the data, but the previous tensor ends at {expected}: the ranges overlap or leave a hole.");
                }

                expected = end;
            }

            if (expected != data.Length)
            {
                throw new SafeTensorsFormatException($"The tensors cover {expected} bytes of data, but the file holds {data.Length} (truncated, or trailing bytes).");
            }

            return tensors.Select(t => t.Tensor).ToArray();
        }
    }

    private static (SafeTensor, long, long) ReadEntry(JsonProperty entry, ReadOnlySpan<byte> data)
    {
        string name = entry.Name;
        JsonElement value = entry.Value;
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("dtype", out JsonElement dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String
            || !value.TryGetProperty("shape", out JsonElement shapeElement) || shapeElement.ValueKind != JsonValueKind.Array
            || !value.TryGetProperty("data_offsets", out JsonElement offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array || offsetsElement.GetArrayLength() != 2)
        {
            throw new SafeTensorsFormatException($"Tensor '{name}' needs a string 'dtype', an array 'shape' and a two-element 'data_offsets'.");
        }

        string dtype = dtypeElement.GetString()!;
        if (!ElementSizes.TryGetValue(dtype, out int size))
        {
            throw new SafeTensorsFormatException($"Tensor '{name}' has dtype '{dtype}', which is not a safetensors dtype.");
        }

        var shape = new long[shapeElement.GetArrayLength()];
        int i = 0;
        foreach (JsonElement dimension in shapeElement.EnumerateArray())
        {
            if (dimension.ValueKind != JsonValueKind.Number || !dimension.TryGetInt64(out shape[i]) || shape[i] < 0)
            {
                throw new SafeTensorsFormatException($"Tensor '{name}' has a shape entry that is not a non-negative integer.");
            }

            i++;
        }

        JsonElement beginElement = offsetsElement[0], endElement = offsetsElement[1];
        if (!beginElement.TryGetInt64(out long begin) || !endElement.TryGetInt64(out long end) || begin < 0 || end < begin || end > data.Length)
        {
            throw new SafeTensorsFormatException($"Tensor '{name}' has data_offsets [{beginElement}, {endElement}] outside the {data.Length} bytes of data.");
        }

        long elements = 1;
        foreach (long dimension in shape)
        {
            elements = checked(elements * dimension);
        }

        if (elements * size != end - begin)
        {
            throw new SafeTensorsFormatException($"Tensor '{name}' of dtype {dtype} and shape [{string.Join(", ", shape)}] needs {elements * size} bytes, but its data_offsets span {end - begin}.");
        }

        return (new SafeTensor(name, dtype, shape, data.Slice((int)begin, (int)(end - begin)).ToArray()), begin, end);
    }
}
