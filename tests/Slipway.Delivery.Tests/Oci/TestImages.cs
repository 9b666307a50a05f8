using System.Formats.Tar;
using System.Text;
using Slipway.Delivery.Oci;

namespace Slipway.Delivery.Tests.Oci;

/// <summary>Builds small, deterministic single-layer images for tests: one file in a tar, gzipped, with a minimal linux/amd64 config.</summary>
internal static class TestImages
{
    public static async Task<OciImageLayout> CreateAsync(string workDirectory, string fileContent, string layoutName = "layout",
                                                         IReadOnlyDictionary<string, string>? annotations = null)
    {
        Directory.CreateDirectory(workDirectory);
        var tar = Path.Combine(workDirectory, layoutName + ".tar");
        await WriteTarAsync(tar, ("hello.txt", fileContent));
        var layer = await OciLayer.GzipDeterministicAsync(tar, Path.Combine(workDirectory, layoutName + ".tar.gz"));
        return await OciImageLayout.CreateAsync(Path.Combine(workDirectory, layoutName), Config(layer.DiffId), [layer.Path], annotations);
    }

    public static byte[] Config(params string[] diffIds) => Encoding.UTF8.GetBytes(
        "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"/hello.txt\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" +
        string.Join(",", diffIds.Select(id => $"\"{id}\"")) + "]}}");

    public static async Task WriteTarAsync(string path, params (string Name, string Content)[] files)
    {
        await using var stream = File.Create(path);
        await using var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: false);
        foreach (var (name, content) in files)
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, name)
            {
                ModificationTime = DateTimeOffset.UnixEpoch,
                Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
            };
            await writer.WriteEntryAsync(entry);
        }
    }
}
