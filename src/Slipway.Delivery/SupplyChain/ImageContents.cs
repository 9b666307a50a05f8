using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Slipway.Delivery.Oci;

namespace Slipway.Delivery.SupplyChain;

/// <summary>
/// What an image really holds, read from its layers rather than from the build's inputs: the published app's
/// <c>*.deps.json</c> (NuGet packages) and the base's Debian packages with versions, from <c>var/lib/dpkg/status</c>
/// or, in a distroless-style base like Slipway's own, <c>var/lib/dpkg/status.d/&lt;package&gt;</c>.
/// The SBOM describes the bytes that run, whatever builder made them.
/// </summary>
public static class ImageContents
{
    private const string DpkgStatus = "var/lib/dpkg/status";
    private const string DpkgStatusDirectory = "var/lib/dpkg/status.d/";

    /// <summary>
    /// The image's components. Without any dpkg status (a base that dropped it), <paramref name="basePackages"/> stand for
    /// the Debian packages, by name.
    /// </summary>
    public static async Task<IReadOnlyList<SbomComponent>> ReadComponentsAsync(OciImageLayout layout, IReadOnlyList<SbomComponent> basePackages,
                                                                           CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(layout);
        byte[]? depsJson = null;
        string? dpkgStatus = null;
        var statusDirectory = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var layer in layout.Layers)
        {
            // Later layers win, as in the container's filesystem.
            await using var file = File.OpenRead(layout.BlobPath(layer.Digest));
            await using var gzip = new GZipStream(file, CompressionMode.Decompress);
            await using var reader = new TarReader(gzip);
            while (await reader.GetNextEntryAsync(copyData: false, ct) is { } entry)
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null) continue;
                var path = entry.Name.TrimStart('.', '/');
                if (path == DpkgStatus)
                    dpkgStatus = Encoding.UTF8.GetString(await ReadAllAsync(entry.DataStream, ct));
                else if (path.StartsWith(DpkgStatusDirectory, StringComparison.Ordinal) && !path[DpkgStatusDirectory.Length..].Contains('/'))
                    statusDirectory[path] = Encoding.UTF8.GetString(await ReadAllAsync(entry.DataStream, ct));
                else if (path.StartsWith("app/", StringComparison.Ordinal) && path.EndsWith(".deps.json", StringComparison.Ordinal) && !path[4..].Contains('/'))
                    depsJson = await ReadAllAsync(entry.DataStream, ct);
            }
        }
        if (depsJson is null)
            throw new InvalidOperationException($"{layout} has no /app/*.deps.json: the SBOM describes a published .NET app.");
        var debian = dpkgStatus is not null ? DebianPackages.ParseDpkgStatus(dpkgStatus)
            : statusDirectory.Count > 0 ? DebianPackages.ParseStatusDirectory(statusDirectory.Values)
            : basePackages;
        return [.. DotnetDependencies.Parse(depsJson), .. debian];
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, ct);
        return buffer.ToArray();
    }
}
