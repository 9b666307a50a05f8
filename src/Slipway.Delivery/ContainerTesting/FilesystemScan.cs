using System.Formats.Tar;
using System.Text;
using Docker.DotNet;

namespace Slipway.Delivery.ContainerTesting;

/// <summary>Exports the container's filesystem (no exec: the image may have no shell) and looks for secret-looking files.</summary>
internal static class FilesystemScan
{
    private const int MaxKeyFileBytes = 256 * 1024;

    public static async Task<ContainerCheck> RunAsync(DockerClient docker, string containerId, CancellationToken cancellationToken)
    {
        var found = new List<string>();
        var files = 0;
        await using var export = await docker.Containers.ExportContainerAsync(containerId, cancellationToken);
        await using var reader = new TarReader(export);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
            files++;
            var path = "/" + entry.Name.TrimStart('.', '/');
            if (path.StartsWith("/proc/", StringComparison.Ordinal) || path.StartsWith("/sys/", StringComparison.Ordinal)) continue;
            if (SecretPatterns.IsSecretFileName(path))
                found.Add(path);
            else if (SecretPatterns.IsKeyMaterialCandidate(path) && entry.DataStream is not null && entry.Length <= MaxKeyFileBytes)
            {
                using var buffer = new MemoryStream();
                await entry.DataStream.CopyToAsync(buffer, cancellationToken);
                if (SecretPatterns.LooksLikePrivateKey(Encoding.UTF8.GetString(buffer.ToArray()))) found.Add(path + " (private key)");
            }
        }
        return new ContainerCheck(CheckCategory.Security, "no secret-looking files", found.Count == 0,
            found.Count == 0 ? $"{files} files scanned" : $"found: {string.Join(", ", found.Take(10))}{(found.Count > 10 ? $" and {found.Count - 10} more" : "")}");
    }
}
