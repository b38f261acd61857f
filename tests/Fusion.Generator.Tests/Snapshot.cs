using System;
using System.IO;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace Fusion.Generator.Tests;

/// <summary>
/// Snapshot testing with Verify's conventions (Verify itself is not served here): the expected text lives in
/// <c>Snapshots/{name}.verified.cs</c>, committed; a mismatch writes <c>{name}.received.cs</c> beside it and fails.
/// Accepting is explicit: run the tests with <c>FUSION_ACCEPT_SNAPSHOTS=1</c> (refused when <c>CI=true</c>), or
/// move the received file over the verified one. Volatile values (the generator version) are scrubbed first.
/// </summary>
internal static class Snapshot
{
    public static void Verify(string name, string actual, [CallerFilePath] string callerPath = "")
    {
        string directory = Path.Combine(Path.GetDirectoryName(callerPath)!, "Snapshots");
        string verified = Path.Combine(directory, name + ".verified.cs");
        string received = Path.Combine(directory, name + ".received.cs");
        string text = Scrub(actual);

        string? expected = File.Exists(verified) ? File.ReadAllText(verified) : null;
        if (expected is not null && Normalize(expected) == Normalize(text))
        {
            if (File.Exists(received))
            {
                File.Delete(received);
            }

            return;
        }

        bool accept = Environment.GetEnvironmentVariable("FUSION_ACCEPT_SNAPSHOTS") == "1";
        bool onCi = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        if (accept && !onCi)
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(verified, text);
            if (File.Exists(received))
            {
                File.Delete(received);
            }

            return;
        }

        if (!onCi)
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(received, text);
        }

        string why = expected is null ? "no verified snapshot exists" : "the generated code differs from the verified snapshot";
        string how = onCi
            ? "Snapshots are never accepted under CI=true; accept them locally and commit the .verified.cs file."
            : $"Compare {received} with {verified}; accept with FUSION_ACCEPT_SNAPSHOTS=1 or by renaming the received file.";
        throw new Xunit.Sdk.XunitException($"Snapshot '{name}': {why}. {how}{FirstDifference(expected, text)}");
    }

    public static string Scrub(string text)
        => Regex.Replace(text, "(Fusion |\"Fusion.Generator\", \")" + Regex.Escape(Emitting.ModelEmitter.GeneratorVersion), "$1{version}");

    private static string Normalize(string text) => text.Replace("\r\n", "\n");

    private static string FirstDifference(string? expected, string actual)
    {
        if (expected is null)
        {
            return "";
        }

        string[] a = Normalize(expected).Split('\n'), b = Normalize(actual).Split('\n');
        for (int i = 0; i < Math.Max(a.Length, b.Length); i++)
        {
            string left = i < a.Length ? a[i] : "<end>", right = i < b.Length ? b[i] : "<end>";
            if (left != right)
            {
                return $"\nFirst difference at line {i + 1}:\n  verified: {left}\n  received: {right}";
            }
        }

        return "";
    }
}
