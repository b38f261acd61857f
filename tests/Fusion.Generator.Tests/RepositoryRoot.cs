using System.IO;

namespace Fusion.Generator.Tests;

internal static class RepositoryRoot
{
    /// <summary>The folder that holds Fusion.sln, found upwards from this source file's build output.</summary>
    public static string Find([System.Runtime.CompilerServices.CallerFilePath] string path = "")
    {
        string? directory = Path.GetDirectoryName(path);
        while (directory is not null && !File.Exists(Path.Combine(directory, "Fusion.sln")))
        {
            directory = Path.GetDirectoryName(directory);
        }

        return directory ?? throw new DirectoryNotFoundException("Fusion.sln not found above " + path);
    }
}
