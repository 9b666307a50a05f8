using System.Formats.Tar;
using System.Text;
using System.Text.Json;
using Slipway.Delivery.Oci;
using Slipway.Delivery.Registry;

namespace Slipway.Delivery.Tests.Images;

/// <summary>
/// A throw-away base image for tests only: the host's glibc, libstdc++, libgcc, OpenSSL and zlib (what a self-contained
/// .NET app needs), /etc/passwd with the non-root 'app' user (1654), and /tmp; no shell. Built in-process as an OCI layout
/// and pushed to the test registry. The production base comes from the platform.
/// </summary>
internal static class TestBaseImage
{
    private const string LibraryDirectory = "/lib/x86_64-linux-gnu";

    private static readonly string[] Libraries =
        ["ld-linux-x86-64.so.2", "libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1",
         "libgcc_s.so.1", "libstdc++.so.6", "libssl.so.3", "libcrypto.so.3", "libz.so.1"];

    public static async Task<ImageReference> PushAsync(RegistryClient registry, string registryHost, string workDirectory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(workDirectory);
        var tar = Path.Combine(workDirectory, "base-layer.tar");
        var time = DateTimeOffset.FromUnixTimeSeconds(0);
        await using (var output = File.Create(tar))
        await using (var writer = new TarWriter(output, TarEntryFormat.Gnu))
        {
            foreach (var directory in new[] { "etc/", "lib/", "lib/x86_64-linux-gnu/", "lib64/", "tmp/" })
                await writer.WriteEntryAsync(new GnuTarEntry(TarEntryType.Directory, directory)
                {
                    ModificationTime = time, Mode = directory == "tmp/" ? (UnixFileMode)Convert.ToInt32("1777", 8) : (UnixFileMode)Convert.ToInt32("755", 8),
                }, cancellationToken);
            await WriteTextAsync(writer, "etc/passwd", "root:x:0:0:root:/root:/sbin/nologin\napp:x:1654:1654:app:/app:/sbin/nologin\n", time, cancellationToken);
            await WriteTextAsync(writer, "etc/group", "root:x:0:\napp:x:1654:\n", time, cancellationToken);
            foreach (var library in Libraries)
            {
                var source = new FileInfo(Path.Combine(LibraryDirectory, library));
                var real = source.LinkTarget is null ? source.FullName : source.ResolveLinkTarget(returnFinalTarget: true)!.FullName;
                await using var data = File.OpenRead(real);
                await writer.WriteEntryAsync(new GnuTarEntry(TarEntryType.RegularFile, "lib/x86_64-linux-gnu/" + library)
                {
                    ModificationTime = time, Mode = (UnixFileMode)Convert.ToInt32("755", 8), DataStream = data,
                }, cancellationToken);
            }
            await writer.WriteEntryAsync(new GnuTarEntry(TarEntryType.SymbolicLink, "lib64/ld-linux-x86-64.so.2")
            {
                ModificationTime = time, Mode = (UnixFileMode)Convert.ToInt32("777", 8), LinkName = "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
            }, cancellationToken);
        }
        var layer = await OciLayer.GzipDeterministicAsync(tar, tar + ".gz", cancellationToken);
        var config = JsonSerializer.SerializeToUtf8Bytes(new
        {
            architecture = "amd64",
            os = "linux",
            created = "1970-01-01T00:00:00Z",
            config = new { Env = new[] { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" } },
            rootfs = new { type = "layers", diff_ids = new[] { layer.DiffId } },
            history = new[] { new { created = "1970-01-01T00:00:00Z", created_by = "slipway tests: host libraries for a self-contained .NET app" } },
        });
        var layout = await OciImageLayout.CreateAsync(Path.Combine(workDirectory, "base-oci"), config, [layer.Path], ct: cancellationToken);
        var pushed = await registry.PushAsync(layout, ImageReference.Parse($"{registryHost}/slipway-test/base"), ["1"], cancellationToken);
        return pushed.Pushed;
    }

    private static async Task WriteTextAsync(TarWriter writer, string name, string text, DateTimeOffset time, CancellationToken cancellationToken) =>
        await writer.WriteEntryAsync(new GnuTarEntry(TarEntryType.RegularFile, name)
        {
            ModificationTime = time, Mode = (UnixFileMode)Convert.ToInt32("644", 8), DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)),
        }, cancellationToken);
}
